//! The signed transaction envelope `{chain_id, signer, nonce, fee, body}`.
//!
//! On the wire a transaction is a protobuf `SignedTx`: the encoded `TxPayload` bytes and an
//! ed25519 signature over exactly those bytes. Decoding checks every bound before trusting any
//! field; `SignedTx::decode` never panics on any input.

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{self, KeyError, PublicKey, SecretKey, Signature};
use crate::proto;
use prost::Message;

/// Largest encoded transaction any node accepts.
pub const MAX_TX_BYTES: usize = 16 * 1024;
/// Longest chain id.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The hash that names a transaction: blake3 of its full encoded bytes.
pub type TxHash = Hash;

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
        }
    }
}

/// The one message a transaction carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Transfer { to: Address, amount: Amount },
}

/// A transaction before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedTx {
    pub chain_id: String,
    pub nonce: u64,
    pub fee: Amount,
    pub body: Body,
}

impl UnsignedTx {
    /// Encodes the payload and signs those exact bytes.
    pub fn sign(&self, key: &SecretKey) -> SignedTx {
        let body = match &self.body {
            Body::Transfer { to, amount } => proto::tx_payload::Body::Transfer(proto::Transfer {
                to: to.as_bytes().to_vec(),
                amount: amount.to_string(),
            }),
        };
        let payload = proto::TxPayload {
            chain_id: self.chain_id.clone(),
            signer: key.public_key().as_bytes().to_vec(),
            nonce: self.nonce,
            fee: self.fee.to_string(),
            body: Some(body),
        }
        .encode_to_vec();
        let signature = key.sign(&payload);
        let bytes = proto::SignedTx {
            payload: payload.clone(),
            signature: signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        SignedTx {
            hash: Hash::of(&bytes),
            bytes,
            payload,
            signature,
            signer: key.public_key(),
            signer_address: Address::from_public_key(&key.public_key()),
            chain_id: self.chain_id.clone(),
            nonce: self.nonce,
            fee: self.fee,
            body: self.body.clone(),
        }
    }
}

/// A decoded transaction whose fields are well formed. The signature is *not* yet known to be
/// valid: call [`SignedTx::verify_signature`] (or verify a batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    pub hash: TxHash,
    /// The exact bytes received.
    pub bytes: Vec<u8>,
    /// The exact payload bytes that the signature covers.
    pub payload: Vec<u8>,
    pub signature: Signature,
    pub signer: PublicKey,
    pub signer_address: Address,
    pub chain_id: String,
    pub nonce: u64,
    pub fee: Amount,
    pub body: Body,
}

