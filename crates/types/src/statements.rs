//! Statements that device and participant keys sign, shared by the agent that signs them, the oracle that
//! checks them, and the ledger that re-checks them in registrations and fraud proofs. Each
//! starts with its own domain tag, so a signature on one can never pass as another.

use crate::address::Address;
use crate::hash::Hash;
use crate::keys::PublicKey;

/// What a device key signs to let `owner` register it on `chain_id`.
pub fn device_registration(chain_id: &str, owner: &Address, device: &PublicKey) -> Vec<u8> {
    let mut m = b"plexus/register-device/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(owner.as_bytes());
    m.extend_from_slice(device.as_bytes());
    m
}

/// What a device signs when it commits to the product of a compute challenge: the challenge
/// (its seed and dimension) and the Merkle root over the rows of its answer. A commitment to
/// a wrong product, signed, is a fraud proof.
pub fn compute_commitment(chain_id: &str, seed: &[u8; 32], n: u32, root: &Hash) -> Vec<u8> {
    let mut m = b"plexus/compute-commitment/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(seed);
    m.extend_from_slice(&n.to_le_bytes());
    m.extend_from_slice(&root.0);
    m
}

/// What a training participant signs when it sends the coordinator of task `task` on
/// `chain_id` its update for round `round`: trained from the global model `base_model`, with
/// parameters hashing to `delta_hash`. The chain id keeps an update from replaying on
/// another chain's task of the same number.
pub fn learning_update(
    chain_id: &str,
    task: u64,
    round: u32,
    base_model: &Hash,
    delta_hash: &Hash,
) -> Vec<u8> {
    let mut m = b"plexus/learn/update/v2".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(&task.to_be_bytes());
    m.extend_from_slice(&round.to_be_bytes());
    m.extend_from_slice(&base_model.0);
    m.extend_from_slice(&delta_hash.0);
    m
}

/// What a device signs to fetch its open compute challenges from an oracle at `at_ms` (its
/// clock, milliseconds since the Unix epoch): only the device itself can start a challenge's
/// deadline, and an oracle takes each device's `at_ms` only once and in increasing order.
pub fn challenge_fetch(chain_id: &str, device: &PublicKey, at_ms: u64) -> Vec<u8> {
    let mut m = b"plexus/challenge-fetch/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(device.as_bytes());
    m.extend_from_slice(&at_ms.to_le_bytes());
    m
}

/// What a storage device signs with its key when it answers an audit of blob `blob` on chain
/// `chain_id`: the auditor's `nonce` (fresh per audit) and the hash of the exact answer. An
/// answer is thereby the device's own: a server without its key cannot answer for it.
pub fn storage_answer(
    chain_id: &str,
    device: &PublicKey,
    blob: &Hash,
    nonce: &[u8; 32],
    answer: &Hash,
) -> Vec<u8> {
    let mut m = b"plexus/storage-answer/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(device.as_bytes());
    m.extend_from_slice(&blob.0);
    m.extend_from_slice(nonce);
    m.extend_from_slice(&answer.0);
    m
}

/// What an account or device key signs to upload blob `blob` of `size` bytes to a node of
/// `chain_id` at `at_ms` (its clock, milliseconds since the Unix epoch). The statement names
/// the blob and its size, so a replayed signature can only upload the very bytes the signer
/// chose, charged to the signer's quota once.
pub fn blob_upload(
    chain_id: &str,
    signer: &PublicKey,
    blob: &Hash,
    size: u64,
    at_ms: u64,
) -> Vec<u8> {
    let mut m = b"plexus/blob-upload/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(signer.as_bytes());
    m.extend_from_slice(&blob.0);
    m.extend_from_slice(&size.to_le_bytes());
    m.extend_from_slice(&at_ms.to_le_bytes());
    m
}

/// What a bandwidth device signs with its key when it answers a speed test on chain
/// `chain_id`: which `part` of the test (`ping`, `sink` or `source`), the tester's fresh
/// `challenge` (the ping's nonce, the hash of the payload received, the seed of the payload
/// sent) and the bytes moved. A test is thereby answered by the device's own key: a server
/// without it cannot answer for the device.
pub fn speed_test(
    chain_id: &str,
    device: &PublicKey,
    part: &str,
    challenge: &[u8; 32],
    bytes: u64,
) -> Vec<u8> {
    let mut m = b"plexus/speed-test/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(device.as_bytes());
    push_str(&mut m, part);
    m.extend_from_slice(challenge);
    m.extend_from_slice(&bytes.to_le_bytes());
    m
}

