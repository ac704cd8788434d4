//! A node killed with SIGKILL in the middle of a blob upload never serves the partial bytes
//! as the blob: after a restart the blob is partial (or absent), not listed and not served,
//! and the same `plexus blob put` resumes it to a complete, byte-identical blob.
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

fn random_file(path: &std::path::Path, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    let mut xof = blake3::Hasher::new_derive_key("plexus blob crash test").finalize_xof();
    xof.fill(&mut bytes);
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// The raw HTTP answer to a GET, status line included.
fn raw_get(url: &str, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

fn status(url: &str, id: &str) -> serde_json::Value {
    get_json(&format!("{url}/v1/blobs/{id}/status")).unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_node_killed_mid_upload_never_serves_the_partial_blob_and_the_put_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init_node(&home, &["--chain-id", "plexus-blob-crash"]);
    let file = dir.path().join("big.bin");
    // Large enough that the upload takes a while and passes a durable checkpoint (64 MiB).
    let bytes = random_file(&file, 320 * 1024 * 1024);
    let id = plexus_blobs::BlobId::of(&bytes).to_string();
    let port = free_port();

    let mut killed_partial = false;
    for attempt in 0..3 {
        let mut node = NodeProcess::start(&home, port);
        let mut put = plexus()
            .arg("--home")
            .arg(&home)
            .args([
                "--node",
                &node.url,
                "--keyring-backend",
                "test",
                "blob",
                "put",
            ])
            .arg(&file)
            .args(["--from", "faucet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill the node once part of the blob is verified and durable, before the end.
        let started = Instant::now();
        let mut seen_partial = false;
        while started.elapsed() < Duration::from_secs(120) {
            let s = status(&node.url, &id);
            if s["state"] == "complete" {
                break;
            }
            let verified = s["verified"].as_u64().unwrap_or(0);
            if s["state"] == "partial" && verified > 0 {
                seen_partial = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        node.kill();
        let _ = put.kill();
        let _ = put.wait();
        if !seen_partial {
            // The upload finished before it could be interrupted: start over.
            assert!(attempt < 2, "never caught the upload in progress");
            std::fs::remove_dir_all(home.join("blobs")).unwrap();
            continue;
        }

        let node = NodeProcess::start(&home, port);
        let s = status(&node.url, &id);
        assert_ne!(s["state"], "complete", "{s}");
        if s["state"] == "partial" {
            let verified = s["verified"].as_u64().unwrap();
            assert!(verified < bytes.len() as u64, "{s}");
        }
        // Not listed, not served: a download gets an error, never the partial bytes.
        let list = get_json(&format!("{}/v1/blobs", node.url)).unwrap();
        assert!(
            !list["blobs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["id"] == id.as_str()),
            "{list}"
        );
        let answer = raw_get(&node.url, &format!("/v1/blobs/{id}"));
        assert!(
            answer.starts_with(b"HTTP/1.1 404"),
            "a partial blob was served: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
        let out = dir.path().join("out.bin");
        let got = node.cli(&["blob", "get", &id, "-o", out.to_str().unwrap()]);
        assert!(!got.status.success(), "a partial blob was downloaded");
        assert!(!out.exists());

        // The same put resumes from the verified prefix and completes.
        let resumed = node.cli(&["blob", "put", file.to_str().unwrap(), "--from", "faucet"]);
        assert!(
            resumed.status.success(),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        assert_eq!(status(&node.url, &id)["state"], "complete");
        let got = node.cli(&["blob", "get", &id, "-o", out.to_str().unwrap()]);
        assert!(
            got.status.success(),
            "{}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert!(std::fs::read(&out).unwrap() == bytes, "the blob differs");
        killed_partial = true;
        break;
    }
    assert!(killed_partial);
}
