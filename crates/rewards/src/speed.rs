//! Speed tiers: the pay multiplier of measured speeds that bandwidth devices and Wi-Fi
//! hotspots share (Helium's speed-test tiers).

/// Measured speeds: kilobits per second each way and the round trip in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speeds {
    pub download_kbps: u64,
    pub upload_kbps: u64,
    pub latency_ms: u64,
}

/// The tier of measured speeds in quarters of full pay: the worst of download ≥ 100/75/50/30
/// Mbps, upload ≥ 10/8/5/2 Mbps and latency < 50/60/75/100 ms, which give 4, 3, 2, 1 quarters
/// (multiplier 1, 0.75, 0.5, 0.25), and 0 below the last step.
pub fn tier_quarters(s: &Speeds) -> u32 {
    let by_floor = |value: u64, steps_kbps: [u64; 4]| -> u32 {
        steps_kbps
            .iter()
            .position(|step| value >= *step)
            .map_or(0, |i| 4 - i as u32)
    };
    let download = by_floor(s.download_kbps, [100_000, 75_000, 50_000, 30_000]);
    let upload = by_floor(s.upload_kbps, [10_000, 8_000, 5_000, 2_000]);
    let latency = [50, 60, 75, 100]
        .iter()
        .position(|limit| s.latency_ms < *limit)
        .map_or(0, |i| 4 - i as u32);
    download.min(upload).min(latency)
}
