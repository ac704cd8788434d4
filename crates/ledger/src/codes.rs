//! Result codes of transactions, stable across releases and shown by the API.

use plexus_types::{Amount, Hash, TxError};
use serde::{Deserialize, Serialize};

/// Why a transaction was refused or failed. `Ok` is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxCode {
    Ok,
    /// The bytes are not a well-formed transaction (see the message).
    Malformed,
    Oversize,
    InvalidSignature,
    WrongChainId,
    /// The nonce is below the account's next nonce: a replay or a duplicate.
    NonceTooLow,
    /// The nonce is above the account's next nonce (may become valid later in the mempool).
    NonceTooHigh,
    FeeTooLow,
    /// The signer cannot pay the fee.
    InsufficientFee,
    /// The transfer's amount exceeds the balance left after the fee.
    InsufficientFunds,
    /// An amount or count would exceed the largest representable value.
    Overflow,
    /// The mempool is full or holds too many of this sender's transactions.
    MempoolFull,
    /// The transaction is already in the mempool.
    Duplicate,
    /// The signer may not do this (not the device's owner, not an oracle).
    Unauthorized,
    UnknownDevice,
    DeviceExists,
    DeviceNotActive,
    UnknownClass,
    StakeTooLow,
    /// The location is not a valid H3 cell.
    InvalidLocation,
    /// The device key did not sign the statement.
    BadDeviceSignature,
    /// The device's class is not a wireless one: it asserts no location.
    NotWireless,
    /// A wireless device moves only by asserting its new location (`AssertLocation`).
    LocationAsserted,
    /// Retired, but the stake is still bonded.
    StillBonded,
    AlreadySlashed,
    /// The epoch has not ended yet.
    EpochNotEnded,
    UnknownResource,
    /// This oracle already submitted a manifest for that epoch and class.
    AlreadySubmitted,
    /// The manifest for that epoch and class is already final.
    ManifestFinal,
    /// No final manifest for that epoch and class.
    NoManifest,
    /// The claim window of that epoch has closed.
    ClaimWindowClosed,
    AlreadyClaimed,
    /// The claims paid against the final manifest would add up past its total units or its
    /// pool: the manifest's leaves overdraw it.
    ManifestExhausted,
    /// The proof does not show what the transaction claims: a Merkle proof that does not place
    /// the leaf in the manifest, or a storage deal's size proof that does not fit its blob.
    BadProof,
    /// The fraud proof does not show a fraud.
    NotFraud,
    /// Fewer active storage devices can take the blob than the deal asks replicas.
    NotEnoughProviders,
    /// The report is not for the epoch in progress.
    WrongEpoch,
    /// The device keeps no replica for that deal in that epoch.
    NotAssigned,
    /// No training task with that id.
    UnknownTask,
    /// The training task has finished or was cancelled.
    TaskEnded,
    /// The account already takes part in that training task.
    AlreadyJoined,
    /// The training task has as many participants as a task may have.
    TaskFull,
    /// The round is not the training task's next round.
    WrongRound,
    /// A scored account does not take part in that round.
    NotAParticipant,
    /// No compute order, bid or lease with that id.
    UnknownOrder,
    UnknownBid,
    UnknownLease,
    /// The order takes no bids now (its bid window closed, or it has ended).
    NotTakingBids,
    /// The bid has already won, lost or been withdrawn.
    BidClosed,
    /// The lease has already ended or already has a result.
    LeaseClosed,
    /// The lease has no sealed result to reveal.
    NotSealed,
    /// The ledger does not ask for the lease's sealed result yet.
    RevealTooEarly,
    /// The revealed output and salt do not open the lease's seal.
    SealMismatch,
    /// The order has ended.
    OrderClosed,
    /// The device does not declare the hardware the order asks for.
    CannotRun,
    /// The bid is above the order's price cap.
    AbovePriceCap,
    /// The bid's deposit is below the least a bid must bond.
    DepositTooLow,
    /// The provider already has an open bid or a lease on that order.
    AlreadyBid,
    /// The provider lost a bond for a wrong result, or for too many sealed results it hid, and
    /// may not bid.
    ProviderBanned,
    /// The order has as many bids as it may have.
    TooManyBids,
    /// Nothing has been released to the lease's provider that it has not already withdrawn.
    NothingToWithdraw,
    /// No validator or oracle operator at that address, or none signs with that consensus key.
    UnknownValidator,
    /// The signer already operates a validator or oracle, or the consensus key is taken.
    ValidatorExists,
    /// The validator is jailed: it takes no new stake until it is unjailed.
    ValidatorJailed,
    /// The delegation is worth less than the amount asked of it.
    InsufficientStake,
    /// A commission change larger than the chain's step, or a second change in one epoch.
    CommissionTooFast,
    /// The stake arrived by redelegation and may not move again before its unbonding period ends.
    RedelegationLocked,
    /// The operator has had as many redelegations out of it this epoch as an epoch takes.
    TooManyRedelegations,
    /// As many validators hold stake as the chain keeps candidates for its set.
    TooManyValidators,
    /// The evidence does not show a double sign: different views, the same payload, or a signature
    /// the consensus key did not make.
    BadEvidence,
    /// The fault is older than the unbonding period: the stake it could slash may be gone.
    EvidenceTooOld,
    /// The validator is not jailed.
    NotJailed,
    /// The validator's jail period has not passed.
    StillJailed,
    /// The amount burned buys no whole data credit.
    BuysNoDataCredits,
    /// The beneficiary's data credits were bought by another account, which alone may add to
    /// them until they are spent.
    OtherCarrier,
    /// A data-session receipt's subscriber or hotspot signature does not verify.
    BadReceiptSignature,
    /// The receipt names an epoch that has not begun.
    EpochNotStarted,
    /// The receipt is older than the chain's `max_receipt_age_epochs`.
    ReceiptExpired,
    /// That subscriber's session is already settled: a replay.
    SessionSettled,
    /// The session moved no bytes.
    EmptySession,
    /// The subscriber holds fewer data credits than the session costs.
    InsufficientDataCredits,
    /// The receipt's device is not a hotspot that carries data: an active Wi-Fi device with an
    /// asserted location.
    NotAHotspot,
    /// No final data set of that name for that epoch.
    UnknownDataSet,
    /// The buyer already bought that data set.
    AlreadyBought,
    /// An invariant of the ledger does not hold; the transaction changed nothing.
    Internal,
}

