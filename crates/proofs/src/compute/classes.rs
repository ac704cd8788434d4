//! Device classes for compute: how big a challenge each class answers and how fast.

/// A declared compute capacity: the challenge size its devices answer and the deadline they
/// answer it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeClass {
    pub name: &'static str,
    /// Dimension of the challenge matrices.
    pub n: u32,
    /// Time from the challenge to the signed root.
    pub deadline_ms: u64,
    /// Reward units per answered challenge, in proportion to the throughput the deadline
    /// demands (n³ / deadline), `cpu-small` = 1.
    pub capacity_units: u64,
}

/// Deadlines allow this many times the honest proving time on the class's reference device.
pub const DEADLINE_SLACK: u64 = 4;

/// Allowance for scheduling and loopback latency that an oracle adds to a class's compute
/// deadline before it refuses a commitment as late.
pub const NETWORK_ALLOWANCE_MS: u64 = 250;

/// The classes, smallest first.
///
/// Each deadline is [`DEADLINE_SLACK`] times the honest proving time on the class's reference
/// device. Each class demands 8 times the throughput (n³ / deadline) of the one below it, 5
/// times for the GPU class, more than the slack: a class's reference device takes twice the
/// next CPU class's deadline (1.25 times the GPU class's), so it cannot pass for the next
/// class. The tests check both rules on this table.
///
/// | class      | n    | work, multiply-adds | deadline | reference device               | proving here, 2 threads / 1 |
/// |------------|------|---------------------|----------|--------------------------------|-----------------------------|
/// | cpu-small  | 512  | 1.3·10⁸             | 50 ms    | a 2-core laptop: this machine  | 11.2 ms / 21.9 ms           |
/// | cpu-medium | 1024 | 1.1·10⁹             | 50 ms    | 8× that, about 16 such cores   | 81 ms / 159 ms              |
/// | cpu-large  | 2048 | 8.6·10⁹             | 50 ms    | 64× that, a large server       | 641 ms / 1.32 s             |
/// | gpu-a100   | 4096 | 6.9·10¹⁰            | 80 ms    | 320×: 3.4·10¹² multiply-adds/s | 5.1–5.4 s / 10.5 s          |
///
/// "Here" is release mode on the 2-vCPU development machine (AMD EPYC with AVX-512, default
/// x86-64 target), measured with `cargo run --release -p plexus-proofs --example
/// compute_cost`: it meets the cpu-small deadline 4.5 times over and misses cpu-medium's. The
/// gpu-a100 figures are an estimate for an A100 running a GPU prover, which this crate does
/// not have; calibrate them once one exists.
///
/// Deadlines are compute budgets, from the device receiving the challenge to its signed root.
/// The oracle adds the round trip it measured to the device; any allowance beyond that is
/// compute time a slower device can use, so it must stay small next to these deadlines.
/// A prover faster than this crate's on the same hardware counts as more capacity, which is
/// what the classes measure.
pub const COMPUTE_CLASSES: [ComputeClass; 4] = [
    ComputeClass {
        name: "cpu-small",
        n: 512,
        deadline_ms: 50,
        capacity_units: 1,
    },
    ComputeClass {
        name: "cpu-medium",
        n: 1024,
        deadline_ms: 50,
        capacity_units: 8,
    },
    ComputeClass {
        name: "cpu-large",
        n: 2048,
        deadline_ms: 50,
        capacity_units: 64,
    },
    ComputeClass {
        name: "gpu-a100",
        n: 4096,
        deadline_ms: 80,
        capacity_units: 320,
    },
];

pub fn class_by_name(name: &str) -> Option<&'static ComputeClass> {
    COMPUTE_CLASSES.iter().find(|c| c.name == name)
}

/// The class whose challenges are n-sized (each class has its own size).
pub fn class_by_n(n: u32) -> Option<&'static ComputeClass> {
    COMPUTE_CLASSES.iter().find(|c| c.n == n)
}

impl ComputeClass {
    /// The longest an oracle waits for a commitment after the device fetched the challenge:
    /// the deadline plus [`NETWORK_ALLOWANCE_MS`].
    pub fn commit_limit(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.deadline_ms + NETWORK_ALLOWANCE_MS)
    }
}
