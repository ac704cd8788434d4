//! The data market's actions: an oracle's vote on a data set, a purchase, a revenue claim.

use super::{
    parse_data_resource, parse_data_set_name, state_key, DataMarketTotals, DataSale, DataSetRecord,
};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::epochs;
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::payouts::ManifestVote;
use crate::registry;
use plexus_types::{Address, Amount, RewardClaim};

fn refuse<T>(code: TxCode, log: impl Into<String>) -> Result<T, TxFailure> {
    Err(TxFailure::new(code, log))
}

fn totals(state: &StateOverlay<'_>) -> Result<DataMarketTotals, TxFailure> {
    Ok(state.get_json(&state_key::totals())?.unwrap_or_default())
}

fn load_set(state: &StateOverlay<'_>, epoch: u64, name: &str) -> Result<DataSetRecord, TxFailure> {
    state
        .get_json(&state_key::set(epoch, name))?
        .ok_or_else(|| {
            TxFailure::new(
                TxCode::UnknownDataSet,
                format!("no final data set {name} for epoch {epoch}"),
            )
        })
}

/// An oracle's vote on the manifest of data set `resource` (`data/<class>/<region>`) of an
/// ended epoch; the set is final and listed once `threshold` oracles agree.
pub(crate) fn submit_data_set(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    oracle: &Address,
    epoch: u64,
    resource: &str,
    vote: ManifestVote,
) -> Result<(), TxFailure> {
    if !info.is_oracle(oracle) {
        return refuse(
            TxCode::Unauthorized,
            format!("{oracle} is not an oracle of this chain"),
        );
    }
    let Some((class, region)) = parse_data_resource(resource) else {
        return refuse(
            TxCode::UnknownResource,
            format!("{resource:?} is not a data set (data/<class>/<resolution-5 H3 cell>)"),
        );
    };
    let Some(price) = info.data_market.prices.get(&class).copied() else {
        return refuse(
            TxCode::UnknownResource,
            format!("the data of class {class:?} is not sold on this chain"),
        );
    };
    if vote.total_units == 0 {
        return refuse(TxCode::BadProof, "a data set has at least one device");
    }
    let last = epochs::last_epoch(state)?;
    if epoch == 0 || epoch > last {
        return refuse(
            TxCode::EpochNotEnded,
            format!("epoch {epoch} has not ended (last ended: {last})"),
        );
    }
    if !epochs::claim_window_open(&info.rewards, epoch, last) {
        return refuse(
            TxCode::ClaimWindowClosed,
            format!("epoch {epoch} is settled"),
        );
    }
    let name = super::data_set_name(&class, region);
    if state.get(&state_key::set(epoch, &name))?.is_some() {
        return refuse(
            TxCode::ManifestFinal,
            format!("data set {name} of epoch {epoch} is already final"),
        );
    }
    let Some(agreeing) = crate::payouts::record_vote(state, info, oracle, &vote, |member| {
        state_key::vote(epoch, &name, member)
    })?
    else {
        return refuse(
            TxCode::AlreadySubmitted,
            format!("{oracle} already submitted data set {name} of epoch {epoch}"),
        );
    };
    if (agreeing.len() as u32) < info.oracles.threshold {
        return Ok(());
    }
    let record = DataSetRecord {
        epoch,
        name: name.clone(),
        class,
        root: vote.root,
        total_units: vote.total_units,
        data_root: vote.evidence_root,
        finalized_height: height,
        oracles: agreeing,
        price,
        sales: 0,
        revenue: Amount::ZERO,
        paid: Amount::ZERO,
        forfeited: Amount::ZERO,
    };
    state.set_json(state_key::set(epoch, &name), &record);
    let n = state.get_u64(&state_key::set_count(epoch))?;
    state.set(state_key::set_at(epoch, n), name.into_bytes());
    state.set_u64(state_key::set_count(epoch), n + 1);
    let mut t = totals(state)?;
    t.sets += 1;
    state.set_json(state_key::totals(), &t);
    Ok(())
}

