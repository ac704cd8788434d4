//! The replica sharer: one attacker's storage devices, of distinct owner keys, all declaring
//! the endpoint of one blob server that its first device runs, to be assigned several
//! replicas of a blob while keeping one copy, and paid for each. It watches every committed
//! block, as any follower could, to see how many replicas of a blob its endpoint held at once
//! and which device each deal's payments went to (the chain keeps only the deal's total).

use super::{Adversary, AdversaryReport, Stage};
use crate::agents::AgentDevice;
use crate::host::Client;
use plexus_ledger::query;
use plexus_ledger::storage::{rank, FailedReplica, StorageDeal};
use plexus_types::{Amount, Hash, PublicKey};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the sharer's devices were given, block after block.
#[derive(Debug, Default)]
pub(super) struct SharerLog {
    /// Its devices, the server's first.
    sharers: Vec<PublicKey>,
    /// Each open deal as last seen.
    last: BTreeMap<u64, StorageDeal>,
    /// Per blob: the most replicas its devices held at once.
    most_at_once: BTreeMap<Hash, usize>,
    /// Per blob: every device of its ever assigned a replica.
    assigned: BTreeMap<Hash, BTreeSet<PublicKey>>,
    /// What each device was paid for its replicas.
    paid: BTreeMap<PublicKey, Amount>,
    /// Payments that could not be told apart (two settlements between two looks).
    unattributed: Amount,
}

impl SharerLog {
    pub(super) fn new(sharers: Vec<PublicKey>) -> SharerLog {
        SharerLog {
            sharers,
            ..SharerLog::default()
        }
    }

    /// Takes in the open deals after a block in which epoch `ended` was the last to end. A
    /// deal paid more than when last seen paid the providers it then had that served in
    /// `ended` and did not fail it (payment rule).
    pub(super) fn observe(&mut self, ended: u64, deals: &[StorageDeal]) {
        let mut at_once: BTreeMap<Hash, usize> = BTreeMap::new();
        for deal in deals {
            let mine: Vec<PublicKey> = deal
                .providers
                .iter()
                .filter(|p| self.sharers.contains(p))
                .copied()
                .collect();
            *at_once.entry(deal.blob).or_default() += mine.len();
            self.assigned.entry(deal.blob).or_default().extend(mine);
            if let Some(before) = self.last.insert(deal.id, deal.clone()) {
                let delta = Amount(deal.paid.0.saturating_sub(before.paid.0));
                if delta > Amount::ZERO {
                    self.credit(&before, deal, ended, delta);
                }
            }
        }
        for (blob, n) in at_once {
            let most = self.most_at_once.entry(blob).or_default();
            *most = (*most).max(n);
        }
    }

    fn credit(&mut self, before: &StorageDeal, now: &StorageDeal, ended: u64, delta: Amount) {
        let paid: Vec<PublicKey> = before
            .providers
            .iter()
            .filter(|p| before.serves_in(p, ended))
            .filter(|p| {
                !now.failed.contains(&FailedReplica {
                    epoch: ended,
                    device: **p,
                })
            })
            .copied()
            .collect();
        let expected = now
            .price_per_replica_epoch
            .0
            .checked_mul(paid.len() as u128);
        if expected != Some(delta.0) {
            self.unattributed = Amount(self.unattributed.0.saturating_add(delta.0));
            return;
        }
        for device in paid {
            let sum = self.paid.entry(device).or_insert(Amount::ZERO);
            *sum = Amount(sum.0.saturating_add(now.price_per_replica_epoch.0));
        }
    }

    /// What its devices were paid together.
    fn sharers_paid(&self) -> Amount {
        Amount(self.sharers.iter().map(|d| self.paid_to(d).0).sum())
    }

    fn paid_to(&self, device: &PublicKey) -> Amount {
        self.paid.get(device).copied().unwrap_or(Amount::ZERO)
    }

