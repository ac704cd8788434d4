//! Following the chain: each step reads the height, beacons and registry, schedules and
//! expires challenges, closes ended epochs (scoring them with the public rules and submitting
//! their manifests), and audits storage replicas once an epoch.

use crate::clock;
use crate::draws;
use crate::rules;
use crate::shared::{manifest_path, ClosedEpoch, Shared};
use plexus_client::views::DeviceView;
use plexus_client::NodeApi;
use plexus_rewards::audit::{score_resource, ScoredResource, SCORED_RESOURCES};
use plexus_rewards::sensors::manifest::score_sensor_manifest;
use plexus_rewards::{ChallengeOutcome, Manifest};
use plexus_types::{Body, Hash};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the registry became since the oracle last read it.
enum Registry {
    /// Every device, as of block `through` or later.
    All(Vec<DeviceView>, u64),
    /// The devices registered or changed up to block `through`.
    Changed(Vec<DeviceView>, u64),
}

/// Follows the registry by height: every device once, then only what later blocks changed,
/// so each tick costs what changed rather than the whole registry.
async fn read_registry(shared: &Shared, height: u64) -> anyhow::Result<Option<Registry>> {
    let through = shared.state.lock().devices_through;
    let Some(mut after) = through else {
        return Ok(Some(Registry::All(shared.node().devices().await?, height)));
    };
    let mut changed = Vec::new();
    while after < height {
        let page = shared.node().device_changes(after).await?;
        changed.extend(page.devices);
        if page.through <= after {
            break;
        }
        after = page.through;
    }
    Ok(
        (!changed.is_empty() || Some(after) != through)
            .then_some(Registry::Changed(changed, after)),
    )
}

/// One step of following the chain. `resolved` holds the outcomes of challenges the evidence
/// log already had at start, applied once their challenges are scheduled again.
/// Sends the fraud proofs found since the last step, one at a time; one the node does not take
/// stays queued for the next step. A committed one that failed (the device was slashed
/// already, say) is dropped: the chain has judged it.
async fn submit_frauds(shared: &Arc<Shared>) {
    let queued = std::mem::take(&mut shared.state.lock().frauds);
    let mut unsent = Vec::new();
    for (device, fraud) in queued {
        if !unsent.is_empty() {
            unsent.push((device, fraud));
            continue;
        }
        match shared.sender.send(fraud.clone()).await {
            Ok(committed) => {
                tracing::info!(%device, code = %committed.code, "fraud proof submitted")
            }
            Err(e) => {
                tracing::warn!(%device, error = %e, "fraud proof not submitted; retrying");
                unsent.push((device, fraud));
            }
        }
    }
    let mut state = shared.state.lock();
    unsent.append(&mut state.frauds);
    state.frauds = unsent;
}

pub(crate) async fn follow(
    shared: &Arc<Shared>,
    resolved: &mut BTreeMap<Hash, ChallengeOutcome>,
) -> anyhow::Result<()> {
    submit_frauds(shared).await;
    let status = shared.node().chain_status().await?;
    let height = status.height;
    if height == 0 {
        return Ok(());
    }
    let clock = shared.clock;
    let (epoch, interval) = clock::position(&clock, height);
    let need: Vec<u64> = {
        let state = shared.state.lock();
        let mut need = vec![clock::beacon(&clock, epoch, interval)];
        if interval > 0 {
            need.push(clock::beacon(&clock, epoch, interval - 1));
        }
        need.into_iter()
            .filter(|h| !state.beacons.contains_key(h))
            .collect()
    };
    let mut fetched = Vec::new();
    for h in need {
        fetched.push((h, shared.app_hash(h).await?));
    }
    fetch_draw_beacons(shared, epoch, height).await?;
    let registry = read_registry(shared, height).await?;
    let last_ended = shared.node().rewards().await?.last_ended_epoch;
    let to_log = {
        let mut state = shared.state.lock();
        state.height = height;
        state.beacons.extend(fetched);
        let keep_from = clock::beacon(&clock, epoch, 0).saturating_sub(clock.epoch_blocks());
        state.beacons = state.beacons.split_off(&keep_from);
        match registry {
            Some(Registry::All(devices, through)) => {
                state.devices = devices.into_iter().map(|d| (d.key, d)).collect();
                state.devices_through = Some(through);
            }
            Some(Registry::Changed(devices, through)) => {
                state
                    .devices
                    .extend(devices.into_iter().map(|d| (d.key, d)));
                state.devices_through = Some(through);
            }
            None => {}
        }
        let chain_id = shared.info.chain_id.as_str();
        let drawn = std::mem::take(&mut state.draw_beacons);
        // After a restart the previous epoch may still be open: rebuild its challenges too
        // (they are drawn from the beacon, so they are the same ones). An epoch is scheduled
        // once the beacon of its first block is read.
        let previous = (epoch > 1 && !state.closed.contains(&(epoch - 1))).then(|| epoch - 1);
        for e in previous.into_iter().chain([epoch]) {
            if let Some(b) = drawn.get(&draws::schedule_height(&clock, e)).copied() {
                rules::schedule(&mut state, &clock, e, |device, epoch, k| {
                    draws::schedule_word(chain_id, &b, device, epoch, k)
                });
            }
        }
        rules::open_due(
            &mut state,
            height,
            shared.time.now(),
            |h| drawn.get(&h).copied(),
            |device, epoch, k, beacon| draws::challenge_secret(chain_id, beacon, device, epoch, k),
        );
        let keep_from = draws::schedule_height(&clock, epoch.saturating_sub(1).max(1));
        state.draw_beacons = drawn;
        state.draw_beacons = state.draw_beacons.split_off(&keep_from);
        // Challenges resolved before a restart keep their outcome.
        for c in state.challenges.values_mut() {
            if let Some(o) = resolved.remove(&c.id) {
                c.outcome.get_or_insert(o);
            }
        }
        rules::expire(&mut state.challenges, shared.time.now(), last_ended)
    };
    if !to_log.is_empty() {
        let mut state = shared.state.lock();
        state.log.append(&to_log)?;
    }
    for e in closable_epochs(shared, epoch, interval, last_ended) {
        if crate::gather::peers_heard(shared, e, height).await {
            close_epoch(shared, e).await?;
        }
    }
    if storage_audit_due(shared, epoch, interval) {
        audit_storage(shared, epoch).await?;
    }
    Ok(())
}

