//! The ledger's one source of randomness: a block's beacon.
//!
//! Every random choice the rules make (which results are re-executed, who checks them) is a
//! draw from the beacon of a block *after* the one that committed what it decides about, so
//! that nobody who submits a transaction can know, when it signs, which way the draw will go.
//!
//! The beacon of block `h` is `blake3("plexus/beacon/v1" ‖ header.beacon)`, where the header's
//! beacon field is fixed before the block's proposer picks anything, by what genesis commits to
//! ([`BeaconCommitment`]):
//! - on the solo driver, a hash chain: the operator draws a secret seed, genesis records
//!   `H^length(seed)`, and block `h` reveals `r = H^(length - h)(seed)`, which must hash to the
//!   previous block's reveal (the commitment, for block 1). Only one value is valid at each
//!   height, so reordering transactions or moving the block's time changes nothing; the
//!   operator can foresee the chain but not steer it, and nobody else can foresee it. Past
//!   `length` the chain is exhausted and the ledger refuses every block.
//! - under Commonware, the threshold VRF seed of the parent's consensus view (a BLS12-381
//!   threshold signature over the view, known only once 2f+1 validators signed it), which the
//!   driver checks against the group key before voting. Block `h` carries the seed of the view
//!   that made block `h - 1`, so its beacon counts as height `h - 1`: what a round committed
//!   is never decided by that round's own seed, which its leader may have seen before
//!   publishing its block.
//!
//! A genesis without a commitment (chains created before the beacon existed) keeps the old
//! beacon, the hash of the header, which that block's proposer could grind.

use crate::BlockReject;
use plexus_types::{Block, Hash};
use serde::{Deserialize, Serialize};

/// Domain of every step of the solo driver's hash chain.
const HASH_CHAIN_DOMAIN: &[u8] = b"plexus/beacon/chain/v1";

/// What genesis commits the beacon to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BeaconCommitment {
    /// The solo driver's hash chain: `commitment = H^length(seed)`; block `h` (1 ≤ h ≤ length)
    /// reveals `H^(length - h)(seed)`.
    HashChain { commitment: Hash, length: u64 },
    /// Commonware's threshold VRF: each block carries the seed (a threshold signature) of its
    /// parent's view, which the driver verifies against the group key of `polynomial` (hex of
    /// the public polynomial the genesis dealer made; its constant term is the group key).
    ThresholdVrf { polynomial: String },
}

/// One step of the hash chain: `H(x) = blake3("plexus/beacon/chain/v1" ‖ x)`.
pub fn hash_chain_step(value: &Hash) -> Hash {
    let mut input = [0u8; HASH_CHAIN_DOMAIN.len() + 32];
    input[..HASH_CHAIN_DOMAIN.len()].copy_from_slice(HASH_CHAIN_DOMAIN);
    input[HASH_CHAIN_DOMAIN.len()..].copy_from_slice(&value.0);
    Hash::of(&input)
}

/// Checks the reveal `block` carries against the previous one (`previous`: the previous
/// block's reveal, or the genesis commitment before block 1), returning the reveal to keep.
pub(crate) fn check_reveal(
    length: u64,
    previous: &Hash,
    block: &Block,
) -> Result<Hash, BlockReject> {
    let height = block.header.height;
    if height > length {
        return Err(BlockReject::BeaconExhausted { length });
    }
    let reveal = Hash::from_slice(&block.header.beacon).ok_or(BlockReject::BadBeacon {
        height,
        reason: format!("the reveal is {} bytes, not 32", block.header.beacon.len()),
    })?;
    if hash_chain_step(&reveal) != *previous {
        return Err(BlockReject::BadBeacon {
            height,
            reason: "the reveal does not hash to the previous block's reveal".into(),
        });
    }
    Ok(reveal)
}

/// A block's beacon value, and the height of that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beacon {
    pub height: u64,
    value: Hash,
}

