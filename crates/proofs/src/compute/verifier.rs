//! The verifier's side: pick rows to open, check an opened row against the commitment and
//! against A·B, and tell a fraud from a malformed or unproven answer.

use super::challenge::{seed_of, ComputeChallenge, Matrix};
use super::meter::{self, Meter};
use super::product::{accumulate, finish};
use super::prover::{row_leaf, RowOpening};
use super::ComputeError;
use plexus_types::Hash;

const SAMPLE_DOMAIN: &[u8] = b"plexus/compute/sample";
const KEYED_SAMPLE_DOMAIN: &[u8] = b"plexus/compute/sample-keyed";

/// Rows the oracle opens per answer. A prover that skips a fraction f of the rows passes all
/// openings with probability at most (1 − f)⁸: 0.10 for f = ¼, 0.004 for f = ½. Each opening costs
/// the verifier n² multiply-adds, so eight keep the verifier n/8 times cheaper than the prover.
pub const ROWS_OPENED: u32 = 8;

/// The `k` distinct rows (in `0..n`, fewer when `k > n`) to open for the answer `root`,
/// drawn from the challenge's secret and the root.
///
/// The secret is the one [`ComputeChallenge::from_secret`] committed to in the seed. The
/// oracle reveals it only after the device has committed to `root`: derived from the root
/// alone, the rows would be known to the prover as soon as it has a root, and it could try
/// roots (changing a row it never computed costs a few hashes) until every sampled row is
/// one it did compute. Because the secret was fixed by the seed before the root existed, the
/// oracle cannot steer the choice either, and an auditor with the published secret recomputes
/// it. The draw is a prefix-stable sequence: the first `k` rows for a larger `k` start with
/// the rows for a smaller one.
pub fn sample_rows(
    challenge: &ComputeChallenge,
    root: &Hash,
    secret: &[u8; 32],
    k: u32,
) -> Result<Vec<u32>, ComputeError> {
    if seed_of(secret) != *challenge.seed() {
        return Err(ComputeError::SecretMismatch);
    }
    Ok(draw_rows(SAMPLE_DOMAIN, secret, challenge, root, k))
}

/// The `k` distinct rows to open for the answer `root`, drawn from `key`, a secret of the
/// verifier's own, rather than from the challenge's secret.
///
/// For challenges whose seed is public as soon as they open (drawn from the chain's beacon, so
/// that every oracle issues the same ones), [`sample_rows`] would let the prover try roots
/// until every sampled row is one it computed. A key only the verifier holds closes that:
/// the prover cannot know which rows a root leads to. Each verifier then opens rows of its
/// own, which is why nothing that depends on which rows were drawn may decide a reward.
pub fn sample_rows_keyed(
    challenge: &ComputeChallenge,
    root: &Hash,
    key: &[u8; 32],
    k: u32,
) -> Vec<u32> {
    draw_rows(KEYED_SAMPLE_DOMAIN, key, challenge, root, k)
}

/// The prefix-stable draw of `k` distinct rows from `secret`, the challenge and `root`.
fn draw_rows(
    domain: &[u8],
    secret: &[u8; 32],
    challenge: &ComputeChallenge,
    root: &Hash,
    k: u32,
) -> Vec<u32> {
    let n = challenge.n();
    let k = k.min(n) as usize;
    let mut h = blake3::Hasher::new();
    h.update(domain);
    h.update(secret);
    h.update(challenge.id().as_bytes());
    h.update(root.as_bytes());
    let mut xof = h.finalize_xof();
    // Words at or above the largest multiple of n below 2³² are skipped, so that every row
    // is equally likely.
    let zone = (1u64 << 32) / u64::from(n) * u64::from(n);
    let mut taken = vec![false; n as usize];
    let mut rows = Vec::with_capacity(k);
    while rows.len() < k {
        let mut word = [0u8; 4];
        xof.fill(&mut word);
        let w = u64::from(u32::from_le_bytes(word));
        if w >= zone {
            continue;
        }
        let i = (w % u64::from(n)) as u32;
        if !std::mem::replace(&mut taken[i as usize], true) {
            rows.push(i);
        }
    }
    rows
}

/// B rows derived at a time when a verifier streams B: enough to keep the kernel on its
/// four-row path, few enough to stay in cache (256 KiB at the largest n).
const STREAM_ROWS: usize = 16;

/// Openings checked in one pass over B; bounds the verifier's memory at about 16·n bytes per
/// opening in a pass, whatever number of openings it is handed.
const OPENINGS_PER_PASS: usize = 16;

