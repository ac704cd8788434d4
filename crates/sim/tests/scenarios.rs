//! The economic scenarios, each run twice from one seed: what the network does to each cheat,
//! and that the same seed tells the same story.

use plexus_sim::scenarios;

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_compute_device_is_slashed_and_the_honest_one_is_paid() {
    let story = scenarios::wrong_compute(11)
        .await
        .expect("the scenario runs");
    println!("{story}");
    assert!(story.mentions("cheat (wrong-compute) slashed"), "{story}");
    assert!(story.mentions("honest owner claimed rewards"), "{story}");
    assert!(story.mentions("honest device: active"), "{story}");
    let again = scenarios::wrong_compute(11)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}

/// The held-out test accuracy before and after training, as the story tells them.
fn accuracy_before_and_after(story: &plexus_sim::Story) -> (f64, f64) {
    let line = story
        .lines
        .iter()
        .find_map(|l| {
            l.split_once("held-out test accuracy: ")
                .map(|(_, rest)| rest)
        })
        .unwrap_or_else(|| panic!("no accuracy line: {story}"));
    let percents: Vec<f64> = line
        .split('%')
        .filter_map(|part| part.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(percents.len(), 2, "{line}");
    (percents[0], percents[1])
}

#[tokio::test(flavor = "current_thread")]
async fn a_poisoning_participant_is_not_paid_while_honest_ones_are() {
    let story = scenarios::poisoner(7).await.expect("the scenario runs");
    println!("{story}");
    assert!(story.mentions("sponsor created training task 0"), "{story}");
    assert!(story.mentions("6 learners joined"), "{story}");
    for round in 1..=4 {
        assert!(
            story.mentions(&format!("round {round} closed: validation accuracy")),
            "{story}"
        );
    }
    assert!(story.mentions("task 0 finished at height"), "{story}");
    for name in ["honest-1", "honest-2", "honest-3", "honest-4"] {
        let line = story
            .lines
            .iter()
            .find(|l| l.contains(&format!("{name} (honest) earned")))
            .unwrap_or_else(|| panic!("no payout line for {name}: {story}"));
        assert!(!line.contains("earned 0 PLX"), "{line}");
        assert!(line.contains("its account +"), "{line}");
        assert!(!line.contains("forfeit"), "{line}");
    }
    assert!(
        story.mentions("sign-flip (poisoner) earned 0 PLX"),
        "{story}"
    );
    assert!(
        story.mentions("and its forfeit join bond of 1 PLX"),
        "a poisoner that took a slot and earned nothing loses its bond: {story}"
    );
    let share = story
        .lines
        .iter()
        .find_map(|l| l.split_once("poisoners earned at most ")?.1.split_once('%'))
        .and_then(|(percent, _)| percent.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no poisoners' share: {story}"));
    assert!(
        share < 10.0,
        "a poisoner earned {share}% of the honest mean: {story}"
    );
    assert!(story.mentions("budget 1000 PLX = paid"), "{story}");
    let (before, after) = accuracy_before_and_after(&story);
    assert!(after > before + 10.0, "the model did not improve: {story}");
    let again = scenarios::poisoner(7)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_results_provider_is_caught_and_barred_while_honest_ones_are_paid() {
    let story = scenarios::wrong_results(7)
        .await
        .expect("the scenario runs");
    println!("{story}");
    assert!(story.mentions("order 0: cheat won"), "{story}");
    assert!(story.mentions("order 1: honest-1 won"), "{story}");
    assert!(
        story.mentions("of cheat wrong: bond of 1 PLX slashed"),
        "{story}"
    );
    assert!(story.mentions("cheat barred from bidding"), "{story}");
    assert!(
        story.mentions("order 0 took bids from cheat, honest-1, honest-2"),
        "{story}"
    );
    for later in ["order 1", "order 2"] {
        assert!(
            story.mentions(&format!("{later} took bids from honest-1, honest-2")),
            "a barred provider bids no more: {story}"
        );
    }
    assert!(!story.mentions("failed"), "{story}");
    assert!(
        !story.mentions("differs from a local re-execution"),
        "{story}"
    );
    let matched = story
        .lines
        .iter()
        .filter(|l| l.contains("matches a local re-execution"))
        .count();
    assert_eq!(
        matched, 3,
        "every order delivered a checked output: {story}"
    );
    for honest in ["honest-1", "honest-2"] {
        let paid = story
            .lines
            .iter()
            .find(|l| l.contains(&format!("{honest}: ")))
            .unwrap_or_else(|| panic!("no payment line for {honest}: {story}"));
        assert!(paid.contains("0 shown wrong"), "{story}");
        assert!(
            !paid.contains("withdrew 0 PLX"),
            "{honest} was paid: {story}"
        );
    }
    let cheat = story
        .lines
        .iter()
        .find(|l| l.contains("cheat: "))
        .expect("a payment line for the cheat");
    assert!(
        cheat.contains("1 shown wrong") && cheat.contains("withdrew 0 PLX"),
        "{story}"
    );
    assert!(story.mentions("market escrow balanced: true"), "{story}");
    let again = scenarios::wrong_results(7)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}

#[tokio::test(flavor = "current_thread")]
async fn a_replica_dropper_is_replaced_and_the_honest_keepers_are_paid() {
    let story = scenarios::replica_dropper(7)
        .await
        .expect("the scenario runs");
    println!("{story}");
    let line = |start: &str| -> &str {
        let found = story.lines.iter().find_map(|l| l.split_once(start));
        found
            .unwrap_or_else(|| panic!("no line has {start:?}:\n{story}"))
            .1
    };
    assert!(line("assigned: ").contains("dropper"), "{story}");
    assert!(
        story.mentions("dropper failed the oracle's audit"),
        "{story}"
    );
    let replacement = story
        .lines
        .iter()
        .find(|l| l.contains("takes the freed replica"))
        .expect("a spare takes the dropper's place");
    assert!(replacement.contains("honest-"), "{story}");
    assert!(
        story.mentions("keeps a verified copy of the blob"),
        "{story}"
    );
    assert!(!line("deal 0 providers: ").contains("dropper"), "{story}");
    assert_eq!(line("blob kept by: "), "honest-1, honest-2, honest-3");
    for paid in line("paid: ").split(", ") {
        let (who, amount) = paid.split_once(' ').expect("a name and an amount");
        let whole: f64 = amount.trim_end_matches(" PLX").parse().expect("an amount");
        if who == "dropper" {
            assert_eq!(whole, 0.0, "{story}");
        } else {
            assert!(whole > 0.0, "{who} was not paid: {story}");
        }
    }
    assert!(story.mentions("storage escrow balanced"), "{story}");
    let again = scenarios::replica_dropper(7)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}

#[tokio::test(flavor = "current_thread")]
async fn jobs_that_sleep_forever_or_ask_for_endless_randomness_end_within_seconds() {
    let started = std::time::Instant::now();
    let story = scenarios::hostile_jobs(5).await.expect("the scenario runs");
    println!("{story}");
    let returned = |what: &str, text: &str| {
        story.lines.iter().any(|l| {
            l.contains(&format!("({what}): ")) && l.ends_with(&format!("{text}, as a local run"))
        })
    };
    assert!(returned("sleeps forever", "awake"), "{story}");
    assert!(
        returned(
            "asks for random bytes without end",
            "{\"status\":\"out_of_fuel\"}"
        ),
        "{story}"
    );
    let demo =
        plexus_runtime::fixtures::demo_native(plexus_runtime::fixtures::DEMO_STDIN.as_bytes());
    let demo = String::from_utf8_lossy(&demo);
    assert!(returned("the demo workload", demo.trim_end()), "{story}");
    assert!(!story.mentions("failed"), "{story}");
    assert!(!story.mentions("does not give"), "{story}");
    // Twice each job on two providers, and two runs of the scenario: seconds, not forever.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let again = scenarios::hostile_jobs(5)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}

#[tokio::test(flavor = "current_thread")]
async fn a_provider_submits_an_honest_result_while_a_long_job_still_runs() {
    let story = scenarios::serving_while_a_job_spins(3)
        .await
        .expect("the scenario runs");
    println!("{story}");
    assert!(story.mentions("honest-1 runs 2 jobs at once"), "{story}");
    let demo =
        plexus_runtime::fixtures::demo_native(plexus_runtime::fixtures::DEMO_STDIN.as_bytes());
    let demo = String::from_utf8_lossy(&demo);
    let line = |what: &str| {
        story
            .lines
            .iter()
            .position(|l| l.contains(&format!("({what}) has a sealed result")))
            .unwrap_or_else(|| panic!("no result for {what}: {story}"))
    };
    let (honest, spinner) = (line("the demo workload"), line("loops for seconds"));
    assert!(honest < spinner, "{story}");
    assert!(
        story.lines[honest].ends_with("while 1 other job runs"),
        "{story}"
    );
    assert!(
        story.lines[spinner].ends_with("while 0 other job runs"),
        "{story}"
    );
    let revealed = |what: &str, text: &str| {
        story
            .lines
            .iter()
            .any(|l| l.contains(&format!("({what}) revealed ")) && l.ends_with(text))
    };
    assert!(revealed("the demo workload", demo.trim_end()), "{story}");
    assert!(
        revealed("loops for seconds", "{\"status\":\"out_of_fuel\"}"),
        "{story}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_provider_runs_no_more_jobs_at_once_than_its_declared_cores_hold() {
    let story = scenarios::jobs_beyond_the_capacity_wait(3)
        .await
        .expect("the scenario runs");
    println!("{story}");
    assert!(
        story.mentions("both orders are leased to honest-1"),
        "{story}"
    );
    assert!(
        story.mentions("honest-1 submitted 2 results, running at most 1 job at once"),
        "{story}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_agent_that_stops_between_seal_and_reveal_still_reveals_and_is_paid() {
    let story = scenarios::reveal_after_a_restart(7)
        .await
        .expect("the scenario runs");
    println!("{story}");
    assert!(
        story.mentions("its agent stops before the chain asks"),
        "{story}"
    );
    assert!(story.mentions("honest-1's agent starts again"), "{story}");
    let demo =
        plexus_runtime::fixtures::demo_native(plexus_runtime::fixtures::DEMO_STDIN.as_bytes());
    let demo = String::from_utf8_lossy(&demo);
    let ended = story
        .lines
        .iter()
        .find(|l| l.contains("ended; lease"))
        .unwrap_or_else(|| panic!("the order never ended: {story}"));
    assert!(
        ended.contains(&format!("revealed {} (Unchecked)", demo.trim_end())),
        "{story}"
    );
    assert!(!ended.ends_with("released 0 PLX to honest-1"), "{story}");
    let again = scenarios::reveal_after_a_restart(7)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}
