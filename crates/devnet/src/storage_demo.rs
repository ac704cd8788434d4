//! The devnet's storage demo: a blob put on the node and a deal paid by the storage client for
//! it to be kept by three storage devices (or as many as run), challenged by the oracle every
//! epoch.

use crate::agents::AgentDevice;
use crate::home::STORAGE_CLIENT;
use crate::host::Keys;
use anyhow::{bail, Context};
use plexus_blobs::upload_auth::{KeySigner, SigningTransport};
use plexus_chain::Chain;
use plexus_durable::write_durably;
use plexus_ledger::storage::Candidate;
use plexus_ledger::{query, TxCode};
use plexus_types::{Address, Amount, Body, Hash, PublicKey, SecretKey, UnsignedTx};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Size of the demo blob that storage agents keep.
const DEMO_BLOB_BYTES: usize = 4 << 20;
/// Epochs the demo storage deal pays for.
const DEMO_DEAL_EPOCHS: u64 = 1_000;
/// The demo blob's file in a devnet home.
pub const DEMO_BLOB_FILE: &str = "devnet-blob.bin";

/// Starts the storage demo when storage agents run: `storage` are the storage devices of the
/// devnet's agents (honest, cheating, and the adversaries'), `sharers` those of the replica
/// sharer, the one that runs its blob server first.
pub fn start(
    keys: &impl Keys,
    home: &Path,
    chain: &Arc<Chain>,
    api: SocketAddr,
    storage_agents: usize,
    storage: &[AgentDevice],
    sharers: &[PublicKey],
) -> anyhow::Result<Option<tokio::task::JoinHandle<anyhow::Result<()>>>> {
    if storage_agents == 0 {
        return Ok(None);
    }
    let client = keys.secret(STORAGE_CLIENT).with_context(|| {
        format!(
            "this devnet was created without a storage client; remove {} to start a new one",
            home.display()
        )
    })?;
    let replicas = storage_agents.min(3) as u32;
    let cast = DemoCast {
        storage: storage.iter().map(|(k, _)| *k).collect(),
        droppers: storage
            .iter()
            .filter(|(_, b)| b == "drop-replicas")
            .map(|(k, _)| *k)
            .collect(),
        sharers: sharers.to_vec(),
    };
    let blob = demo_blob(home, &cast, replicas)?;
    Ok(Some(tokio::spawn(storage_demo(
        chain.clone(),
        api,
        client,
        replicas,
        cast.storage.len(),
        blob,
    ))))
}

/// Says, once the devnet stops, what became of the demo deal when it was not made.
pub async fn settle(task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>) {
    let Some(task) = task else { return };
    if task.is_finished() {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: the demo storage deal was not made: {e:#}"),
            Err(e) => eprintln!("warning: the demo storage task failed: {e}"),
        }
    } else {
        task.abort();
        eprintln!("warning: the demo storage deal was still waiting for storage devices");
    }
}

/// The storage devices the demo blob is picked for.
struct DemoCast {
    storage: Vec<PublicKey>,
    /// Devices that drop their replicas.
    droppers: Vec<PublicKey>,
    /// The replica sharer's devices, its server first; they declare one endpoint.
    sharers: Vec<PublicKey>,
}

impl DemoCast {
    /// The devices as the assignment rule will see them. Each devnet agent has an owner of its
    /// own and its own port, so a stand-in owner per device (its key's address) spreads them
    /// as the chain will, and only the sharer's devices share an endpoint.
    fn candidates(&self) -> Vec<Candidate> {
        self.storage
            .iter()
            .map(|key| Candidate {
                key: *key,
                owner: Address::from_public_key(key),
                endpoint: if self.sharers.contains(key) {
                    "sharer".into()
                } else {
                    String::new()
                },
            })
            .collect()
    }

