//! `cargo run --release -p plexus-runtime --example runtime_bench [REPETITIONS]`: the cost of
//! running the demo WASM workload and an MLP inference as jobs, against the same work done
//! natively.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repetitions = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 9,
    };
    println!("{}", plexus_runtime::bench::bench_wasm(repetitions)?);
    for batch in [1, 64] {
        println!(
            "{}",
            plexus_runtime::bench::bench_inference(repetitions, batch)?
        );
    }
    Ok(())
}
