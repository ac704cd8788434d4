//! The envelope around a body: the unsigned transaction a signer signs, and the decoded signed
//! transaction a node receives.

use super::{decode_body, encode_body, Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{self, PublicKey, SecretKey, Signature};
use crate::proto;
use prost::Message;

/// Largest encoded transaction any node accepts.
pub const MAX_TX_BYTES: usize = 16 * 1024;
/// Longest chain id.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The hash that names a transaction: blake3 of its full encoded bytes.
pub type TxHash = Hash;

/// A transaction before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedTx {
    pub chain_id: String,
    pub nonce: u64,
    pub fee: Amount,
    pub body: Body,
}

impl UnsignedTx {
    /// The payload bytes a signer signs, for `signer` (useful to external signers).
    pub fn encode_payload(&self, signer: &PublicKey) -> Vec<u8> {
        proto::TxPayload {
            chain_id: self.chain_id.clone(),
            signer: signer.as_bytes().to_vec(),
            nonce: self.nonce,
            fee: self.fee.to_string(),
            body: Some(encode_body(&self.body)),
        }
        .encode_to_vec()
    }

    /// Encodes the payload and signs those exact bytes.
    pub fn sign(&self, key: &SecretKey) -> SignedTx {
        let payload = self.encode_payload(&key.public_key());
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
        let body = decode_body(payload.body.ok_or(TxError::MissingBody)?)?;
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
