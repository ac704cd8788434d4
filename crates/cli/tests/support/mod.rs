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

/// GET of a JSON document.
pub fn get_json(url: &str) -> Option<Value> {
    serde_json::from_str(&http("GET", url, "")?).ok()
}

/// POST of a JSON body; returns the parsed answer.
pub fn post_json(url: &str, body: &str) -> Option<Value> {
    serde_json::from_str(&http("POST", url, body)?).ok()
}