    /// Whether a deal of `blob` shows the cheats: a dropper (if any) is assigned a replica,
    /// and, if the sharer runs, the blob's ranking without the spread rule would give its
    /// devices two replicas, the better ranked being one that declares the server's endpoint
    /// without running it. The spread rule then assigns that one, whose audits the server
    /// cannot answer, and its failure hands the replica to the server, which is paid as one.
    fn shown_by(&self, blob: &Hash, replicas: u32, candidates: &[Candidate]) -> bool {
        let assigned = plexus_ledger::storage::assignment(blob, replicas, candidates);
        let dropper =
            self.droppers.is_empty() || self.droppers.iter().any(|c| assigned.contains(c));
        dropper && (self.sharers.len() < 2 || self.sharer_ranks_twice(blob, replicas, candidates))
    }

    fn sharer_ranks_twice(&self, blob: &Hash, replicas: u32, candidates: &[Candidate]) -> bool {
        let mut ranked: Vec<(Hash, PublicKey)> = candidates
            .iter()
            .map(|c| (plexus_ledger::storage::rank(blob, &c.key), c.key))
            .collect();
        ranked.sort();
        let top: Vec<PublicKey> = ranked
            .iter()
            .take(replicas as usize)
            .map(|(_, k)| *k)
            .filter(|k| self.sharers.contains(k))
            .collect();
        top.len() >= 2 && top[0] != self.sharers[0]
    }
}

/// The demo blob's file in a devnet home, made once and kept, so a resumed devnet finds the
/// same blob. Its first bytes are a counter, chosen so that a deal of it shows the cheats
/// that run (see [`DemoCast::shown_by`]) rather than, by chance, leaving them idle.
fn demo_blob(home: &Path, cast: &DemoCast, replicas: u32) -> anyhow::Result<std::path::PathBuf> {
    let path = home.join(DEMO_BLOB_FILE);
    if path.exists() {
        return Ok(path);
    }
    let candidates = cast.candidates();
    let mut bytes = vec![0u8; DEMO_BLOB_BYTES];
    let mut xof = blake3::Hasher::new_derive_key("plexus devnet demo blob").finalize_xof();
    xof.fill(&mut bytes);
    for counter in 0u64..100_000 {
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let blob = Hash(*blake3::hash(&bytes).as_bytes());
        if cast.shown_by(&blob, replicas, &candidates) {
            break;
        }
    }
    write_durably(&path, &bytes)?;
    Ok(path)
}

