//! `plexus sim economics`: runs the reward economics forward for a simulated fleet and writes
//! the charts and the table behind them.

use anyhow::Context;
use plexus_sim::economics::{self, EconomicsConfig};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct EconomicsArgs {
    /// Devices in the fleet (1 to 1 000 000), of every class the chain defines, in the mix the
    /// README describes.
    #[arg(long)]
    devices: u64,
    /// Epochs to run (1 to 10 000).
    #[arg(long)]
    epochs: u64,
    /// The seed every device's class, temper and draw comes from: the same seed writes the
    /// same files, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the charts and tables go; made if missing, refused if it is a file.
    #[arg(long, default_value = "economics")]
    out: PathBuf,
    /// Halve the emission every this many epochs instead of the genesis default (10 000), to
    /// see halvings in a short run.
    #[arg(long)]
    halving_epochs: Option<u64>,
}

/// Runs the simulation, writes the files and prints the summary (as JSON with `--json`).
pub fn run(json: bool, args: EconomicsArgs) -> anyhow::Result<()> {
    let mut config = EconomicsConfig::new(args.devices, args.epochs, args.seed);
    if let Some(h) = args.halving_epochs {
        config.rewards.halving_epochs = h;
    }
    config.validate()?;
    prepare_dir(&args.out)?;
    let chatty = args.devices * args.epochs >= 1_000_000;
    let started = std::time::Instant::now();
    let result = economics::run(&config, |epoch, epochs| {
        let step = (epochs / 20).max(1);
        if chatty && (epoch % step == 0 || epoch == epochs) {
            eprintln!(
                "epoch {epoch}/{epochs} ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    })?;
    let mut files = vec![
        ("economics.csv", result.csv()),
        ("economics.json", result.json()),
    ];
    for (name, svg) in economics::svg::charts(&result) {
        files.push((name, svg));
    }
    for (name, text) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        let out = serde_json::json!({
            "out": args.out.display().to_string(),
            "files": files.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            "summary": serde_json::from_str::<serde_json::Value>(&serde_json::to_string(&result.summary)?)?,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let mut stdout = std::io::stdout().lock();
        write!(stdout, "{}", result.summary_table())?;
        writeln!(
            stdout,
            "  wrote {} files to {}",
            files.len(),
            args.out.display()
        )?;
    }
    Ok(())
}

/// Makes `dir` if it is missing; refuses a path that exists and is not a directory.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("--out {} is not a directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))
}
