//! Hashing on every core. Computing an outboard and verifying an encoding both spend nearly
//! all their time hashing chunk groups, and each group's hash depends only on its bytes and
//! position; the parent hashes above them are cheap. Both functions here read a batch of
//! groups, hash the batch on the rayon pool, and then walk the tree in bao-tree's order
//! exactly as its sequential versions do, so their results are the same bytes.

use bao_tree::blake3::{self, hazmat::HasherExt};
use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::io::sync::{truncate_ranges, OutboardMut};
use bao_tree::io::{BaoContentItem, DecodeError, Leaf, Parent};
use bao_tree::iter::{BaoChunk, ResponseIterRef};
use bao_tree::{BaoTree, ChunkNum, ChunkRangesRef};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::io::{self, Read};

/// Bytes of chunk groups hashed together: enough work to spread over the cores, little memory.
const BATCH_BYTES: usize = 4 << 20;

/// The chaining value of one chunk group, as bao-tree computes it (the root when it is the
/// whole blob).
fn group_hash(start_chunk: ChunkNum, data: &[u8], is_root: bool) -> blake3::Hash {
    if is_root {
        return blake3::hash(data);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(start_chunk.to_bytes());
    hasher.update(data);
    blake3::Hash::from(hasher.finalize_non_root())
}

fn parent_hash(left: &blake3::Hash, right: &blake3::Hash, is_root: bool) -> blake3::Hash {
    use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, Mode};
    if is_root {
        merge_subtrees_root(left.as_bytes(), right.as_bytes(), Mode::Hash)
    } else {
        blake3::Hash::from(merge_subtrees_non_root(
            left.as_bytes(),
            right.as_bytes(),
            Mode::Hash,
        ))
    }
}

/// One chunk group read but not yet hashed.
#[derive(Clone, Copy)]
struct Pending {
    start_chunk: ChunkNum,
    start: usize,
    len: usize,
    is_root: bool,
}

fn hash_batch(buf: &[u8], pending: &[Pending]) -> Vec<blake3::Hash> {
    pending
        .par_iter()
        .map(|p| group_hash(p.start_chunk, &buf[p.start..p.start + p.len], p.is_root))
        .collect()
}

/// Computes the pre-order outboard of `data` (which must hold `tree.size()` bytes) and
/// returns the root hash: the same result as `bao_tree::io::sync::outboard`.
pub fn outboard(
    mut data: impl Read,
    tree: BaoTree,
    outboard: &mut PreOrderOutboard<std::fs::File>,
) -> io::Result<blake3::Hash> {
    let leaves: Vec<(ChunkNum, usize, bool)> = tree
        .post_order_chunks_iter()
        .filter_map(|c| match c {
            BaoChunk::Leaf {
                start_chunk,
                size,
                is_root,
                ..
            } => Some((start_chunk, size, is_root)),
            BaoChunk::Parent { .. } => None,
        })
        .collect();
    let mut hashes: VecDeque<blake3::Hash> = VecDeque::new();
    let mut next_leaf = 0;
    let mut buf = Vec::with_capacity(BATCH_BYTES);
    let mut stack: Vec<blake3::Hash> = Vec::new();
    for item in tree.post_order_chunks_iter() {
        match item {
            BaoChunk::Parent { is_root, node, .. } => {
                let right = stack.pop().expect("a parent follows its two children");
                let left = stack.pop().expect("a parent follows its two children");
                outboard.save(node, &(left, right))?;
                stack.push(parent_hash(&left, &right, is_root));
            }
            BaoChunk::Leaf { .. } => {
                if hashes.is_empty() {
                    // Leaves are contiguous in the data: read the whole batch at once.
                    let mut pending = Vec::new();
                    let mut len_total = 0;
                    while next_leaf < leaves.len() && len_total < BATCH_BYTES {
                        let (start_chunk, len, is_root) = leaves[next_leaf];
                        pending.push(Pending {
                            start_chunk,
                            start: len_total,
                            len,
                            is_root,
                        });
                        len_total += len;
                        next_leaf += 1;
                    }
                    buf.resize(len_total, 0);
                    data.read_exact(&mut buf)?;
                    hashes.extend(hash_batch(&buf, &pending));
                }
                stack.push(hashes.pop_front().expect("a batch covers the next leaf"));
            }
        }
    }
    Ok(stack.pop().unwrap_or_else(|| blake3::hash(&[])))
}

