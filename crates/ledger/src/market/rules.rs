//! The market's pure rules: whether a device can run an order, whether a result is sampled
//! for re-execution, and which bids win.

use plexus_types::{Address, Amount, Capabilities, Hash};

/// Whether hardware declared by a device covers what an order asks for; the GPU model by
/// [`Capabilities::gpu_model_names`], in ASCII only.
pub fn covers(have: &Capabilities, need: &Capabilities) -> bool {
    let gpu_ok = need.gpu_count == 0
        || (have.gpu_count >= need.gpu_count
            && have.gpu_vram_mb >= need.gpu_vram_mb
            && have.gpu_model_names(&need.gpu_model));
    have.cpu_cores >= need.cpu_cores && have.memory_mb >= need.memory_mb && gpu_ok
}

/// Whether a result of lease `lease` is re-executed by sample, given the block's seed (the
/// previous app hash): `blake3(seed ‖ lease) mod 1000 < sample_per_mille`.
pub fn sampled(seed: &Hash, lease: u64, sample_per_mille: u32) -> bool {
    let mut input = b"plexus/market/sample".to_vec();
    input.extend_from_slice(&seed.0);
    input.extend_from_slice(&lease.to_be_bytes());
    let draw = u64::from_be_bytes(Hash::of(&input).0[..8].try_into().expect("8 bytes"));
    draw % 1000 < sample_per_mille as u64
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
        let seed = Hash::of(b"seed");
        let hits = (0..10_000).filter(|l| sampled(&seed, *l, 100)).count();
        assert!((800..1200).contains(&hits), "{hits} of 10 000 at 10%");
        assert!((0..1000).all(|l| sampled(&seed, l, 1000)));
        assert!(!(0..1000).any(|l| sampled(&seed, l, 0)));
    }
}
