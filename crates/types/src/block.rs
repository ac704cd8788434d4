//! Blocks: a header and the encoded transactions, in order.

use crate::address::Address;
use crate::hash::Hash;
use crate::proto;
use prost::Message;

/// Largest encoded block any node accepts.
pub const MAX_BLOCK_BYTES: usize = 8 * 1024 * 1024;

/// Longest beacon field a header may carry (a BLS12-381 signature is 96 bytes at most).
pub const MAX_BEACON_BYTES: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    pub chain_id: String,
    pub height: u64,
    pub time_ms: u64,
    pub proposer: Address,
    pub prev_app_hash: Hash,
    pub tx_root: Hash,
    /// What the block's beacon is drawn from: a hash-chain reveal (solo driver) or the
    /// threshold VRF seed of the parent's view (Commonware). Empty when the genesis commits
    /// to no beacon. At most [`MAX_BEACON_BYTES`].
    pub beacon: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub header: BlockHeader,
    pub txs: Vec<Vec<u8>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockError {
    #[error("block is {0} bytes, larger than the limit of {MAX_BLOCK_BYTES}")]
    Oversize(usize),
    #[error("block is not valid protobuf: {0}")]
    Malformed(String),
    #[error("block has no header")]
    MissingHeader,
    #[error("block header field {0} has the wrong length")]
    FieldLength(&'static str),
}

impl Block {
    /// The root that commits to the block's transactions: a Merkle tree over their hashes.
    pub fn tx_root(txs: &[Vec<u8>]) -> Hash {
        crate::merkle::merkle_root(txs.iter().map(|t| Hash::of(t)).collect())
    }

    /// The block's hash: blake3 of its encoded header.
    pub fn hash(&self) -> Hash {
        Hash::of(&self.header.to_proto().encode_to_vec())
    }

    pub fn encode(&self) -> Vec<u8> {
        proto::Block {
            header: Some(self.header.to_proto()),
            txs: self.txs.clone(),
        }
        .encode_to_vec()
    }

    pub fn decode(bytes: &[u8]) -> Result<Block, BlockError> {
        if bytes.len() > MAX_BLOCK_BYTES {
            return Err(BlockError::Oversize(bytes.len()));
        }
        let raw = proto::Block::decode(bytes).map_err(|e| BlockError::Malformed(e.to_string()))?;
        let h = raw.header.ok_or(BlockError::MissingHeader)?;
        Ok(Block {
            header: BlockHeader {
                chain_id: h.chain_id,
                height: h.height,
                time_ms: h.time_ms,
                proposer: Address::from_slice(&h.proposer)
                    .map_err(|_| BlockError::FieldLength("proposer"))?,
                prev_app_hash: Hash::from_slice(&h.prev_app_hash)
                    .ok_or(BlockError::FieldLength("prev_app_hash"))?,
                tx_root: Hash::from_slice(&h.tx_root).ok_or(BlockError::FieldLength("tx_root"))?,
                beacon: if h.beacon.len() <= MAX_BEACON_BYTES {
                    h.beacon
                } else {
                    return Err(BlockError::FieldLength("beacon"));
                },
            },
            txs: raw.txs,
        })
    }
}

impl BlockHeader {
    fn to_proto(&self) -> proto::BlockHeader {
        proto::BlockHeader {
            chain_id: self.chain_id.clone(),
            height: self.height,
            time_ms: self.time_ms,
            proposer: self.proposer.as_bytes().to_vec(),
            prev_app_hash: self.prev_app_hash.0.to_vec(),
            tx_root: self.tx_root.0.to_vec(),
            beacon: self.beacon.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_round_trips_and_its_root_commits_to_tx_order() {
        let txs = vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        let block = Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height: 7,
                time_ms: 1,
                proposer: Address([1; 20]),
                prev_app_hash: Hash([2; 32]),
                tx_root: Block::tx_root(&txs),
                beacon: vec![3; 32],
            },
            txs: txs.clone(),
        };
        assert_eq!(Block::decode(&block.encode()).unwrap(), block);
        let mut other_reveal = block.clone();
        other_reveal.header.beacon = vec![4; 32];
        assert_ne!(other_reveal.hash(), block.hash());
        let mut oversize = block.clone();
        oversize.header.beacon = vec![0; MAX_BEACON_BYTES + 1];
        assert_eq!(
            Block::decode(&oversize.encode()),
            Err(BlockError::FieldLength("beacon"))
        );
        let swapped = vec![txs[1].clone(), txs[0].clone(), txs[2].clone()];
        assert_ne!(Block::tx_root(&swapped), block.header.tx_root);
        assert!(Block::decode(b"\xff\xff").is_err());
    }
}