impl SignedTx {
    /// Decodes and checks the format of a transaction. Lengths are checked before allocation.
    pub fn decode(bytes: &[u8]) -> Result<SignedTx, TxError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TxError::Oversize(bytes.len()));
        }
        let envelope =
            proto::SignedTx::decode(bytes).map_err(|e| TxError::Malformed(e.to_string()))?;
        let signature =
            Signature::from_slice(&envelope.signature).map_err(TxError::BadSignature)?;
        let payload = proto::TxPayload::decode(envelope.payload.as_slice())
            .map_err(|e| TxError::Malformed(e.to_string()))?;
        if payload.chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(TxError::ChainIdTooLong);
        }
        let signer = PublicKey::from_slice(&payload.signer).map_err(TxError::BadSigner)?;
        let fee = Amount::from_base_units(&payload.fee).map_err(TxError::BadFee)?;
        let body = match payload.body {
            None => return Err(TxError::MissingBody),
            Some(proto::tx_payload::Body::Transfer(t)) => Body::Transfer {
                to: Address::from_slice(&t.to).map_err(TxError::BadRecipient)?,
                amount: Amount::from_base_units(&t.amount).map_err(TxError::BadAmount)?,
            },
        };
        Ok(SignedTx {
            hash: Hash::of(bytes),
            bytes: bytes.to_vec(),
            payload: envelope.payload,
            signature,
            signer_address: Address::from_public_key(&signer),
            signer,
            chain_id: payload.chain_id,
            nonce: payload.nonce,
            fee,
            body,
        })
    }

    /// Checks the signature over the payload bytes.
    pub fn verify_signature(&self) -> Result<(), TxError> {
        self.signer
            .verify(&self.payload, &self.signature)
            .map_err(TxError::BadSignature)
    }

    /// Verifies every signature in `txs`, with batch verification on chunks spread over all
    /// cores. Returns one result per transaction, in order; the results are exactly those of
    /// one-by-one verification (ZIP 215).
    pub fn verify_many(txs: &[&SignedTx]) -> Vec<Result<(), TxError>> {
        use rayon::prelude::*;
        const CHUNK: usize = 64;
        txs.par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let items: Vec<(&[u8], Signature, PublicKey)> = chunk
                    .iter()
                    .map(|t| (t.payload.as_slice(), t.signature, t.signer))
                    .collect();
                let results: Vec<Result<(), TxError>> = if keys::verify_batch(&items) {
                    vec![Ok(()); chunk.len()]
                } else {
                    chunk.iter().map(|t| t.verify_signature()).collect()
                };
                results.into_iter()
            })
            .collect()
    }

    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn transfer(nonce: u64) -> UnsignedTx {
        UnsignedTx {
            chain_id: "plexus-test".into(),
            nonce,
            fee: Amount(10),
            body: Body::Transfer {
                to: Address([9u8; 20]),
                amount: Amount(1_000),
            },
        }
    }

    #[test]
    fn a_signed_transfer_decodes_to_the_same_fields_and_verifies() {
        let key = SecretKey::from_seed([3u8; 32]);
        let tx = transfer(5).sign(&key);
        let back = SignedTx::decode(&tx.bytes).unwrap();
        assert_eq!(back, tx);
        assert!(back.verify_signature().is_ok());
        assert_eq!(
            back.signer_address,
            Address::from_public_key(&key.public_key())
        );
    }

    #[test]
    fn a_tampered_payload_fails_signature_verification() {
        let key = SecretKey::from_seed([3u8; 32]);
        let tx = transfer(5).sign(&key);
        let mut forged_payload = proto::TxPayload::decode(tx.payload.as_slice()).unwrap();
        forged_payload.nonce = 6;
        let forged = proto::SignedTx {
            payload: forged_payload.encode_to_vec(),
            signature: tx.signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        let decoded = SignedTx::decode(&forged).unwrap();
        assert_eq!(
            decoded.verify_signature(),
            Err(TxError::BadSignature(KeyError::BadSignature))
        );
    }

    #[test]
    fn oversize_and_garbage_inputs_are_rejected_with_codes() {
        assert_eq!(
            SignedTx::decode(&vec![0u8; MAX_TX_BYTES + 1])
                .unwrap_err()
                .code(),
            "oversize"
        );
        assert_eq!(
            SignedTx::decode(&[0xff, 0xff, 0xff]).unwrap_err().code(),
            "malformed"
        );
        assert_eq!(
            SignedTx::decode(&[]).unwrap_err().code(),
            "malformed_signature"
        );
    }

    #[test]
    fn batch_verification_pinpoints_the_forged_transaction() {
        let txs: Vec<SignedTx> = (0..100u64)
            .map(|i| transfer(i).sign(&SecretKey::from_seed([(i % 7) as u8; 32])))
            .collect();
        let mut forged = txs[42].clone();
        forged.signature = SecretKey::from_seed([99u8; 32]).sign(&forged.payload);
        let mut all: Vec<&SignedTx> = txs.iter().collect();
        all[42] = &forged;
        let results = SignedTx::verify_many(&all);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 42, "tx {i}");
        }
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = SignedTx::decode(&bytes);
        }

        #[test]
        fn flipping_any_byte_of_a_valid_tx_never_yields_a_valid_different_tx(pos in 0usize..200, bit in 0u8..8) {
            let key = SecretKey::from_seed([4u8; 32]);
            let tx = transfer(1).sign(&key);
            let mut bytes = tx.bytes.clone();
            let pos = pos % bytes.len();
            bytes[pos] ^= 1 << bit;
            if let Ok(decoded) = SignedTx::decode(&bytes) {
                if decoded.verify_signature().is_ok() {
                    // Only a change outside the signed payload can still verify, and then the
                    // payload (what executes) is unchanged.
                    prop_assert_eq!(decoded.payload, tx.payload);
                }
            }
        }
    }
}