/// Checks one opened row: well formed, included in `root` at its index, and equal to row
/// `index` of A·B.
///
/// The cheap checks come first, so a malformed or unproven opening is turned away before the
/// O(n²) work of deriving B. Errors: [`ComputeError::RowOutOfRange`] or
/// [`ComputeError::RowLength`] for a malformed opening, [`ComputeError::NotInCommitment`] when
/// the path does not lead to `root` (nothing is proven against the device),
/// [`ComputeError::WrongRow`] when the device committed to a wrong row (a fraud).
///
/// Cost: n² elements of B derived and n² multiply-adds, in O(n) memory: B is streamed.
pub fn check_opening(
    challenge: &ComputeChallenge,
    root: &Hash,
    opening: &RowOpening,
) -> Result<(), ComputeError> {
    check_commitment(challenge, root, opening, None)?;
    let expected = expected_rows(challenge, &[opening.index], None);
    check_row(&expected, opening)
}

/// Whether `opening` proves that the device who signed `root` answered `challenge` wrongly:
/// the row is in the commitment and differs from A·B. This is the check the ledger runs on a
/// fraud proof, after checking the device's signature over the root.
///
/// A malformed opening (wrong length, index out of range) is never a fraud proof, even when
/// its leaf is in the commitment: a device can always withhold an answer, so fraud is kept
/// for what a verifier would otherwise have accepted as an answer.
pub fn is_fraud(challenge: &ComputeChallenge, root: &Hash, opening: &RowOpening) -> bool {
    matches!(
        check_opening(challenge, root, opening),
        Err(ComputeError::WrongRow { .. })
    )
}

/// [`check_opening`] for several openings of one answer, with one verdict each, in order: the
/// oracle's check of the [`ROWS_OPENED`] rows it asked for. B is derived once per pass of up
/// to 16 openings rather than once per opening.
pub fn check_openings(
    challenge: &ComputeChallenge,
    root: &Hash,
    openings: &[RowOpening],
) -> Vec<Result<(), ComputeError>> {
    check_openings_metered(challenge, root, openings, None)
}

pub(crate) fn check_openings_metered(
    challenge: &ComputeChallenge,
    root: &Hash,
    openings: &[RowOpening],
    meter: Meter<'_>,
) -> Vec<Result<(), ComputeError>> {
    let n = challenge.n() as usize;
    let mut verdicts: Vec<Result<(), ComputeError>> = openings
        .iter()
        .map(|o| check_commitment(challenge, root, o, meter))
        .collect();
    let committed: Vec<usize> = (0..openings.len())
        .filter(|&j| verdicts[j].is_ok())
        .collect();
    for pass in committed.chunks(OPENINGS_PER_PASS) {
        let indices: Vec<u32> = pass.iter().map(|&j| openings[j].index).collect();
        let expected = expected_rows(challenge, &indices, meter);
        for (&j, row) in pass.iter().zip(expected.chunks_exact(n)) {
            verdicts[j] = check_row(row, &openings[j]);
        }
    }
    verdicts
}

fn check_commitment(
    challenge: &ComputeChallenge,
    root: &Hash,
    opening: &RowOpening,
    meter: Meter<'_>,
) -> Result<(), ComputeError> {
    let n = challenge.n();
    challenge.check_row_index(opening.index)?;
    if opening.row.len() != n as usize {
        return Err(ComputeError::RowLength {
            expected: n as usize,
            got: opening.row.len(),
        });
    }
    // The proof must be for this row's position in an n-leaf tree: the leaf count fixes the
    // tree's shape, which the root alone does not.
    let proof = &opening.proof;
    let leaf = row_leaf(opening.index, &opening.row);
    meter::hashed(meter, u64::from(n));
    meter::nodes(meter, proof.siblings.len() as u64);
    if proof.index != u64::from(opening.index)
        || proof.leaf_count != u64::from(n)
        || !proof.verify(root, &leaf)
    {
        return Err(ComputeError::NotInCommitment {
            index: opening.index,
        });
    }
    Ok(())
}

/// Rows `indices` of A·B, one after another, from B streamed in slices of `STREAM_ROWS` rows.
fn expected_rows(challenge: &ComputeChallenge, indices: &[u32], meter: Meter<'_>) -> Vec<u32> {
    let n = challenge.n() as usize;
    let a: Vec<u32> = indices
        .iter()
        .flat_map(|&i| challenge.row(Matrix::A, i, meter))
        .collect();
    let mut acc = vec![0u64; a.len()];
    let mut slice = vec![0u32; STREAM_ROWS.min(n) * n];
    for first in (0..n).step_by(STREAM_ROWS) {
        let b_rows = &mut slice[..STREAM_ROWS.min(n - first) * n];
        // `first` is below n, which is at most MAX_N.
        challenge.fill_rows(Matrix::B, first as u32, b_rows, meter);
        accumulate(&a, n, first, b_rows, &mut acc, meter);
    }
    let mut rows = vec![0u32; a.len()];
    finish(&acc, &mut rows);
    rows
}

fn check_row(expected: &[u32], opening: &RowOpening) -> Result<(), ComputeError> {
    // An element at or above p never equals a reduced entry, so it counts as wrong too.
    if expected != opening.row.as_slice() {
        return Err(ComputeError::WrongRow {
            index: opening.index,
        });
    }
    Ok(())
}
