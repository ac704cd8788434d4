//! Data credits at an epoch's end: forgetting the settled sessions whose receipts can no
//! longer settle, so that the replay guard holds a bounded window of epochs.

use super::state_key;
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::PublicKey;

/// Epoch `ended` has ended: the next takes receipts of epochs `ended + 1 - max_age` on, so the
/// sessions settled with receipts of epoch `ended - max_age` are forgotten. A receipt of that
/// epoch is refused as too old from now on, so forgetting it lets no replay through. Each
/// entry removed was written by a settlement that paid its fee.
pub(crate) fn epoch_ended(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    ended: u64,
) -> Result<(), StoreError> {
    let Some(old) = ended.checked_sub(info.data_credits.max_receipt_age_epochs) else {
        return Ok(());
    };
    let n = state.get_u64(&state_key::settled_count(old))?;
    for slot in 0..n {
        let entry = state.get(&state_key::settled_at(old, slot))?;
        let (key, session) = entry
            .as_deref()
            .filter(|e| e.len() == 40)
            .map(|e| e.split_at(32))
            .ok_or_else(|| StoreError::Corrupt("a settled session's entry".into()))?;
        let subscriber = PublicKey::from_slice(key)
            .map_err(|e| StoreError::Corrupt(format!("a settled session's key: {e}")))?;
        let session = session
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Corrupt("a settled session's number".into()))?;
        state.remove(state_key::settled_session(&subscriber, session));
        state.remove(state_key::settled_at(old, slot));
    }
    state.remove(state_key::settled_count(old));
    Ok(())
}
