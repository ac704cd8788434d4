//! A validator in its own process: the Commonware tokio runtime (storage under the node's
//! home), authenticated p2p with every genesis validator at its listed address, and the
//! driver, run on a dedicated thread until asked to stop.

use super::config::{channel, Channels, ValidatorConfig};
use super::engine::start_validator;
use super::epochs::GenesisKeys;
use crate::chain::{Chain, ChainError};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{ed25519, Signer as _};
use commonware_p2p::{authenticated::lookup, Address as PeerAddress, AddressableManager};
use commonware_runtime::{tokio as cw_tokio, Clock, Metrics, Quota, Runner, Spawner};
use commonware_utils::ordered::{Map, Set};
use plexus_ledger::GenesisValidator;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Namespace of the p2p handshake (distinct from consensus signatures).
const P2P_NAMESPACE: &[u8] = b"_PLEXUS_P2P";
const MAX_MESSAGE_BYTES: u32 = 16 * 1024 * 1024;
const BACKLOG: usize = 4096;
/// How long a stopping validator waits for its actors to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Generates a new consensus key.
pub fn generate_consensus_key() -> ed25519::PrivateKey {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    ed25519::PrivateKey::decode(seed.as_slice()).expect("any 32 bytes are an Ed25519 secret key")
}

/// The hex form of a consensus key's secret, as stored in a node home.
pub fn consensus_key_to_hex(key: &ed25519::PrivateKey) -> String {
    hex::encode(key.encode())
}

pub fn consensus_key_from_hex(text: &str) -> Result<ed25519::PrivateKey, String> {
    let bytes = hex::decode(text.trim()).map_err(|e| format!("consensus key is not hex: {e}"))?;
    ed25519::PrivateKey::decode(bytes.as_slice())
        .map_err(|e| format!("consensus key is not an Ed25519 secret key: {e}"))
}

/// The hex form of a consensus public key, as listed in genesis.
pub fn public_key_hex(key: &ed25519::PublicKey) -> String {
    hex::encode(key.encode())
}

fn parse_validators(
    validators: &[GenesisValidator],
) -> Result<Vec<(ed25519::PublicKey, SocketAddr)>, String> {
    validators
        .iter()
        .map(|v| {
            let bytes = hex::decode(&v.consensus_key).map_err(|e| e.to_string())?;
            let key = ed25519::PublicKey::decode(bytes.as_slice())
                .map_err(|e| format!("validator key {}: {e}", v.consensus_key))?;
            let addr: SocketAddr = v
                .p2p_address
                .parse()
                .map_err(|e| format!("validator p2p address {:?}: {e}", v.p2p_address))?;
            Ok((key, addr))
        })
        .collect()
}

/// Settings of a validator process.
pub struct ValidatorProcess {
    pub chain: Arc<Chain>,
    pub key: ed25519::PrivateKey,
    /// This validator's share of the threshold key and the genesis public polynomial.
    pub threshold: super::ThresholdKey,
    pub validators: Vec<GenesisValidator>,
    /// Where Commonware's storage (consensus journal, marshal archives) lives.
    pub storage_dir: PathBuf,
    pub stop: Arc<AtomicBool>,
    /// Shortest time between a block this validator proposes and its parent (0: none).
    pub min_block_ms: u64,
}

