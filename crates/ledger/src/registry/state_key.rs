//! The registry's state keys.

use plexus_types::PublicKey;

/// A registered device, by its public key.
pub fn device(device: &PublicKey) -> Vec<u8> {
    let mut k = b"registry/device/".to_vec();
    k.extend_from_slice(device.as_bytes());
    k
}

/// Number of devices ever registered.
pub fn device_count() -> Vec<u8> {
    b"registry/count".to_vec()
}

/// The devices a block registered or changed, in the order it changed them.
pub fn devices_changed_at(height: u64) -> Vec<u8> {
    let mut k = b"registry/changed/".to_vec();
    k.extend_from_slice(&height.to_be_bytes());
    k
}

/// The `index`-th device registered (for listing without iterating the tree).
pub fn device_by_index(index: u64) -> Vec<u8> {
    let mut k = b"registry/index/".to_vec();
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Prefix of the set of active wireless devices asserted within the H3 hex `hex` (any
/// resolution up to 12).
pub fn coverage_hex(hex: u64) -> Vec<u8> {
    let mut k = b"registry/hex/".to_vec();
    k.extend_from_slice(&hex.to_be_bytes());
    k.push(b'/');
    k
}
