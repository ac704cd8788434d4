//! `plexus testnet`: a local network of one `plexus node start` process per validator on
//! loopback, with transfers sent to every validator in turn, reporting each validator's
//! height and app hash.

use crate::cmd_node::{init_validators, validator_home, ValidatorSetup};
use crate::keyring::{Backend, Keyring};
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Args;
use plexus_client::NodeClient;
use plexus_node::NodeFiles;
use plexus_types::{Address, Amount, Body, Hash, UnsignedTx};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct TestnetArgs {
    /// Number of validators (one process each).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Stop after this long (for example 60s) and print the summary; runs until Ctrl-C
    /// otherwise.
    #[arg(long = "for", value_parser = humantime::parse_duration)]
    pub run_for: Option<Duration>,
    /// First validator's p2p port (validator I uses PORT + I).
    #[arg(long, default_value_t = 27100)]
    pub p2p_port: u16,
    /// First validator's API port (validator I uses PORT + I).
    #[arg(long, default_value_t = 26750)]
    pub api_port: u16,
}

/// The validator processes; dropping this stops any still running.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Processes {
    /// Asks every validator to stop (SIGTERM) and waits for them to exit.
    fn stop(&mut self) {
        for child in &self.0 {
            // SAFETY: kill(2) on a child process id this process spawned and has not reaped.
            unsafe {
                libc_kill(child.id() as i32, 15);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for child in &mut self.0 {
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

pub async fn run(g: &Globals, args: TestnetArgs) -> anyhow::Result<()> {
    let n = args.validators;
    if n == 0 {
        bail!("--validators must be at least 1");
    }
    let ring = Keyring::open(&g.home, Backend::Test, Default::default());
    let tg = Globals {
        home: g.home.clone(),
        node: g.node.clone(),
        backend: Backend::Test,
        passphrase: Default::default(),
        json: g.json,
    };
    if !NodeFiles::new(validator_home(&g.home, 0)).is_initialized() {
        init_validators(
            &tg,
            &ValidatorSetup {
                chain_id: "plexus-testnet".into(),
                faucet: "faucet".into(),
                faucet_amount: "1000000000plx".into(),
                count: n,
                p2p_port: args.p2p_port,
                api_port: args.api_port,
                block_ms: None,
            },
        )?;
    }
    let genesis = NodeFiles::new(validator_home(&g.home, 0)).load_genesis()?;
    if genesis.validators.len() != n {
        bail!(
            "{} holds a testnet of {} validators, not {n}",
            g.home.display(),
            genesis.validators.len()
        );
    }
    let exe = std::env::current_exe()?;
    let mut procs = Processes(Vec::new());
    let mut clients = Vec::new();
    for i in 0..n {
        let home = validator_home(&g.home, i);
        let config = NodeFiles::new(&home).load_config()?;
        let log = std::fs::File::create(home.join("node.log"))?;
        let child = Command::new(&exe)
            .arg("--home")
            .arg(&home)
            .args(["node", "start"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting a validator process")?;
        procs.0.push(child);
        clients.push(NodeClient::new(&format!("http://{}", config.api))?);
    }
    for (i, c) in clients.iter().enumerate() {
        let started = Instant::now();
        while c.status().await.is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!(
                    "validator {i} did not start; see {}",
                    validator_home(&g.home, i).join("node.log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    if !g.json {
        eprintln!(
            "testnet of {n} validators running; APIs on ports {}..{}",
            args.api_port,
            args.api_port as usize + n - 1
        );
    }

    // Transfers from the faucet, each sent to the next validator in turn.
    let faucet = ring.secret("faucet")?;
    let faucet_addr = Address::from_public_key(&faucet.public_key());
    let sink = Address::from_public_key(&plexus_types::SecretKey::from_seed([42; 32]).public_key());
    let account = clients[0].account(&faucet_addr, None).await?;
    let mut nonce = account
        .get("nonce")
        .and_then(|v| v.as_u64())
        .context("the node's account answer has no nonce")?;
    let started = Instant::now();
    let run_for = args.run_for;
    let mut sent = Vec::new();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        if run_for.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let tx = UnsignedTx {
            chain_id: genesis.chain_id.clone(),
            nonce,
            fee: genesis.params.min_fee,
            body: Body::Transfer {
                to: sink,
                amount: Amount(1),
            },
        }
        .sign(&faucet);
        let to = (nonce as usize) % n;
        match clients[to].submit(&tx.bytes).await {
            Ok(hash) => {
                sent.push((to, hash));
                nonce += 1;
            }
            Err(e) => tracing::warn!(validator = to, error = %e, "transfer refused"),
        }
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    // Let the last transfers commit, then check which did.
    let mut committed = 0usize;
    for (to, hash) in &sent {
        let c = &clients[(*to + 1) % n];
        if c.wait_committed(hash, Duration::from_secs(10))
            .await
            .is_ok()
        {
            committed += 1;
        }
    }
    procs.stop();
    // Every validator's state, read from its store after it stopped.
    let mut reports = Vec::new();
    for i in 0..n {
        let store = plexus_store::Store::open(
            &NodeFiles::new(validator_home(&g.home, i))
                .data_dir()
                .join("state.redb"),
        )?;
        let committed = store.committed()?;
        reports.push((committed.version.unwrap_or(0), committed.root, store));
    }
    let common = reports.iter().map(|r| r.0).min().unwrap_or(0);
    let mut agree = true;
    for h in 0..=common {
        let first = reports[0].2.root_at(h)?;
        agree &= reports
            .iter()
            .all(|r| r.2.root_at(h).ok().flatten() == first);
    }
    let at_common: Vec<Option<Hash>> = reports
        .iter()
        .map(|r| r.2.root_at(common).ok().flatten())
        .collect();
    let summary = serde_json::json!({
        "chain_id": genesis.chain_id,
        "validators": reports.iter().enumerate().map(|(i, r)| serde_json::json!({
            "index": i,
            "height": r.0,
            "app_hash": r.1.to_string(),
            "app_hash_at_common_height": at_common[i].map(|h| h.to_string()),
        })).collect::<Vec<_>>(),
        "common_height": common,
        "app_hashes_agree": agree,
        "transfers_sent": sent.len(),
        "transfers_committed": committed,
    });
    if g.json {
        print_json(&summary);
    } else {
        for (i, r) in reports.iter().enumerate() {
            println!("validator {i}: height {} app hash {}", r.0, r.1);
        }
        println!(
            "app hashes agree up to height {common}: {agree}; transfers committed {committed}/{}",
            sent.len()
        );
    }
    if !agree {
        bail!("validators disagree on the app hash");
    }
    Ok(())
}
