//! The task rules' unit tests: specs, signed updates, closing and recomputing rounds.

use super::*;
use crate::simulate::digits_split;

const CHAIN: &str = "plexus-test";

fn spec() -> TaskSpec {
    TaskSpec {
        architecture: Architecture::Mlp { hidden: 16 },
        features: 64,
        classes: 10,
        objective: Objective::Classification,
        scale: 1.0 / 16.0,
        seed: 3,
        rule: Rule::default(),
        optimizer: ServerOptimizer::plain(),
        train: TrainConfig::default(),
        round_timeout_ms: 1_000,
        quorum: 2,
        coordinator_url: "http://127.0.0.1:1".into(),
    }
}

/// Three participants' signed updates for round 1 of task 9, and the round's input.
fn round_one() -> (TaskSpec, Dataset, RoundInput, Vec<SecretKey>) {
    let spec = spec();
    let (parts, validation, _) = digits_split(3);
    let model = spec.model().unwrap();
    let base = model.params().unwrap();
    let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate()).collect();
    let mut updates = Vec::new();
    for (key, part) in keys.iter().zip(&parts) {
        model.set_params(&base).unwrap();
        model.train(part, &spec.train).unwrap();
        let delta = model
            .params()
            .unwrap()
            .iter()
            .zip(&base)
            .map(|(t, g)| t - g)
            .collect();
        updates.push(SignedUpdate::sign(
            key,
            CHAIN,
            9,
            1,
            params_hash(&base),
            delta,
        ));
    }
    let previous = keys
        .iter()
        .map(|k| (Address::from_public_key(&k.public_key()), 0))
        .collect();
    let input = RoundInput {
        chain_id: CHAIN.into(),
        task: 9,
        round: 1,
        base_params: base,
        optimizer: ServerOptimizer::plain(),
        previous,
        updates,
    };
    (spec, validation, input, keys)
}

#[test]
fn a_published_round_recomputes_and_a_tampered_update_does_not() {
    let (spec, validation, input, _) = round_one();
    let model = spec.model().unwrap();
    let (record, params, _) = close_round(&spec, &model, &validation, input).unwrap();
    assert!(record.outcome.loss_after < record.outcome.loss_before);
    assert_eq!(record.model, params_hash(&params));
    assert_eq!(record.chain_scores().len(), 3);
    assert!(record.chain_scores().iter().any(|s| s.score > 0));
    // Through JSON, as published, the record recomputes to the same scores and model.
    let published: RoundRecord =
        serde_json::from_slice(&serde_json::to_vec(&record).unwrap()).unwrap();
    assert_eq!(published, record);
    let (again, again_params) = recompute(&spec, &validation, &published).unwrap();
    assert!(compare(&published, &again).is_empty());
    assert_eq!(again_params, params);

    // One changed parameter breaks that update's signature: the round does not recompute.
    let mut tampered = published.clone();
    tampered.updates[1].delta[5] += 0.5;
    let err = recompute(&spec, &validation, &tampered).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    // Raised scores are found by recomputing.
    let mut inflated = published.clone();
    inflated.smoothed[0].score = inflated.smoothed[0].score * 2 + 1_000_000;
    let (again, _) = recompute(&spec, &validation, &inflated).unwrap();
    assert!(!compare(&inflated, &again).is_empty());
}

#[test]
fn updates_that_do_not_fit_the_round_are_refused() {
    let (spec, validation, input, keys) = round_one();
    let model = spec.model().unwrap();
    let base = params_hash(&input.base_params);
    let good = &input.updates[0];
    let n = model.num_params();
    assert!(check_update(good, CHAIN, 9, 1, &base, n).is_ok());
    assert!(
        check_update(good, CHAIN, 9, 2, &base, n).is_err(),
        "wrong round"
    );
    assert!(
        check_update(good, CHAIN, 8, 1, &base, n).is_err(),
        "wrong task"
    );
    assert!(
        check_update(good, CHAIN, 9, 1, &Hash::of(b"x"), n).is_err(),
        "other model"
    );
    let short = SignedUpdate::sign(&keys[0], CHAIN, 9, 1, base, vec![0.0; n - 1]);
    assert!(check_update(&short, CHAIN, 9, 1, &base, n).is_err());
    let mut nan = good.delta.clone();
    nan[0] = f32::NAN;
    let nan = SignedUpdate::sign(&keys[0], CHAIN, 9, 1, base, nan);
    assert!(check_update(&nan, CHAIN, 9, 1, &base, n).is_err());
    let mut forged = good.clone();
    forged.public_key = keys[1].public_key();
    assert!(
        check_update(&forged, CHAIN, 9, 1, &base, n).is_err(),
        "forged"
    );
    // An outsider's update, or two from one participant, stop the round.
    let mut outsider = input.updates.clone();
    let stranger = SecretKey::generate();
    outsider[0] = SignedUpdate::sign(&stranger, CHAIN, 9, 1, base, good.delta.clone());
    let with = |updates: Vec<SignedUpdate>| RoundInput {
        chain_id: CHAIN.into(),
        updates,
        previous: input.previous.clone(),
        base_params: input.base_params.clone(),
        optimizer: ServerOptimizer::plain(),
        task: 9,
        round: 1,
    };
    assert!(close_round(&spec, &model, &validation, with(outsider)).is_err());
    let twice = vec![good.clone(), good.clone()];
    assert!(close_round(&spec, &model, &validation, with(twice)).is_err());
}

