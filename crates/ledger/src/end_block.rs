//! The end of every block, in order: the epochs' hook (an epoch that ends mints its emission
//! into pools), then, for an epoch that ended, the settlement of pools whose claim window
//! closed; then a bounded batch of the storage deals of ended epochs; then the market's hook,
//! which draws from the block's beacon.

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
        storage::epoch_ended(state, ended)?;
        epochs::settle_expired(state, info, ended)?;
    }
    storage::settle(state, info)?;
    state.keep();
    market::end_block(state, beacon)
}
