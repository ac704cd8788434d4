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

#[tokio::test(flavor = "current_thread")]
async fn a_poisoning_participant_is_not_paid_while_honest_ones_are() {
    let story = scenarios::poisoner(7).await.expect("the scenario runs");
    println!("{story}");
    assert!(story.mentions("sponsor created training task 0"), "{story}");
    for round in 1..=4 {
        assert!(story.mentions(&format!("round {round} closed")), "{story}");
    }
    assert!(story.mentions("Finished"), "{story}");
    for name in ["honest-1", "honest-2", "honest-3", "honest-4"] {
        let line = story
            .lines
            .iter()
            .find(|l| l.contains(&format!("{name} (honest) earned")))
            .unwrap_or_else(|| panic!("no payout line for {name}: {story}"));
        assert!(!line.ends_with("earned 0 PLX"), "{line}");
    }
    assert!(
        story.mentions("sign-flip (poisoner) earned 0 PLX"),
        "{story}"
    );
    assert!(story.mentions("noise (poisoner) earned 0 PLX"), "{story}");
    let again = scenarios::poisoner(7)
        .await
        .expect("the scenario runs again");
    assert_eq!(story, again, "one seed, one story");
}
