//! `plexus sim`: an economic scenario on simulated time, from a seed, told line by line.

use anyhow::Context;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimArgs {
    #[command(subcommand)]
    command: Option<SimCommand>,
    /// Which scenario: wrong-compute, replica-dropper, wrong-results, hostile-jobs, poisoner, or
    /// all of them.
    #[arg(value_parser = scenario_names(), required = true)]
    scenario: Option<String>,
    /// The seed every key, blob and draw of the run comes from: the same seed tells the same
    /// story, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn scenario_names() -> clap::builder::PossibleValuesParser {
    let mut names = plexus_sim::scenarios::NAMES.to_vec();
    names.push("all");
    clap::builder::PossibleValuesParser::new(names)
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// The network's emission, halvings, pools and fees run forward for a simulated fleet
    /// under the chain's reward rules; writes charts (SVG) and the table behind them (CSV,
    /// JSON).
    Economics(crate::cmd_sim_economics::EconomicsArgs),
    /// A city of Wi-Fi and LoRa hotspots around Lisbon, honest and cheating, with subscribers
    /// who move and use data; each epoch's evidence is scored by the wireless reward rules.
    Wireless(crate::cmd_sim_wireless::WirelessArgs),
}

/// Runs the scenario (or every one) and prints its story, or the stories as JSON.
pub async fn run(json: bool, args: SimArgs) -> anyhow::Result<()> {
    match args.command {
        Some(SimCommand::Economics(args)) => {
            return tokio::task::spawn_blocking(move || crate::cmd_sim_economics::run(json, args))
                .await
                .context("the simulation stopped")?;
        }
        Some(SimCommand::Wireless(args)) => {
            return tokio::task::spawn_blocking(move || crate::cmd_sim_wireless::run(json, args))
                .await
                .context("the simulation stopped")?;
        }
        None => {}
    }
    let scenario = args.scenario.context("name a scenario")?;
    let names: Vec<&'static str> = match scenario.as_str() {
        "all" => plexus_sim::scenarios::NAMES.to_vec(),
        one => plexus_sim::scenarios::NAMES
            .into_iter()
            .filter(|n| *n == one)
            .collect(),
    };
    let mut stories = Vec::new();
    for name in names {
        let seed = args.seed;
        let story =
            tokio::task::spawn_blocking(move || plexus_sim::scenarios::run_blocking(name, seed))
                .await
                .context("the simulation stopped")?
                .with_context(|| format!("scenario {name} (seed {seed})"))?;
        if !json {
            print!("{story}");
        }
        stories.push(story);
    }
    if json {
        let out: Vec<serde_json::Value> = stories
            .iter()
            .map(|s| {
                serde_json::json!({
                    "scenario": s.scenario,
                    "seed": s.seed,
                    "lines": s.lines,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
