//! Data credits' actions: buy credits by burning PLX, and settle a data session with the
//! receipt its subscriber and hotspot signed.

use super::fields::{bad, key_field};
use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::keys::{KeyError, PublicKey, SecretKey, Signature};
use crate::proto;
use crate::statements;
use proto::tx_payload::Body as P;

/// A data session as its subscriber and hotspot both signed it when it ended (see
/// [`statements::data_session`]). In JSON (a receipt file, the CLI) keys are hex and
/// signatures are 128 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataSessionReceipt {
    /// A registered, active device.
    pub hotspot: PublicKey,
    /// The key whose data credits pay for the session.
    pub subscriber: PublicKey,
    /// The subscriber's number for the session; the chain settles each once.
    pub session: u64,
    /// The epoch the session ended in.
    pub epoch: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    #[serde(with = "signature_hex")]
    pub subscriber_signature: Signature,
    #[serde(with = "signature_hex")]
    pub hotspot_signature: Signature,
}

/// What a session was, before either side signed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSession {
    pub hotspot: PublicKey,
    pub subscriber: PublicKey,
    pub session: u64,
    pub epoch: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

impl DataSession {
    /// The statement both sides sign on `chain_id`.
    pub fn statement(&self, chain_id: &str) -> Vec<u8> {
        statements::data_session(
            chain_id,
            &self.hotspot,
            &self.subscriber,
            self.session,
            self.epoch,
            self.bytes_up,
            self.bytes_down,
        )
    }

    /// The receipt signed by both keys: for devnets and tests, where one program holds both.
    /// In the field each side signs [`DataSession::statement`] with its own key.
    pub fn sign(
        &self,
        chain_id: &str,
        subscriber: &SecretKey,
        hotspot: &SecretKey,
    ) -> DataSessionReceipt {
        let statement = self.statement(chain_id);
        self.with_signatures(subscriber.sign(&statement), hotspot.sign(&statement))
    }

    /// The receipt carrying the two signatures given.
    pub fn with_signatures(
        &self,
        subscriber_signature: Signature,
        hotspot_signature: Signature,
    ) -> DataSessionReceipt {
        DataSessionReceipt {
            hotspot: self.hotspot,
            subscriber: self.subscriber,
            session: self.session,
            epoch: self.epoch,
            bytes_up: self.bytes_up,
            bytes_down: self.bytes_down,
            subscriber_signature,
            hotspot_signature,
        }
    }
}

/// Which of a receipt's two signatures does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptSignatureError {
    #[error("the subscriber key did not sign this session")]
    Subscriber,
    #[error("the hotspot key did not sign this session")]
    Hotspot,
}

impl DataSessionReceipt {
    /// The session the receipt describes.
    pub fn session(&self) -> DataSession {
        DataSession {
            hotspot: self.hotspot,
            subscriber: self.subscriber,
            session: self.session,
            epoch: self.epoch,
            bytes_up: self.bytes_up,
            bytes_down: self.bytes_down,
        }
    }

    /// Bytes moved both ways (a `u128`, so that the sum cannot wrap).
    pub fn total_bytes(&self) -> u128 {
        u128::from(self.bytes_up) + u128::from(self.bytes_down)
    }

    /// Checks both signatures over the session's statement on `chain_id`.
    pub fn verify(&self, chain_id: &str) -> Result<(), ReceiptSignatureError> {
        let statement = self.session().statement(chain_id);
        self.subscriber
            .verify(&statement, &self.subscriber_signature)
            .map_err(|_| ReceiptSignatureError::Subscriber)?;
        self.hotspot
            .verify(&statement, &self.hotspot_signature)
            .map_err(|_| ReceiptSignatureError::Hotspot)
    }
}

mod signature_hex {
    use crate::keys::Signature;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &Signature, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(sig.to_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Signature, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        Signature::from_slice(&bytes).map_err(serde::de::Error::custom)
    }
}

fn signature_field(field: &'static str, bytes: &[u8]) -> Result<Signature, TxError> {
    Signature::from_slice(bytes).map_err(|e: KeyError| bad(field, e))
}

pub(super) fn decode_buy_data_credits(b: proto::BuyDataCredits) -> Result<Body, TxError> {
    Ok(Body::BuyDataCredits {
        amount: Amount::from_base_units(&b.amount).map_err(|e| bad("amount", e))?,
        beneficiary: Address::from_slice(&b.beneficiary).map_err(|e| bad("beneficiary", e))?,
    })
}

pub(super) fn encode_buy_data_credits(amount: &Amount, beneficiary: &Address) -> P {
    P::BuyDataCredits(proto::BuyDataCredits {
        amount: amount.to_string(),
        beneficiary: beneficiary.as_bytes().to_vec(),
    })
}

pub(super) fn decode_settle_data_session(s: proto::SettleDataSession) -> Result<Body, TxError> {
    let r = s.receipt.ok_or_else(|| bad("receipt", "missing"))?;
    Ok(Body::SettleDataSession(DataSessionReceipt {
        hotspot: key_field("receipt.hotspot", &r.hotspot)?,
        subscriber: key_field("receipt.subscriber", &r.subscriber)?,
        session: r.session,
        epoch: r.epoch,
        bytes_up: r.bytes_up,
        bytes_down: r.bytes_down,
        subscriber_signature: signature_field(
            "receipt.subscriber_signature",
            &r.subscriber_signature,
        )?,
        hotspot_signature: signature_field("receipt.hotspot_signature", &r.hotspot_signature)?,
    }))
}

pub(super) fn encode_settle_data_session(r: &DataSessionReceipt) -> P {
    P::SettleDataSession(proto::SettleDataSession {
        receipt: Some(proto::DataSessionReceipt {
            hotspot: r.hotspot.as_bytes().to_vec(),
            subscriber: r.subscriber.as_bytes().to_vec(),
            session: r.session,
            epoch: r.epoch,
            bytes_up: r.bytes_up,
            bytes_down: r.bytes_down,
            subscriber_signature: r.subscriber_signature.to_bytes().to_vec(),
            hotspot_signature: r.hotspot_signature.to_bytes().to_vec(),
        }),
    })
}