impl TxCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            TxCode::Ok => "ok",
            TxCode::Malformed => "malformed",
            TxCode::Oversize => "oversize",
            TxCode::InvalidSignature => "invalid_signature",
            TxCode::WrongChainId => "wrong_chain_id",
            TxCode::NonceTooLow => "nonce_too_low",
            TxCode::NonceTooHigh => "nonce_too_high",
            TxCode::FeeTooLow => "fee_too_low",
            TxCode::InsufficientFee => "insufficient_fee",
            TxCode::InsufficientFunds => "insufficient_funds",
            TxCode::Overflow => "overflow",
            TxCode::MempoolFull => "mempool_full",
            TxCode::Duplicate => "duplicate",
            TxCode::Unauthorized => "unauthorized",
            TxCode::UnknownDevice => "unknown_device",
            TxCode::DeviceExists => "device_exists",
            TxCode::DeviceNotActive => "device_not_active",
            TxCode::UnknownClass => "unknown_class",
            TxCode::StakeTooLow => "stake_too_low",
            TxCode::InvalidLocation => "invalid_location",
            TxCode::BadDeviceSignature => "bad_device_signature",
            TxCode::NotWireless => "not_wireless",
            TxCode::LocationAsserted => "location_asserted",
            TxCode::StillBonded => "still_bonded",
            TxCode::AlreadySlashed => "already_slashed",
            TxCode::EpochNotEnded => "epoch_not_ended",
            TxCode::UnknownResource => "unknown_resource",
            TxCode::AlreadySubmitted => "already_submitted",
            TxCode::ManifestFinal => "manifest_final",
            TxCode::NoManifest => "no_manifest",
            TxCode::ClaimWindowClosed => "claim_window_closed",
            TxCode::AlreadyClaimed => "already_claimed",
            TxCode::ManifestExhausted => "manifest_exhausted",
            TxCode::BadProof => "bad_proof",
            TxCode::NotFraud => "not_fraud",
            TxCode::NotEnoughProviders => "not_enough_providers",
            TxCode::WrongEpoch => "wrong_epoch",
            TxCode::NotAssigned => "not_assigned",
            TxCode::UnknownTask => "unknown_task",
            TxCode::TaskEnded => "task_ended",
            TxCode::AlreadyJoined => "already_joined",
            TxCode::TaskFull => "task_full",
            TxCode::WrongRound => "wrong_round",
            TxCode::NotAParticipant => "not_a_participant",
            TxCode::UnknownOrder => "unknown_order",
            TxCode::UnknownBid => "unknown_bid",
            TxCode::UnknownLease => "unknown_lease",
            TxCode::NotTakingBids => "not_taking_bids",
            TxCode::BidClosed => "bid_closed",
            TxCode::LeaseClosed => "lease_closed",
            TxCode::NotSealed => "not_sealed",
            TxCode::RevealTooEarly => "reveal_too_early",
            TxCode::SealMismatch => "seal_mismatch",
            TxCode::OrderClosed => "order_closed",
            TxCode::CannotRun => "cannot_run",
            TxCode::AbovePriceCap => "above_price_cap",
            TxCode::DepositTooLow => "deposit_too_low",
            TxCode::AlreadyBid => "already_bid",
            TxCode::ProviderBanned => "provider_banned",
            TxCode::TooManyBids => "too_many_bids",
            TxCode::NothingToWithdraw => "nothing_to_withdraw",
            TxCode::UnknownValidator => "unknown_validator",
            TxCode::ValidatorExists => "validator_exists",
            TxCode::ValidatorJailed => "validator_jailed",
            TxCode::InsufficientStake => "insufficient_stake",
            TxCode::CommissionTooFast => "commission_too_fast",
            TxCode::RedelegationLocked => "redelegation_locked",
            TxCode::TooManyRedelegations => "too_many_redelegations",
            TxCode::TooManyValidators => "too_many_validators",
            TxCode::BadEvidence => "bad_evidence",
            TxCode::EvidenceTooOld => "evidence_too_old",
            TxCode::NotJailed => "not_jailed",
            TxCode::StillJailed => "still_jailed",
            TxCode::BuysNoDataCredits => "buys_no_data_credits",
            TxCode::OtherCarrier => "other_carrier",
            TxCode::BadReceiptSignature => "bad_receipt_signature",
            TxCode::EpochNotStarted => "epoch_not_started",
            TxCode::ReceiptExpired => "receipt_expired",
            TxCode::SessionSettled => "session_settled",
            TxCode::EmptySession => "empty_session",
            TxCode::InsufficientDataCredits => "insufficient_data_credits",
            TxCode::NotAHotspot => "not_a_hotspot",
            TxCode::UnknownDataSet => "unknown_data_set",
            TxCode::AlreadyBought => "already_bought",
            TxCode::Internal => "internal",
        }
    }
}

