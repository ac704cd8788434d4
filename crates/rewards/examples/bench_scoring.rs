//! `cargo run -p plexus-rewards --release --example bench_scoring -- [DEVICES]`
//!
//! Scores one synthetic epoch of DEVICES devices (default 1000000) three times and prints the median time taken
//! next to the blake3 baseline over the same leaves.

use std::process::ExitCode;

fn main() -> ExitCode {
    let devices = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("usage: bench_scoring [DEVICES]: {e}");
            return ExitCode::from(2);
        }
    };
    match plexus_rewards::bench_scoring(devices, 3) {
        Ok(r) => {
            println!(
                "devices={} threads={} records={} leaves={} scoring_and_manifest_secs={:.3} (median of {:?}) blake3_leaves_secs={:.3} ratio={:.1}",
                r.devices,
                r.threads,
                r.records,
                r.leaves,
                r.scoring_and_manifest_secs,
                r.runs_secs,
                r.blake3_leaves_secs,
                r.scoring_and_manifest_secs / r.blake3_leaves_secs,
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_scoring: {e}");
            ExitCode::FAILURE
        }
    }
}