/// What the decoder has read and not yet handed out.
enum Item {
    Parent(Parent),
    Leaf {
        expected: blake3::Hash,
        pending: Pending,
    },
}

/// Verifies a bao encoding of `ranges` of a blob against its root, like bao-tree's
/// `DecodeResponseIter`, with chunk groups hashed in batches on all cores. It yields the same
/// parents and the same bytes, except that contiguous verified leaves of a batch come as one
/// leaf (fewer, larger writes) after the batch's parents. After the first error it yields
/// nothing more, and everything it yielded before the error verified.
pub struct Decoder<'a, R: Read> {
    chunks: bao_tree::iter::ResponseIterRef<'a>,
    encoded: R,
    stack: Vec<blake3::Hash>,
    buf: bytes::BytesMut,
    /// Batches handed out, kept to reuse their memory once every leaf cut from them is
    /// dropped: a fresh 4 MiB buffer per batch costs more in page faults than its hashing.
    spent: VecDeque<bytes::Bytes>,
    ready: VecDeque<Result<BaoContentItem, DecodeError>>,
    done: bool,
}

/// Spent batches kept for reuse: enough for the batches a consumer holds while writing.
const SPENT_BATCHES: usize = 16;

impl<'a, R: Read> Decoder<'a, R> {
    pub fn new(root: blake3::Hash, tree: BaoTree, encoded: R, ranges: &'a ChunkRangesRef) -> Self {
        Decoder {
            chunks: ResponseIterRef::new(tree, truncate_ranges(ranges, tree.size())),
            encoded,
            stack: vec![root],
            buf: bytes::BytesMut::new(),
            spent: VecDeque::new(),
            ready: VecDeque::new(),
            done: false,
        }
    }

    /// Reads up to a batch of items, verifies them, and queues them (up to the first error).
    fn fill(&mut self) {
        self.buf = self.reusable_buffer();
        let (items, mut failure) = self.read_batch();
        let leaves: Vec<Pending> = items
            .iter()
            .filter_map(|i| match i {
                Item::Leaf { pending, .. } => Some(*pending),
                Item::Parent(_) => None,
            })
            .collect();
        let hashes = hash_batch(&self.buf, &leaves);
        let batch = self.buf.split().freeze();
        if self.spent.len() < SPENT_BATCHES {
            self.spent.push_back(batch.clone());
        }
        if let Some(e) = self.queue_verified(items, hashes, batch) {
            failure = Some(e);
        }
        if let Some(e) = failure {
            self.ready.push_back(Err(e));
            self.done = true;
        }
        if self.stack.is_empty() {
            self.done = true;
        }
    }

    /// An empty buffer for the next batch: a spent one that nobody holds any more, or else a
    /// new one.
    fn reusable_buffer(&mut self) -> bytes::BytesMut {
        for _ in 0..self.spent.len() {
            let batch = self.spent.pop_front().expect("counted");
            match batch.try_into_mut() {
                Ok(mut buf) => {
                    buf.clear();
                    buf.reserve(BATCH_BYTES);
                    return buf;
                }
                Err(held) => self.spent.push_back(held),
            }
        }
        bytes::BytesMut::with_capacity(BATCH_BYTES)
    }

