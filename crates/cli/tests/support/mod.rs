//! Runs the real `plexus` binary: helpers shared by the CLI tests.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn plexus() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plexus"));
    cmd.env_remove("PLEXUS_HOME")
        .env_remove("PLEXUS_NODE")
        .env("PLEXUS_LOG", "warn");
    cmd
}

/// A port that was free a moment ago, below Linux's ephemeral range (32768 and up): a port
/// the kernel hands out (as `:0` would) can be taken by any outgoing connection of the tests
/// running beside this one before the node binds it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ (u64::from(std::process::id()) << 20);
    for _ in 0..1000 {
        let mut z = seed.wrapping_add(NEXT.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let port = 20_000 + ((z ^ (z >> 31)) % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on loopback between 20000 and 32000");
}

/// The first of `count` consecutive ports that were all free a moment ago.
pub fn free_port_range(count: u16) -> u16 {
    for _ in 0..100 {
        let base = free_port();
        if base.checked_add(count).is_none() {
            continue;
        }
        let all_free =
            (0..count).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no {count} consecutive free ports on loopback");
}

pub fn run(home: &Path, args: &[&str]) -> Output {
    plexus()
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("plexus runs")
}

pub fn run_ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "plexus {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn run_json(home: &Path, args: &[&str]) -> Value {
    let text = run_ok(home, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `plexus --home HOME --keyring-backend test node init FLAGS…`: a new chain in `home`, its
/// faucet key in the test keyring.
pub fn init_node(home: &Path, flags: &[&str]) {
    let mut args = vec!["--keyring-backend", "test", "node", "init"];
    args.extend_from_slice(flags);
    run_ok(home, &args);
}

/// Adds key `name` to `home`'s test keyring; its address.
pub fn add_key(home: &Path, name: &str) -> String {
    let key = run_json(
        home,
        &["--keyring-backend", "test", "--json", "keys", "add", name],
    );
    key["address"].as_str().unwrap().to_string()
}

/// A node process that is killed when dropped.
pub struct NodeProcess {
    pub child: Child,
    pub url: String,
    pub home: PathBuf,
}

impl NodeProcess {
    pub fn start(home: &Path, port: u16) -> NodeProcess {
        let child = plexus()
            .arg("--home")
            .arg(home)
            .args(["node", "start", "--api", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let node = NodeProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home: home.to_path_buf(),
        };
        node.wait_ready();
        node
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if std::net::TcpStream::connect(self.url.trim_start_matches("http://")).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("node at {} did not start", self.url);
    }

    pub fn kill(&mut self) {
        // SIGKILL: no chance to flush or clean up.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        plexus()
            .arg("--home")
            .arg(&self.home)
            .arg("--node")
            .arg(&self.url)
            .arg("--keyring-backend")
            .arg("test")
            .args(args)
            .output()
            .expect("plexus runs")
    }

    pub fn cli_json(&self, args: &[&str]) -> Value {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "plexus {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One blocking HTTP/1.1 request on loopback; returns the body. Tests need no async runtime.
pub fn http(method: &str, url: &str, body: &str) -> Option<String> {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}")))?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = String::new();
    stream.read_to_string(&mut buf).ok()?;
    Some(buf.split_once("\r\n\r\n")?.1.to_string())
}

/// Waits until the node at `node_url` has committed `height`: subscribes to its block events
/// (`/v1/events`) first, so no block is missed between the check and the wait, then reads
/// them as they come; panics after `limit`.
pub fn wait_for_height(node_url: &str, height: u64, limit: Duration) {
    use std::io::{BufRead, BufReader, Write};
    let deadline = Instant::now() + limit;
    let host = node_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the node's API answers");
    write!(
        stream,
        "GET /v1/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("the event request is sent");
    let committed = get_json(&format!("{node_url}/v1/status"))
        .and_then(|s| s["height"].as_u64())
        .unwrap_or(0);
    if committed >= height {
        return;
    }
    let mut lines = BufReader::new(stream.try_clone().expect("the stream clones"));
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no block {height} within {limit:?}");
        stream.set_read_timeout(Some(left)).expect("a read timeout");
        let mut line = String::new();
        let read = lines.read_line(&mut line);
        assert!(
            matches!(read, Ok(n) if n > 0),
            "no block {height} within {limit:?}: the event stream ended ({read:?})"
        );
        let seen = line
            .strip_prefix("data:")
            .and_then(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .and_then(|e| e["height"].as_u64());
        if seen.is_some_and(|h| h >= height) {
            return;
        }
    }
}

/// Waits until `epoch`'s manifest for `resource` is final on the chain behind `node`, looking
/// again after each block.
pub fn wait_for_final_manifest(node: &str, epoch: u64, resource: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let final_ = get_json(&format!("{node}/v1/epochs/{epoch}")).is_some_and(|v| {
            v["pools"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|p| p["resource"] == resource && !p["manifest"].is_null())
            })
        });
        if final_ {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no final {resource} manifest for epoch {epoch} within {limit:?}"
        );
        let height = get_json(&format!("{node}/v1/status"))
            .and_then(|s| s["height"].as_u64())
            .unwrap_or(0);
        wait_for_height(node, height + 1, left);
    }
}

/// Waits until some data set of `epoch` is final on the chain behind `node`, looking again
/// after each block; returns the epoch's sets.
pub fn wait_for_data_sets(node: &str, epoch: u64, limit: Duration) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let sets = get_json(&format!("{node}/v1/data/sets/{epoch}"))
            .and_then(|v| v["sets"].as_array().cloned())
            .unwrap_or_default();
        if !sets.is_empty() {
            return sets;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no final data set for epoch {epoch} within {limit:?}"
        );
        let height = get_json(&format!("{node}/v1/status"))
            .and_then(|s| s["height"].as_u64())
            .unwrap_or(0);
        wait_for_height(node, height + 1, left);
    }
}

/// GET of a JSON document.
pub fn get_json(url: &str) -> Option<Value> {
    serde_json::from_str(&http("GET", url, "")?).ok()
}

/// POST of a JSON body; returns the parsed answer.
pub fn post_json(url: &str, body: &str) -> Option<Value> {
    serde_json::from_str(&http("POST", url, body)?).ok()
}

/// A devnet in its own temporary directory (home `DIR/devnet`), with its API and oracle on
/// ports that were free a moment ago: the one way every test runs `plexus devnet`.
pub struct Devnet {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    /// `HOST:PORT` of the node's API and of the oracle, as given to `--api` and `--oracle`.
    pub api: String,
    pub oracle: String,
}

impl Devnet {
    /// `plexus audit epoch N --resource R` against this devnet's node and oracle, with
    /// `extra`: whether it succeeded, and its JSON report.
    pub fn audit(&self, epoch: u64, resource: &str, extra: &[&str]) -> (bool, Value) {
        let (node, oracle, epoch) = (self.node_url(), self.oracle_url(), epoch.to_string());
        let mut args = vec![
            "--node",
            &node,
            "--json",
            "audit",
            "epoch",
            &epoch,
            "--oracle",
            &oracle,
            "--resource",
            resource,
        ];
        args.extend_from_slice(extra);
        let out = run(&self.home, &args);
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.success(), report)
    }

    /// A devnet not started yet, in a new temporary directory.
    pub fn fresh() -> Devnet {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("devnet");
        Devnet {
            dir,
            home,
            api: format!("127.0.0.1:{}", free_port()),
            oracle: format!("127.0.0.1:{}", free_port()),
        }
    }

    /// The node's API URL.
    pub fn node_url(&self) -> String {
        format!("http://{}", self.api)
    }

    /// The oracle's URL.
    pub fn oracle_url(&self) -> String {
        format!("http://{}", self.oracle)
    }

    /// `plexus --home HOME devnet --api … --oracle … EXTRA… --for RUN_FOR --json`, with
    /// `--agents 0` added when `extra` names no agents: a test gets the agents it asks for,
    /// not the default whole network (`whole` runs that).
    fn command(&self, run_for: &str, extra: &[&str]) -> Command {
        let mut cmd = self.command_as_given(run_for, extra);
        if !extra.iter().any(|flag| AGENT_FLAGS.contains(flag)) {
            cmd.args(["--agents", "0"]);
        }
        cmd
    }

    /// The devnet command with exactly the flags given.
    fn command_as_given(&self, run_for: &str, extra: &[&str]) -> Command {
        let mut cmd = plexus();
        cmd.arg("--home")
            .arg(&self.home)
            .args(["devnet", "--api", &self.api, "--oracle", &self.oracle])
            .args(extra)
            .args(["--for", run_for, "--json"]);
        cmd
    }

    /// Runs the devnet for `run_for` as a newcomer does, with no agent flag (the small whole
    /// network), plus `extra`; its JSON summary (it must succeed).
    pub fn run_whole_json(&self, run_for: &str, extra: &[&str]) -> Value {
        let out = self
            .command_as_given(run_for, extra)
            .output()
            .expect("plexus runs");
        summary_of(out, extra)
    }

    /// Runs the devnet for `run_for` with `extra` flags, to the end.
    pub fn run(&self, run_for: &str, extra: &[&str]) -> Output {
        self.command(run_for, extra).output().expect("plexus runs")
    }

    /// Runs the devnet for `run_for` with `extra` flags; its JSON summary (it must succeed).
    pub fn run_json(&self, run_for: &str, extra: &[&str]) -> Value {
        summary_of(self.run(run_for, extra), extra)
    }

    /// Starts the devnet for `run_for` with `extra` flags in the background (its summary on a
    /// pipe, its standard error read line by line); it is killed if the test ends before it
    /// does.
    pub fn spawn(&self, run_for: &str, extra: &[&str]) -> DevnetProcess {
        let mut child = self
            .command(run_for, extra)
            // The agents' job log, for tests that wait on what they submitted.
            .env("PLEXUS_LOG", "warn,plexus_agent::jobs=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("plexus devnet starts");
        let stderr = child.stderr.take().expect("standard error is piped");
        let (lines, stderr_lines) = std::sync::mpsc::channel();
        // Drains standard error for as long as the devnet runs, so it never blocks on a full
        // pipe, and hands each line to the test.
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        DevnetProcess {
            child: Some(child),
            stderr: stderr_lines,
        }
    }

    /// `plexus --home HOME --node API --keyring-backend test ARGS…` against the devnet.
    pub fn cli(&self, args: &[&str]) -> Output {
        let node = self.node_url();
        let mut all = vec!["--node", node.as_str(), "--keyring-backend", "test"];
        all.extend_from_slice(args);
        run(&self.home, &all)
    }
}

/// A devnet running in the background.
pub struct DevnetProcess {
    child: Option<Child>,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl DevnetProcess {
    /// Waits, for at most `limit`, for the devnet to say that its API answers (the line
    /// `devnet ready: …` it writes to standard error under `--json`).
    pub fn wait_until_ready(&self, limit: Duration) {
        self.wait_for_line(limit, "said it was ready", |l| {
            l.starts_with("devnet ready:")
        });
    }

    /// Waits, for at most `limit`, for a line of standard error that `found` accepts, and
    /// returns it; fails the test, with the lines read, if none comes.
    pub fn wait_for_line(
        &self,
        limit: Duration,
        what: &str,
        found: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        let mut said = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if found(&line) => return line,
                Ok(line) => said.push(line),
                Err(e) => panic!("the devnet never {what} ({e}):\n{}", said.join("\n")),
            }
        }
    }

    /// Waits for the devnet to stop by itself; its exit status and output.
    pub fn wait(mut self) -> Output {
        let child = self.child.take().expect("the devnet is running");
        child.wait_with_output().unwrap()
    }

    /// Waits for the devnet to stop by itself; its JSON summary.
    pub fn wait_json(self) -> Value {
        let out = self.wait();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for DevnetProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Flags that choose a devnet's agents; with none of them the devnet starts its whole network.
const AGENT_FLAGS: [&str; 5] = [
    "--agents",
    "--storage-agents",
    "--bandwidth-agents",
    "--cheaters",
    "--training",
];

/// A finished devnet's JSON summary (it must have succeeded).
fn summary_of(out: Output, extra: &[&str]) -> Value {
    assert!(
        out.status.success(),
        "plexus devnet {extra:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
