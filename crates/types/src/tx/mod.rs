//! The signed transaction envelope `{chain_id, signer, nonce, fee, body}`, and the one
//! message (`Body`) it carries.
//!
//! On the wire a transaction is a protobuf `SignedTx`: the encoded `TxPayload` bytes and an
//! ed25519 signature over exactly those bytes. Decoding checks every bound before trusting any
//! field; `SignedTx::decode` never panics on any input.
//!
//! Each component's actions, with their wire conversion, live in a module of their own
//! (`bank`, `registry`, `epochs`, `storage`, `training`, `market`, `staking`, `wireless`,
//! `data_credits`); this module dispatches.

mod bank;
mod data_credits;
mod data_market;
mod envelope;
mod epochs;
mod fields;
mod market;
mod registry;
mod staking;
mod storage;
mod training;
mod wireless;

pub use data_credits::{DataSession, DataSessionReceipt, ReceiptSignatureError};
pub use envelope::{SignedTx, TxHash, UnsignedTx, MAX_CHAIN_ID_LEN, MAX_TX_BYTES};
pub use epochs::{ComputeFraud, RewardClaim, FRAUD_CELLS_PER_MIN_FEE, MAX_ROW_LEN};
pub use market::{
    job_seal, JobResult, JobRuntime, OrderTerms, MAX_AGREES_WITH, MAX_JOB_DURATION_BLOCKS,
    MAX_JOB_REPLICAS,
};
pub use registry::{Capabilities, MAX_ENDPOINT_LEN, MAX_GPU_MODEL_LEN, MAX_NAME_LEN};
pub use staking::{ConsensusVote, DoubleSignEvidence, MAX_COMMISSION_BPS, MAX_P2P_ADDRESS_LEN};
pub use storage::{
    StorageDealTerms, StorageFailure, MAX_AUDIT_FAILURES, MAX_DEAL_EPOCHS, MAX_DEAL_REPLICAS,
};
pub use training::{
    validation_commitment, TrainingRound, TrainingScore, TrainingTaskTerms, MAX_DATASET_LEN,
    MAX_TRAINING_PARTICIPANTS, MAX_TRAINING_ROUNDS, MAX_TRAINING_SPEC_LEN, TRAINING_JOIN_BOND,
};
pub use wireless::{
    check_asserted_cell, Antenna, ANTENNA_GAIN_CDBI, ASSERTED_RESOLUTION, MAX_ANTENNA_ELEVATION_M,
};

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{KeyError, PublicKey, Signature};
use crate::proto;

/// Why a transaction's bytes are not a valid transaction. Each variant has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum TxError {
    #[error("transaction is {0} bytes, larger than the limit of {MAX_TX_BYTES}")]
    Oversize(usize),
    #[error("transaction is not valid protobuf: {0}")]
    Malformed(String),
    #[error("transaction has no body")]
    MissingBody,
    #[error("chain id is longer than {MAX_CHAIN_ID_LEN} bytes")]
    ChainIdTooLong,
    #[error("invalid signer key: {0}")]
    BadSigner(KeyError),
    #[error("invalid signature: {0}")]
    BadSignature(KeyError),
    #[error("invalid fee: {0}")]
    BadFee(crate::amount::AmountError),
    #[error("invalid amount: {0}")]
    BadAmount(crate::amount::AmountError),
    #[error("invalid recipient: {0}")]
    BadRecipient(crate::address::AddressError),
    #[error("invalid field {field}: {reason}")]
    BadField { field: &'static str, reason: String },
}

impl TxError {
    /// A short, stable identifier for APIs and result codes.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::Oversize(_) => "oversize",
            TxError::Malformed(_) => "malformed",
            TxError::MissingBody => "missing_body",
            TxError::ChainIdTooLong => "chain_id_too_long",
            TxError::BadSigner(_) => "bad_signer",
            TxError::BadSignature(KeyError::BadSignature | KeyError::InvalidPublicKey) => {
                "invalid_signature"
            }
            TxError::BadSignature(_) => "malformed_signature",
            TxError::BadFee(_) => "bad_fee",
            TxError::BadAmount(_) => "bad_amount",
            TxError::BadRecipient(_) => "bad_recipient",
            TxError::BadField { .. } => "bad_field",
        }
    }
}