    /// Reads items until the batch buffer holds `BATCH_BYTES` of leaves or the response ends:
    /// parents are checked against the stack as they come, leaves only read into the buffer.
    /// Returns the items read and the error that stopped the reading, if any.
    fn read_batch(&mut self) -> (Vec<Item>, Option<DecodeError>) {
        let mut items = Vec::new();
        while self.buf.len() < BATCH_BYTES && !self.stack.is_empty() {
            let Some(chunk) = self.chunks.next() else {
                self.stack.clear();
                break;
            };
            match chunk {
                BaoChunk::Parent {
                    is_root,
                    left,
                    right,
                    node,
                    ..
                } => {
                    let mut pair = [0u8; 64];
                    if let Err(e) = self.encoded.read_exact(&mut pair) {
                        let failure = if e.kind() == io::ErrorKind::UnexpectedEof {
                            DecodeError::ParentNotFound(node)
                        } else {
                            DecodeError::Io(e)
                        };
                        return (items, Some(failure));
                    }
                    let l = blake3::Hash::from(<[u8; 32]>::try_from(&pair[..32]).unwrap());
                    let r = blake3::Hash::from(<[u8; 32]>::try_from(&pair[32..]).unwrap());
                    let expected = self.stack.pop().expect("the stack is not empty");
                    if parent_hash(&l, &r, is_root) != expected {
                        return (items, Some(DecodeError::ParentHashMismatch(node)));
                    }
                    if right {
                        self.stack.push(r);
                    }
                    if left {
                        self.stack.push(l);
                    }
                    items.push(Item::Parent(Parent { node, pair: (l, r) }));
                }
                BaoChunk::Leaf {
                    size,
                    is_root,
                    start_chunk,
                    ..
                } => {
                    let start = self.buf.len();
                    self.buf.resize(start + size, 0);
                    if let Err(e) = self.encoded.read_exact(&mut self.buf[start..]) {
                        self.buf.truncate(start);
                        let failure = if e.kind() == io::ErrorKind::UnexpectedEof {
                            DecodeError::LeafNotFound(start_chunk)
                        } else {
                            DecodeError::Io(e)
                        };
                        return (items, Some(failure));
                    }
                    let expected = self.stack.pop().expect("the stack is not empty");
                    items.push(Item::Leaf {
                        expected,
                        pending: Pending {
                            start_chunk,
                            start,
                            len: size,
                            is_root,
                        },
                    });
                }
            }
        }
        (items, None)
    }

    /// Queues the batch's parents, then its verified leaves with contiguous ones joined, up to
    /// the first leaf whose hash (one in `hashes` per leaf, in order) does not match; returns
    /// that leaf's error.
    fn queue_verified(
        &mut self,
        items: Vec<Item>,
        hashes: Vec<blake3::Hash>,
        batch: bytes::Bytes,
    ) -> Option<DecodeError> {
        let mut hashes = hashes.into_iter();
        let mut failure = None;
        // The run of contiguous verified leaves not yet queued: (offset in the blob, range in
        // the batch buffer).
        let mut run: Option<(u64, std::ops::Range<usize>)> = None;
        let mut leaf_items = Vec::new();
        for item in items {
            match item {
                Item::Parent(p) => self.ready.push_back(Ok(p.into())),
                Item::Leaf { expected, pending } => {
                    let actual = hashes.next().expect("one hash per leaf");
                    if actual != expected {
                        failure = Some(DecodeError::LeafHashMismatch(pending.start_chunk));
                        break;
                    }
                    let offset = pending.start_chunk.to_bytes();
                    let range = pending.start..pending.start + pending.len;
                    run = match run {
                        Some((at, r)) if at + r.len() as u64 == offset && r.end == range.start => {
                            Some((at, r.start..range.end))
                        }
                        Some(done) => {
                            leaf_items.push(done);
                            Some((offset, range))
                        }
                        None => Some((offset, range)),
                    };
                }
            }
        }
        leaf_items.extend(run);
        for (offset, range) in leaf_items {
            let data = batch.slice(range);
            self.ready.push_back(Ok(Leaf { offset, data }.into()));
        }
        failure
    }
}

