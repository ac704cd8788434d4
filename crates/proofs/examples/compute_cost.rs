//! Times the compute proof's prover against its verifier, per device class.
//!
//! ```sh
//! cargo run --release -p plexus-proofs --example compute_cost                # cpu-small, cpu-medium
//! cargo run --release -p plexus-proofs --example compute_cost -- cpu-large gpu-a100
//! RAYON_NUM_THREADS=1 cargo run --release -p plexus-proofs --example compute_cost
//! ```
//!
//! Each figure is the median of several runs after a warm-up. "verify" is what the oracle does
//! per answer: check `ROWS_OPENED` openings in one pass over B. "fraud" is the ledger's
//! re-check of one fraud proof. "freivalds" checks all of C with two rounds.

use plexus_proofs::compute::{
    check_openings, class_by_name, freivalds, is_fraud, prove, sample_rows, ComputeChallenge,
    ComputeClass, ROWS_OPENED,
};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn measure(class: &ComputeClass) -> Result<(), String> {
    let secret = [7u8; 32];
    let challenge = ComputeChallenge::from_secret(&secret, class.n)
        .map_err(|e| format!("{}: {e}", class.name))?;
    let runs = if class.n >= 1024 { 3 } else { 9 };
    let prove_time = time(runs, || prove(&challenge));

    let proof = prove(&challenge);
    let root = proof.root();
    let rows = sample_rows(&challenge, &root, &secret, ROWS_OPENED).map_err(|e| e.to_string())?;
    let openings = rows
        .iter()
        .map(|&i| proof.open(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let verify_time = time(runs, || {
        check_openings(&challenge, &root, &openings)
            .iter()
            .all(Result::is_ok)
    });
    let fraud_time = time(runs, || is_fraud(&challenge, &root, &openings[0]));
    let freivalds_time = time(runs, || {
        freivalds(&challenge, proof.product(), 2, [9u8; 32])
    });

    println!(
        "{:<11} n={:<5} prove {:>9.2} ms  verify({}) {:>7.2} ms  ratio {:>6.1}  fraud {:>7.2} ms  freivalds(2) {:>8.2} ms  deadline {:>5} ms ({})",
        class.name,
        class.n,
        ms(prove_time),
        ROWS_OPENED,
        ms(verify_time),
        prove_time.as_secs_f64() / verify_time.as_secs_f64(),
        ms(fraud_time),
        ms(freivalds_time),
        class.deadline_ms,
        if prove_time.as_millis() < u128::from(class.deadline_ms) {
            "met"
        } else {
            "missed"
        },
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = vec!["cpu-small".into(), "cpu-medium".into()];
    }
    println!(
        "threads: {}  (RAYON_NUM_THREADS to change)",
        rayon::current_num_threads()
    );
    for name in &names {
        let Some(class) = class_by_name(name) else {
            eprintln!("unknown class {name}");
            return ExitCode::FAILURE;
        };
        if let Err(e) = measure(class) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