impl ValidatorProcess {
    /// Runs the validator on the calling thread until `stop` is set or it halts.
    pub fn run(self) -> Result<(), ChainError> {
        let peers = parse_validators(&self.validators).map_err(ChainError::Consensus)?;
        let me = self.key.public_key();
        let listen = peers
            .iter()
            .find(|(k, _)| *k == me)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                ChainError::Consensus(format!(
                    "this node's consensus key {} is not in the genesis validator set",
                    public_key_hex(&me)
                ))
            })?;
        let listen = SocketAddr::new([0, 0, 0, 0].into(), listen.port());
        let participants = Set::from_iter_dedup(peers.iter().map(|(k, _)| k.clone()));
        let addresses: Map<ed25519::PublicKey, PeerAddress> = Map::from_iter_dedup(
            peers
                .iter()
                .map(|(k, a)| (k.clone(), PeerAddress::Symmetric(*a))),
        );
        remove_headerless_blobs(&self.storage_dir);
        let runtime = cw_tokio::Runner::new(
            cw_tokio::Config::new().with_storage_directory(&self.storage_dir),
        );
        let ValidatorProcess {
            chain,
            key,
            threshold,
            stop,
            min_block_ms,
            ..
        } = self;
        // The threshold key is dealt once, to the genesis set, and not reshared through the
        // chain: the set the ledger chooses at each epoch's end cannot sign, and the genesis
        // set keeps running consensus.
        tracing::info!(
            validators = participants.len(),
            "consensus runs with the genesis validator set; later sets are not applied"
        );
        let keys = std::sync::Arc::new(GenesisKeys::new(participants, threshold));
        let (result, runtime_handle) = runtime.start(|root| async move {
            // Everything runs under one task: when it returns, the runtime aborts whatever it
            // spawned that is still running, so nothing touches the chain after `run` returns.
            let validator = root.with_label("node").spawn(move |context| async move {
                let config =
                    lookup::Config::local(key.clone(), P2P_NAMESPACE, listen, MAX_MESSAGE_BYTES);
                let (mut network, mut oracle) =
                    lookup::Network::new(context.with_label("p2p"), config);
                oracle.track(0, addresses).await;
                let quota = Quota::per_second(NonZeroU32::MAX);
                let mut register = |c| network.register(c, quota, BACKLOG);
                let channels = Channels {
                    votes: register(channel::VOTES),
                    certificates: register(channel::CERTIFICATES),
                    resolver: register(channel::RESOLVER),
                    broadcast: register(channel::BROADCAST),
                    backfill: register(channel::BACKFILL),
                    txs: register(channel::TXS),
                };
                network.start();
                let progress = start_validator(
                    context.with_label("validator"),
                    ValidatorConfig {
                        min_block_ms,
                        ..ValidatorConfig::new("plexus")
                    },
                    chain,
                    key,
                    keys,
                    (oracle.clone(), oracle),
                    channels,
                )
                .await
                .map_err(ChainError::Consensus)?;
                let result = loop {
                    if stop.load(Ordering::SeqCst) {
                        break Ok(());
                    }
                    if let Some(halt) = progress.halted.lock().clone() {
                        break Err(ChainError::Consensus(halt.to_string()));
                    }
                    context.sleep(Duration::from_millis(50)).await;
                };
                // Ask consensus, marshal and p2p to finish what they are doing and exit.
                if let Err(e) = context.stop(0, Some(STOP_TIMEOUT)).await {
                    tracing::warn!(error = %e, "validator actors did not all stop in time");
                }
                result
            });
            let result = validator
                .await
                .map_err(|e| ChainError::Consensus(format!("validator task ended: {e}")))
                .and_then(|r| r);
            (result, root)
        });
        // The runtime lives as long as any of its contexts, and the tasks just aborted drop
        // theirs on its worker threads, where dropping the runtime is not allowed. Holding one
        // context forever keeps the last drop from happening there; its actors have exited
        // and its tasks are aborted, so what stays behind is a few parked threads.
        std::mem::forget(runtime_handle);
        result
    }
}

/// Size of the header commonware's storage writes at the start of every blob.
const BLOB_HEADER_BYTES: u64 = 8;

/// Removes consensus storage blobs that consist of nothing but a zeroed header.
///
/// Commonware's storage creates a blob by extending the file to its 8-byte header, then
/// writing and syncing the header; a process stopped between the two leaves 8 zero bytes,
/// which it then refuses to open ("invalid magic"), and the validator cannot start. Such a
/// blob never held a byte of data (data is only appended after the header is durable), so
/// removing it loses nothing; it is recreated when needed.
fn remove_headerless_blobs(dir: &std::path::Path) {
    let Ok(partitions) = std::fs::read_dir(dir) else {
        return;
    };
    for partition in partitions.flatten() {
        let Ok(blobs) = std::fs::read_dir(partition.path()) else {
            continue;
        };
        for blob in blobs.flatten() {
            let path = blob.path();
            let headerless = blob
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() == BLOB_HEADER_BYTES)
                && std::fs::read(&path).is_ok_and(|b| b.iter().all(|x| *x == 0));
            if headerless {
                tracing::warn!(blob = %path.display(), "removing a consensus storage blob whose header was never written");
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(blob = %path.display(), error = %e, "cannot remove it");
                }
            }
        }
    }
}

#[cfg(test)]
mod blob_tests {
    #[test]
    fn only_blobs_of_a_zeroed_header_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let partition = dir.path().join("plexus-consensus");
        std::fs::create_dir_all(&partition).unwrap();
        let zeroed = partition.join("000000000000001a");
        std::fs::write(&zeroed, [0u8; 8]).unwrap();
        let written = partition.join("0000000000000019");
        std::fs::write(&written, *b"CWIC\0\0\0\x01").unwrap();
        let with_data = partition.join("0000000000000018");
        std::fs::write(&with_data, [0u8; 24]).unwrap();
        super::remove_headerless_blobs(dir.path());
        assert!(!zeroed.exists());
        assert!(written.exists());
        assert!(with_data.exists(), "a longer blob is not ours to judge");
    }
}
