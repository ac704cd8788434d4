//! The compute proof as the oracle, a cheating device and the ledger see it.

use plexus_proofs::compute::{
    check_opening, check_openings, class_by_name, freivalds, is_fraud, prove, row_leaf,
    sample_rows, ComputeChallenge, ComputeError, ComputeProof, RowOpening, COMPUTE_CLASSES,
    DEADLINE_SLACK, MAX_N, P, ROWS_OPENED,
};
use plexus_types::Hash;
use proptest::prelude::*;

const SECRET: [u8; 32] = [42; 32];

fn challenge(n: u32) -> ComputeChallenge {
    ComputeChallenge::from_secret(&SECRET, n).expect("n is in range")
}

/// C by the schoolbook triple loop, from the public derivations of A and B.
fn naive_product(challenge: &ComputeChallenge) -> Vec<u32> {
    let n = challenge.n() as usize;
    let b = challenge.b_matrix();
    let mut c = vec![0u32; n * n];
    for i in 0..n {
        let a = challenge.a_row(i as u32).expect("row in range");
        for j in 0..n {
            let mut s = 0u128;
            for k in 0..n {
                s += u128::from(a[k]) * u128::from(b[k * n + j]);
            }
            c[i * n + j] = (s % u128::from(P)) as u32;
        }
    }
    c
}

/// A device that skipped the work for row `row`.
fn corrupted(challenge: &ComputeChallenge, row: u32) -> ComputeProof {
    let n = challenge.n() as usize;
    let mut c = prove(challenge).product().to_vec();
    let at = row as usize * n + n / 2;
    c[at] = (c[at] + 1) % P;
    ComputeProof::commit(challenge, c).expect("n·n elements")
}

#[test]
fn an_honest_proofs_sampled_openings_all_check() {
    let ch = challenge(48);
    let proof = prove(&ch);
    let rows = sample_rows(&ch, &proof.root(), &SECRET, ROWS_OPENED).expect("matching secret");
    assert_eq!(rows.len(), ROWS_OPENED as usize);
    for &i in &rows {
        let opening = proof.open(i).expect("in range");
        assert_eq!(check_opening(&ch, &proof.root(), &opening), Ok(()));
        assert!(!is_fraud(&ch, &proof.root(), &opening));
    }
    let openings: Vec<RowOpening> = rows.iter().map(|&i| proof.open(i).unwrap()).collect();
    assert!(check_openings(&ch, &proof.root(), &openings)
        .iter()
        .all(Result::is_ok));
}

#[test]
fn the_same_challenge_always_gives_the_same_root() {
    let ch = challenge(37);
    assert_eq!(prove(&ch).root(), prove(&ch).root());
    assert_ne!(prove(&ch).root(), prove(&challenge(36)).root());
}

#[test]
fn a_prover_that_corrupts_one_row_is_caught_when_that_row_is_opened() {
    let ch = challenge(40);
    let cheat = corrupted(&ch, 17);
    let root = cheat.root();

    let bad = cheat.open(17).expect("in range");
    assert_eq!(
        check_opening(&ch, &root, &bad),
        Err(ComputeError::WrongRow { index: 17 })
    );
    assert!(is_fraud(&ch, &root, &bad), "its own opening convicts it");

    // Every other row of the same commitment still checks: only the skipped work shows.
    for i in (0..40).filter(|&i| i != 17) {
        let good = cheat.open(i).expect("in range");
        assert_eq!(check_opening(&ch, &root, &good), Ok(()), "row {i}");
        assert!(!is_fraud(&ch, &root, &good));
    }
}