/// A refused transaction: a code for programs and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({})", code.as_str())]
pub struct Reject {
    pub code: TxCode,
    pub message: String,
}

impl Reject {
    pub fn new(code: TxCode, message: impl Into<String>) -> Reject {
        Reject {
            code,
            message: message.into(),
        }
    }
}

impl From<TxError> for Reject {
    fn from(e: TxError) -> Reject {
        let code = match e {
            TxError::Oversize(_) => TxCode::Oversize,
            TxError::BadSignature(
                plexus_types::KeyError::BadSignature | plexus_types::KeyError::InvalidPublicKey,
            ) => TxCode::InvalidSignature,
            _ => TxCode::Malformed,
        };
        Reject::new(code, e.to_string())
    }
}

/// What happened to one transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResult {
    pub hash: Hash,
    pub code: TxCode,
    /// Empty on success; why it failed otherwise.
    pub log: String,
    /// Fee charged (zero when the transaction failed before the fee could be charged).
    pub fee: Amount,
}

/// Where a committed transaction sits, as kept in the side index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedTx {
    pub height: u64,
    pub index: u32,
    #[serde(flatten)]
    pub result: TxResult,
}

/// The first byte of a side-index record in the binary layout of [`CommittedTx::encode`].
/// Records written before are JSON, which starts with `{`.
const RECORD_BINARY: u8 = 1;

