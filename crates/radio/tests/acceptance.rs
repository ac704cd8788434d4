//! What issue 20 asks of the wireless rules, checked on a simulated city of 40 hotspots (8 of
//! them cheating) and 60 subscribers over a few epochs.

use plexus_radio::evidence::epoch_evidence;
use plexus_radio::score::score_epoch;
use plexus_radio::{run_city, simulate, Behaviour, City, CityConfig, SimReport};
use plexus_rewards::wireless::{Fixed, InvalidReason};

const EPOCHS: u64 = 3;

fn run(seed: u64) -> SimReport {
    simulate(CityConfig::lisbon(40, 8, 60, seed), EPOCHS, |_, _| {}).unwrap()
}

fn of(report: &SimReport, b: Behaviour) -> Vec<&plexus_radio::report::HotspotTotals> {
    report.totals.iter().filter(|t| t.behaviour == b).collect()
}

#[test]
fn every_honest_hotspot_earns_coverage_or_poc_shares_every_epoch() {
    for seed in [1, 2, 3] {
        let report = run(seed);
        for epoch in &report.per_epoch {
            for h in epoch.iter().filter(|h| h.behaviour == Behaviour::Honest) {
                assert!(
                    h.earned(),
                    "seed {seed}: honest hotspot {} earned nothing: {h:?}",
                    h.index
                );
                assert!(!h.poc_forfeited, "seed {seed}: {} forfeited", h.index);
            }
        }
        // Both kinds of evidence pay someone.
        assert!(of(&report, Behaviour::Honest)
            .iter()
            .any(|t| t.coverage_shares.0 > 0));
        assert!(of(&report, Behaviour::Honest)
            .iter()
            .any(|t| t.poc_shares.0 > 0));
    }
}

#[test]
fn the_spoofer_has_no_location_trust_and_its_witnesses_are_invalid_with_a_reason() {
    let report = run(1);
    for epoch in &report.per_epoch {
        let s = epoch
            .iter()
            .find(|h| h.behaviour == Behaviour::Spoofer)
            .unwrap();
        assert_eq!(s.location_trust, Fixed::ZERO);
        assert_eq!(s.witnesses_valid, 0);
        assert!(s.witnesses_invalid.get(&InvalidReason::LocationMismatch) > Some(&0));
        assert_eq!(s.witnesses_invalid.len(), 1, "{:?}", s.witnesses_invalid);
        assert!(!s.earned());
    }
}

#[test]
fn the_ring_earns_at_most_a_tenth_of_what_its_claimed_spread_would_pay_honest_hotspots() {
    let city = City::generate(CityConfig::lisbon(40, 8, 60, 1)).unwrap();
    let ring: Vec<usize> = city
        .hotspots
        .iter()
        .filter(|h| h.behaviour == Behaviour::WitnessRing)
        .map(|h| h.index)
        .collect();
    assert_eq!(ring.len(), 5);
    let honest_there = run_city(city.ring_placed_honestly(), EPOCHS, |_, _| {}).unwrap();
    let cheating = run_city(city, EPOCHS, |_, _| {}).unwrap();
    let earned = |r: &SimReport| -> u128 {
        ring.iter()
            .map(|&i| u128::from(r.totals[i].poc_shares.0 + r.totals[i].coverage_shares.0))
            .sum()
    };
    let (ring_paid, fair) = (earned(&cheating), earned(&honest_there));
    assert!(
        fair > u128::from(Fixed::whole(EPOCHS).0),
        "placed honestly, they earn: {fair}"
    );
    assert!(
        ring_paid * 10 <= fair,
        "the ring earned {ring_paid}, honest spread {fair}"
    );
    for &i in &ring {
        let t = &cheating.totals[i];
        assert_eq!(t.witnesses_valid, 0);
        assert!(t.witnesses_invalid.get(&InvalidReason::SignalTooStrong) > Some(&0));
        assert!(cheating.per_epoch.iter().all(|e| e[i].poc_forfeited));
    }
}

#[test]
fn the_silent_hotspot_earns_nothing() {
    let report = run(1);
    let silent = of(&report, Behaviour::Silent);
    assert_eq!(silent.len(), 1);
    let s = silent[0];
    assert_eq!(
        (s.coverage_shares, s.poc_shares),
        (Fixed::ZERO, Fixed::ZERO)
    );
    assert_eq!(s.location_trust, Fixed::ZERO);
    assert_eq!(s.bytes_carried, 0);
    assert_eq!(
        s.witnesses_valid + s.witnesses_invalid.values().sum::<u64>(),
        0
    );
    assert_eq!(s.epochs_earning, 0);
}

#[test]
fn the_self_dealer_carries_traffic_its_own_owner_pays_for_and_no_one_else_does() {
    let report = run(1);
    for t in &report.totals {
        if t.behaviour == Behaviour::SelfDealer {
            assert!(t.bytes_self_paid > 0);
            assert!(
                t.bytes_self_paid * 2 > t.bytes_carried,
                "mostly its own: {t:?}"
            );
        } else {
            assert_eq!(t.bytes_self_paid, 0, "{t:?}");
        }
    }
    // Honest subscribers use honest hotspots.
    assert!(of(&report, Behaviour::Honest)
        .iter()
        .any(|t| t.bytes_carried > 0));
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let a = run(7);
    assert_eq!(a, run(7));
    assert_eq!(a.table(), run(7).table());
    assert_ne!(a, run(8));
}

#[test]
fn forged_evidence_counts_for_nothing() {
    let mut city = City::generate(CityConfig::lisbon(40, 8, 60, 1)).unwrap();
    let mut evidence = epoch_evidence(&mut city, 0);
    let honest = score_epoch(&city, &evidence).unwrap();
    // Someone relays a hotspot's witness reports with the signal changed, and its location
    // reports moved next to its assertion.
    let victim = evidence.witnesses[0].report.witness;
    for w in evidence
        .witnesses
        .iter_mut()
        .filter(|w| w.report.witness == victim)
    {
        w.report.rssi_cdbm -= 100;
    }
    let radio = evidence.location_reports[0].report.radio;
    for r in evidence
        .location_reports
        .iter_mut()
        .filter(|r| r.report.radio == radio)
    {
        r.report.at_ms += 1;
    }
    let forged = score_epoch(&city, &evidence).unwrap();
    let v = forged.iter().find(|h| h.key == victim).unwrap();
    assert_eq!(v.witnesses_valid, 0);
    assert!(v.witnesses_invalid.get(&InvalidReason::BadSignature) > Some(&0));
    let was = honest.iter().find(|h| h.key == victim).unwrap();
    assert!(was.witnesses_valid > 0);
    let r = forged.iter().find(|h| h.key == radio).unwrap();
    assert_eq!(
        r.location_trust,
        Fixed::ZERO,
        "unsigned fixes give no trust"
    );
    assert!(!r.earned());
}