#[test]
fn an_opening_with_a_forged_merkle_path_is_not_in_the_commitment_and_not_a_fraud() {
    let ch = challenge(33);
    let honest = prove(&ch);
    let root = honest.root();

    // A wrong row passed off with the honest row's path: anyone could make this up.
    let mut framed = honest.open(5).expect("in range");
    framed.row[0] = (framed.row[0] + 1) % P;
    assert_eq!(
        check_opening(&ch, &root, &framed),
        Err(ComputeError::NotInCommitment { index: 5 })
    );
    assert!(!is_fraud(&ch, &root, &framed));

    // A tampered sibling.
    let mut forged = honest.open(6).expect("in range");
    forged.proof.siblings[0] = Hash::of(b"forged");
    assert_eq!(
        check_opening(&ch, &root, &forged),
        Err(ComputeError::NotInCommitment { index: 6 })
    );

    // A real path presented for another position, or for a tree of another shape.
    let mut moved = honest.open(7).expect("in range");
    moved.index = 8;
    assert_eq!(
        check_opening(&ch, &root, &moved),
        Err(ComputeError::NotInCommitment { index: 8 })
    );
    let mut reshaped = honest.open(7).expect("in range");
    reshaped.proof.leaf_count += 1;
    assert_eq!(
        check_opening(&ch, &root, &reshaped),
        Err(ComputeError::NotInCommitment { index: 7 })
    );

    // A wrong row from a cheater's commitment, checked against an honest root.
    let cheat = corrupted(&ch, 9).open(9).expect("in range");
    assert!(!is_fraud(&ch, &root, &cheat));
}

#[test]
fn malformed_openings_are_refused_and_are_never_fraud() {
    let ch = challenge(20);
    let proof = prove(&ch);
    let root = proof.root();

    let mut short = proof.open(3).expect("in range");
    short.row.pop();
    assert_eq!(
        check_opening(&ch, &root, &short),
        Err(ComputeError::RowLength {
            expected: 20,
            got: 19
        })
    );
    assert!(!is_fraud(&ch, &root, &short));

    let mut outside = proof.open(3).expect("in range");
    outside.index = 20;
    assert_eq!(
        check_opening(&ch, &root, &outside),
        Err(ComputeError::RowOutOfRange { index: 20, n: 20 })
    );
    assert_eq!(
        proof.open(20).map(|_| ()),
        Err(ComputeError::RowOutOfRange { index: 20, n: 20 })
    );
    assert_eq!(
        ch.a_row(20).map(|_| ()),
        Err(ComputeError::RowOutOfRange { index: 20, n: 20 })
    );
}

#[test]
fn a_committed_row_with_an_unreduced_element_is_a_fraud() {
    let ch = challenge(16);
    let mut c = prove(&ch).product().to_vec();
    // Congruent to the right entry, but not the entry.
    c[2 * 16] += P;
    let cheat = ComputeProof::commit(&ch, c).expect("n·n elements");
    let opening = cheat.open(2).expect("in range");
    assert!(is_fraud(&ch, &cheat.root(), &opening));
}

#[test]
fn checking_several_openings_gives_one_verdict_each_in_order() {
    let ch = challenge(24);
    let cheat = corrupted(&ch, 4);
    let root = cheat.root();
    let mut forged = cheat.open(6).expect("in range");
    forged.row[1] = (forged.row[1] + 1) % P;
    let openings = vec![
        cheat.open(3).expect("in range"),
        cheat.open(4).expect("in range"),
        forged,
        cheat.open(5).expect("in range"),
    ];
    assert_eq!(
        check_openings(&ch, &root, &openings),
        vec![
            Ok(()),
            Err(ComputeError::WrongRow { index: 4 }),
            Err(ComputeError::NotInCommitment { index: 6 }),
            Ok(()),
        ]
    );
    // More openings than one pass over B takes.
    let all: Vec<RowOpening> = (0..24).map(|i| cheat.open(i).unwrap()).collect();
    let verdicts = check_openings(&ch, &root, &all);
    for (i, verdict) in verdicts.iter().enumerate() {
        assert_eq!(verdict.is_ok(), i != 4, "row {i}");
    }
}