/// Reads the beacons this step draws from and does not have yet: the schedule beacons of the
/// epoch in progress and of the one before, and those of the blocks challenges open at.
async fn fetch_draw_beacons(shared: &Shared, epoch: u64, height: u64) -> anyhow::Result<()> {
    let need: Vec<u64> = {
        let state = shared.state.lock();
        let mut need: Vec<u64> = (epoch.saturating_sub(1).max(1)..=epoch)
            .map(|e| draws::schedule_height(&shared.clock, e))
            .filter(|h| *h <= height)
            .collect();
        need.push(draws::storage_height(&shared.clock, epoch));
        need.retain(|h| *h <= height);
        need.extend(rules::due_heights(&state, height));
        need.retain(|h| !state.draw_beacons.contains_key(h));
        need
    };
    for h in need {
        let beacon = shared.node().beacon(Some(h)).await?.value;
        shared.state.lock().draw_beacons.insert(h, beacon);
    }
    Ok(())
}

/// Every ended epoch whose challenges are all resolved and whose speed tests are done, once
/// heartbeats for its last interval can no longer arrive (they are taken until the next
/// interval ends).
fn closable_epochs(shared: &Shared, epoch: u64, interval: u32, last_ended: u64) -> Vec<u64> {
    let state = shared.state.lock();
    (1..=last_ended)
        .filter(|e| (epoch, interval) > (e + 1, 0))
        .filter(|e| !state.closed.contains(e))
        .filter(|e| !state.speed_testing.iter().any(|(_, t)| t == e))
        .filter(|e| !state.pending.keys().any(|(_, pe, _)| pe == e))
        .filter(|e| {
            state
                .challenges
                .values()
                .filter(|c| c.epoch == *e)
                .all(|c| c.outcome.is_some())
        })
        .collect()
}

/// Storage: the replicas of the epoch in progress are audited once, after its first interval,
/// leaving the rest of the epoch for the report to be committed. An oracle that starts in the
/// middle of an epoch leaves that epoch unaudited (its replicas are paid unchecked for it) and
/// audits from the next one: devices restarting with it get time to declare where they now
/// listen, rather than failing at an address they left.
fn storage_audit_due(shared: &Shared, epoch: u64, interval: u32) -> bool {
    let mut state = shared.state.lock();
    let started_at = *state.started_at.get_or_insert((epoch, interval));
    let started_before = started_at.0 < epoch || started_at.1 == 0;
    interval >= 1 && started_before && !state.audited.contains(&epoch)
}

