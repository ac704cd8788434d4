//! The verifier's advantage, shown by counting the work the shipped code paths do.

use super::meter::{WorkCount, WorkMeter};
use super::prover::prove_metered;
use super::verifier::check_openings_metered;
use super::{sample_rows, ComputeChallenge, ComputeClass, COMPUTE_CLASSES, ROWS_OPENED};

/// One number per count: a multiply-add, a derived element or a hashed element is one unit;
/// an inner Merkle node hashes 64 bytes, the size of 16 elements.
fn units(c: &WorkCount) -> u64 {
    c.mul_adds + c.derived + c.hashed + 16 * c.nodes
}

fn prover_count(n: u64) -> WorkCount {
    WorkCount {
        mul_adds: n * n * n,
        derived: 2 * n * n,
        hashed: n * n,
        nodes: n - 1,
    }
}

/// B once, then per opened row: its row of A, its leaf, its path and n² multiply-adds.
fn verifier_count(n: u64, k: u64) -> WorkCount {
    WorkCount {
        mul_adds: k * n * n,
        derived: n * n + k * n,
        hashed: k * n,
        nodes: k * u64::from((n as u32).next_power_of_two().trailing_zeros()),
    }
}

fn counted(n: u32) -> (WorkCount, WorkCount) {
    let secret = [n as u8; 32];
    let challenge = ComputeChallenge::from_secret(&secret, n).expect("n is in range");
    let prover = WorkMeter::default();
    let proof = prove_metered(&challenge, Some(&prover));
    let rows = sample_rows(&challenge, &proof.root(), &secret, ROWS_OPENED).expect("own secret");
    let openings: Vec<_> = rows
        .into_iter()
        .map(|i| proof.open(i).expect("sampled rows are in range"))
        .collect();
    let verifier = WorkMeter::default();
    let verdicts = check_openings_metered(&challenge, &proof.root(), &openings, Some(&verifier));
    assert!(verdicts.iter().all(Result::is_ok), "honest rows check");
    (prover.count(), verifier.count())
}

fn ratio(class: &ComputeClass) -> f64 {
    let n = u64::from(class.n);
    units(&prover_count(n)) as f64 / units(&verifier_count(n, u64::from(ROWS_OPENED))) as f64
}

#[test]
fn the_work_counted_on_the_real_code_paths_matches_the_cost_model() {
    for n in [1u32, 2, 3, 8, 9, 33, 100] {
        let (prover, verifier) = counted(n);
        let k = u64::from(ROWS_OPENED.min(n));
        let mut model = verifier_count(u64::from(n), k);
        // A path is at most ⌈log₂ n⌉ long; it is shorter for leaves promoted past odd levels.
        assert!(verifier.nodes <= model.nodes, "n = {n}");
        model.nodes = verifier.nodes;
        assert_eq!(prover, prover_count(u64::from(n)), "n = {n}");
        assert_eq!(verifier, model, "n = {n}");
    }
}

#[test]
fn checking_the_opened_rows_costs_a_small_fraction_of_proving() {
    let small = &COMPUTE_CLASSES[0];
    let (prover, verifier) = counted(small.n);
    let n = u64::from(small.n);
    assert_eq!(
        prover.mul_adds,
        n / u64::from(ROWS_OPENED) * verifier.mul_adds
    );
    assert!(prover.derived > verifier.derived);
    assert!(prover.hashed > verifier.hashed);
    assert!(prover.nodes > verifier.nodes);
    let counted_ratio = units(&prover) as f64 / units(&verifier) as f64;
    assert!(
        (counted_ratio - ratio(small)).abs() < 1e-9,
        "{counted_ratio}"
    );
    assert!(counted_ratio > 56.0, "{counted_ratio}");
}

#[test]
fn the_documented_cost_ratios_hold_for_every_class() {
    let documented = [
        ("cpu-small", 57.0),
        ("cpu-medium", 113.9),
        ("cpu-large", 227.7),
        ("gpu-a100", 455.2),
    ];
    for (class, (name, ratio_doc)) in COMPUTE_CLASSES.iter().zip(documented) {
        assert_eq!(class.name, name);
        let r = ratio(class);
        assert!((r - ratio_doc).abs() < 0.05, "{name}: {r}");
    }
}
