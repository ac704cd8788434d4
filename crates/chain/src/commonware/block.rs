//! The block consensus orders: a Plexus block's contents plus its parent's digest and a
//! checkpoint of the proposer's committed state.
//!
//! Consensus finalizes a block before any validator executes it, so a proposer may build on a
//! parent it has not executed yet. The Plexus header's previous app hash is therefore filled
//! in at execution (it is the committed app hash then), and the block carries instead the
//! height and app hash of a block its proposer had committed, a few blocks below its parent.
//! A validator votes for a block only once it has executed that height itself and found the
//! same app hash (it waits a bounded time for that, else refuses its vote, and the proposer
//! loses its view), so what a proposer writes there cannot halt anyone. When a finalized
//! block is executed, its checkpoint is compared again: a quorum verified it, so a mismatch
//! means this validator's own execution diverged, and it stops instead of going on silently.

use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, ReadExt, Write};
use commonware_consensus::{types::Height, Heightable};
use commonware_cryptography::{sha256::Digest, Digestible, Hasher, Sha256};
use plexus_types::block::{MAX_BEACON_BYTES, MAX_BLOCK_BYTES};
use plexus_types::{Address, Block, BlockHeader, Hash};

/// Most transactions one block may carry (bounds decoding before allocation).
const MAX_TXS: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusBlock {
    pub parent: Digest,
    pub height: u64,
    pub time_ms: u64,
    pub proposer: Address,
    /// Height of a block the proposer had committed when it built this one (below `height`).
    pub checkpoint_height: u64,
    /// The proposer's app hash after `checkpoint_height`.
    pub checkpoint_app_hash: Hash,
    /// The threshold VRF seed of the parent's view (its recovered seed signature), which
    /// becomes the Plexus header's beacon field; for a child of genesis, the genesis digest.
    pub seed: Vec<u8>,
    pub txs: Vec<Vec<u8>>,
    digest: Digest,
}

impl ConsensusBlock {
    pub fn new(
        parent: Digest,
        height: u64,
        time_ms: u64,
        proposer: Address,
        checkpoint: (u64, Hash),
        txs: Vec<Vec<u8>>,
    ) -> ConsensusBlock {
        let mut block = ConsensusBlock {
            parent,
            height,
            time_ms,
            proposer,
            checkpoint_height: checkpoint.0,
            checkpoint_app_hash: checkpoint.1,
            seed: Vec::new(),
            txs,
            digest: Sha256::hash(&[]),
        };
        block.digest = block.compute_digest();
        block
    }

    /// The block carrying `seed` as its parent view's seed (at most `MAX_BEACON_BYTES`).
    pub fn with_seed(mut self, seed: Vec<u8>) -> ConsensusBlock {
        self.seed = seed;
        self.digest = self.compute_digest();
        self
    }

    fn compute_digest(&self) -> Digest {
        let mut hasher = Sha256::new();
        hasher.update(&self.parent);
        hasher.update(&self.height.to_be_bytes());
        hasher.update(&self.time_ms.to_be_bytes());
        hasher.update(self.proposer.as_bytes());
        hasher.update(&self.checkpoint_height.to_be_bytes());
        hasher.update(&self.checkpoint_app_hash.0);
        hasher.update(&(self.seed.len() as u32).to_be_bytes());
        hasher.update(&self.seed);
        hasher.update(&Block::tx_root(&self.txs).0);
        hasher.finalize()
    }

    /// Bytes of transactions the block carries.
    pub fn tx_bytes(&self) -> usize {
        self.txs.iter().map(|t| t.len()).sum()
    }

    /// The Plexus block to execute on top of committed state whose app hash is
    /// `prev_app_hash`.
    pub fn to_plexus(&self, chain_id: &str, prev_app_hash: Hash) -> Block {
        Block {
            header: BlockHeader {
                chain_id: chain_id.to_string(),
                height: self.height,
                time_ms: self.time_ms,
                proposer: self.proposer,
                prev_app_hash,
                tx_root: Block::tx_root(&self.txs),
                beacon: self.seed.clone(),
            },
            txs: self.txs.clone(),
        }
    }
}