/// What a subscriber and a hotspot each sign when a data session between them ends on
/// `chain_id`: the hotspot, the subscriber, the subscriber's session number, the epoch the
/// session ended in, and the bytes moved each way. Both signatures over the same statement
/// make a receipt: the subscriber agrees to pay for the bytes, the hotspot that it carried
/// them, and the ledger settles each (subscriber, session) once.
pub fn data_session(
    chain_id: &str,
    hotspot: &PublicKey,
    subscriber: &PublicKey,
    session: u64,
    epoch: u64,
    bytes_up: u64,
    bytes_down: u64,
) -> Vec<u8> {
    let mut m = b"plexus/data-session/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(hotspot.as_bytes());
    m.extend_from_slice(subscriber.as_bytes());
    m.extend_from_slice(&session.to_le_bytes());
    m.extend_from_slice(&epoch.to_le_bytes());
    m.extend_from_slice(&bytes_up.to_le_bytes());
    m.extend_from_slice(&bytes_down.to_le_bytes());
    m
}

/// The namespace the Commonware driver's consensus votes are signed under.
pub const CONSENSUS_NAMESPACE: &[u8] = b"_PLEXUS_CONSENSUS";

/// What a validator's consensus key signs when it votes, byte for byte as Commonware's simplex
/// ed25519 scheme signs it: the namespace with its suffix (`_NOTARIZE` or `_FINALIZE`),
/// prefixed by its length as a varint, then the proposal: epoch, view and parent view as
/// varints, then the payload digest. Two such votes by one key in one round for different
/// proposals are a double sign, which anyone can check from the two signatures alone.
pub fn consensus_vote(
    finalize: bool,
    epoch: u64,
    view: u64,
    parent: u64,
    payload: &Hash,
) -> Vec<u8> {
    let suffix: &[u8] = if finalize { b"_FINALIZE" } else { b"_NOTARIZE" };
    let namespace = [CONSENSUS_NAMESPACE, suffix].concat();
    let mut m = Vec::with_capacity(namespace.len() + 64);
    push_varint(&mut m, namespace.len() as u64);
    m.extend_from_slice(&namespace);
    push_varint(&mut m, epoch);
    push_varint(&mut m, view);
    push_varint(&mut m, parent);
    m.extend_from_slice(&payload.0);
    m
}

/// LEB128: seven bits a byte, low bits first, the high bit set on every byte but the last.
fn push_varint(m: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        m.push((v as u8) | 0x80);
        v >>= 7;
    }
    m.push(v as u8);
}

/// What a sensor device signs when it sends the oracles a batch of its readings: the encoded
/// `ReadingBatch`, which names the chain, the device and the epoch itself.
pub fn reading_batch(batch: &[u8]) -> Vec<u8> {
    let mut m = b"plexus/reading-batch/v1".to_vec();
    m.extend_from_slice(batch);
    m
}

/// What a buyer signs to fetch a data set it bought from an oracle's data service: the
/// epoch, the set's name and the buyer's clock (milliseconds since the Unix epoch), which the
/// oracle takes only within a few minutes of its own, so that a request seen in transit
/// soon stops opening the data.
pub fn data_request(
    chain_id: &str,
    epoch: u64,
    data_set: &str,
    buyer: &PublicKey,
    at_ms: u64,
) -> Vec<u8> {
    let mut m = b"plexus/data-request/v1".to_vec();
    push_str(&mut m, chain_id);
    m.extend_from_slice(&epoch.to_le_bytes());
    push_str(&mut m, data_set);
    m.extend_from_slice(buyer.as_bytes());
    m.extend_from_slice(&at_ms.to_le_bytes());
    m
}

fn push_str(m: &mut Vec<u8>, s: &str) {
    m.extend_from_slice(&(s.len() as u32).to_le_bytes());
    m.extend_from_slice(s.as_bytes());
}