/// `buyer` buys data set `name` of `epoch` at its price, if that is at most `max_price`.
pub(crate) fn buy(
    state: &mut StateOverlay<'_>,
    height: u64,
    buyer: &Address,
    epoch: u64,
    name: &str,
    max_price: Amount,
) -> Result<(), TxFailure> {
    if parse_data_set_name(name).is_none() {
        return refuse(
            TxCode::UnknownDataSet,
            format!("{name:?} is not a data set name (<class>/<resolution-5 H3 cell in hex>)"),
        );
    }
    let mut set = load_set(state, epoch, name)?;
    if set.price > max_price {
        return refuse(
            TxCode::AbovePriceCap,
            format!(
                "data set {name} of epoch {epoch} costs {} uplx, more than the {} uplx offered",
                set.price, max_price
            ),
        );
    }
    let sale_key = state_key::sale(epoch, name, buyer);
    if state.get(&sale_key)?.is_some() {
        return refuse(
            TxCode::AlreadyBought,
            format!("{buyer} already bought data set {name} of epoch {epoch}"),
        );
    }
    if !state.move_funds(buyer, &module_account::data_market(), set.price)? {
        return refuse(
            TxCode::InsufficientFunds,
            format!("{buyer} holds less than the {} uplx price", set.price),
        );
    }
    let overflow = || TxFailure::overflow("the data market's revenue");
    set.revenue = set.revenue.checked_add(set.price).ok_or_else(overflow)?;
    set.sales += 1;
    let mut t = totals(state)?;
    t.revenue = t.revenue.checked_add(set.price).ok_or_else(overflow)?;
    t.sales += 1;
    let sale = DataSale {
        epoch,
        name: name.to_string(),
        buyer: *buyer,
        price: set.price,
        height,
    };
    state.set_json(sale_key, &sale);
    state.set_json(state_key::set(epoch, name), &set);
    state.set_json(state_key::totals(), &t);
    Ok(())
}

/// A device's share of a data set's revenue to date, less what it was paid (rule D4).
pub(crate) fn claim_revenue(
    state: &mut StateOverlay<'_>,
    c: &RewardClaim,
) -> Result<(), TxFailure> {
    let Some((class, region)) = parse_data_resource(&c.resource) else {
        return refuse(
            TxCode::UnknownResource,
            format!("{:?} is not a data set", c.resource),
        );
    };
    let name = super::data_set_name(&class, region);
    let mut set = load_set(state, c.epoch, &name)?;
    if !plexus_rewards::verify_reward_claim(&set.root, set.total_units, c) {
        return refuse(
            TxCode::BadProof,
            "the leaf is not in the data set's manifest",
        );
    }
    let share = plexus_rewards::payout(set.revenue.0, c.units, set.total_units)
        .map_err(|e| TxFailure::new(TxCode::BadProof, e.to_string()))?;
    let paid_key = state_key::paid(c.epoch, &name, &c.device);
    let paid_before = state
        .get(&paid_key)?
        .and_then(|b| b.try_into().ok().map(u128::from_be_bytes))
        .unwrap_or(0);
    let owed = Amount(share.saturating_sub(paid_before));
    if owed == Amount::ZERO {
        return refuse(
            TxCode::NothingToWithdraw,
            format!(
                "{} has been paid its share of data set {name} of epoch {} so far",
                c.device, c.epoch
            ),
        );
    }
    let spent = set
        .paid
        .checked_add(set.forfeited)
        .and_then(|s| s.checked_add(owed));
    if spent.is_none_or(|s| s > set.revenue) {
        return refuse(
            TxCode::ManifestExhausted,
            format!("data set {name}'s claims would pay more than its sales took"),
        );
    }
    let (to, slashed) = registry::payee(state, &c.device, c.owner)?;
    if !state.move_funds(&module_account::data_market(), &to, owed)? {
        return refuse(
            TxCode::Internal,
            "the data market account holds less than its sets owe",
        );
    }
    let overflow = || TxFailure::overflow("the data market's payouts");
    let mut t = totals(state)?;
    if slashed {
        set.forfeited = set.forfeited.checked_add(owed).ok_or_else(overflow)?;
        t.forfeited = t.forfeited.checked_add(owed).ok_or_else(overflow)?;
    } else {
        set.paid = set.paid.checked_add(owed).ok_or_else(overflow)?;
        t.paid = t.paid.checked_add(owed).ok_or_else(overflow)?;
    }
    state.set(paid_key, share.to_be_bytes().to_vec());
    state.set_json(state_key::set(c.epoch, &name), &set);
    state.set_json(state_key::totals(), &t);
    Ok(())
}
