//! The bank's state keys.

use plexus_types::Address;

/// An account: balance and next nonce.
pub fn account(address: &Address) -> Vec<u8> {
    let mut k = b"bank/account/".to_vec();
    k.extend_from_slice(address.as_bytes());
    k
}

/// Total tokens in existence.
pub fn supply() -> Vec<u8> {
    b"bank/supply".to_vec()
}
