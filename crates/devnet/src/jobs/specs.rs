//! The devnet's job specs: the demo WASM workload on a few numbers, inference with a small MLP
//! on rows of the shipped digits, and the hostile modules every provider must survive; and
//! a job's local re-execution, to check what providers returned.

use plexus_market::spec::JobSpec;
use plexus_types::Hash;
use std::collections::BTreeMap;

/// Kinds of the jobs submitted before the stream: the hostile modules, in this order.
pub const HOSTILE: [(&str, &str); 4] = [
    ("endless-loop", plexus_runtime::fixtures::ENDLESS_LOOP),
    ("memory-bomb", plexus_runtime::fixtures::MEMORY_BOMB),
    ("trap", plexus_runtime::fixtures::TRAP),
    ("output-flood", plexus_runtime::fixtures::OUTPUT_FLOOD),
];

/// Price cap per block, duration and sample rate of every devnet job.
const MAX_PRICE: &str = "0.01plx";
const DURATION_BLOCKS: u64 = 120;
const SAMPLE_PER_MILLE: u32 = 250;

/// A devnet WASM job: `module` on `stdin` with `fuel`.
pub fn wasm_spec(module: &Hash, stdin: &str, fuel: u64) -> String {
    plexus_runtime::fixtures::wasm_job_spec(module, stdin, fuel, DURATION_BLOCKS)
}

pub fn inference_spec(model: &Hash, rows: &str) -> String {
    format!(
        r#"runtime = "inference"
max_price_per_block = "{MAX_PRICE}"
duration_blocks = {DURATION_BLOCKS}

[inference]
model = "{model}"
architecture = {{ kind = "mlp", inputs = 64, hidden = 32, classes = 10 }}
batch = 8

[[inputs]]
name = "rows.csv"
text = """
{rows}"""

[resources]
cpu_cores = 1
memory_mb = 512

[verification]
sample_per_mille = {SAMPLE_PER_MILLE}
tolerance_ppm = 100
"#
    )
}

/// Rows `from..from + n` of the shipped digits, features only, as CSV.
pub fn digit_rows(from: usize, n: usize) -> String {
    let data = plexus_learn::data::Dataset::digits();
    let mut out = String::new();
    for i in 0..n {
        let row = data.example((from + i) % data.len());
        let line: Vec<String> = row.iter().map(|x| format!("{x}")).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Re-executes a job locally with the devnet's blobs and the inline inputs.
pub fn local_output(spec: &JobSpec, blobs: &BTreeMap<Hash, Vec<u8>>) -> Vec<u8> {
    plexus_runtime::job::run_job(spec, &|id: &Hash, _limit| {
        blobs
            .get(id)
            .cloned()
            .ok_or_else(|| format!("blob {id} is not one the devnet made"))
    })
    .output
}
