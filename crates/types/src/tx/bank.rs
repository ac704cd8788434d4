//! The bank's action: a transfer of uplx between accounts.

use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::proto;
use proto::tx_payload::Body as P;

pub(super) fn decode_transfer(t: proto::Transfer) -> Result<Body, TxError> {
    Ok(Body::Transfer {
        to: Address::from_slice(&t.to).map_err(TxError::BadRecipient)?,
        amount: Amount::from_base_units(&t.amount).map_err(TxError::BadAmount)?,
    })
}

pub(super) fn encode_transfer(to: &Address, amount: &Amount) -> P {
    P::Transfer(proto::Transfer {
        to: to.as_bytes().to_vec(),
        amount: amount.to_string(),
    })
}
