//! The solo operator's beacon hash chain: a secret seed drawn at `plexus node init`, the
//! commitment `H^length(seed)` its genesis records, and the reveal each block carries.
//!
//! Block `h` reveals `H^(length - h)(seed)`, so reveals run backwards along the chain and each
//! one hashes to the one before it (see `plexus_ledger::beacon`). Computing a reveal from the
//! seed would cost up to `length` hashes; the file keeps a checkpoint every
//! [`CHECKPOINT_EVERY`] steps (`H^(j·CHECKPOINT_EVERY)(seed)`), so a reveal costs fewer than
//! [`CHECKPOINT_EVERY`] hashes (well under a millisecond) and the file stays small (128 KiB for
//! the default length). Making the chain costs `length` hashes once, at init (about two
//! seconds for [`DEFAULT_LENGTH`]).
//!
//! A chain of [`DEFAULT_LENGTH`] reveals lasts 2²⁴ blocks: 194 days at one block a second,
//! 48 days at a devnet's 250 ms. The producer warns from the last sixteenth on, and past the
//! end the ledger refuses every block (`BeaconExhausted`); carrying on needs a new chain (a
//! commitment to a next hash chain is not built).

use plexus_ledger::beacon::hash_chain_step;
use plexus_ledger::BeaconCommitment;
use plexus_types::Hash;
use std::path::Path;

/// Reveals in the hash chain `plexus node init` makes.
pub const DEFAULT_LENGTH: u64 = 1 << 24;
/// Steps between two checkpoints kept in the file.
pub const CHECKPOINT_EVERY: u64 = 1 << 12;
/// Longest chain accepted: its checkpoints must fit in memory.
const MAX_LENGTH: u64 = 1 << 40;
const MAGIC: &[u8; 16] = b"plexus-reveals/1";

#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a beacon hash chain file: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("the hash chain is {length} reveals long; it holds none for height {height}")]
    OutOfRange { height: u64, length: u64 },
    #[error("a hash chain must be 1 to {MAX_LENGTH} reveals long, not {0}")]
    BadLength(u64),
}

/// The operator's hash chain, with its checkpoints (the first is the secret seed).
pub struct RevealChain {
    length: u64,
    checkpoints: Vec<Hash>,
    commitment: Hash,
}

impl std::fmt::Debug for RevealChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The checkpoints hold the secret: never printed.
        f.debug_struct("RevealChain")
            .field("length", &self.length)
            .field("commitment", &self.commitment)
            .finish()
    }
}

impl RevealChain {
    /// A chain of `length` reveals from a fresh secret seed.
    pub fn generate(length: u64) -> Result<RevealChain, RevealError> {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        RevealChain::from_seed(Hash(seed), length)
    }

    /// The chain of `length` reveals from `seed` (`length` hashes).
    pub fn from_seed(seed: Hash, length: u64) -> Result<RevealChain, RevealError> {
        if !(1..=MAX_LENGTH).contains(&length) {
            return Err(RevealError::BadLength(length));
        }
        let mut checkpoints = vec![seed];
        let mut value = seed;
        for step in 1..=length {
            value = hash_chain_step(&value);
            if step % CHECKPOINT_EVERY == 0 {
                checkpoints.push(value);
            }
        }
        Ok(RevealChain {
            length,
            checkpoints,
            commitment: value,
        })
    }

    /// How many blocks the chain can give a reveal to.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// `H^length(seed)`, which genesis records.
    pub fn commitment(&self) -> Hash {
        self.commitment
    }

    /// What genesis records of this chain.
    pub fn genesis_commitment(&self) -> BeaconCommitment {
        BeaconCommitment::HashChain {
            commitment: self.commitment,
            length: self.length,
        }
    }

    /// The reveal of block `height`: `H^(length - height)(seed)`.
    pub fn reveal(&self, height: u64) -> Result<Hash, RevealError> {
        if height == 0 || height > self.length {
            return Err(RevealError::OutOfRange {
                height,
                length: self.length,
            });
        }
        let position = self.length - height;
        let checkpoint = (position / CHECKPOINT_EVERY) as usize;
        let mut value = self.checkpoints[checkpoint];
        for _ in 0..position % CHECKPOINT_EVERY {
            value = hash_chain_step(&value);
        }
        Ok(value)
    }

    /// Writes the chain to `path`, readable by its owner only (it holds the seed).
    pub fn save(&self, path: &Path) -> Result<(), RevealError> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&self.length.to_be_bytes());
        for c in &self.checkpoints {
            bytes.extend_from_slice(&c.0);
        }
        plexus_durable::write_private(path, &bytes).map_err(|source| RevealError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a chain written by [`RevealChain::save`]; its commitment is recomputed from the
    /// last checkpoint (fewer than [`CHECKPOINT_EVERY`] hashes).
    pub fn load(path: &Path) -> Result<RevealChain, RevealError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| RevealError::Io {
            path: name.clone(),
            source,
        })?;
        let corrupt = |reason: &str| RevealError::Corrupt {
            path: name.clone(),
            reason: reason.into(),
        };
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| corrupt("wrong header"))?;
        let (length, checkpoints) = body.split_at_checked(8).ok_or_else(|| corrupt("short"))?;
        let length = u64::from_be_bytes(length.try_into().expect("8 bytes"));
        if !(1..=MAX_LENGTH).contains(&length) {
            return Err(corrupt("length out of range"));
        }
        let expected = (length / CHECKPOINT_EVERY + 1) as usize;
        if checkpoints.len() != expected * 32 {
            return Err(corrupt("wrong number of checkpoints for its length"));
        }
        let checkpoints: Vec<Hash> = checkpoints
            .chunks_exact(32)
            .map(|c| Hash::from_slice(c).expect("32-byte chunks"))
            .collect();
        let mut commitment = *checkpoints.last().expect("at least one checkpoint");
        for _ in 0..length % CHECKPOINT_EVERY {
            commitment = hash_chain_step(&commitment);
        }
        Ok(RevealChain {
            length,
            checkpoints,
            commitment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reveal_hashes_to_the_one_before_and_the_first_to_the_commitment() {
        let chain = RevealChain::from_seed(Hash::of(b"seed"), 3 * CHECKPOINT_EVERY + 5).unwrap();
        assert_eq!(
            hash_chain_step(&chain.reveal(1).unwrap()),
            chain.commitment()
        );
        for h in [
            2,
            5,
            6,
            CHECKPOINT_EVERY,
            CHECKPOINT_EVERY + 1,
            chain.length(),
        ] {
            assert_eq!(
                hash_chain_step(&chain.reveal(h).unwrap()),
                chain.reveal(h - 1).unwrap(),
                "height {h}"
            );
        }
        assert_eq!(chain.reveal(chain.length()).unwrap(), Hash::of(b"seed"));
        assert!(chain.reveal(0).is_err());
        assert!(chain.reveal(chain.length() + 1).is_err());
    }

    #[test]
    fn a_saved_chain_loads_with_the_same_reveals_and_a_damaged_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("beacon_chain");
        let chain = RevealChain::from_seed(Hash::of(b"seed"), CHECKPOINT_EVERY + 7).unwrap();
        chain.save(&path).unwrap();
        let loaded = RevealChain::load(&path).unwrap();
        assert_eq!(loaded.commitment(), chain.commitment());
        assert_eq!(loaded.reveal(3).unwrap(), chain.reveal(3).unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            RevealChain::load(&path),
            Err(RevealError::Corrupt { .. })
        ));
    }
}
