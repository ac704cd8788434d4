//! Speed tiers: the pay multiplier of measured speeds that bandwidth devices and Wi-Fi
//! hotspots share (Helium's speed-test tiers).

/// Measured speeds: kilobits per second each way and the round trip in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

/// Fewest speed tests in an epoch that earn anything (Helium: at least 2).
pub const MIN_TESTS: usize = 2;
/// Tests averaged for the tier: the latest this many (Helium: latest 6).
pub const LATEST_TESTS: usize = 6;

/// The figures of a device with fewer than [`MIN_TESTS`] tests: tier 0.
pub const UNTESTED: Speeds = Speeds {
    download_kbps: 0,
    upload_kbps: 0,
    latency_ms: u64::MAX,
};

/// One epoch's speed tests of one device, by interval. Several tests of one interval count as
/// one, with the worst figures among them (lowest download and upload, highest latency), so
/// that a replayed good test cannot hide a bad one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpeedTests {
    by_interval: std::collections::BTreeMap<u32, Speeds>,
}

impl SpeedTests {
    /// Adds a test of `interval`; the worst figures of the interval stand.
    pub fn add(&mut self, interval: u32, measured: Speeds) {
        self.by_interval
            .entry(interval)
            .and_modify(|s| {
                s.download_kbps = s.download_kbps.min(measured.download_kbps);
                s.upload_kbps = s.upload_kbps.min(measured.upload_kbps);
                s.latency_ms = s.latency_ms.max(measured.latency_ms);
            })
            .or_insert(measured);
    }

    /// Intervals tested.
    pub fn len(&self) -> usize {
        self.by_interval.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_interval.is_empty()
    }

    /// Each tested interval with its figures, in interval order.
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &Speeds)> {
        self.by_interval.iter()
    }

    /// The means (rounded down) over the latest [`LATEST_TESTS`] tested intervals, or `None`
    /// with no test.
    pub fn latest_means(&self) -> Option<Speeds> {
        let latest: Vec<&Speeds> = self.by_interval.values().rev().take(LATEST_TESTS).collect();
        if latest.is_empty() {
            return None;
        }
        let n = latest.len() as u128;
        let mean = |f: fn(&Speeds) -> u64| -> u64 {
            let sum: u128 = latest.iter().map(|s| u128::from(f(s))).sum();
            (sum / n) as u64
        };
        Some(Speeds {
            download_kbps: mean(|s| s.download_kbps),
            upload_kbps: mean(|s| s.upload_kbps),
            latency_ms: mean(|s| s.latency_ms),
        })
    }

    /// The figures the tier is read from: the latest means with at least [`MIN_TESTS`] tests,
    /// else [`UNTESTED`].
    pub fn scored(&self) -> Speeds {
        match self.latest_means() {
            Some(means) if self.len() >= MIN_TESTS => means,
            _ => UNTESTED,
        }
    }
}