/// Challenges every replica assigned for `epoch`, records the audit, and reports the
/// replicas that failed.
async fn audit_storage(shared: &Arc<Shared>, epoch: u64) -> anyhow::Result<()> {
    let deals = shared.node().open_deals().await?;
    // Endpoints change when devices move: the registry followed up to this tick says where
    // each is now.
    let height = draws::storage_height(&shared.clock, epoch);
    let Some(beacon) = shared.state.lock().draw_beacons.get(&height).copied() else {
        // Read on the next step, before the audit is tried again.
        return Ok(());
    };
    let audit = crate::storage_audit::audit_epoch(shared, &deals, epoch, &beacon).await;
    let failures = audit.failures();
    if !audit.replicas.is_empty() {
        let dir = shared.data_dir.join("storage-audits");
        std::fs::create_dir_all(&dir)?;
        plexus_durable::write_durably(
            &dir.join(format!("epoch-{epoch}.json")),
            serde_json::to_string_pretty(&audit)?.as_bytes(),
        )?;
    }
    if !failures.is_empty() {
        for r in audit.replicas.iter().filter(|r| r.failure.is_some()) {
            tracing::info!(epoch, deal = r.deal, device = %r.device, why = r.failure.as_deref().unwrap_or(""), "replica failed its challenge");
        }
        let body = Body::StorageAudit {
            epoch,
            failures: failures.clone(),
        };
        let code = shared.sender.send(body).await?.code;
        if code != "ok" {
            tracing::warn!(epoch, %code, "storage audit report failed");
        }
    }
    tracing::info!(
        epoch,
        challenged = audit.replicas.len(),
        failed = failures.len(),
        "storage audit"
    );
    shared.state.lock().audited.insert(epoch);
    Ok(())
}

/// Scores an ended epoch from the merged evidence with the public rules, submits the
/// manifests, and records them (once: a restart finds the record and does not resubmit).
async fn close_epoch(shared: &Arc<Shared>, epoch: u64) -> anyhow::Result<()> {
    let merged = crate::gather::merged_evidence(shared, epoch).await?;
    // Copied under the lock; scored, published and sealed off the async runtime, so that
    // neither the lock nor a runtime thread is held while the oracle's API has devices
    // waiting on it.
    let (devices, own) = {
        let state = shared.state.lock();
        let devices: Vec<_> = SCORED_RESOURCES
            .into_iter()
            .map(|r| {
                (
                    r,
                    shared.info.scored_devices(state.devices.values(), r.into()),
                )
            })
            .collect();
        (devices, state.log.sealed(epoch))
    };
    let params = shared.info.scoring_params();
    let (manifests, data_sets, segment) = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let records: Vec<_> = merged.iter().map(|r| r.evidence()).collect();
            let mut manifests = Vec::new();
            let mut data_sets = Vec::new();
            for (r, devices) in &devices {
                if *r == ScoredResource::Sensor {
                    let scored =
                        score_sensor_manifest(params, epoch, r.as_str(), devices, &records)?;
                    data_sets = scored.data_sets.into_iter().map(|d| d.manifest).collect();
                    manifests.push(scored.manifest);
                } else {
                    manifests.push(score_resource(params, devices, epoch, &records, *r)?);
                }
            }
            let segment = crate::gather::publish(&shared, epoch, &merged)?;
            crate::evidence::write_sealed(&own)?;
            Ok((manifests, data_sets, segment))
        })
        .await??
    };
    {
        let mut state = shared.state.lock();
        state.log.release(epoch);
        state.peer_logs.remove(&epoch);
    }
    // Submitted together, in about a block: the data sets first and the compute manifest
    // last, since its record is what marks the epoch closed after a restart.
    let ordered: Vec<Manifest> = data_sets
        .into_iter()
        .chain(manifests.into_iter().rev())
        .collect();
    let bodies = ordered.iter().map(|m| manifest_body(epoch, m)).collect();
    let answers = shared.sender.send_all(bodies).await;
    for (manifest, answer) in ordered.into_iter().zip(answers) {
        record_manifest(shared, epoch, segment, manifest, answer?.code)?;
    }
    let mut state = shared.state.lock();
    state.closed.insert(epoch);
    // A closed epoch admits no more records, so neither they nor their duplicates need be
    // held.
    if let Err(e) = state.forget_closed() {
        tracing::warn!(epoch, error = %e, "a closed epoch's evidence stays in memory");
    }
    Ok(())
}

/// The transaction that submits one resource's manifest of a closed epoch.
fn manifest_body(epoch: u64, manifest: &Manifest) -> Body {
    Body::SubmitManifest {
        epoch,
        resource: manifest.resource().to_string(),
        root: manifest.root(),
        total_units: manifest.total_units(),
        evidence_root: manifest.evidence_root(),
    }
}

/// Records a submitted manifest of a closed epoch with the code its submission got.
fn record_manifest(
    shared: &Arc<Shared>,
    epoch: u64,
    segment: Hash,
    manifest: Manifest,
    code: String,
) -> anyhow::Result<()> {
    let resource = manifest.resource().to_string();
    let resource = resource.as_str();
    if code != "ok" && code != "already_submitted" && code != "manifest_final" {
        tracing::warn!(epoch, resource, %code, "manifest submission failed");
    }
    let closed = ClosedEpoch {
        epoch,
        resource: resource.to_string(),
        evidence_segment: segment,
        manifest,
        submitted: code.clone(),
    };
    plexus_durable::write_durably(
        &manifest_path(&shared.data_dir, epoch, resource),
        serde_json::to_string_pretty(&closed)?.as_bytes(),
    )?;
    tracing::info!(epoch, resource, %code, units = %closed.manifest.total_units(), "manifest submitted");
    Ok(())
}
