//! Data credits' actions: buy credits by burning PLX, settle a data session's receipt.

use super::{
    state_key, CarrierUsage, DataCreditBalance, DataCreditTotals, EpochDataSummary, HotspotData,
};
use crate::bank::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::registry::{self, DeviceStatus};
use plexus_types::{Address, Amount, DataSessionReceipt};

fn refuse<T>(code: TxCode, log: impl Into<String>) -> Result<T, TxFailure> {
    Err(TxFailure::new(code, log))
}

fn add(a: u128, b: u128, what: &str) -> Result<u128, TxFailure> {
    a.checked_add(b).ok_or_else(|| TxFailure::overflow(what))
}

fn add_amount(a: Amount, b: Amount, what: &str) -> Result<Amount, TxFailure> {
    a.checked_add(b).ok_or_else(|| TxFailure::overflow(what))
}

/// The signer burns `amount` and `beneficiary` holds the credits it buys. A signer other than
/// the beneficiary buys as the beneficiary's carrier; a balance that another account paid for
/// takes no credits from this one until it is spent, so each credit is reported under the
/// account that paid for it.
pub(crate) fn buy(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    signer: &Address,
    amount: Amount,
    beneficiary: &Address,
) -> Result<(), TxFailure> {
    let params = &info.data_credits;
    let Some(credits) = params.credits_for(amount) else {
        return Err(TxFailure::overflow("the credits bought"));
    };
    if credits == 0 {
        return refuse(
            TxCode::BuysNoDataCredits,
            format!(
                "{amount} uplx buys no data credit: one credit costs {} uplx",
                super::UPLX_PER_PLX.div_ceil(u128::from(params.dc_per_plx))
            ),
        );
    }
    if module_account::is_module(beneficiary) {
        return refuse(
            TxCode::Unauthorized,
            format!("{beneficiary} is a module account: it holds no data credits"),
        );
    }
    let key = state_key::data_credit_balance(beneficiary);
    let held: Option<DataCreditBalance> = state.get_json(&key)?;
    let held = match held {
        Some(b) if b.bought_by != *signer => {
            return refuse(
                TxCode::OtherCarrier,
                format!(
                    "{beneficiary} holds {} data credits bought by {}: only that account may add to them until they are spent",
                    b.credits, b.bought_by
                ),
            )
        }
        Some(b) => b.credits,
        None => 0,
    };
    let balance = DataCreditBalance {
        credits: add(held, credits, "the data-credit balance")?,
        bought_by: *signer,
    };
    if !state.move_funds(signer, &module_account::burned(), amount)? {
        return refuse(
            TxCode::InsufficientFunds,
            format!("{signer} cannot burn {amount} uplx after its fee"),
        );
    }
    state.set_json(key, &balance);

    let mut usage = carrier_usage(state, epoch, signer)?;
    usage.burned = add_amount(usage.burned, amount, "the carrier's burn")?;
    usage.credits_bought = add(usage.credits_bought, credits, "the carrier's credits")?;
    state.set_json(state_key::carrier_usage(epoch, signer), &usage);

    let mut summary = summary(state, epoch)?;
    summary.burned = add_amount(summary.burned, amount, "the epoch's burn")?;
    summary.credits_bought = add(summary.credits_bought, credits, "the epoch's credits")?;
    summary.carriers = state.get_u64(&state_key::carrier_count(epoch))?;
    state.set_json(state_key::epoch_data_summary(epoch), &summary);

    let mut totals = totals(state)?;
    totals.burned = add_amount(totals.burned, amount, "data credits' burn")?;
    totals.issued = add(totals.issued, credits, "data credits issued")?;
    state.set_json(state_key::data_credit_totals(), &totals);
    Ok(())
}

/// The device classes whose devices carry subscribers' data: Wi-Fi access points.
pub(crate) const CARRIES_DATA: [&str; 2] = ["wifi-indoor", "wifi-outdoor"];