/// The one message a transaction carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Transfer {
        to: Address,
        amount: Amount,
    },
    RegisterDevice {
        device: PublicKey,
        class: String,
        capabilities: Capabilities,
        h3_cell: u64,
        stake: Amount,
        device_signature: Signature,
    },
    UpdateDevice {
        device: PublicKey,
        capabilities: Capabilities,
        h3_cell: u64,
    },
    RetireDevice {
        device: PublicKey,
    },
    WithdrawStake {
        device: PublicKey,
    },
    SubmitManifest {
        epoch: u64,
        resource: String,
        root: Hash,
        total_units: u128,
        evidence_root: Hash,
    },
    ClaimReward(RewardClaim),
    ComputeFraud(ComputeFraud),
    StorageDeal(StorageDealTerms),
    /// An oracle's report of replicas that failed their challenge in `epoch`.
    StorageAudit {
        epoch: u64,
        failures: Vec<StorageFailure>,
    },
    CreateTrainingTask(TrainingTaskTerms),
    JoinTrainingTask {
        task: u64,
    },
    SubmitTrainingRound(TrainingRound),
    CancelTrainingTask {
        task: u64,
    },
    CreateOrder(OrderTerms),
    PlaceBid {
        order: u64,
        device: PublicKey,
        price_per_block: Amount,
        deposit: Amount,
    },
    CloseBid {
        bid: u64,
    },
    /// A provider seals its lease's result (see [`job_seal`]); it reveals it later with
    /// [`Body::SubmitJobResult`].
    SealJobResult {
        lease: u64,
        seal: Hash,
    },
    SubmitJobResult(JobResult),
    WithdrawLease {
        lease: u64,
    },
    CloseLease {
        lease: u64,
    },
    CloseOrder {
        order: u64,
    },
    /// The signer becomes a validator operator and bonds `self_stake` to its validator.
    CreateValidator {
        consensus_key: PublicKey,
        commission_bps: u32,
        p2p_address: String,
        self_stake: Amount,
    },
    /// The signer's validator takes a new commission.
    EditValidator {
        commission_bps: u32,
    },
    /// The signer bonds `amount` to the operator `validator` (a validator or an oracle).
    Stake {
        validator: Address,
        amount: Amount,
    },
    /// The signer starts unbonding `amount` from `validator`.
    Unstake {
        validator: Address,
        amount: Amount,
    },
    /// The signer moves `amount` of its bonded stake from one operator to another.
    Redelegate {
        from: Address,
        to: Address,
        amount: Amount,
    },
    /// The signer takes its staking rewards (and commission) earned with `validator`.
    WithdrawStakingRewards {
        validator: Address,
    },
    /// Evidence of a double sign, from anyone.
    ReportDoubleSign(DoubleSignEvidence),
    /// The signer's jailed validator asks to rejoin the set.
    Unjail,
    /// The owner of a wireless device asserts where it stands (a resolution-12 H3 cell) and
    /// how its antenna is mounted.
    AssertLocation {
        device: PublicKey,
        h3_cell: u64,
        antenna: Antenna,
    },
    /// The signer burns `amount` for data credits that `beneficiary` holds; a signer other
    /// than the beneficiary buys as its carrier.
    BuyDataCredits {
        amount: Amount,
        beneficiary: Address,
    },
    /// A data session's receipt, from anyone: the subscriber's credits pay for it.
    SettleDataSession(DataSessionReceipt),
    /// The signer buys an epoch's data set (`<class>/<region>`) at its listed price, paying at
    /// most `max_price`.
    BuyData {
        epoch: u64,
        data_set: String,
        max_price: Amount,
    },
}

impl Body {
    /// The smallest fee a transaction carrying this body may offer on a chain whose minimum fee
    /// is `min_fee`: the minimum itself, except for bodies whose checking work grows with what
    /// the sender chose ([`ComputeFraud::min_fee`]).
    pub fn min_fee(&self, min_fee: Amount) -> Amount {
        match self {
            Body::ComputeFraud(f) => f.min_fee(min_fee),
            _ => min_fee,
        }
    }
}

fn decode_body(body: proto::tx_payload::Body) -> Result<Body, TxError> {
    use proto::tx_payload::Body as P;
    match body {
        P::Transfer(t) => bank::decode_transfer(t),
        P::RegisterDevice(r) => registry::decode_register_device(r),
        P::UpdateDevice(u) => registry::decode_update_device(u),
        P::RetireDevice(r) => registry::decode_retire_device(r),
        P::WithdrawStake(w) => registry::decode_withdraw_stake(w),
        P::SubmitManifest(m) => epochs::decode_submit_manifest(m),
        P::ClaimReward(c) => epochs::decode_claim_reward(c),
        P::ComputeFraud(f) => epochs::decode_compute_fraud(f),
        P::StorageDeal(d) => storage::decode_storage_deal(d),
        P::StorageAudit(a) => storage::decode_storage_audit(a),
        P::CreateTrainingTask(t) => training::decode_create_training_task(t),
        P::JoinTrainingTask(j) => Ok(Body::JoinTrainingTask { task: j.task }),
        P::SubmitTrainingRound(r) => training::decode_submit_training_round(r),
        P::CancelTrainingTask(c) => Ok(Body::CancelTrainingTask { task: c.task }),
        P::CreateOrder(o) => market::decode_create_order(o),
        P::PlaceBid(b) => market::decode_place_bid(b),
        P::CloseBid(c) => Ok(Body::CloseBid { bid: c.bid }),
        P::SealJobResult(s) => market::decode_seal_job_result(s),
        P::SubmitJobResult(r) => market::decode_submit_job_result(r),
        P::WithdrawLease(w) => Ok(Body::WithdrawLease { lease: w.lease }),
        P::CloseLease(c) => Ok(Body::CloseLease { lease: c.lease }),
        P::CloseOrder(c) => Ok(Body::CloseOrder { order: c.order }),
        P::CreateValidator(c) => staking::decode_create_validator(c),
        P::EditValidator(e) => staking::decode_edit_validator(e),
        P::Stake(s) => staking::decode_stake(s),
        P::Unstake(u) => staking::decode_unstake(u),
        P::Redelegate(r) => staking::decode_redelegate(r),
        P::WithdrawStakingRewards(w) => staking::decode_withdraw_staking_rewards(w),
        P::ReportDoubleSign(r) => staking::decode_report_double_sign(r),
        P::Unjail(proto::Unjail {}) => Ok(Body::Unjail),
        P::AssertLocation(a) => wireless::decode_assert_location(a),
        P::BuyDataCredits(b) => data_credits::decode_buy_data_credits(b),
        P::SettleDataSession(s) => data_credits::decode_settle_data_session(s),
        P::BuyData(b) => data_market::decode_buy_data(b),
    }
}

