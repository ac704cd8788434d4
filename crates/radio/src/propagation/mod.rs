//! The true radio environment: what devices really hear. Log-distance path loss from free
//! space at 1 m, plus log-normal shadowing drawn per link and epoch from the run's seed. This
//! is the world the oracle cannot see; the rules judge the evidence it produces with their own
//! integer models (free space for witnesses, rule M for coverage).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Speed of light in m/s.
const LIGHT_M_PER_S: f64 = 299_792_458.0;

/// The environment's constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Environment {
    /// LoRa channel (EU868).
    pub lora_frequency_hz: u64,
    /// Wi-Fi channel 36.
    pub wifi_frequency_hz: u64,
    /// Path-loss exponent for LoRa between rooftops in a city.
    pub lora_exponent: f64,
    /// Path-loss exponent from an indoor Wi-Fi radio (walls).
    pub indoor_exponent: f64,
    /// Path-loss exponent from an outdoor Wi-Fi radio.
    pub outdoor_exponent: f64,
    /// Standard deviation of the shadowing, in dB.
    pub shadowing_sigma_db: f64,
    /// Weakest LoRa signal a hotspot decodes, in dBm.
    pub lora_sensitivity_dbm: f64,
    /// Weakest Wi-Fi signal a phone attaches at, in dBm.
    pub wifi_attach_dbm: f64,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            lora_frequency_hz: 868_100_000,
            wifi_frequency_hz: 5_180_000_000,
            lora_exponent: 3.8,
            indoor_exponent: 4.2,
            outdoor_exponent: 3.2,
            shadowing_sigma_db: 6.0,
            lora_sensitivity_dbm: -125.0,
            wifi_attach_dbm: -85.0,
        }
    }
}

/// Free-space loss at 1 m, in dB.
pub fn reference_loss_db(frequency_hz: u64) -> f64 {
    20.0 * (4.0 * std::f64::consts::PI * frequency_hz as f64 / LIGHT_M_PER_S).log10()
}

/// Median path loss in dB over `distance_m` (at least 1 m) with exponent `n`.
pub fn median_loss_db(frequency_hz: u64, distance_m: f64, n: f64) -> f64 {
    reference_loss_db(frequency_hz) + 10.0 * n * distance_m.max(1.0).log10()
}

/// One standard normal draw (Box–Muller).
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The shadowing of the link between devices `a` and `b` in `epoch`, in dB: the same for both
/// directions, drawn from the seed alone.
pub fn shadowing_db(env: &Environment, seed: u64, epoch: u64, a: u64, b: u64) -> f64 {
    let (lo, hi) = (a.min(b), a.max(b));
    let mut mix = seed ^ 0x9e37_79b9_7f4a_7c15;
    for v in [epoch, lo, hi] {
        mix = (mix ^ v).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mix ^= mix >> 31;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(mix);
    env.shadowing_sigma_db * standard_normal(&mut rng)
}

/// Path loss in dB of one link: the median plus its shadowing.
pub fn path_loss_db(frequency_hz: u64, distance_m: f64, n: f64, shadowing_db: f64) -> f64 {
    median_loss_db(frequency_hz, distance_m, n) + shadowing_db
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_grows_with_distance_on_average() {
        let env = Environment::default();
        let mean_at = |d: f64| -> f64 {
            let n = 4_000u64;
            (0..n)
                .map(|i| {
                    let s = shadowing_db(&env, 7, i, 1, 2 + i);
                    path_loss_db(env.lora_frequency_hz, d, env.lora_exponent, s)
                })
                .sum::<f64>()
                / n as f64
        };
        let means: Vec<f64> = [10.0, 100.0, 400.0, 1_000.0, 3_000.0]
            .into_iter()
            .map(mean_at)
            .collect();
        assert!(means.windows(2).all(|w| w[0] < w[1]), "{means:?}");
        // Ten times the distance costs 10 × n dB, within the shadowing's sampling error.
        assert!((means[3] - means[1] - 38.0).abs() < 0.6, "{means:?}");
    }

    #[test]
    fn shadowing_has_the_configured_spread_and_no_bias() {
        let env = Environment::default();
        let draws: Vec<f64> = (0..20_000u64)
            .map(|i| shadowing_db(&env, 3, i / 100, i % 100, 1_000))
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.15, "mean {mean}");
        assert!(
            (var.sqrt() - env.shadowing_sigma_db).abs() < 0.15,
            "sigma {}",
            var.sqrt()
        );
        // Both directions of a link fade alike, and the seed decides.
        assert_eq!(
            shadowing_db(&env, 3, 1, 5, 9),
            shadowing_db(&env, 3, 1, 9, 5)
        );
        assert_ne!(
            shadowing_db(&env, 3, 1, 5, 9),
            shadowing_db(&env, 4, 1, 5, 9)
        );
    }

    #[test]
    fn the_reference_loss_is_free_space_at_one_metre() {
        assert!((reference_loss_db(868_100_000) - 31.21).abs() < 0.01);
        assert!((reference_loss_db(5_180_000_000) - 46.73).abs() < 0.01);
    }
}
