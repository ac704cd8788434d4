//! The end of every block, in order: the epochs' hook (an epoch that ends mints its emission
//! into pools and the validators' share), then, for an epoch that ended, its data pool carved
//! out of its Coverage pool, the settlement of
//! pools whose claim window closed and staking's epoch end (rewards split over the epoch's
//! validators, the next set chosen, and the settled data sessions too old to settle again
//! forgotten); then a bounded batch of the storage deals of ended
//! epochs; then a bounded batch of matured unbondings; then the market's hook, which draws
//! from the block's beacon.

use crate::beacon::Beacon;
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::{data_credits, epochs, market, staking, storage};
use plexus_store::StoreError;

/// Ends block `height`. Epochs end at the block's own height, not at the beacon's: under the
/// threshold beacon a block carries the seed of its parent, whose height is one less.
pub(crate) fn end_block(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    beacon: &Beacon,
) -> Result<(), StoreError> {
    let validator_bps = if epochs::ends_epoch(info, height) {
        staking::emission_share_bps(state, info, height)?
    } else {
        0
    };
    if let Some((ended, to_validators)) = epochs::end_block(state, info, height, validator_bps)? {
        data_credits::fund_data_pool(state, ended)?;
        storage::epoch_ended(state, ended)?;
        epochs::settle_expired(state, info, ended)?;
        data_credits::settle_expired(state, info, ended)?;
        staking::epoch_ended(state, info, ended, height, to_validators)?;
        data_credits::epoch_ended(state, info, ended)?;
    }
    storage::settle(state, info)?;
    staking::end_block(state, height)?;
    state.keep();
    market::end_block(state, beacon)
}