fn encode_body(body: &Body) -> proto::tx_payload::Body {
    use proto::tx_payload::Body as P;
    match body {
        Body::Transfer { to, amount } => bank::encode_transfer(to, amount),
        Body::RegisterDevice {
            device,
            class,
            capabilities,
            h3_cell,
            stake,
            device_signature,
        } => registry::encode_register_device(
            device,
            class,
            capabilities,
            *h3_cell,
            stake,
            device_signature,
        ),
        Body::UpdateDevice {
            device,
            capabilities,
            h3_cell,
        } => registry::encode_update_device(device, capabilities, *h3_cell),
        Body::RetireDevice { device } => registry::encode_retire_device(device),
        Body::WithdrawStake { device } => registry::encode_withdraw_stake(device),
        Body::SubmitManifest {
            epoch,
            resource,
            root,
            total_units,
            evidence_root,
        } => epochs::encode_submit_manifest(*epoch, resource, root, *total_units, evidence_root),
        Body::ClaimReward(c) => epochs::encode_claim_reward(c),
        Body::ComputeFraud(f) => epochs::encode_compute_fraud(f),
        Body::StorageDeal(d) => storage::encode_storage_deal(d),
        Body::StorageAudit { epoch, failures } => storage::encode_storage_audit(*epoch, failures),
        Body::CreateTrainingTask(t) => training::encode_create_training_task(t),
        Body::JoinTrainingTask { task } => {
            P::JoinTrainingTask(proto::JoinTrainingTask { task: *task })
        }
        Body::SubmitTrainingRound(r) => training::encode_submit_training_round(r),
        Body::CancelTrainingTask { task } => {
            P::CancelTrainingTask(proto::CancelTrainingTask { task: *task })
        }
        Body::CreateOrder(o) => market::encode_create_order(o),
        Body::PlaceBid {
            order,
            device,
            price_per_block,
            deposit,
        } => market::encode_place_bid(*order, device, price_per_block, deposit),
        Body::CloseBid { bid } => P::CloseBid(proto::CloseBid { bid: *bid }),
        Body::SealJobResult { lease, seal } => market::encode_seal_job_result(*lease, seal),
        Body::SubmitJobResult(r) => market::encode_submit_job_result(r),
        Body::WithdrawLease { lease } => P::WithdrawLease(proto::WithdrawLease { lease: *lease }),
        Body::CloseLease { lease } => P::CloseLease(proto::CloseLease { lease: *lease }),
        Body::CloseOrder { order } => P::CloseOrder(proto::CloseOrder { order: *order }),
        Body::CreateValidator {
            consensus_key,
            commission_bps,
            p2p_address,
            self_stake,
        } => staking::encode_create_validator(
            consensus_key,
            *commission_bps,
            p2p_address,
            self_stake,
        ),
        Body::EditValidator { commission_bps } => P::EditValidator(proto::EditValidator {
            commission_bps: *commission_bps,
        }),
        Body::Stake { validator, amount } => staking::encode_stake(validator, amount),
        Body::Unstake { validator, amount } => staking::encode_unstake(validator, amount),
        Body::Redelegate { from, to, amount } => staking::encode_redelegate(from, to, amount),
        Body::WithdrawStakingRewards { validator } => {
            staking::encode_withdraw_staking_rewards(validator)
        }
        Body::ReportDoubleSign(e) => staking::encode_report_double_sign(e),
        Body::Unjail => P::Unjail(proto::Unjail {}),
        Body::AssertLocation {
            device,
            h3_cell,
            antenna,
        } => wireless::encode_assert_location(device, *h3_cell, antenna),
        Body::BuyDataCredits {
            amount,
            beneficiary,
        } => data_credits::encode_buy_data_credits(amount, beneficiary),
        Body::SettleDataSession(r) => data_credits::encode_settle_data_session(r),
        Body::BuyData {
            epoch,
            data_set,
            max_price,
        } => data_market::encode_buy_data(*epoch, data_set, max_price),
    }
}

#[cfg(test)]
mod tests;
