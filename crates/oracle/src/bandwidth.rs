//! Speed tests of bandwidth devices and Wi-Fi hotspots: once per heartbeat interval for a
//! bandwidth device, [`WIFI_TESTS_PER_EPOCH`] times an epoch for a Wi-Fi hotspot, the oracle
//! times, against the device's declared endpoint, an empty round trip (latency, best of three),
//! a payload it sends (download) and a payload it asks for (upload). Payloads come from a fresh
//! seed and are checked by hash, so only the bytes really moved count. The figures go into the
//! evidence log; the bandwidth manifest pays by their tier (`plexus_rewards::bandwidth`), the
//! coverage manifest multiplies a Wi-Fi hotspot's coverage by it
//! (`plexus_rewards::wireless_manifest`).
//!
//! Every answer must be signed by the device key over the test's challenge (the ping's fresh
//! nonce, the payload's hash, the seed), so only a server holding that key passes the test;
//! and each test records the address the device was reached at, so devices on one link are
//! paid as one (rule B8).

use crate::evidence::PublishedRecord;
use crate::shared::Shared;
use plexus_client::views::ResourceClass;
use plexus_types::speed_test::{
    kbps, payload_hash, payload_stream, verify_answer, DOWNLOAD_BYTES, PING_PATH, SINK_PATH,
    SOURCE_PATH, SPEED_SIGNATURE_HEADER, UPLOAD_BYTES,
};
use plexus_types::PublicKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one transfer of a test may take before it counts as failed. A device that needs
/// longer is far below the lowest tier (4 MiB in 8 s is 4 Mbps).
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(8);
/// The latency recorded when the device did not answer at all.
pub const NO_ANSWER_LATENCY_MS: u64 = 10_000;
const PIECE_BYTES: usize = 64 * 1024;
/// Speed tests of a Wi-Fi hotspot an epoch: the coverage manifest needs two, and a test cut
/// short by the epoch's end or a busy link leaves enough.
pub const WIFI_TESTS_PER_EPOCH: u32 = 4;

/// The window of intervals `interval` falls in for a device tested `per_epoch` times an epoch
/// of `intervals` intervals: the device is due one test a window. Windows are shifted by a
/// phase of the device's key so that many devices' tests spread over the epoch.
fn test_window(device: &PublicKey, interval: u32, intervals: u32, per_epoch: u32) -> u32 {
    let stride = (intervals / per_epoch.max(1)).max(1);
    let phase = u32::from(device.as_bytes()[0]) % stride;
    (interval + phase) / stride
}

/// How many tests an epoch a device selling `resource` is due, if it is speed-tested at all.
fn tests_per_epoch(resource: ResourceClass, intervals: u32) -> Option<u32> {
    match resource {
        ResourceClass::Bandwidth => Some(intervals),
        ResourceClass::Coverage => Some(WIFI_TESTS_PER_EPOCH),
        _ => None,
    }
}

/// What one test measured.
struct Measured {
    download_kbps: u64,
    upload_kbps: u64,
    latency_ms: u64,
    /// The address the device answered from, when it answered.
    host: String,
    failures: Vec<String>,
}

/// One device's test: where it listens and whose signatures its answers must carry.
struct Tester<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    device: &'a PublicKey,
    chain_id: &'a str,
}

impl Tester<'_> {
    fn verify(
        &self,
        part: &str,
        challenge: &[u8; 32],
        bytes: u64,
        sig: Option<&str>,
    ) -> Result<(), String> {
        verify_answer(self.device, self.chain_id, part, challenge, bytes, sig)
    }
}

fn seed(shared: &Shared, device: &PublicKey, epoch: u64, interval: u32, way: &str) -> [u8; 32] {
    shared.derive_secret(
        "plexus oracle speed test seed v1",
        &[
            device.as_bytes(),
            &epoch.to_le_bytes(),
            &interval.to_le_bytes(),
            way.as_bytes(),
        ],
    )
}

/// The best of three pings, each signed over a nonce derived from `seed`, and the address the
/// device answered from.
async fn latency(t: &Tester<'_>, seed: [u8; 32]) -> Result<(u64, String), String> {
    let mut best: Option<Duration> = None;
    let mut host = String::new();
    for i in 0..3u8 {
        let mut input = seed.to_vec();
        input.push(i);
        let nonce = blake3::derive_key("plexus oracle ping nonce v1", &input);
        let started = Instant::now();
        let response = t
            .http
            .get(format!(
                "{}{PING_PATH}?nonce={}",
                t.base,
                hex::encode(nonce)
            ))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map_err(|e| format!("ping: {e}"))?;
        let rtt = started.elapsed();
        if !response.status().is_success() {
            return Err(format!("ping: status {}", response.status()));
        }
        if let Some(addr) = response.remote_addr() {
            host = addr.ip().to_string();
        }
        let answer: serde_json::Value = response.json().await.map_err(|e| format!("ping: {e}"))?;
        t.verify("ping", &nonce, 0, answer["signature"].as_str())?;
        best = Some(best.map_or(rtt, |b| b.min(rtt)));
    }
    Ok((
        best.map_or(NO_ANSWER_LATENCY_MS, |d| d.as_millis() as u64),
        host,
    ))
}