impl Beacon {
    /// The beacon of `block` on a chain whose genesis commits to `commitment`:
    /// `blake3("plexus/beacon/v1" ‖ header.beacon)`, or, with no commitment, the same over the
    /// block's hash (which its proposer could grind).
    ///
    /// A threshold VRF seed is the randomness of the round that made the parent block, so its
    /// beacon counts as the parent's height: what the parent committed is decided only by a
    /// seed of a later round (the next block's), never by the seed of the round that chose it.
    pub fn of_block(block: &Block, commitment: Option<&BeaconCommitment>) -> Beacon {
        let height = block.header.height;
        match commitment {
            Some(BeaconCommitment::HashChain { .. }) => {
                Beacon::of_field(height, &block.header.beacon)
            }
            Some(BeaconCommitment::ThresholdVrf { .. }) => {
                Beacon::of_field(height.saturating_sub(1), &block.header.beacon)
            }
            None => Beacon::of_field(height, &block.hash().0),
        }
    }

    /// The beacon of the block at `height` whose header carries `field`.
    pub fn of_field(height: u64, field: &[u8]) -> Beacon {
        let mut input = b"plexus/beacon/v1".to_vec();
        input.extend_from_slice(field);
        Beacon {
            height,
            value: Hash::of(&input),
        }
    }

    /// The value draws are made from.
    pub fn value(&self) -> Hash {
        self.value
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

    fn block(height: u64, time_ms: u64, txs: &[&[u8]], reveal: Hash) -> Block {
        let txs: Vec<Vec<u8>> = txs.iter().map(|t| t.to_vec()).collect();
        Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height,
                time_ms,
                proposer: Address([0; plexus_types::address::ADDRESS_LEN]),
                prev_app_hash: Hash::of(b"prev"),
                tx_root: Block::tx_root(&txs),
                beacon: reveal.0.to_vec(),
            },
            txs,
        }
    }

    #[test]
    fn a_proposer_that_reorders_or_retimes_its_block_draws_the_same_beacon() {
        let reveal = Hash::of(b"r");
        let commitment = BeaconCommitment::HashChain {
            commitment: hash_chain_step(&reveal),
            length: 10,
        };
        let one = block(5, 1, &[b"one", b"two"], reveal);
        let other = block(5, 99, &[b"two", b"one"], reveal);
        let a = Beacon::of_block(&one, Some(&commitment));
        let b = Beacon::of_block(&other, Some(&commitment));
        assert_eq!(a, b);
        // Without a commitment the beacon is the header's hash: the proposer's choice.
        assert_ne!(Beacon::of_block(&one, None), Beacon::of_block(&other, None));
        assert_ne!(a.draw("x", 1), a.draw("y", 1));
        assert_ne!(a.draw("x", 1), a.draw("x", 2));
        assert!(a.follows(4) && !a.follows(5));
    }

    #[test]
    fn a_threshold_seed_decides_only_what_blocks_before_its_parent_committed() {
        let vrf = BeaconCommitment::ThresholdVrf {
            polynomial: "00".into(),
        };
        let seed = Hash::of(b"seed");
        let beacon = Beacon::of_block(&block(5, 1, &[], seed), Some(&vrf));
        assert_eq!(beacon.height, 4);
        assert!(beacon.follows(3) && !beacon.follows(4));
        assert_eq!(beacon.value(), Beacon::of_field(4, &seed.0).value());
    }

    #[test]
    fn a_reveal_must_hash_to_the_previous_one_and_stay_within_the_chain() {
        let reveal = Hash::of(b"r");
        let previous = hash_chain_step(&reveal);
        assert_eq!(
            check_reveal(5, &previous, &block(5, 1, &[], reveal)).unwrap(),
            reveal
        );
        let reused = check_reveal(5, &previous, &block(5, 1, &[], previous));
        assert!(matches!(
            reused,
            Err(BlockReject::BadBeacon { height: 5, .. })
        ));
        let mut short = block(5, 1, &[], reveal);
        short.header.beacon.pop();
        assert!(matches!(
            check_reveal(5, &previous, &short),
            Err(BlockReject::BadBeacon { .. })
        ));
        assert!(matches!(
            check_reveal(4, &previous, &block(5, 1, &[], reveal)),
            Err(BlockReject::BeaconExhausted { length: 4 })
        ));
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
