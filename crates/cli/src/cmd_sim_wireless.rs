//! `plexus sim wireless`: a city of wireless hotspots (some cheating) and subscribers, run for
//! some epochs, each epoch's evidence scored by the wireless reward rules; prints what each
//! behaviour and each hotspot earned.

use anyhow::Context;
use plexus_radio::CityConfig;
use std::io::{IsTerminal as _, Write as _};

#[derive(clap::Args)]
pub struct WirelessArgs {
    /// Hotspots in the city (1 to 5 000): two in five LoRa, two in five indoor Wi-Fi, one in
    /// five outdoor Wi-Fi, among the honest ones.
    #[arg(long, default_value_t = 40)]
    hotspots: usize,
    /// How many of them cheat: a location spoofer, a silent hotspot and a self-dealer first,
    /// the rest one witness ring.
    #[arg(long, default_value_t = 8)]
    hotspot_cheaters: usize,
    /// Subscribers who walk about and use data (at most 50 000).
    #[arg(long, default_value_t = 60)]
    subscribers: usize,
    /// Epochs (days) to run, 1 to 1 000.
    #[arg(long, default_value_t = 3)]
    epochs: u64,
    /// The seed every key, place, fade and step comes from: the same seed prints the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs the simulation and prints its table (or JSON with `--json`).
pub fn run(json: bool, args: WirelessArgs) -> anyhow::Result<()> {
    let config = CityConfig::lisbon(
        args.hotspots,
        args.hotspot_cheaters,
        args.subscribers,
        args.seed,
    );
    let chatty = !json && std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let report = plexus_radio::simulate(config, args.epochs, |done, epochs| {
        if chatty {
            eprint!(
                "\repoch {done}/{epochs} ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            if done == epochs {
                eprintln!();
            }
        }
    })
    .context("the wireless simulation")?;
    if json {
        let out = serde_json::json!({
            "seed": report.seed,
            "hotspots": report.hotspots,
            "cheaters": report.cheaters,
            "subscribers": report.subscribers,
            "epochs": report.epochs,
            "by_behaviour": report.by_behaviour,
            "hotspot_totals": report.totals,
            "rejected": report.rejected,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        write!(std::io::stdout().lock(), "{}", report.table())?;
    }
    Ok(())
}
