//! `plexus sim`: a scenario from a seed tells the same story every time, and a wrong name is
//! refused with the names that exist.

mod support;

use support::plexus;

fn sim(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    plexus()
        .arg("--home")
        .arg(home.path())
        .arg("sim")
        .args(args)
        .output()
        .expect("plexus runs")
}

#[test]
fn a_scenario_run_twice_from_one_seed_prints_the_same_story() {
    let first = sim(&["wrong-compute", "--seed", "5"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let story = String::from_utf8(first.stdout).unwrap();
    assert!(
        story.starts_with("scenario wrong-compute (seed 5)"),
        "{story}"
    );
    assert!(story.contains("cheat (wrong-compute) slashed"), "{story}");
    let again = sim(&["wrong-compute", "--seed", "5"]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), story);
}

#[test]
fn an_unknown_scenario_is_refused_with_the_names_that_exist() {
    let out = sim(&["free-money"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("replica-dropper") && err.contains("poisoner"),
        "{err}"
    );
}
