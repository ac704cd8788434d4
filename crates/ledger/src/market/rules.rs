//! The market's pure rules: whether a device can run an order, whether a result is sampled
//! for re-execution, who checks it, and which bids win.

use crate::beacon::Beacon;
use plexus_types::{Address, Amount, Capabilities};

/// Whether hardware declared by a device covers what an order asks for; the GPU model by
/// [`Capabilities::gpu_model_names`], in ASCII only.
pub fn covers(have: &Capabilities, need: &Capabilities) -> bool {
    let gpu_ok = need.gpu_count == 0
        || (have.gpu_count >= need.gpu_count
            && have.gpu_vram_mb >= need.gpu_vram_mb
            && have.gpu_model_names(&need.gpu_model));
    have.cpu_cores >= need.cpu_cores && have.memory_mb >= need.memory_mb && gpu_ok
}

/// Sample rule: whether a result of lease `lease` is re-executed, drawn from the beacon of a
/// block after the result's: a draw in `0..1000` under `sample_per_mille`.
pub fn sampled(beacon: &Beacon, lease: u64, sample_per_mille: u32) -> bool {
    beacon
        .draw_below("market/sample", lease, 1000)
        .is_some_and(|draw| draw < sample_per_mille as u128)
}

/// Checker rule: one of `pool` (bid id, weight), drawn from `beacon` for what `domain` and
/// `subject` name, each with probability weight / total weight. Weighing by bond means that
/// splitting one bond over many addresses buys no more chances than bonding it once. `None`
/// for an empty pool (or one whose weights are all zero).
pub fn draw_checker(
    beacon: &Beacon,
    domain: &str,
    subject: u64,
    pool: &[(u64, Amount)],
) -> Option<u64> {
    let total = pool
        .iter()
        .try_fold(0u128, |sum, (_, w)| sum.checked_add(w.0))?;
    let mut point = beacon.draw_below(domain, subject, total)?;
    for (bid, weight) in pool {
        if point < weight.0 {
            return Some(*bid);
        }
        point -= weight.0;
    }
    None
}

/// Match rule: of `bids` (id, provider, price), those at or under `cap`, each provider with its
/// cheapest bid only, the cheapest `wanted` win, ties to the lower bid id. Returned in that
/// order, possibly fewer than `wanted`.
pub fn winners(bids: &[(u64, Address, Amount)], cap: Amount, wanted: usize) -> Vec<u64> {
    let mut eligible: Vec<&(u64, Address, Amount)> = bids.iter().filter(|b| b.2 <= cap).collect();
    eligible.sort_by_key(|b| (b.2, b.0));
    let mut chosen: Vec<&(u64, Address, Amount)> = Vec::new();
    for bid in eligible {
        if chosen.len() == wanted {
            break;
        }
        if chosen.iter().any(|c| c.1 == bid.1) {
            continue;
        }
        chosen.push(bid);
    }
    chosen.into_iter().map(|b| b.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(id: u64, provider: u8, uplx: u128) -> (u64, Address, Amount) {
        (
            id,
            Address([provider; plexus_types::address::ADDRESS_LEN]),
            Amount(uplx),
        )
    }

    #[test]
    fn the_cheapest_distinct_providers_win_and_ties_go_to_the_earlier_bid() {
        let bids = [
            bid(0, 1, 50),
            bid(1, 2, 30),
            bid(2, 2, 20), // provider 2's cheaper bid counts
            bid(3, 3, 30),
            bid(4, 4, 30),
            bid(5, 5, 500), // above the cap
        ];
        assert_eq!(winners(&bids, Amount(100), 3), vec![2, 3, 4]);
        assert_eq!(winners(&bids, Amount(100), 10), vec![2, 3, 4, 0]);
        assert_eq!(winners(&bids, Amount(10), 1), Vec::<u64>::new());
    }

    fn gpu(model: &str) -> Capabilities {
        Capabilities {
            gpu_count: 1,
            gpu_vram_mb: 16_384,
            gpu_model: model.into(),
            ..Capabilities::default()
        }
    }

    #[test]
    fn a_gpu_model_matches_whatever_its_ascii_case() {
        assert!(covers(&gpu("NVIDIA A100-SXM4"), &gpu("a100")));
        assert!(covers(&gpu("nvidia a100"), &gpu("A100")));
        assert!(!covers(&gpu("NVIDIA H100"), &gpu("a100")));
    }

    /// Unicode case tables change between compiler releases; replicas built by different ones
    /// would disagree on a bid's validity. Only ASCII letters fold.
    #[test]
    fn a_gpu_model_differing_only_by_non_ascii_case_does_not_match() {
        // U+01C4 (Ǆ) lowercases to U+01C6 (ǆ); U+212A (Kelvin sign) to an ASCII k.
        assert!(!covers(&gpu("\u{1C4}-80"), &gpu("\u{1C6}-80")));
        assert!(!covers(&gpu("Tesla \u{212A}80"), &gpu("k80")));
        assert!(!covers(&gpu("TESLA K80"), &gpu("\u{212A}80")));
        assert!(covers(&gpu("\u{1C4}-80"), &gpu("\u{1C4}-80")));
    }

    #[test]
    fn samples_follow_the_rate() {
        let beacon = Beacon::from_value(1, plexus_types::Hash::of(b"seed"));
        let hits = (0..10_000).filter(|l| sampled(&beacon, *l, 100)).count();
        assert!((800..1200).contains(&hits), "{hits} of 10 000 at 10%");
        assert!((0..1000).all(|l| sampled(&beacon, l, 1000)));
        assert!(!(0..1000).any(|l| sampled(&beacon, l, 0)));
    }

    #[test]
    fn a_checker_is_drawn_in_proportion_to_its_bond() {
        let pool = [(3, Amount(1)), (8, Amount(3)), (9, Amount(0))];
        let mut hits = [0u32; 10];
        for t in 0..8_000u64 {
            let beacon = Beacon::from_value(t, plexus_types::Hash::of(&t.to_be_bytes()));
            hits[draw_checker(&beacon, "market/verifier", 1, &pool).unwrap() as usize] += 1;
        }
        assert_eq!(hits[9], 0, "a bond of 0 is never drawn");
        assert!((1_800..2_200).contains(&hits[3]), "{hits:?}");
        assert_eq!(hits[3] + hits[8], 8_000);
        let beacon = Beacon::from_value(1, plexus_types::Hash::of(b"v"));
        assert_eq!(draw_checker(&beacon, "d", 1, &[]), None);
        assert_eq!(draw_checker(&beacon, "d", 1, &[(1, Amount(0))]), None);
    }
}
