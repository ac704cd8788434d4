//! The compute marketplace on a devnet: a consumer's stream of WASM and inference jobs is bid
//! for, run and checked by the agents; a provider returning wrong outputs is caught and
//! slashed and none of its outputs is accepted; hostile modules are stopped and reported; a
//! job whose escrow runs out closes with `insufficient_funds`; the escrow balances exactly.
//! Meanwhile a user submits a job of their own with `plexus job`.
mod support;

use std::time::Duration;
use support::*;

const SUM_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "forty-two\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 10))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"#;

fn job_file(dir: &std::path::Path, module: &str) -> std::path::PathBuf {
    let path = dir.join("job.toml");
    std::fs::write(
        &path,
        format!(
            r#"runtime = "wasm"
max_price_per_block = "0.01plx"
duration_blocks = 100

[wasm]
module = "{module}"
fuel = 1_000_000
memory_mb = 1

[resources]
cpu_cores = 1
memory_mb = 64
"#
        ),
    )
    .unwrap();
    path
}

/// The JSON a successful command printed.
fn json_ok(out: std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The id of an order with a lease shown wrong, if the node lists one.
fn order_with_a_wrong_result(node: &str) -> Option<u64> {
    let orders = get_json(&format!("{node}/v1/market/orders?limit=1000"))?;
    orders["orders"].as_array()?.iter().find_map(|o| {
        let wrong = o["leases"]
            .as_array()?
            .iter()
            .any(|l| l["check"] == "wrong");
        wrong.then(|| o["order"]["id"].as_u64()).flatten()
    })
}

#[test]
fn a_devnet_runs_checked_jobs_catches_the_cheat_and_balances_its_escrow() {
    let devnet = Devnet::fresh();
    let dir = devnet.dir.path();
    let running = devnet.spawn(
        "50s",
        &[
            "--agents",
            "5",
            "--cheaters",
            "2",
            "--job-every",
            "1s",
            // No demo transfers: alice submits a job of her own below.
            "--demo-tps",
            "0",
        ],
    );
    running.wait_until_ready(Duration::from_secs(60));
    let cli = |args: &[&str]| devnet.cli(args);

    // A spec naming a module the node does not have is refused before anything is paid.
    let missing = job_file(dir, &"ab".repeat(32));
    let out = cli(&[
        "job",
        "submit",
        missing.to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("plexus blob put"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A malformed spec names its bad field.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "runtime = \"wasm\"\nmax_price_per_block = \"lots\"\n").unwrap();
    let out = cli(&["job", "submit", bad.to_str().unwrap(), "--from", "alice"]);
    assert!(!out.status.success());

    // A user's own job: put the module, submit, wait, fetch the verified output.
    let wat = dir.join("answer.wat");
    std::fs::write(&wat, SUM_WAT).unwrap();
    let out = cli(&["blob", "put", wat.to_str().unwrap(), "--from", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let module = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let spec = job_file(dir, &module);
    let out = cli(&[
        "--json",
        "job",
        "submit",
        spec.to_str().unwrap(),
        "--from",
        "alice",
        "--wait",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = done["job"].as_u64().unwrap().to_string();
    assert_eq!(
        done["order"]["state"]["reason"], "completed",
        "the user's job completed: {done}"
    );
    let result = dir.join("out.txt");
    let out = cli(&["job", "result", &id, "-o", result.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&result).unwrap(), "forty-two\n");
    let logs = cli(&["job", "logs", &id]);
    let logs = String::from_utf8_lossy(&logs.stdout).to_string();
    assert!(
        logs.contains("lease") && logs.contains("completed"),
        "{logs}"
    );
    // Anyone can recheck the chain's verdicts: the outputs it accepted for the user's job
    // agree with a local run.
    let verified = json_ok(cli(&["--json", "job", "verify", &id]));
    let leases = verified["leases"].as_array().unwrap();
    assert!(
        leases
            .iter()
            .any(|l| l["chain"] == "accepted" && l["agrees_locally"] == true),
        "{verified}"
    );
    assert!(leases.iter().all(|l| l["borne_out"] == true), "{verified}");
    // And the cheat's slashed result differs from a local run of its job: the slash rests on
    // outputs anyone can fetch and rerun.
    // With one provider returning wrong outputs, a referee is drawn only to settle its
    // result against an honest one, and its result shows one of them wrong.
    running.wait_for_line(Duration::from_secs(40), "logged a referee's result", |l| {
        l.contains("job result revealed") && l.contains("referee")
    });
    let slashed = order_with_a_wrong_result(&devnet.node_url())
        .expect("a refereed result shows a lease wrong");
    let verified = json_ok(cli(&["--json", "job", "verify", &slashed.to_string()]));
    let leases = verified["leases"].as_array().unwrap();
    assert!(
        leases.iter().any(|l| l["chain"] == "wrong"
            && l["agrees_locally"] == false
            && l["borne_out"] == true),
        "{verified}"
    );

    let out = running.wait();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs = &s["jobs"];
    assert!(jobs["correct"].as_u64().unwrap() >= 8, "{jobs}");
    assert_eq!(jobs["wrong_results_accepted"], 0, "{jobs}");
    assert_eq!(jobs["accounting_balanced"], true, "{jobs}");
    let caught = jobs["cheaters_caught"].as_array().unwrap();
    assert!(
        caught
            .iter()
            .any(|c| c["behaviour"] == "wrong-results" && c["barred"] == true),
        "the provider returning wrong results was caught: {jobs}"
    );
    assert_eq!(jobs["cheaters_not_caught"].as_array().unwrap().len(), 0);
    // Every slashed result of the stream differs from a local run of its job.
    assert!(jobs["slashed_rechecked"].as_u64().unwrap() >= 1, "{jobs}");
    assert_eq!(jobs["slashed_differ"], jobs["slashed_rechecked"], "{jobs}");
    let by_kind = |kind: &str| {
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} job: {jobs}"))
    };
    assert_eq!(by_kind("underfunded")["state"], "insufficient_funds");
    for (kind, status) in [
        ("endless-loop", "out_of_fuel"),
        ("memory-bomb", "memory_limit"),
        ("trap", "trap"),
        ("output-flood", "output_limit"),
    ] {
        let j = by_kind(kind);
        assert_eq!(j["state"], "completed", "{j}");
        assert!(
            j["report"].as_str().unwrap().contains(status),
            "{kind} was reported as {status}: {j}"
        );
        assert_eq!(j["correct"], true, "{j}");
    }
}
