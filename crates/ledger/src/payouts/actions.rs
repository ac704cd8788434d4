//! The payouts' actions: an oracle's manifest vote, a reward claim, and a fraud proof.

use super::{resource, state_key, window_open, ManifestVote};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::epochs::{self, FinalManifest, RewardPool};
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::registry;
use plexus_types::{statements, Address, Amount, ComputeFraud, RewardClaim};

#[allow(clippy::too_many_arguments)]
pub(crate) fn submit_manifest(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    oracle: &Address,
    epoch: u64,
    resource_name: &str,
    vote: ManifestVote,
) -> Result<(), TxFailure> {
    if !info.is_oracle(oracle) {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            format!("{oracle} is not an oracle of this chain"),
        ));
    }
    let resource = resource(resource_name)?;
    let last = epochs::last_epoch(state)?;
    if epoch == 0 || epoch > last {
        return Err(TxFailure::new(
            TxCode::EpochNotEnded,
            format!("epoch {epoch} has not ended (last ended: {last})"),
        ));
    }
    if !window_open(info, epoch, last) {
        return Err(TxFailure::new(
            TxCode::ClaimWindowClosed,
            format!("epoch {epoch} is settled"),
        ));
    }
    let mut pool = epochs::load_pool(state, epoch, resource)?
        .ok_or_else(|| TxFailure::new(TxCode::Internal, "ended epoch without a pool"))?;
    if pool.manifest.is_some() {
        return Err(TxFailure::new(
            TxCode::ManifestFinal,
            format!("the {resource_name} manifest of epoch {epoch} is already final"),
        ));
    }
    let Some(agreeing) = record_vote(state, info, oracle, &vote, |member| {
        state_key::manifest_vote(epoch, resource, member)
    })?
    else {
        return Err(TxFailure::new(
            TxCode::AlreadySubmitted,
            format!("{oracle} already submitted for epoch {epoch} {resource_name}"),
        ));
    };
    if agreeing.len() as u32 >= info.oracles.threshold {
        pool.manifest = Some(FinalManifest {
            root: vote.root,
            total_units: vote.total_units,
            evidence_root: vote.evidence_root,
            finalized_height: height,
            oracles: agreeing,
        });
        epochs::save_pool(state, &pool);
    }
    Ok(())
}

/// Records `oracle`'s `vote` under the key `key` gives each oracle, and returns the oracles
/// whose votes now equal it (the threshold rule of every manifest); `None`, and nothing
/// recorded, when `oracle` has voted already.
pub(crate) fn record_vote(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    oracle: &Address,
    vote: &ManifestVote,
    key: impl Fn(&Address) -> Vec<u8>,
) -> Result<Option<Vec<Address>>, plexus_store::StoreError> {
    if state.get(&key(oracle))?.is_some() {
        return Ok(None);
    }
    state.set_json(key(oracle), vote);
    let mut agreeing = Vec::new();
    for member in &info.oracles.members {
        let theirs: Option<ManifestVote> = state.get_json(&key(member))?;
        if theirs.as_ref() == Some(vote) {
            agreeing.push(*member);
        }
    }
    Ok(Some(agreeing))
}

pub(crate) fn claim(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    c: &RewardClaim,
) -> Result<(), TxFailure> {
    if c.resource == crate::data_credits::DATA_RESOURCE {
        return crate::data_credits::claim_data(state, info, c);
    }
    let resource = resource(&c.resource)?;
    epochs::check_claimable(state, &info.rewards, c.epoch)?;
    let mut pool = epochs::load_pool(state, c.epoch, resource)?.ok_or_else(|| {
        TxFailure::new(
            TxCode::NoManifest,
            format!("epoch {} has not ended", c.epoch),
        )
    })?;
    let Some(manifest) = pool.manifest.clone() else {
        return Err(TxFailure::new(
            TxCode::NoManifest,
            format!("no final {} manifest for epoch {}", c.resource, c.epoch),
        ));
    };
    let claim_key = state_key::claim(c.epoch, resource, &c.device);
    if state.get(&claim_key)?.is_some() {
        return Err(TxFailure::new(TxCode::AlreadyClaimed, "already claimed"));
    }
    if !plexus_rewards::verify_reward_claim(&manifest.root, manifest.total_units, c) {
        return Err(TxFailure::new(
            TxCode::BadProof,
            "the leaf is not in the final manifest",
        ));
    }
    let pay = Amount(
        plexus_rewards::payout(pool.amount.0, c.units, manifest.total_units)
            .map_err(|e| TxFailure::new(TxCode::BadProof, e.to_string()))?,
    );
    let claimed_units = within_manifest(&pool, &manifest, c.units, pay)?;
    let (to, slashed) = registry::payee(state, &c.device, c.owner)?;
    if !state.move_funds(&module_account::rewards(), &to, pay)? {
        return Err(TxFailure::new(
            TxCode::Internal,
            "the rewards account holds less than the pool owes",
        ));
    }
    let mut totals = epochs::totals(state)?;
    let overflow = || TxFailure::overflow("the reward totals");
    if slashed {
        pool.forfeited = pool.forfeited.checked_add(pay).ok_or_else(overflow)?;
        totals.forfeited = totals.forfeited.checked_add(pay).ok_or_else(overflow)?;
    } else {
        pool.paid = pool.paid.checked_add(pay).ok_or_else(overflow)?;
        totals.paid = totals.paid.checked_add(pay).ok_or_else(overflow)?;
    }
    pool.claimed_units = claimed_units;
    epochs::save_pool(state, &pool);
    epochs::save_totals(state, &totals);
    state.set(claim_key, pay.0.to_be_bytes().to_vec());
    Ok(())
}

