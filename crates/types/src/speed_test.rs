//! The bandwidth class's speed test, shared by the oracle that runs it and the agents that
//! answer it: the oracle sends a payload to the device (download), asks the device to send
//! one back (upload), and times an empty round trip (latency). Payloads are the blake3 output
//! stream of a fresh seed, so neither side can answer from a cache and the receiver can check
//! every byte by hashing what it got.

/// Bytes the oracle sends to a device: 1.3 s at the 30 Mbps step of the lowest tier.
pub const DOWNLOAD_BYTES: u64 = 4 * 1024 * 1024;
/// Bytes a device sends to the oracle: 0.8 s at the 10 Mbps step of the top tier.
pub const UPLOAD_BYTES: u64 = 1024 * 1024;
/// The most a device's speed test service accepts or sends in one transfer.
pub const MAX_TRANSFER_BYTES: u64 = 64 * 1024 * 1024;

pub const PING_PATH: &str = "/v1/bandwidth/ping";
pub const SINK_PATH: &str = "/v1/bandwidth/sink";
pub const SOURCE_PATH: &str = "/v1/bandwidth/source";

/// The endless payload stream of `seed`; a transfer of n bytes is its first n bytes.
pub fn payload_stream(seed: &[u8; 32]) -> blake3::OutputReader {
    let mut h = blake3::Hasher::new_derive_key("plexus bandwidth speed test payload v1");
    h.update(seed);
    h.finalize_xof()
}

/// The blake3 hash of the first `len` bytes of `seed`'s payload, which a receiver compares
/// with the hash of what it received.
pub fn payload_hash(seed: &[u8; 32], len: u64) -> blake3::Hash {
    let mut stream = payload_stream(seed);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        stream.fill(&mut buf[..n]);
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    hasher.finalize()
}

/// Kilobits per second of `bytes` moved in `secs`; 0 when nothing was timed.
pub fn kbps(bytes: u64, secs: f64) -> u64 {
    if secs <= 0.0 {
        return 0;
    }
    (bytes as f64 * 8.0 / 1000.0 / secs) as u64
}

/// Header with the device's signature over a speed test answer (128 hex digits); a ping
/// answers it in its body as well.
pub const SPEED_SIGNATURE_HEADER: &str = "x-plexus-speed-signature";

/// The device's hex signature over `part` of a speed test on `chain_id` with `challenge` and
/// `bytes` (see [`crate::statements::speed_test`]).
pub fn sign_answer(
    key: &crate::SecretKey,
    chain_id: &str,
    part: &str,
    challenge: &[u8; 32],
    bytes: u64,
) -> String {
    let statement =
        crate::statements::speed_test(chain_id, &key.public_key(), part, challenge, bytes);
    hex::encode(key.sign(&statement).to_bytes())
}

/// Checks that `signature` (hex, as a device returned it) is `device`'s over `part` of a test
/// on `chain_id` with `challenge` and `bytes`.
pub fn verify_answer(
    device: &crate::PublicKey,
    chain_id: &str,
    part: &str,
    challenge: &[u8; 32],
    bytes: u64,
    signature: Option<&str>,
) -> Result<(), String> {
    let text = signature.ok_or_else(|| format!("{part}: the answer is not signed"))?;
    let signature = hex::decode(text)
        .ok()
        .and_then(|b| crate::Signature::from_slice(&b).ok())
        .ok_or_else(|| format!("{part}: the signature is not hex of a signature"))?;
    let statement = crate::statements::speed_test(chain_id, device, part, challenge, bytes);
    device
        .verify(&statement, &signature)
        .map_err(|_| format!("{part}: the answer is not signed by device {device}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_differ_by_seed_and_their_hash_covers_every_byte() {
        let a = payload_hash(&[1; 32], 100_000);
        assert_ne!(a, payload_hash(&[2; 32], 100_000));
        assert_ne!(a, payload_hash(&[1; 32], 99_999));
        let mut bytes = vec![0u8; 100_000];
        payload_stream(&[1; 32]).fill(&mut bytes);
        assert_eq!(blake3::hash(&bytes), a);
        assert_eq!(kbps(1_000_000, 1.0), 8_000);
        assert_eq!(kbps(1, 0.0), 0);
    }
}
