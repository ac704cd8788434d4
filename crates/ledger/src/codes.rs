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
    /// A balance would exceed the largest representable amount.
    Overflow,
    /// The mempool is full or holds too many of this sender's transactions.
    MempoolFull,
    /// The transaction is already in the mempool.
    Duplicate,
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