#[test]
fn sampled_rows_are_deterministic_distinct_in_range_and_follow_the_root() {
    let ch = challenge(100);
    let root = prove(&ch).root();
    let rows = sample_rows(&ch, &root, &SECRET, ROWS_OPENED).expect("matching secret");
    assert_eq!(
        rows,
        sample_rows(&ch, &root, &SECRET, ROWS_OPENED).expect("matching secret")
    );
    assert_eq!(rows.len(), ROWS_OPENED as usize);
    assert!(rows.iter().all(|&i| i < 100));
    let mut distinct = rows.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), rows.len());

    let other_root = corrupted(&ch, 0).root();
    assert_ne!(
        rows,
        sample_rows(&ch, &other_root, &SECRET, ROWS_OPENED).expect("matching secret")
    );

    // Asking for more rows extends the same draw; asking for more than n gives every row.
    let more = sample_rows(&ch, &root, &SECRET, 2 * ROWS_OPENED).expect("matching secret");
    assert_eq!(&more[..rows.len()], &rows[..]);
    let mut every = sample_rows(&ch, &root, &SECRET, 1000).expect("matching secret");
    every.sort_unstable();
    assert_eq!(every, (0..100).collect::<Vec<u32>>());
}

#[test]
fn rows_cannot_be_sampled_without_the_secret_behind_the_seed() {
    let ch = challenge(30);
    let root = prove(&ch).root();
    assert_eq!(
        sample_rows(&ch, &root, &[0; 32], ROWS_OPENED),
        Err(ComputeError::SecretMismatch)
    );
    let unseeded = ComputeChallenge::new(SECRET, 30).expect("n is in range");
    assert_eq!(
        sample_rows(&unseeded, &root, &SECRET, ROWS_OPENED),
        Err(ComputeError::SecretMismatch)
    );
}

#[test]
fn freivalds_accepts_the_honest_product_and_rejects_one_wrong_element() {
    let ch = challenge(45);
    let c = prove(&ch).product().to_vec();
    assert!(freivalds(&ch, &c, 2, [1; 32]));
    assert!(freivalds(&ch, &c, 11, [2; 32]), "rounds beyond one pass");

    let mut wrong = c.clone();
    wrong[45 * 30 + 12] = (wrong[45 * 30 + 12] + 1) % P;
    for seed in 0..16u8 {
        assert!(!freivalds(&ch, &wrong, 2, [seed; 32]), "seed {seed}");
    }

    let mut unreduced = c.clone();
    unreduced[7] += P;
    assert!(!freivalds(&ch, &unreduced, 2, [1; 32]));
    assert!(!freivalds(&ch, &c[1..], 2, [1; 32]));
    assert!(
        !freivalds(&ch, &c, 0, [1; 32]),
        "zero rounds accept nothing"
    );
}

#[test]
fn challenge_dimensions_outside_one_to_max_n_are_refused() {
    let too_big = MAX_N + 1;
    assert_eq!(
        ComputeChallenge::new([0; 32], 0),
        Err(ComputeError::Dimension { n: 0, max: MAX_N })
    );
    assert_eq!(
        ComputeChallenge::new([0; 32], too_big),
        Err(ComputeError::Dimension {
            n: too_big,
            max: MAX_N
        })
    );
    assert!(ComputeChallenge::new([0; 32], 1).is_ok());
    assert!(ComputeChallenge::new([0; 32], MAX_N).is_ok());

    let seed = Hash([3; 32]).to_hex();
    for n in [0, too_big] {
        let json = format!(r#"{{"seed":"{seed}","n":{n}}}"#);
        assert!(
            serde_json::from_str::<ComputeChallenge>(&json).is_err(),
            "n = {n}"
        );
    }
}

#[test]
fn challenges_and_openings_survive_serialization() {
    let ch = challenge(12);
    let json = serde_json::to_string(&ch).expect("serializes");
    assert!(
        json.contains(&Hash(*ch.seed()).to_hex()),
        "seed is hex: {json}"
    );
    let back: ComputeChallenge = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, ch);
    assert_eq!(back.id(), ch.id());

    let proof = prove(&ch);
    let opening = proof.open(11).expect("in range");
    let back: RowOpening =
        serde_json::from_str(&serde_json::to_string(&opening).expect("serializes"))
            .expect("round trip");
    assert_eq!(back, opening);
    assert_eq!(check_opening(&ch, &proof.root(), &back), Ok(()));
}

