//! The data market's action: buy an epoch's data set.

use super::fields::bad;
use super::{Body, TxError};
use crate::amount::Amount;
use crate::proto;
use proto::tx_payload::Body as P;

/// The longest data set name a transaction may carry (`<class>/<region>`).
pub const MAX_DATA_SET_NAME: usize = 96;

pub(super) fn decode_buy_data(b: proto::BuyData) -> Result<Body, TxError> {
    if b.data_set.is_empty() || b.data_set.len() > MAX_DATA_SET_NAME {
        return Err(bad(
            "data_set",
            format!("must be 1 to {MAX_DATA_SET_NAME} bytes"),
        ));
    }
    Ok(Body::BuyData {
        epoch: b.epoch,
        data_set: b.data_set,
        max_price: Amount::from_base_units(&b.max_price).map_err(|e| bad("max_price", e))?,
    })
}

pub(super) fn encode_buy_data(epoch: u64, data_set: &str, max_price: &Amount) -> P {
    P::BuyData(proto::BuyData {
        epoch,
        data_set: data_set.to_string(),
        max_price: max_price.to_string(),
    })
}