impl Write for ConsensusBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.parent.write(buf);
        buf.put_u64(self.height);
        buf.put_u64(self.time_ms);
        buf.put_slice(self.proposer.as_bytes());
        buf.put_u64(self.checkpoint_height);
        buf.put_slice(&self.checkpoint_app_hash.0);
        buf.put_u8(self.seed.len() as u8);
        buf.put_slice(&self.seed);
        buf.put_u32(self.txs.len() as u32);
        for tx in &self.txs {
            buf.put_u32(tx.len() as u32);
            buf.put_slice(tx);
        }
    }
}

impl EncodeSize for ConsensusBlock {
    fn encode_size(&self) -> usize {
        self.parent.encode_size()
            + 8
            + 8
            + 20
            + 8
            + 32
            + 1
            + self.seed.len()
            + 4
            + self.txs.len() * 4
            + self.tx_bytes()
    }
}

fn take<const N: usize>(buf: &mut impl Buf) -> Result<[u8; N], CodecError> {
    if buf.remaining() < N {
        return Err(CodecError::EndOfBuffer);
    }
    let mut out = [0u8; N];
    buf.copy_to_slice(&mut out);
    Ok(out)
}

impl Read for ConsensusBlock {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let parent = Digest::read(buf)?;
        let height = u64::from_be_bytes(take(buf)?);
        let time_ms = u64::from_be_bytes(take(buf)?);
        let proposer = Address(take(buf)?);
        let checkpoint_height = u64::from_be_bytes(take(buf)?);
        let checkpoint_app_hash = Hash(take(buf)?);
        let seed_len = u8::from_be_bytes(take(buf)?) as usize;
        if seed_len > MAX_BEACON_BYTES || seed_len > buf.remaining() {
            return Err(CodecError::Invalid("ConsensusBlock", "seed too long"));
        }
        let mut seed = vec![0u8; seed_len];
        buf.copy_to_slice(&mut seed);
        let count = u32::from_be_bytes(take(buf)?) as usize;
        if count > MAX_TXS || count * 4 > buf.remaining() {
            return Err(CodecError::Invalid(
                "ConsensusBlock",
                "too many transactions",
            ));
        }
        let mut txs = Vec::with_capacity(count);
        let mut total = 0usize;
        for _ in 0..count {
            let len = u32::from_be_bytes(take(buf)?) as usize;
            total += len;
            if total > MAX_BLOCK_BYTES || len > buf.remaining() {
                return Err(CodecError::Invalid(
                    "ConsensusBlock",
                    "transactions too large",
                ));
            }
            let mut tx = vec![0u8; len];
            buf.copy_to_slice(&mut tx);
            txs.push(tx);
        }
        Ok(ConsensusBlock::new(
            parent,
            height,
            time_ms,
            proposer,
            (checkpoint_height, checkpoint_app_hash),
            txs,
        )
        .with_seed(seed))
    }
}

impl Digestible for ConsensusBlock {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for ConsensusBlock {
    fn height(&self) -> Height {
        Height::new(self.height)
    }
}

impl commonware_consensus::Block for ConsensusBlock {
    fn parent(&self) -> Digest {
        self.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode, Encode};

    #[test]
    fn a_block_round_trips_and_truncated_bytes_are_refused() {
        let block = ConsensusBlock::new(
            Sha256::hash(b"parent"),
            7,
            1_000,
            Address([3; 20]),
            (6, Hash([9; 32])),
            vec![b"one".to_vec(), b"two".to_vec()],
        )
        .with_seed(vec![5; 48]);
        let bytes = block.encode();
        assert_eq!(bytes.len(), block.encode_size());
        let back = ConsensusBlock::decode_cfg(bytes.clone(), &()).unwrap();
        assert_eq!(back, block);
        assert_eq!(back.digest(), block.digest());
        assert!(ConsensusBlock::decode_cfg(bytes.slice(..bytes.len() - 1), &()).is_err());
        let other_seed = block.clone().with_seed(vec![6; 48]);
        assert_ne!(other_seed.digest(), block.digest());
        assert_eq!(
            other_seed.to_plexus("c", Hash::ZERO).header.beacon,
            vec![6; 48]
        );
    }
}