impl CommittedTx {
    /// The side-index record: [`RECORD_BINARY`], the height (8 bytes) and index (4), the fee
    /// (16), all big-endian, the code's name after its length (1 byte), then the log. The hash
    /// is the record's key, so it is not repeated.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let code = self.result.code.as_str().as_bytes();
        let mut out = Vec::with_capacity(30 + code.len() + self.result.log.len());
        out.push(RECORD_BINARY);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.result.fee.0.to_be_bytes());
        out.push(code.len() as u8);
        out.extend_from_slice(code);
        out.extend_from_slice(self.result.log.as_bytes());
        out
    }

    /// A side-index record of the transaction `hash`, in either layout (`None` if it is
    /// neither).
    pub(crate) fn decode(hash: &Hash, bytes: &[u8]) -> Option<CommittedTx> {
        use serde::de::IntoDeserializer;
        let Some((&RECORD_BINARY, rest)) = bytes.split_first() else {
            return serde_json::from_slice(bytes).ok();
        };
        let (height, rest) = rest.split_first_chunk::<8>()?;
        let (index, rest) = rest.split_first_chunk::<4>()?;
        let (fee, rest) = rest.split_first_chunk::<16>()?;
        let (&code_len, rest) = rest.split_first()?;
        let (code, log) = rest.split_at_checked(code_len as usize)?;
        let code = std::str::from_utf8(code).ok()?;
        let code: Result<TxCode, serde::de::value::Error> =
            TxCode::deserialize(code.into_deserializer());
        Some(CommittedTx {
            height: u64::from_be_bytes(*height),
            index: u32::from_be_bytes(*index),
            result: TxResult {
                hash: *hash,
                code: code.ok()?,
                log: String::from_utf8(log.to_vec()).ok()?,
                fee: Amount(u128::from_be_bytes(*fee)),
            },
        })
    }
}

/// Why a transaction's body did not apply. `Failed`: a deterministic failure; the transaction
/// pays its fee and changes nothing else. Whatever a transaction's content can cause lands
/// here, with a code: an amount that would overflow ([`TxCode::Overflow`]), an account it would
/// overdraw, a ledger invariant it would break ([`TxCode::Internal`]). `Store`: the store could
/// not be read, which is not the transaction's fault and differs from one machine to another,
/// so the whole block stops. No transaction can abort a block through `Failed`.
#[derive(Debug)]
pub enum TxFailure {
    Failed { code: TxCode, log: String },
    Store(plexus_store::StoreError),
}

impl TxFailure {
    pub fn new(code: TxCode, log: impl Into<String>) -> TxFailure {
        TxFailure::Failed {
            code,
            log: log.into(),
        }
    }

    /// A ledger invariant that the transaction would break (an escrow that cannot pay, totals
    /// that disagree): the transaction fails, the block goes on.
    pub(crate) fn broken(what: impl std::fmt::Display) -> TxFailure {
        TxFailure::new(TxCode::Internal, format!("ledger invariant: {what}"))
    }

    /// An amount or count that would pass the largest representable value.
    pub(crate) fn overflow(what: impl std::fmt::Display) -> TxFailure {
        TxFailure::new(
            TxCode::Overflow,
            format!("{what} would pass the largest value it can hold"),
        )
    }
}

impl From<plexus_store::StoreError> for TxFailure {
    fn from(e: plexus_store::StoreError) -> TxFailure {
        TxFailure::Store(e)
    }
}

/// Work at a block's end shares rules with transactions; there no transaction is to blame, so
/// a failure there is the ledger's own and stops the block.
impl From<TxFailure> for plexus_store::StoreError {
    fn from(e: TxFailure) -> plexus_store::StoreError {
        match e {
            TxFailure::Store(s) => s,
            TxFailure::Failed { code, log } => {
                plexus_store::StoreError::Corrupt(format!("{log} ({})", code.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: TxCode, log: &str) -> CommittedTx {
        CommittedTx {
            height: 7,
            index: 3,
            result: TxResult {
                hash: Hash::of(b"a transaction"),
                code,
                log: log.into(),
                fee: Amount(1_000_000_000_000_000_000_000),
            },
        }
    }

    #[test]
    fn a_side_index_record_reads_back_in_either_layout() {
        for r in [
            record(TxCode::Ok, ""),
            record(
                TxCode::InsufficientFunds,
                "balance 1 after fee, transfer of 2 — ü",
            ),
        ] {
            let hash = r.result.hash;
            assert_eq!(CommittedTx::decode(&hash, &r.encode()), Some(r.clone()));
            // Records written before the binary layout are JSON.
            let json = serde_json::to_vec(&r).unwrap();
            assert_eq!(CommittedTx::decode(&hash, &json), Some(r));
        }
        let r = record(TxCode::Ok, "");
        let bytes = r.encode();
        assert_eq!(
            CommittedTx::decode(&r.result.hash, &bytes[..bytes.len() - 1]),
            None
        );
    }
}
