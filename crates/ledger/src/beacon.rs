//! The ledger's one source of randomness: a block's beacon.
//!
//! Every random choice the rules make (which results are re-executed, who checks them) is a
//! draw from the beacon of a block *after* the one that committed what it decides about, so
//! that nobody who submits a transaction can know, when it signs, which way the draw will go.
//!
//! For now the beacon of a block is derived from its header (which commits to the block's
//! transactions, its time and the app hash before it); the proposer of that block could grind
//! it. Commonware's threshold VRF seed replaces it behind this same interface when the
//! validator set does.

use plexus_types::{Block, Hash};

/// A block's beacon value, and the height of that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beacon {
    pub height: u64,
    value: Hash,
}

impl Beacon {
    /// The beacon of `block`: `blake3("plexus/beacon/v1" ‖ block hash)`.
    pub fn of_block(block: &Block) -> Beacon {
        let mut input = b"plexus/beacon/v1".to_vec();
        input.extend_from_slice(&block.hash().0);
        Beacon {
            height: block.header.height,
            value: Hash::of(&input),
        }
    }

    /// A beacon with a given value, for rules tested without blocks.
    pub fn from_value(height: u64, value: Hash) -> Beacon {
        Beacon { height, value }
    }

    /// Whether randomness from this beacon is unknown to whoever committed something at
    /// `height`: only draws from a later block are.
    pub fn follows(&self, height: u64) -> bool {
        self.height > height
    }

    /// A 256-bit draw, separated by `domain` (what is decided) and `subject` (about what).
    pub fn draw(&self, domain: &str, subject: u64) -> Hash {
        let mut input = b"plexus/draw/".to_vec();
        input.extend_from_slice(domain.as_bytes());
        input.push(0);
        input.extend_from_slice(&self.value.0);
        input.extend_from_slice(&subject.to_be_bytes());
        Hash::of(&input)
    }

    /// A draw in `0..bound` (`None` for a bound of 0). The bias of reducing 128 bits is under
    /// `bound / 2¹²⁸`.
    pub fn draw_below(&self, domain: &str, subject: u64, bound: u128) -> Option<u128> {
        if bound == 0 {
            return None;
        }
        let hash = self.draw(domain, subject);
        let wide = u128::from_be_bytes(hash.0[..16].try_into().expect("16 bytes"));
        Some(wide % bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::{Address, BlockHeader};

    fn block(height: u64, tx: &[u8]) -> Block {
        let txs = vec![tx.to_vec()];
        Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height,
                time_ms: 1,
                proposer: Address([0; plexus_types::address::ADDRESS_LEN]),
                prev_app_hash: Hash::of(b"prev"),
                tx_root: Block::tx_root(&txs),
            },
            txs,
        }
    }

    #[test]
    fn a_block_with_other_transactions_has_another_beacon() {
        let a = Beacon::of_block(&block(5, b"one"));
        let b = Beacon::of_block(&block(5, b"two"));
        assert_ne!(a.draw("x", 1), b.draw("x", 1));
        assert_eq!(a, Beacon::of_block(&block(5, b"one")));
        assert_ne!(a.draw("x", 1), a.draw("y", 1));
        assert_ne!(a.draw("x", 1), a.draw("x", 2));
        assert!(a.follows(4) && !a.follows(5));
    }

    #[test]
    fn draws_below_a_bound_stay_below_it_and_cover_it() {
        let beacon = Beacon::from_value(1, Hash::of(b"v"));
        assert_eq!(beacon.draw_below("d", 0, 0), None);
        let mut seen = [false; 7];
        for subject in 0..200 {
            let v = beacon.draw_below("d", subject, 7).unwrap();
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
