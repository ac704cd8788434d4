//! A devnet with every adversary at once (`--cheaters all`) for two minutes, as a user would
//! run it: each adversary reports what it tried, the defences against all but the late
//! submitter hold outright (its wrong results are sampled like anyone's: the report says how
//! many were caught and how many slipped through before), no honest provider is slashed,
//! shown wrong or left unpaid, and the honest consumer still has at least 20 jobs completed,
//! each checked against a local re-execution, with its escrow balanced to the unit.
mod support;

use support::*;

#[test]
fn a_devnet_with_every_adversary_still_serves_and_pays_the_honest() {
    let devnet = Devnet::fresh();
    let s = devnet.run_json("120s", &["--cheaters", "all"]);
    let reports = s["adversaries"]
        .as_array()
        .expect("adversaries in the summary");
    let report = |kind: &str| {
        reports
            .iter()
            .find(|r| r["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} report: {reports:?}"))
    };
    for kind in [
        "sybil-checkers",
        "sleeper-jobs",
        "blob-spammer",
        "replica-sharer",
        "challenge-griefer",
        "link-sharer",
    ] {
        let r = report(kind);
        assert_eq!(r["held"], true, "{kind}: {r}");
        assert!(!r["outcome"].as_array().unwrap().is_empty(), "{r}");
    }
    let late = report("late-submitter");
    assert!(
        late["tried"].as_str().unwrap().contains("predicts"),
        "{late}"
    );

    let honest = &s["honest"];
    assert_eq!(honest["unharmed"], true, "{honest}");
    assert!(honest["honest_devices"].as_u64().unwrap() >= 9, "{honest}");
    assert_eq!(honest["results_rejected"], 0, "{honest}");

    let jobs = &s["jobs"];
    assert!(jobs["completed"].as_u64().unwrap() >= 20, "{jobs}");
    assert_eq!(jobs["accounting_balanced"], true, "{jobs}");
    assert_eq!(s["accounting_balanced"], true);
}
