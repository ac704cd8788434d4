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