#[test]
fn an_update_signed_for_another_chain_is_refused() {
    let (spec, validation, input, keys) = round_one();
    let model = spec.model().unwrap();
    let base = params_hash(&input.base_params);
    let n = model.num_params();
    let delta = input.updates[0].delta.clone();
    // The same participant, task number, round and model, signed on another chain.
    let replayed = SignedUpdate::sign(&keys[0], "plexus-other", 9, 1, base, delta.clone());
    let err = check_update(&replayed, CHAIN, 9, 1, &base, n).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    assert!(check_update(&replayed, "plexus-other", 9, 1, &base, n).is_ok());
    // A round holding it does not close, and a record claiming it does not recompute.
    let mut updates = input.updates.clone();
    updates[0] = replayed;
    let replay_round = RoundInput {
        chain_id: CHAIN.into(),
        task: 9,
        round: 1,
        base_params: input.base_params.clone(),
        optimizer: ServerOptimizer::plain(),
        previous: input.previous.clone(),
        updates,
    };
    assert!(close_round(&spec, &model, &validation, replay_round).is_err());
    let (record, _, _) = close_round(&spec, &model, &validation, input).unwrap();
    let mut moved = record.clone();
    moved.chain_id = "plexus-other".into();
    assert!(recompute(&spec, &validation, &moved).is_err());
}

#[test]
fn smoothing_is_exact_and_a_missing_participant_decays() {
    let (spec, validation, mut input, _) = round_one();
    let model = spec.model().unwrap();
    let absent = input.updates.pop().unwrap().participant();
    input.previous.insert(absent, 1_000);
    let (record, _, _) = close_round(&spec, &model, &validation, input).unwrap();
    assert_eq!(record.missing, vec![absent]);
    let entry = record.smoothed.iter().find(|s| s.participant == absent);
    assert_eq!(entry.map(|s| s.score), Some(500));
    assert!(record
        .chain_scores()
        .iter()
        .all(|s| s.participant != absent));
}

#[test]
fn specs_are_checked() {
    assert!(TaskSpec::parse(&serde_json::to_string(&spec()).unwrap()).is_ok());
    for bad in [
        r#"{"features": 0}"#,
        r#"{"quorum": 0}"#,
        r#"{"coordinator_url": "ftp://x"}"#,
        r#"{"round_timeout_ms": 5}"#,
        r#"{"unknown_field": 1}"#,
    ] {
        let mut v = serde_json::to_value(spec()).unwrap();
        let patch: serde_json::Value = serde_json::from_str(bad).unwrap();
        for (k, x) in patch.as_object().unwrap() {
            v[k] = x.clone();
        }
        assert!(TaskSpec::parse(&v.to_string()).is_err(), "{bad} accepted");
    }
}

#[test]
fn npy_and_csv_files_load_alike() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [[1.0f32, 2.0, 3.0], [4.0, 5.0, 1.0]];
    let t = candle_core::Tensor::new(&rows, &candle_core::Device::Cpu).unwrap();
    let npy = dir.path().join("d.npy");
    t.write_npy(&npy).unwrap();
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, "1,2,3\n4,5,1\n").unwrap();
    let spec = TaskSpec {
        features: 2,
        classes: 4,
        scale: 0.5,
        ..spec()
    };
    let a = spec.load_data(&npy).unwrap();
    let b = spec.load_data(&csv).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.features, vec![0.5, 1.0, 2.0, 2.5]);
    assert_eq!(a.labels, vec![3, 1]);
    let wide = TaskSpec {
        features: 5,
        ..spec.clone()
    };
    assert!(wide.load_data(&csv).is_err());
    std::fs::write(&csv, "1,2,9\n").unwrap();
    assert!(spec.load_data(&csv).is_err(), "label out of range");
}

#[test]
fn a_spec_written_before_regression_reads_and_writes_as_it_did() {
    // A classification spec is written without the field, as every spec before it was, and
    // such a spec reads back as classification.
    let old = serde_json::to_string(&spec()).unwrap();
    assert!(!old.contains("objective"), "{old}");
    let spec = TaskSpec::parse(&old).unwrap();
    assert_eq!(spec.objective, Objective::Classification);
    assert_eq!(serde_json::to_string(&spec).unwrap(), old);
    assert_eq!(spec.model().unwrap().objective, Objective::Classification);
}

#[test]
fn a_regression_spec_has_one_output_and_reads_real_targets() {
    let regression = TaskSpec {
        features: 2,
        classes: 1,
        objective: Objective::Regression,
        scale: 1.0,
        ..spec()
    };
    let json = serde_json::to_string(&regression).unwrap();
    assert!(json.contains(r#""objective":"regression""#), "{json}");
    assert_eq!(TaskSpec::parse(&json).unwrap(), regression);
    let model = regression.model().unwrap();
    assert_eq!((model.objective, model.classes), (Objective::Regression, 1));
    let data = regression.parse_csv("1,2,0.25\n3,4,-2\n").unwrap();
    assert_eq!(data.targets, vec![0.25, -2.0]);
    let two_outputs = TaskSpec {
        classes: 2,
        ..regression.clone()
    };
    assert!(two_outputs.check().is_err());
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("d.npy");
    assert!(
        regression.load_data(&npy).is_err(),
        "regression reads CSV only"
    );
}