impl<R: Read> Iterator for Decoder<'_, R> {
    type Item = Result<BaoContentItem, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() && !self.done {
            self.fill();
        }
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::chunk_ranges;
    use crate::BLOCK_SIZE;
    use bao_tree::io::sync::{encode_ranges, DecodeResponseIter};
    use rand::{RngCore, SeedableRng};

    const SIZES: [u64; 8] = [
        0,
        1,
        1024,
        16 * 1024,
        16 * 1024 + 1,
        100_000,
        4 << 20,
        (9 << 20) + 123,
    ];

    fn random_bytes(len: u64, seed: u64) -> Vec<u8> {
        let mut data = vec![0u8; len as usize];
        rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut data);
        data
    }

    fn file_outboard(tree: BaoTree) -> PreOrderOutboard<std::fs::File> {
        PreOrderOutboard {
            root: blake3::hash(&[]),
            tree,
            data: tempfile::tempfile().unwrap(),
        }
    }

    fn outboard_bytes(ob: &PreOrderOutboard<std::fs::File>) -> Vec<u8> {
        let mut f = ob.data.try_clone().unwrap();
        let mut out = Vec::new();
        std::io::Seek::rewind(&mut f).unwrap();
        f.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn the_parallel_outboard_is_byte_for_byte_the_sequential_one() {
        for (i, size) in SIZES.into_iter().enumerate() {
            let data = random_bytes(size, i as u64);
            let tree = BaoTree::new(size, BLOCK_SIZE);
            let mut ours = file_outboard(tree);
            let root = outboard(&data[..], tree, &mut ours).unwrap();
            let mut theirs = file_outboard(tree);
            let expected = bao_tree::io::sync::outboard(&data[..], tree, &mut theirs).unwrap();
            assert_eq!(root, expected, "root of {size} bytes");
            assert_eq!(root, blake3::hash(&data), "blake3 of {size} bytes");
            assert_eq!(
                outboard_bytes(&ours),
                outboard_bytes(&theirs),
                "outboard of {size} bytes"
            );
        }
    }

    /// What a decoder yielded: its parents in order, its leaves' bytes by offset with
    /// contiguous leaves joined, and its error.
    #[derive(Debug, PartialEq)]
    struct Decoded {
        parents: Vec<String>,
        bytes: Vec<(u64, Vec<u8>)>,
        error: Option<String>,
    }

    fn decoded(it: impl Iterator<Item = Result<BaoContentItem, DecodeError>>) -> Decoded {
        let mut out = Decoded {
            parents: Vec::new(),
            bytes: Vec::new(),
            error: None,
        };
        for item in it {
            match item {
                Ok(BaoContentItem::Parent(p)) => {
                    out.parents.push(format!("{:?} {:?}", p.node, p.pair))
                }
                Ok(BaoContentItem::Leaf(l)) => match out.bytes.last_mut() {
                    Some((at, b)) if *at + b.len() as u64 == l.offset => b.extend(&l.data[..]),
                    _ => out.bytes.push((l.offset, l.data.to_vec())),
                },
                Err(e) => out.error = Some(e.to_string()),
            }
        }
        out
    }

    #[test]
    fn the_parallel_decoder_yields_what_bao_tree_yields_and_stops_at_the_same_corrupt_byte() {
        for (i, size) in SIZES.into_iter().enumerate() {
            let data = random_bytes(size, 100 + i as u64);
            let tree = BaoTree::new(size, BLOCK_SIZE);
            let mut ob = file_outboard(tree);
            ob.root = outboard(&data[..], tree, &mut ob).unwrap();
            for (start, end) in [(0, size), (size / 3, size), (size / 2, size / 2 + 40_000)] {
                let end = end.min(size);
                let ranges = chunk_ranges(start, end);
                let mut encoded = Vec::new();
                encode_ranges(&data, &ob, &ranges, &mut encoded).unwrap();
                let mut cases = vec![encoded.clone(), encoded[..encoded.len() / 2].to_vec()];
                if !encoded.is_empty() {
                    // A flipped bit in the middle, and one in the last byte.
                    let mut a = encoded.clone();
                    a[encoded.len() / 2] ^= 1;
                    let mut b = encoded.clone();
                    *b.last_mut().unwrap() ^= 0x80;
                    cases.extend([a, b]);
                }
                for case in cases {
                    let ours = decoded(Decoder::new(ob.root, tree, &case[..], &ranges));
                    let theirs =
                        decoded(DecodeResponseIter::new(ob.root, tree, &case[..], &ranges));
                    assert_eq!(ours, theirs, "{size} bytes, range {start}..{end}");
                }
            }
        }
    }
}
