//! `plexus bench jobs`: the marketplace's matching throughput next to a bare sort of the same
//! bids, and the demo WASM and inference jobs through their sandboxes next to the same work
//! done in-process.

use plexus_types::{Address, Amount};
use std::time::Instant;

/// Runs the benchmark and prints its report.
pub async fn run(orders: usize, providers: usize, runs: usize, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        orders >= 1 && providers >= 1,
        "--orders and --providers must be at least 1"
    );
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
    let mut steps = crate::progress::Steps::new(json, true);
    steps.step(format!("matching {orders} orders of {providers} bids, then the WASM and inference jobs {runs} times each"));
    let report = tokio::task::spawn_blocking(move || bench_jobs(orders, providers, runs)).await??;
    steps.finish();
    if json {
        crate::print_json(&report);
    } else {
        let f = |k: &str| report[k].as_f64().unwrap_or_default();
        println!(
            "matching {orders} orders × {providers} bids: {:.0} orders/s ({:.2} M bids/s)\n\
             baseline, sorting the same bids by price: {:.0} orders/s (matching takes {:.2}x a sort)\n\
             WASM demo job: {:.2} ms in the sandbox, {:.2} ms natively in-process ({:.2}x)\n\
             inference ({}): {:.2} ms through the job runtime, {:.2} ms calling the model in-process ({:.2}x)",
            f("orders_per_sec"),
            f("bids_per_sec") / 1e6,
            f("baseline_sort_orders_per_sec"),
            f("baseline_sort_orders_per_sec") / f("orders_per_sec"),
            f("wasm_job_ms"),
            f("wasm_native_ms"),
            f("wasm_job_ms") / f("wasm_native_ms"),
            report["inference_workload"].as_str().unwrap_or(""),
            f("inference_job_ms"),
            f("inference_native_ms"),
            f("inference_job_ms") / f("inference_native_ms"),
        );
    }
    Ok(())
}

/// Matching throughput and job run times, each next to its baseline.
fn bench_jobs(orders: usize, providers: usize, runs: usize) -> anyhow::Result<serde_json::Value> {
    use plexus_ledger::market::winners;
    // Every order gets one bid per provider at a pseudo-random price; ids ascend.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let addresses: Vec<Address> = (0..providers)
        .map(|i| {
            let mut a = [0u8; plexus_types::address::ADDRESS_LEN];
            a[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Address(a)
        })
        .collect();
    let books: Vec<Vec<(u64, Address, Amount)>> = (0..orders)
        .map(|o| {
            (0..providers)
                .map(|p| {
                    (
                        (o * providers + p) as u64,
                        addresses[p],
                        Amount(1_000 + u128::from(next() % 9_000)),
                    )
                })
                .collect()
        })
        .collect();
    let cap = Amount(9_000);
    let t = Instant::now();
    let mut chosen = 0usize;
    for book in &books {
        chosen += winners(book, cap, 1).len();
    }
    let matching = t.elapsed().as_secs_f64();
    anyhow::ensure!(chosen > 0, "no order was matched");
    let t = Instant::now();
    let mut cheapest = 0u128;
    for book in &books {
        let mut sorted = book.clone();
        sorted.sort_unstable_by_key(|b| (b.2, b.0));
        cheapest = cheapest.wrapping_add(sorted[0].2 .0);
    }
    let sorting = t.elapsed().as_secs_f64();
    std::hint::black_box(cheapest);
    let wasm = plexus_runtime::bench::bench_wasm(runs)?;
    let inference = plexus_runtime::bench::bench_inference(runs, 64)?;
    Ok(serde_json::json!({
        "orders": orders,
        "providers": providers,
        "orders_per_sec": orders as f64 / matching,
        "bids_per_sec": (orders * providers) as f64 / matching,
        "baseline_sort_orders_per_sec": orders as f64 / sorting,
        "wasm_workload": wasm.workload,
        "wasm_job_ms": wasm.job.as_secs_f64() * 1e3,
        "wasm_native_ms": wasm.native.as_secs_f64() * 1e3,
        "inference_workload": inference.workload,
        "inference_job_ms": inference.job.as_secs_f64() * 1e3,
        "inference_native_ms": inference.native.as_secs_f64() * 1e3,
        "runs": runs,
    }))
}