/// Claim cap: the units claimed against a final manifest never add up past its total, and
/// what its pool pays and forfeits never past the pool. Oracles finalize a root and a total
/// that nothing on chain can check against each other, so a manifest whose leaves sum past its
/// total must not let claims take other pools' tokens from the rewards account. Returns the
/// pool's claimed units with this claim.
fn within_manifest(
    pool: &RewardPool,
    manifest: &FinalManifest,
    units: u128,
    pay: Amount,
) -> Result<u128, TxFailure> {
    let claimed_units = pool
        .claimed_units
        .checked_add(units)
        .filter(|claimed| *claimed <= manifest.total_units);
    let spent = pool
        .paid
        .checked_add(pool.forfeited)
        .and_then(|s| s.checked_add(pay))
        .filter(|spent| *spent <= pool.amount);
    match (claimed_units, spent) {
        (Some(claimed_units), Some(_)) => Ok(claimed_units),
        _ => Err(TxFailure::new(
            TxCode::ManifestExhausted,
            format!(
                "{} units were already claimed of the manifest's {}; {units} more would overdraw \
                 epoch {}'s {} pool",
                pool.claimed_units,
                manifest.total_units,
                pool.epoch,
                pool.resource.as_str()
            ),
        )),
    }
}

/// A fraud proof: the device's signed commitment and one wrong row of it slash the device.
///
/// The cheap checks come first, so that a proof nobody could be slashed for costs validators
/// no more than a plain transaction: the dimension within bounds, the device registered and
/// still holding its stake, its signature over the commitment. Only then is the row checked
/// against the commitment and recomputed (n² multiply-adds), work the sender paid for in its
/// fee ([`ComputeFraud::min_fee`]).
pub(crate) fn compute_fraud(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    f: &ComputeFraud,
) -> Result<(), TxFailure> {
    let challenge = plexus_proofs::compute::ComputeChallenge::new(f.seed, f.n)
        .map_err(|e| TxFailure::new(TxCode::NotFraud, e.to_string()))?;
    registry::check_slashable(state, &f.device)?;
    let statement = statements::compute_commitment(&info.chain_id, &f.seed, f.n, &f.root);
    if f.device.verify(&statement, &f.device_signature).is_err() {
        return Err(TxFailure::new(
            TxCode::BadDeviceSignature,
            "the device did not sign this commitment",
        ));
    }
    let opening = plexus_proofs::compute::RowOpening {
        index: f.row_index,
        row: f.row.clone(),
        proof: f.proof.clone(),
    };
    if !plexus_proofs::compute::is_fraud(&challenge, &f.root, &opening) {
        return Err(TxFailure::new(
            TxCode::NotFraud,
            "the opened row is not a provably wrong row of the committed answer",
        ));
    }
    let epoch = epochs::last_epoch(state)? + 1;
    let taken = registry::slash(state, (epoch, height), &f.device)?;
    let mut totals = epochs::totals(state)?;
    totals.slashed_stake = totals
        .slashed_stake
        .checked_add(taken)
        .ok_or_else(|| TxFailure::new(TxCode::Internal, "slashed total overflows"))?;
    epochs::save_totals(state, &totals);
    Ok(())
}