    /// Whether the network held: never two replicas of a blob on its endpoint at once, and no
    /// pay to a device whose declared server does not hold its key.
    pub(super) fn held(&self) -> bool {
        self.most_at_once.values().all(|n| *n <= 1)
            && self
                .sharers
                .iter()
                .skip(1)
                .all(|d| self.paid_to(d) == Amount::ZERO)
    }
}

/// The sharer's devices, its server's first (the order the agents started in).
fn sharer_devices(devices: &[AgentDevice]) -> Vec<PublicKey> {
    devices
        .iter()
        .filter(|(_, role)| role == Adversary::ReplicaSharer.name())
        .map(|(key, _)| *key)
        .collect()
}

/// Watches every committed block until `stop`, then says what the sharer was given and paid.
pub(super) async fn run<C: Client>(
    stage: Arc<Stage<C>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<AdversaryReport> {
    let sharers = sharer_devices(&stage.devices);
    anyhow::ensure!(
        sharers.len() >= 2,
        "the replica sharer runs {} devices, not two or more",
        sharers.len()
    );
    let store = stage.chain.store();
    let epoch_blocks = query::chain_info(store)?
        .map(|i| i.rewards.epoch_blocks)
        .ok_or_else(|| anyhow::anyhow!("the chain has no genesis info"))?;
    let (tx, mut heights) = tokio::sync::watch::channel(stage.chain.status().height);
    stage.chain.on_commit(Box::new(move |block| {
        let _ = tx.send(block.height);
    }));
    let mut log = SharerLog::new(sharers);
    loop {
        let height = *heights.borrow_and_update();
        log.observe(height / epoch_blocks, &query::open_storage_deals(store)?);
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            changed = heights.changed() => if changed.is_err() { break },
        }
    }
    let audits = audit_shared_endpoint(&stage, &log).await?;
    report(&stage, &log, audits)
}

/// What auditing the shared endpoint showed once the run stopped: the blob it keeps for the
/// server, then the result of an audit as the oracle sends it for each device, the server's
/// first (`Ok`: the bytes proved; `Err`: why it was refused).
type SharedAudits = Option<(Hash, Vec<(PublicKey, Result<u64, String>)>)>;

/// Audits every device of the sharer at the shared endpoint, for a blob its server keeps a
/// replica of: the server holds the bytes, and only its own key.
async fn audit_shared_endpoint<C>(
    stage: &Stage<C>,
    log: &SharerLog,
) -> anyhow::Result<SharedAudits> {
    let server = log.sharers[0];
    let store = stage.chain.store();
    let Some(deal) = query::open_storage_deals(store)?
        .into_iter()
        .find(|d| d.providers.contains(&server))
    else {
        return Ok(None);
    };
    let endpoint = query::device(store, &server)?
        .map(|d| d.capabilities.endpoint)
        .unwrap_or_default();
    let chain_id = stage.chain.status().chain_id;
    let client = plexus_blobs::client::BlobClient::new();
    let id = plexus_blobs::BlobId(deal.blob.0);
    let mut results = Vec::new();
    for device in &log.sharers {
        let nonce = blake3::derive_key("plexus devnet replica sharer audit", device.as_bytes());
        let groups = plexus_blobs::retrievability::challenge_groups(id, deal.size, &nonce, 8);
        let check = plexus_blobs::answer_auth::AnswerCheck {
            chain_id: chain_id.clone(),
            device: *device,
            nonce,
        };
        let answer = client
            .challenge(
                &endpoint,
                id,
                deal.size,
                &groups,
                AUDIT_DEADLINE,
                Some(&check),
            )
            .await
            .map_err(|e| e.to_string());
        results.push((*device, answer));
    }
    Ok(Some((deal.blob, results)))
}

/// As long as the oracle gives a device to answer.
const AUDIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

fn short(key: &PublicKey) -> String {
    key.to_string().chars().take(12).collect()
}

