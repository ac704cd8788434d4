//! The testnet's validator processes: started from this same executable, one `plexus node
//! start` per validator home, stopped with SIGTERM, killed if dropped still running.

use crate::host::Validators;
use anyhow::{bail, Context};
use plexus_client::NodeClient;
use plexus_node::NodeFiles;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The validator processes; dropping this stops any still running.
pub struct Processes(pub Vec<Child>);

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
    pub fn stop(&mut self) {
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

/// Starts one `plexus node start` process per validator home under `home`, each logging to
/// its home's `node.log`, and waits until every API answers; returns a client per validator.
pub async fn start(
    host: &impl Validators,
    home: &Path,
    n: usize,
) -> anyhow::Result<(Processes, Vec<NodeClient>)> {
    let exe = std::env::current_exe()?;
    let mut procs = Processes(Vec::new());
    let mut clients = Vec::new();
    for i in 0..n {
        let home = host.validator_home(home, i);
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
                    host.validator_home(home, i).join("node.log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok((procs, clients))
}