/// Puts the demo blob on the node and, once the `devices` storage devices it was picked for
/// are active, makes a deal for `replicas` copies paid by the storage client (unless an open
/// one exists already).
async fn storage_demo(
    chain: Arc<Chain>,
    api: SocketAddr,
    client: SecretKey,
    replicas: u32,
    devices: usize,
    blob_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    let prepared = {
        let path = blob_path.clone();
        tokio::task::spawn_blocking(move || plexus_blobs::client::PreparedBlob::prepare(&path))
            .await??
    };
    let blob = Hash(prepared.id.0);
    let open = query::storage_deals_of_blob(chain.store(), &blob)?
        .iter()
        .any(|d| d.status == plexus_ledger::storage::DealStatus::Open);
    let transport = plexus_client::HttpTransport::new(None, Duration::from_secs(5))?;
    let signer = KeySigner::new(client.clone(), chain.status().chain_id);
    plexus_blobs::client::BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(transport),
        Arc::new(signer),
    )))
    .put(&format!("http://{api}"), &prepared)
    .await?;
    if open {
        return Ok(());
    }
    let storage_devices = || -> anyhow::Result<usize> {
        Ok(query::devices(chain.store())?
            .iter()
            .filter(|d| {
                d.class == "storage-small"
                    && d.status == plexus_ledger::registry::DeviceStatus::Active
            })
            .count())
    };
    while storage_devices()? < devices.max(replicas as usize) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let who = Address::from_public_key(&client.public_key());
    let tx = UnsignedTx {
        chain_id: chain.status().chain_id,
        nonce: query::account(chain.store(), &who)?.nonce,
        fee: chain.checker().params().min_fee,
        body: Body::StorageDeal(plexus_types::StorageDealTerms {
            blob,
            size: prepared.size,
            replicas,
            epochs: DEMO_DEAL_EPOCHS,
            price_per_replica_epoch: Amount::plx(1),
            size_proof: prepared.size_proof()?,
        }),
    }
    .sign(&client);
    let hash = tx.hash;
    {
        let chain = chain.clone();
        tokio::task::spawn_blocking(move || chain.submit(tx.bytes))
            .await?
            .map_err(|r| anyhow::anyhow!("the storage deal was refused: {r}"))?;
    }
    loop {
        if let Some(done) = chain.committed_tx(&hash)? {
            if done.result.code != TxCode::Ok {
                bail!("the storage deal failed: {}", done.result.log);
            }
            tracing::info!(%blob, replicas, height = done.height, "demo storage deal made");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_ledger::storage::{assignment, rank, spread};

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_seed([seed; 32]).public_key()
    }

    /// Three honest storage devices, and the sharer's server (4) and declarer (5).
    fn cast() -> DemoCast {
        DemoCast {
            storage: (1..=5).map(key).collect(),
            droppers: Vec::new(),
            sharers: vec![key(4), key(5)],
        }
    }

    fn picked(cast: &DemoCast, candidates: &[Candidate]) -> Hash {
        (0u64..1_000)
            .map(|n| Hash::of(&n.to_le_bytes()))
            .find(|blob| cast.shown_by(blob, 3, candidates))
            .expect("a blob that shows the cheats among the first thousand")
    }

    #[test]
    fn the_demo_blob_ranks_the_sharer_twice_and_the_spread_rule_assigns_it_one_replica() {
        let cast = cast();
        let candidates = cast.candidates();
        let blob = picked(&cast, &candidates);
        let mut ranked = candidates.clone();
        ranked.sort_by_key(|c| rank(&blob, &c.key));
        let unspread = ranked[..3].iter().filter(|c| cast.sharers.contains(&c.key));
        assert_eq!(unspread.count(), 2, "without the rule it would keep two");

        let assigned = assignment(&blob, 3, &candidates);
        assert_eq!(assigned.len(), 3);
        let sharers: Vec<_> = assigned
            .iter()
            .filter(|k| cast.sharers.contains(k))
            .collect();
        assert_eq!(
            sharers,
            vec![&key(5)],
            "one replica, to the device without the server"
        );

        // The declarer fails its audits and leaves; its replacement is the server, whose
        // endpoint no replica that stays declares.
        let kept: Vec<Candidate> = candidates
            .iter()
            .filter(|c| assigned.contains(&c.key) && c.key != key(5))
            .cloned()
            .collect();
        let free: Vec<Candidate> = ranked
            .into_iter()
            .filter(|c| !assigned.contains(&c.key))
            .collect();
        assert_eq!(spread(free, &kept).first(), Some(&key(4)));
    }

    #[test]
    fn a_blob_whose_ranking_puts_the_sharers_server_first_is_not_picked() {
        let cast = cast();
        let candidates = cast.candidates();
        for n in 0u64..1_000 {
            let blob = Hash::of(&n.to_le_bytes());
            let mut ranked: Vec<PublicKey> = cast.storage.clone();
            ranked.sort_by_key(|k| rank(&blob, k));
            let server_first = ranked[..3]
                .iter()
                .find(|k| cast.sharers.contains(k))
                .is_some_and(|k| *k == key(4));
            if server_first {
                assert!(!cast.shown_by(&blob, 3, &candidates));
            }
        }
    }

    #[test]
    fn a_dropper_is_assigned_by_the_demo_blob_as_before() {
        let cast = DemoCast {
            droppers: vec![key(2)],
            ..cast()
        };
        let candidates = cast.candidates();
        let blob = picked(&cast, &candidates);
        assert!(assignment(&blob, 3, &candidates).contains(&key(2)));
    }
}