fn report<C>(
    stage: &Stage<C>,
    log: &SharerLog,
    audits: SharedAudits,
) -> anyhow::Result<AdversaryReport> {
    let store = stage.chain.store();
    let server = log.sharers[0];
    let endpoint = query::device(store, &server)?
        .map(|d| d.capabilities.endpoint)
        .unwrap_or_default();
    let mut outcome = Vec::new();
    for key in &log.sharers[1..] {
        let declared = query::device(store, key)?.map(|d| d.capabilities.endpoint);
        let failed: Vec<u64> = log
            .last
            .values()
            .flat_map(|d| d.failed.iter())
            .filter(|f| f.device == *key)
            .map(|f| f.epoch)
            .collect();
        let assigned = log.assigned.values().filter(|a| a.contains(key)).count();
        outcome.push(format!(
            "device {} declares {} ({}), whose server does not hold its key: assigned a replica of {assigned} blob(s), failed audits in epochs {failed:?}, paid {}",
            short(key),
            declared.as_deref().unwrap_or("(not registered)"),
            if declared.as_deref() == Some(endpoint.as_str()) { "the server's" } else { "NOT the server's" },
            log.paid_to(key).to_plx_string()
        ));
    }
    for (blob, most) in &log.most_at_once {
        outcome.push(format!(
            "blob {}: at most {most} replica(s) at once on its endpoint (ranked without the spread rule: {} of the deal's replicas), its devices ever assigned: {}",
            short_hash(blob),
            unspread(store, blob, log)?,
            log.assigned.get(blob).map_or(0, BTreeSet::len)
        ));
    }
    // The server proves the blob for itself; no other device's audit may pass there.
    let mut audits_refused = true;
    match &audits {
        Some((blob, results)) => {
            let said: Vec<String> = results
                .iter()
                .map(|(device, answer)| match answer {
                    Ok(bytes) => format!("{} proved {bytes} bytes", short(device)),
                    Err(e) => format!("{} refused ({e})", short(device)),
                })
                .collect();
            audits_refused = results.iter().skip(1).all(|(_, a)| a.is_err());
            outcome.push(format!(
                "audits at the shared endpoint, which keeps blob {} for the server, once the run stopped: {}",
                short_hash(blob),
                said.join("; ")
            ));
        }
        None => outcome.push("its server keeps no replica to audit at the end".into()),
    }
    let honest_best = log
        .paid
        .iter()
        .filter(|(d, _)| !log.sharers.contains(d))
        .map(|(_, a)| *a)
        .max()
        .unwrap_or(Amount::ZERO);
    outcome.push(format!(
        "paid: its devices {} together ({} to the server); the best paid honest device, one replica: {}{}",
        log.sharers_paid().to_plx_string(),
        log.paid_to(&server).to_plx_string(),
        honest_best.to_plx_string(),
        if log.unattributed > Amount::ZERO {
            format!(" ({} paid to devices not told apart)", log.unattributed.to_plx_string())
        } else {
            String::new()
        }
    ));
    Ok(AdversaryReport {
        kind: Adversary::ReplicaSharer,
        tried: format!(
            "{} storage devices of distinct owners declare one blob server, {endpoint} (device {} runs it and keeps the data), to be assigned several replicas of a blob and paid for each",
            log.sharers.len(),
            short(&server)
        ),
        outcome,
        held: log.held() && audits_refused,
    })
}

fn short_hash(blob: &Hash) -> String {
    blob.to_string().chars().take(12).collect()
}

