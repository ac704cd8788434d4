//! Bodies of a component's transactions routed to that component's actions, kept apart from
//! the block's execution loop in `app`.

use crate::codes::{TxCode, TxFailure};
use crate::genesis::ChainInfo;
use crate::overlay::StateOverlay;
use crate::{data_credits, data_market, market, registry};
use plexus_types::{Address, Body};

/// The compute market's bodies.
pub(crate) fn market(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    body: &Body,
) -> Result<(), TxFailure> {
    match body {
        Body::CreateOrder(terms) => market::create_order(state, height, sender, terms),
        Body::PlaceBid {
            order,
            device,
            price_per_block,
            deposit,
        } => market::place_bid(
            state,
            height,
            sender,
            *order,
            device,
            *price_per_block,
            *deposit,
        ),
        Body::CloseBid { bid } => market::close_bid(state, sender, *bid),
        Body::SealJobResult { lease, seal } => {
            market::seal_result(state, height, sender, *lease, *seal)
        }
        Body::SubmitJobResult(result) => market::reveal_result(state, height, sender, result),
        Body::WithdrawLease { lease } => market::withdraw(state, sender, *lease),
        Body::CloseLease { lease } => market::close_lease(state, height, sender, *lease),
        Body::CloseOrder { order } => market::close_order(state, height, sender, *order),
        _ => Err(TxFailure::new(TxCode::Internal, "not a market body")),
    }
}

/// The data market's bodies: an oracle's vote on a data set, a device's revenue claim, a
/// purchase (see [`data_market::carries`]).
pub(crate) fn data_market(
    state: &mut StateOverlay<'_>,
    info: &ChainInfo,
    height: u64,
    sender: &Address,
    body: &Body,
) -> Result<(), TxFailure> {
    match body {
        Body::SubmitManifest {
            epoch,
            resource,
            root,
            total_units,
            evidence_root,
        } => data_market::submit_data_set(
            state,
            info,
            height,
            sender,
            *epoch,
            resource,
            crate::payouts::ManifestVote {
                root: *root,
                total_units: *total_units,
                evidence_root: *evidence_root,
            },
        ),
        Body::ClaimReward(c) => data_market::claim_revenue(state, c),
        Body::BuyData {
            epoch,
            data_set,
            max_price,
        } => data_market::buy(state, height, sender, *epoch, data_set, *max_price),
        _ => Err(TxFailure::new(TxCode::Internal, "not a data market body")),
    }
}

/// Hotspots' locations and data credits, in the epoch in progress at `height`.
pub(crate) fn wireless(
    info: &ChainInfo,
    state: &mut StateOverlay<'_>,
    (epoch, height): (u64, u64),
    sender: &Address,
    body: &Body,
) -> Result<(), TxFailure> {
    match body {
        Body::AssertLocation {
            device,
            h3_cell,
            antenna,
        } => registry::assert_location(state, info, height, sender, device, *h3_cell, *antenna),
        Body::BuyDataCredits {
            amount,
            beneficiary,
        } => data_credits::buy(state, info, epoch, sender, *amount, beneficiary),
        Body::SettleDataSession(receipt) => data_credits::settle(state, info, epoch, receipt),
        _ => Err(TxFailure::new(TxCode::Internal, "not a wireless body")),
    }
}