/// Settles a data session: both signatures over the receipt's statement, an active hotspot (a
/// device of a class that carries data, with an asserted location), a
/// receipt of an epoch that has begun and is at most `max_receipt_age_epochs` old, a session
/// not settled before, and a subscriber holding the credits due. All or nothing: a refusal
/// changes nothing but the submitter's fee.
pub(crate) fn settle(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    receipt: &DataSessionReceipt,
) -> Result<(), TxFailure> {
    let owner = check_receipt(state, info, epoch, receipt)?;
    let bytes = receipt.total_bytes();
    let due = info.data_credits.credits_due(bytes);
    if due == 0 {
        return refuse(TxCode::EmptySession, "the session moved no bytes");
    }
    let holder = Address::from_public_key(&receipt.subscriber);
    let balance_key = state_key::data_credit_balance(&holder);
    let held: Option<DataCreditBalance> = state.get_json(&balance_key)?;
    let Some(balance) = held.filter(|b| b.credits >= due) else {
        return refuse(
            TxCode::InsufficientDataCredits,
            format!(
                "the session costs {due} data credits; {holder} holds {}",
                held.map_or(0, |b| b.credits)
            ),
        );
    };
    let left = balance.credits - due;
    if left == 0 {
        state.remove(balance_key);
    } else {
        state.set_json(
            balance_key,
            &DataCreditBalance {
                credits: left,
                bought_by: balance.bought_by,
            },
        );
    }
    remember_settled(state, receipt)?;
    let used = Usage {
        credits: due,
        bytes,
    };
    let value_added = count_for_hotspot(state, info, epoch, receipt, owner, used)?;
    count_for_carrier(state, epoch, &balance.bought_by, used, value_added)
}

/// The checks a receipt passes before any credit moves: its signatures, its hotspot (an active
/// Wi-Fi device with an asserted location, whose owner it returns), its epoch, and a session not settled before.
fn check_receipt(
    state: &StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    receipt: &DataSessionReceipt,
) -> Result<Address, TxFailure> {
    if let Err(e) = receipt.verify(&info.chain_id) {
        return refuse(TxCode::BadReceiptSignature, e.to_string());
    }
    let hotspot = &receipt.hotspot;
    let Some(device) = registry::load(state, hotspot)? else {
        return refuse(TxCode::UnknownDevice, format!("no device {hotspot}"));
    };
    if device.status != DeviceStatus::Active {
        return refuse(
            TxCode::DeviceNotActive,
            format!("device {hotspot} is not active"),
        );
    }
    if !CARRIES_DATA.contains(&device.class.as_str()) || device.location.is_none() {
        return refuse(
            TxCode::NotAHotspot,
            format!(
                "device {hotspot} of class {} {} location: only Wi-Fi hotspots ({}) with an \
                 asserted location carry data",
                device.class,
                if device.location.is_some() {
                    "with a"
                } else {
                    "without an asserted"
                },
                CARRIES_DATA.join(", ")
            ),
        );
    }
    if receipt.epoch > epoch {
        return refuse(
            TxCode::EpochNotStarted,
            format!(
                "the receipt names epoch {}; epoch {epoch} is in progress",
                receipt.epoch
            ),
        );
    }
    let max_age = info.data_credits.max_receipt_age_epochs;
    if epoch - receipt.epoch > max_age {
        return refuse(
            TxCode::ReceiptExpired,
            format!(
                "the receipt names epoch {}; in epoch {epoch} receipts from epoch {} on settle",
                receipt.epoch,
                epoch - max_age
            ),
        );
    }
    let subscriber = &receipt.subscriber;
    if state
        .get(&state_key::settled_session(subscriber, receipt.session))?
        .is_some()
    {
        return refuse(
            TxCode::SessionSettled,
            format!(
                "session {} of subscriber {subscriber} is already settled",
                receipt.session
            ),
        );
    }
    Ok(device.owner)
}

/// Marks the receipt's session settled, listed under the receipt's epoch so that it is
/// forgotten once such receipts expire.
fn remember_settled(
    state: &mut StateOverlay<'_>,
    receipt: &DataSessionReceipt,
) -> Result<(), TxFailure> {
    let subscriber = &receipt.subscriber;
    state.set_u64(
        state_key::settled_session(subscriber, receipt.session),
        receipt.epoch,
    );
    let n = state.get_u64(&state_key::settled_count(receipt.epoch))?;
    let mut entry = subscriber.as_bytes().to_vec();
    entry.extend_from_slice(&receipt.session.to_be_bytes());
    state.set(state_key::settled_at(receipt.epoch, n), entry);
    state.set_u64(state_key::settled_count(receipt.epoch), n + 1);
    Ok(())
}

/// What one settled session used.
#[derive(Clone, Copy)]
struct Usage {
    credits: u128,
    bytes: u128,
}

