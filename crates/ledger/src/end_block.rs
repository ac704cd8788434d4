//! The end of every block, in order: the epochs' hook (an epoch that ends mints its emission
//! into pools), then, for an epoch that ended, storage's payments and the settlement of pools
//! whose claim window closed; then the market's hook, which draws from the block's beacon.

use crate::beacon::Beacon;
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::{epochs, market, storage};
use plexus_store::StoreError;

pub(crate) fn end_block(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    beacon: &Beacon,
) -> Result<(), StoreError> {
    let height = beacon.height;
    if let Some(ended) = epochs::end_block(state, info, height)? {
        storage::end_epoch(state, info, ended)?;
        state.keep();
        epochs::settle_expired(state, info, ended)?;
    }
    market::end_block(state, beacon)
}