async fn download(t: &Tester<'_>, seed: [u8; 32]) -> Result<u64, String> {
    let (http, base) = (t.http, t.base);
    let expected = payload_hash(&seed, DOWNLOAD_BYTES);
    let pieces = futures::stream::unfold(
        (payload_stream(&seed), 0u64),
        |(mut xof, sent)| async move {
            if sent >= DOWNLOAD_BYTES {
                return None;
            }
            let n = (DOWNLOAD_BYTES - sent).min(PIECE_BYTES as u64) as usize;
            let mut piece = vec![0u8; n];
            xof.fill(&mut piece);
            Some((
                Ok::<_, std::io::Error>(bytes::Bytes::from(piece)),
                (xof, sent + n as u64),
            ))
        },
    );
    let started = Instant::now();
    let response = http
        .post(format!("{base}{SINK_PATH}"))
        .timeout(TRANSFER_TIMEOUT)
        .body(reqwest::Body::wrap_stream(pieces))
        .send()
        .await
        .map_err(|e| format!("download: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("download: status {}", response.status()));
    }
    let receipt: serde_json::Value = response
        .json()
        .await
        .map_err(|e| format!("download: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    if receipt["bytes"].as_u64() != Some(DOWNLOAD_BYTES)
        || receipt["blake3"].as_str() != Some(expected.to_hex().as_str())
    {
        return Err("download: the device's receipt does not match the payload".into());
    }
    t.verify(
        "sink",
        expected.as_bytes(),
        DOWNLOAD_BYTES,
        receipt["signature"].as_str(),
    )
    .map_err(|e| format!("download: {e}"))?;
    Ok(kbps(DOWNLOAD_BYTES, secs))
}

async fn upload(t: &Tester<'_>, seed: [u8; 32]) -> Result<u64, String> {
    let (http, base) = (t.http, t.base);
    use futures::StreamExt;
    let expected = payload_hash(&seed, UPLOAD_BYTES);
    let started = Instant::now();
    let transfer = async {
        let response = http
            .get(format!(
                "{base}{SOURCE_PATH}?seed={}&bytes={UPLOAD_BYTES}",
                hex::encode(seed)
            ))
            .send()
            .await
            .map_err(|e| format!("upload: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("upload: status {}", response.status()));
        }
        let signature = response
            .headers()
            .get(SPEED_SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        t.verify("source", &seed, UPLOAD_BYTES, signature)
            .map_err(|e| format!("upload: {e}"))?;
        let mut hasher = blake3::Hasher::new();
        let mut got = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| format!("upload: {e}"))?;
            got += piece.len() as u64;
            if got > UPLOAD_BYTES {
                return Err("upload: the device sent more than was asked".into());
            }
            hasher.update(&piece);
        }
        if got != UPLOAD_BYTES || hasher.finalize() != expected {
            return Err("upload: the device did not send the payload of the seed".into());
        }
        Ok(())
    };
    tokio::time::timeout(TRANSFER_TIMEOUT, transfer)
        .await
        .map_err(|_| format!("upload: not done within {TRANSFER_TIMEOUT:?}"))??;
    Ok(kbps(UPLOAD_BYTES, started.elapsed().as_secs_f64()))
}

async fn measure(
    shared: &Shared,
    http: &reqwest::Client,
    device: &PublicKey,
    endpoint: &str,
    epoch: u64,
    interval: u32,
) -> Measured {
    let t = Tester {
        http,
        base: endpoint.trim_end_matches('/'),
        device,
        chain_id: &shared.info.chain_id,
    };
    let mut failures = Vec::new();
    let ping = seed(shared, device, epoch, interval, "ping");
    let (latency_ms, host) = latency(&t, ping).await.unwrap_or_else(|e| {
        failures.push(e);
        (NO_ANSWER_LATENCY_MS, String::new())
    });
    let download_kbps = download(&t, seed(shared, device, epoch, interval, "down"))
        .await
        .unwrap_or_else(|e| {
            failures.push(e);
            0
        });
    let upload_kbps = upload(&t, seed(shared, device, epoch, interval, "up"))
        .await
        .unwrap_or_else(|e| {
            failures.push(e);
            0
        });
    Measured {
        download_kbps,
        upload_kbps,
        latency_ms,
        host,
        failures,
    }
}

/// Starts a speed test of every active bandwidth device or Wi-Fi hotspot not yet tested in the
/// chain's current test window (an interval for a bandwidth device) and not being tested now;
/// each test runs on its own task and logs what it measured. An epoch is not closed while any
/// of its tests runs.
pub(crate) fn start_due_tests(shared: &Arc<Shared>, http: &reqwest::Client) {
    let mut state = shared.state.lock();
    if state.height == 0 {
        return;
    }
    let (epoch, interval) = crate::clock::position(&shared.clock, state.height);
    if state.closed.contains(&epoch) {
        return;
    }
    let intervals = shared.clock.intervals_per_epoch();
    let tested_in_window = |key: &PublicKey, per_epoch: u32| {
        let window = test_window(key, interval, intervals, per_epoch);
        (0..intervals)
            .filter(|i| test_window(key, *i, intervals, per_epoch) == window)
            .any(|i| state.speed_tested.contains(&(*key, epoch, i)))
    };
    let due: Vec<(PublicKey, String)> = state
        .devices
        .values()
        .filter(|d| d.is_active() && d.registered_epoch <= epoch)
        .filter(|d| !d.capabilities.endpoint.is_empty())
        .filter(|d| {
            let resource = shared.info.device_class(&d.class).map(|c| c.resource);
            resource
                .and_then(|r| tests_per_epoch(r, intervals))
                .is_some_and(|per_epoch| !tested_in_window(&d.key, per_epoch))
        })
        .filter(|d| !state.speed_testing.iter().any(|(k, _)| *k == d.key))
        .map(|d| (d.key, d.capabilities.endpoint.clone()))
        .collect();
    for (device, endpoint) in due {
        state.speed_testing.insert((device, epoch));
        let shared = shared.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let m = measure(&shared, &http, &device, &endpoint, epoch, interval).await;
            tracing::debug!(%device, epoch, interval, down = m.download_kbps, up = m.upload_kbps, latency = m.latency_ms, "speed test");
            let record = PublishedRecord::SpeedTest {
                device,
                epoch,
                interval,
                endpoint,
                host: m.host,
                download_bytes: DOWNLOAD_BYTES,
                upload_bytes: UPLOAD_BYTES,
                download_kbps: m.download_kbps,
                upload_kbps: m.upload_kbps,
                latency_ms: m.latency_ms,
                failure: (!m.failures.is_empty()).then(|| m.failures.join("; ")),
            };
            let mut state = shared.state.lock();
            state.speed_testing.remove(&(device, epoch));
            if state.closed.contains(&epoch) {
                return;
            }
            match state.log.append(std::slice::from_ref(&record)) {
                Ok(()) => {
                    state.speed_tested.insert((device, epoch, interval));
                }
                Err(e) => tracing::warn!(%device, error = %e, "cannot log a speed test"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::SecretKey;

    #[test]
    fn a_wifi_hotspot_is_due_four_tests_an_epoch_and_a_bandwidth_device_one_an_interval() {
        let windows = |device: &PublicKey, intervals: u32, per_epoch: u32| {
            let mut w: Vec<u32> = (0..intervals)
                .map(|i| test_window(device, i, intervals, per_epoch))
                .collect();
            w.dedup();
            w.len() as u32
        };
        for seed in 0..8u8 {
            let device = SecretKey::from_seed([seed; 32]).public_key();
            for intervals in [1, 2, 8, 12, 13, 64] {
                let bandwidth = tests_per_epoch(ResourceClass::Bandwidth, intervals).unwrap();
                assert_eq!(windows(&device, intervals, bandwidth), intervals);
                let wifi = tests_per_epoch(ResourceClass::Coverage, intervals).unwrap();
                let n = windows(&device, intervals, wifi);
                // At least the four asked for when the epoch has the intervals for them, one
                // more when a phase splits a window at the epoch's ends.
                assert!(
                    n >= WIFI_TESTS_PER_EPOCH.min(intervals) && n <= WIFI_TESTS_PER_EPOCH + 1,
                    "{intervals} intervals: {n} windows"
                );
            }
        }
        assert_eq!(tests_per_epoch(ResourceClass::Poc, 8), None);
        assert_eq!(tests_per_epoch(ResourceClass::Compute, 8), None);
    }
}
