//! Transactions arrive from untrusted peers and API clients, so `SignedTx::decode` must turn any
//! byte string into a transaction or an error without panicking, and what it accepts must mean
//! exactly one thing: the node hashes, gossips and executes a transaction on the strength of
//! this decoder alone.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plexus_types::keys::KeyError;
use plexus_types::tx::MAX_CHAIN_ID_LEN;
use plexus_types::{proto, Address, Hash, SignedTx, TxError, UnsignedTx, MAX_TX_BYTES};
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let tx = match SignedTx::decode(data) {
        Ok(tx) => tx,
        Err(err) => {
            // Every rejection is reported to clients by its code.
            let _ = err.code();
            if data.len() > MAX_TX_BYTES {
                assert_eq!(err, TxError::Oversize(data.len()));
            }
            return;
        }
    };

    // The hash names the transaction in the mempool, in blocks and in receipts, so it must be
    // taken over exactly the bytes received, not over some re-encoding of them.
    assert!(data.len() <= MAX_TX_BYTES);
    assert_eq!(tx.bytes, data);
    assert_eq!(tx.size(), data.len());
    assert_eq!(tx.hash, Hash::of(data));
    assert_eq!(tx.hash.0, *blake3::hash(data).as_bytes());
    assert!(tx.chain_id.len() <= MAX_CHAIN_ID_LEN);
    // Fees are charged to this address; it must be the signer's and nobody else's.
    assert_eq!(tx.signer_address, Address::from_public_key(&tx.signer));

    let verified = tx.verify_signature();
    assert!(
        matches!(
            verified,
            Ok(())
                | Err(TxError::BadSignature(
                    KeyError::BadSignature | KeyError::InvalidPublicKey
                ))
        ),
        "unexpected verification error {verified:?}"
    );
    // Admission verifies in batches and execution may verify singly; under ZIP 215 the two
    // must agree on every input or replicas could disagree about a block.
    assert_eq!(SignedTx::verify_many(&[&tx]), vec![verified.clone()]);

    // The signed payload bytes alone must determine what executes: wrapping them in a
    // canonical envelope (dropping unknown fields, duplicates and long varints) yields the
    // same transaction with the same verdict, only the hash may change.
    let envelope = proto::SignedTx {
        payload: tx.payload.clone(),
        signature: tx.signature.to_bytes().to_vec(),
    }
    .encode_to_vec();
    let rewrapped =
        SignedTx::decode(&envelope).expect("a canonical envelope of a valid tx decodes");
    assert_same_meaning(&rewrapped, &tx);
    assert_eq!(rewrapped.payload, tx.payload);
    assert_eq!(rewrapped.verify_signature(), verified);
    if envelope == data {
        assert_eq!(rewrapped, tx);
    }

    // A client rebuilding the payload from the decoded fields must get the same transaction
    // back; otherwise two parsers of one signed payload could disagree about its fields.
    let payload = UnsignedTx {
        chain_id: tx.chain_id.clone(),
        nonce: tx.nonce,
        fee: tx.fee,
        body: tx.body.clone(),
    }
    .encode_payload(&tx.signer);
    let rebuilt = SignedTx::decode(
        &proto::SignedTx {
            payload: payload.clone(),
            signature: tx.signature.to_bytes().to_vec(),
        }
        .encode_to_vec(),
    )
    .expect("a payload re-encoded from valid fields decodes");
    assert_same_meaning(&rebuilt, &tx);
    if verified.is_ok() && payload == tx.payload {
        assert!(rebuilt.verify_signature().is_ok());
    }
});

fn assert_same_meaning(a: &SignedTx, b: &SignedTx) {
    assert_eq!(a.signature, b.signature);
    assert_eq!(a.signer, b.signer);
    assert_eq!(a.signer_address, b.signer_address);
    assert_eq!(a.chain_id, b.chain_id);
    assert_eq!(a.nonce, b.nonce);
    assert_eq!(a.fee, b.fee);
    assert_eq!(a.body, b.body);
}