/// Counts a settled session for its hotspot; returns how much the hotspot's value (its
/// credits' worth in uplx, rounded down) grew, for the epoch's running Σ value.
fn count_for_hotspot(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    epoch: u64,
    receipt: &DataSessionReceipt,
    owner: Address,
    used: Usage,
) -> Result<u128, TxFailure> {
    let hotspot = &receipt.hotspot;
    let data_key = state_key::hotspot_data(epoch, hotspot);
    let mut data = match state.get_json::<HotspotData>(&data_key)? {
        Some(d) => d,
        None => {
            let n = state.get_u64(&state_key::hotspot_count(epoch))?;
            state.set(state_key::hotspot_at(epoch, n), hotspot.as_bytes().to_vec());
            state.set_u64(state_key::hotspot_count(epoch), n + 1);
            HotspotData {
                device: *hotspot,
                owner,
                credits: 0,
                bytes: 0,
                sessions: 0,
            }
        }
    };
    let value = |credits| {
        plexus_rewards::wireless::credits_value(credits, info.data_credits.dc_per_plx)
            .map_err(|_| TxFailure::overflow("the hotspot's value"))
    };
    let old_value = value(data.credits)?;
    data.credits = add(data.credits, used.credits, "the hotspot's credits")?;
    data.bytes = add(data.bytes, used.bytes, "the hotspot's bytes")?;
    data.sessions += 1;
    let new_value = value(data.credits)?;
    state.set_json(data_key, &data);
    // Credits only grow, so the value does too.
    Ok(new_value - old_value)
}

/// Counts a settled session for the carrier that paid for its credits, and in the epoch's
/// summary (with `value_added` to its Σ value) and the totals.
fn count_for_carrier(
    state: &mut StateOverlay<'_>,
    epoch: u64,
    carrier: &Address,
    used: Usage,
    value_added: u128,
) -> Result<(), TxFailure> {
    let mut usage = carrier_usage(state, epoch, carrier)?;
    usage.credits_used = add(
        usage.credits_used,
        used.credits,
        "the carrier's credits used",
    )?;
    usage.bytes = add(usage.bytes, used.bytes, "the carrier's bytes")?;
    usage.sessions += 1;
    state.set_json(state_key::carrier_usage(epoch, carrier), &usage);

    let mut summary = summary(state, epoch)?;
    summary.credits_used = add(
        summary.credits_used,
        used.credits,
        "the epoch's credits used",
    )?;
    summary.bytes = add(summary.bytes, used.bytes, "the epoch's bytes")?;
    summary.sessions += 1;
    summary.value = add(summary.value, value_added, "the epoch's data value")?;
    summary.hotspots = state.get_u64(&state_key::hotspot_count(epoch))?;
    summary.carriers = state.get_u64(&state_key::carrier_count(epoch))?;
    state.set_json(state_key::epoch_data_summary(epoch), &summary);

    let mut totals = totals(state)?;
    totals.spent = add(totals.spent, used.credits, "data credits spent")?;
    state.set_json(state_key::data_credit_totals(), &totals);
    Ok(())
}

/// A carrier's report for `epoch`, listed among the epoch's carriers if it is new.
fn carrier_usage(
    state: &mut StateOverlay<'_>,
    epoch: u64,
    carrier: &Address,
) -> Result<CarrierUsage, TxFailure> {
    if let Some(u) = state.get_json(&state_key::carrier_usage(epoch, carrier))? {
        return Ok(u);
    }
    let n = state.get_u64(&state_key::carrier_count(epoch))?;
    state.set(state_key::carrier_at(epoch, n), carrier.as_bytes().to_vec());
    state.set_u64(state_key::carrier_count(epoch), n + 1);
    Ok(CarrierUsage {
        carrier: *carrier,
        burned: Amount::ZERO,
        credits_bought: 0,
        credits_used: 0,
        bytes: 0,
        sessions: 0,
    })
}

fn summary(state: &StateOverlay<'_>, epoch: u64) -> Result<EpochDataSummary, TxFailure> {
    Ok(state
        .get_json(&state_key::epoch_data_summary(epoch))?
        .unwrap_or_default())
}

fn totals(state: &StateOverlay<'_>) -> Result<DataCreditTotals, TxFailure> {
    Ok(state
        .get_json(&state_key::data_credit_totals())?
        .unwrap_or_default())
}