#[test]
fn an_opening_with_a_row_longer_than_max_n_does_not_decode() {
    let ch = challenge(4);
    let mut json: serde_json::Value =
        serde_json::to_value(prove(&ch).open(0).expect("in range")).expect("serializes");
    json["row"] = serde_json::Value::from(vec![0u32; MAX_N as usize + 1]);
    let err = serde_json::from_value::<RowOpening>(json).expect_err("too long");
    assert!(err.to_string().contains("at most"), "{err}");
}

#[test]
fn the_two_factors_and_the_challenge_id_are_separated() {
    let ch = challenge(8);
    assert_ne!(ch.a_row(0).expect("in range"), ch.b_matrix()[..8].to_vec());
    assert_ne!(ch.id(), challenge(9).id());
    assert_ne!(
        ch.id(),
        ComputeChallenge::new([1; 32], 8).expect("in range").id()
    );
    assert!(ch.b_matrix().iter().all(|&x| x < P));
    assert_ne!(row_leaf(0, &[1, 2]), row_leaf(1, &[1, 2]));
}

#[test]
fn every_class_is_found_by_name_and_fits_the_bounds() {
    for class in &COMPUTE_CLASSES {
        assert_eq!(class_by_name(class.name), Some(class));
        assert!(
            ComputeChallenge::new([0; 32], class.n).is_ok(),
            "{}",
            class.name
        );
    }
    assert!(class_by_name("cpu-tiny").is_none());
    assert!(class_by_name("cpu-small").is_some());
    assert!(class_by_name("gpu-a100").is_some());
}

/// A class's reference device proves its own challenge in `deadline / DEADLINE_SLACK`; at
/// the same throughput the next class's challenge takes it (n_next / n)³ times as long, which
/// must be past the next class's deadline.
#[test]
fn a_device_of_a_smaller_class_cannot_meet_a_larger_classs_deadline() {
    let work = |n: u32| u128::from(n).pow(3);
    for pair in COMPUTE_CLASSES.windows(2) {
        let (small, large) = (&pair[0], &pair[1]);
        // deadline_small / slack · work(large) / work(small) > deadline_large, multiplied out.
        let needed = u128::from(small.deadline_ms) * work(large.n);
        let allowed = u128::from(large.deadline_ms) * u128::from(DEADLINE_SLACK) * work(small.n);
        assert!(needed > allowed, "{} reaches {}", small.name, large.name);
    }
}

#[test]
fn capacity_units_follow_the_throughput_each_deadline_demands() {
    let rate = |n: u32, ms: u64| u128::from(n).pow(3) * 1000 / u128::from(ms);
    let base = &COMPUTE_CLASSES[0];
    for class in &COMPUTE_CLASSES {
        let expected = rate(class.n, class.deadline_ms) / rate(base.n, base.deadline_ms);
        assert_eq!(u128::from(class.capacity_units), expected, "{}", class.name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn check_opening_agrees_with_the_schoolbook_product(
        n in 1u32..32,
        seed in any::<[u8; 32]>(),
        tamper in prop::collection::vec((any::<u16>(), 1u32..P), 0..4),
    ) {
        let ch = ComputeChallenge::new(seed, n).expect("n is in range");
        let truth = naive_product(&ch);
        let honest = prove(&ch);
        prop_assert_eq!(honest.product(), &truth[..]);

        let mut claimed = truth.clone();
        for (at, delta) in tamper {
            let at = usize::from(at) % claimed.len();
            claimed[at] = (claimed[at] + delta) % P;
        }
        let proof = ComputeProof::commit(&ch, claimed.clone()).expect("n·n elements");
        let width = n as usize;
        for i in 0..n {
            let opening = proof.open(i).expect("in range");
            let row = i as usize * width..(i as usize + 1) * width;
            let right = claimed[row.clone()] == truth[row];
            prop_assert_eq!(check_opening(&ch, &proof.root(), &opening).is_ok(), right);
            prop_assert_eq!(is_fraud(&ch, &proof.root(), &opening), !right);
        }
    }
}