/// How many replicas of the open deals of `blob` its devices would have had by rank alone,
/// among today's active storage devices (every one is ranked on a devnet's few).
fn unspread(store: &plexus_store::Store, blob: &Hash, log: &SharerLog) -> anyhow::Result<usize> {
    let replicas = log
        .last
        .values()
        .filter(|d| d.blob == *blob)
        .map(|d| d.replicas as usize)
        .max()
        .unwrap_or(0);
    let mut ranked: Vec<(Hash, PublicKey)> = query::devices(store)?
        .into_iter()
        .filter(|d| plexus_agent::config::is_storage_class(&d.class))
        .filter(|d| d.status == plexus_ledger::registry::DeviceStatus::Active)
        .map(|d| (rank(blob, &d.key), d.key))
        .collect();
    ranked.sort();
    Ok(ranked
        .iter()
        .take(replicas)
        .filter(|(_, k)| log.sharers.contains(k))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_ledger::storage::{DealStatus, Handover};
    use plexus_types::{Address, SecretKey};

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_seed([seed; 32]).public_key()
    }

    const SERVER: u8 = 4;
    const DECLARER: u8 = 5;

    fn deal(providers: &[u8], paid_plx: u64) -> StorageDeal {
        StorageDeal {
            id: 0,
            client: Address::from_public_key(&key(9)),
            blob: Hash::of(b"blob"),
            size: 1,
            replicas: 3,
            price_per_replica_epoch: Amount::plx(1),
            first_epoch: 1,
            last_epoch: 100,
            escrow: Amount::plx(300),
            paid: Amount::plx(paid_plx),
            refunded: Amount::ZERO,
            providers: providers.iter().map(|s| key(*s)).collect(),
            failed: Vec::new(),
            handovers: Vec::new(),
            status: DealStatus::Open,
            created_height: 1,
        }
    }

    fn log() -> SharerLog {
        SharerLog::new(vec![key(SERVER), key(DECLARER)])
    }

    #[test]
    fn the_declarer_that_fails_its_audits_is_unpaid_and_the_server_is_paid_as_one_replica() {
        let mut log = log();
        log.observe(0, &[deal(&[1, 2, DECLARER], 0)]);
        // Epoch 1: the declarer's audits fail; the two honest replicas are paid, and the
        // server takes the declarer's place from epoch 3 on.
        let mut failed = deal(&[1, 2, SERVER], 2);
        failed.failed.push(FailedReplica {
            epoch: 1,
            device: key(DECLARER),
        });
        failed.handovers.push(Handover {
            device: key(SERVER),
            first_epoch: 3,
        });
        log.observe(1, std::slice::from_ref(&failed));
        failed.paid = Amount::plx(4);
        log.observe(2, std::slice::from_ref(&failed));
        failed.paid = Amount::plx(7);
        log.observe(3, std::slice::from_ref(&failed));

        assert_eq!(log.paid_to(&key(DECLARER)), Amount::ZERO);
        assert_eq!(log.paid_to(&key(SERVER)), Amount::plx(1));
        assert_eq!(log.paid_to(&key(1)), Amount::plx(3));
        assert_eq!(log.unattributed, Amount::ZERO);
        assert_eq!(log.most_at_once.values().copied().max(), Some(1));
        assert_eq!(log.assigned.values().next().map(BTreeSet::len), Some(2));
        assert!(log.held());
    }

    #[test]
    fn two_replicas_of_a_blob_on_the_shared_endpoint_at_once_are_not_held() {
        let mut log = log();
        log.observe(0, &[deal(&[1, SERVER, DECLARER], 0)]);
        assert!(!log.held());
    }

    #[test]
    fn a_paid_declarer_is_not_held() {
        let mut log = log();
        log.observe(0, &[deal(&[1, 2, DECLARER], 0)]);
        log.observe(1, &[deal(&[1, 2, DECLARER], 3)]);
        assert_eq!(log.paid_to(&key(DECLARER)), Amount::plx(1));
        assert!(!log.held());
    }

    #[test]
    fn a_payment_that_does_not_match_the_providers_is_not_credited_to_anyone() {
        let mut log = log();
        log.observe(0, &[deal(&[1, 2, SERVER], 0)]);
        log.observe(2, &[deal(&[1, 2, SERVER], 6)]);
        assert_eq!(log.unattributed, Amount::plx(6));
        assert_eq!(log.paid_to(&key(SERVER)), Amount::ZERO);
    }
}
