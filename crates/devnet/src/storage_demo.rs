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
use plexus_types::{Address, Amount, Body, Hash, SecretKey, UnsignedTx};
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

/// Starts the storage demo when storage agents run: `after_compute` are the devices started
/// after the compute agents' (the storage agents', then the bandwidth agents').
pub fn start(
    keys: &impl Keys,
    home: &Path,
    chain: &Arc<Chain>,
    api: SocketAddr,
    storage_agents: usize,
    after_compute: &[AgentDevice],
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
    let storage_devices: Vec<_> = after_compute.iter().map(|(k, _)| *k).collect();
    let cheaters: Vec<_> = after_compute
        .iter()
        .filter(|(_, b)| b == "drop-replicas")
        .map(|(k, _)| *k)
        .collect();
    let blob = demo_blob(home, &storage_devices, &cheaters, replicas as usize)?;
    Ok(Some(tokio::spawn(storage_demo(
        chain.clone(),
        api,
        client,
        replicas,
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

/// The demo blob's file in a devnet home, made once and kept, so a resumed devnet finds the
/// same blob. Its first bytes are a counter, chosen so that the chain's assignment rule puts
/// a cheating storage device (if any) among the first `replicas`: the demo then shows one
/// caught rather than, by chance, leaving it idle.
fn demo_blob(
    home: &std::path::Path,
    storage_devices: &[plexus_types::PublicKey],
    cheaters: &[plexus_types::PublicKey],
    replicas: usize,
) -> anyhow::Result<std::path::PathBuf> {
    let path = home.join(DEMO_BLOB_FILE);
    if path.exists() {
        return Ok(path);
    }
    // The provider set in registration order, as the rule reads it. Each devnet agent has an
    // owner of its own and its own port, so no two devices share either: a stand-in owner per
    // device (its key's address) spreads them exactly as the chain will.
    let candidates: Vec<Candidate> = storage_devices
        .iter()
        .map(|key| Candidate {
            key: *key,
            owner: Address::from_public_key(key),
            endpoint: String::new(),
        })
        .collect();
    let mut bytes = vec![0u8; DEMO_BLOB_BYTES];
    let mut xof = blake3::Hasher::new_derive_key("plexus devnet demo blob").finalize_xof();
    xof.fill(&mut bytes);
    for counter in 0u64..100_000 {
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let blob = Hash(*blake3::hash(&bytes).as_bytes());
        let first = plexus_ledger::storage::assignment(&blob, replicas as u32, &candidates);
        if cheaters.is_empty() || cheaters.iter().any(|c| first.contains(c)) {
            break;
        }
    }
    write_durably(&path, &bytes)?;
    Ok(path)
}

/// Puts the demo blob on the node and, once enough storage devices are active, makes a deal
/// for `replicas` copies paid by the storage client (unless an open one exists already).
async fn storage_demo(
    chain: Arc<Chain>,
    api: SocketAddr,
    client: SecretKey,
    replicas: u32,
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
    while storage_devices()? < replicas as usize {
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
