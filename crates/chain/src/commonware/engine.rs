//! One validator: simplex consensus (one instance per consensus epoch, see
//! [`super::driver`]), marshal (ordered finalized blocks with backfill), the buffered
//! broadcast of proposals, and the relay of transactions between validators, all started on
//! one runtime context and stopped together when its task is aborted.

use super::app::{PlexusApp, Progress, Scheme};
use super::block::ConsensusBlock;
use super::config::{Channels, ValidatorConfig};
use super::driver::{EpochChannels, EpochDriver};
use super::epochs::{EpochKeys, EpochSchemes, PlexusEpocher};
use super::seeds::{SeedTap, Seeds};
use crate::chain::Chain;
use bytes::{Buf, BufMut};
use commonware_broadcast::buffered;
use commonware_consensus::simplex::types::Finalization;
use commonware_consensus::{
    marshal::{self, core::Actor as MarshalActor, standard::Inline},
    types::{Height, ViewDelta},
};
use commonware_cryptography::ed25519;
use commonware_cryptography::sha256::Digest as Sha256Digest;
use commonware_p2p::utils::mux::{Builder as _, Muxer};
use commonware_p2p::{Blocker, Provider, Receiver, Recipients, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, BufferPooler, Clock, Metrics, Spawner, Storage};
use commonware_storage::archive::immutable;
use commonware_utils::{NZUsize, NZU16, NZU64};
use futures::channel::mpsc as fmpsc;
use futures::StreamExt;
use rand::{CryptoRng, Rng};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

/// Most transactions relayed in one message.
const MAX_RELAY_BATCH: usize = 1_024;
/// Largest relayed message accepted (bounds decoding).
const MAX_RELAY_BYTES: usize = 8 * 1024 * 1024;

const REPLAY_BUFFER: NonZeroUsize = NZUsize!(1024 * 1024);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(128 * 1024);

/// Starts a validator on `context`: `signer` is its identity, `keys` gives each consensus
/// epoch's participants and threshold key. Everything it runs is spawned from `context`, so
/// aborting the task that owns `context` stops it all.
pub async fn start_validator<E, B, P, S, R>(
    context: E,
    config: ValidatorConfig,
    chain: Arc<Chain>,
    signer: ed25519::PrivateKey,
    keys: Arc<dyn EpochKeys>,
    (blocker, provider): (B, P),
    channels: Channels<S, R>,
) -> Result<Arc<Progress>, String>
where
    E: BufferPooler + Clock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    use commonware_cryptography::Signer as _;
    let me = signer.public_key();
    let prefix = config.partition_prefix.clone();
    let page_cache = CacheRef::from_pooler(&context, NZU16!(4096), NZUsize!(1024));
    let epocher = PlexusEpocher::new(epoch_blocks(&chain, keys.as_ref())?);
    let schemes = EpochSchemes::default();

    let (buffer, buffer_mailbox) = buffered::Engine::<_, _, ConsensusBlock, _>::new(
        context.with_label("buffer"),
        broadcast_config(me.clone(), config.mailbox_size, provider.clone()),
    );

    let (finalizations, blocks) = open_archives(&context, &prefix, &page_cache).await?;

    let (marshal, marshal_mailbox, processed) = MarshalActor::init(
        context.with_label("marshal"),
        finalizations,
        blocks,
        marshal_config(
            &config,
            &prefix,
            schemes.clone(),
            epocher.clone(),
            page_cache.clone(),
        ),
    )
    .await;
    let started_from = snapshot_start(&chain, processed);
    if let Some(height) = started_from {
        // Marshal fetches and delivers blocks from the one after its floor. Under a set that
        // follows the ledger, the last block of the previous epoch is the genesis of this
        // epoch's consensus: marshal must hold it, so it is fetched again.
        let epoch = epocher.epoch_of(height + 1);
        let floor = match epoch.checked_sub(1).and_then(|e| epocher.last_height(e)) {
            Some(boundary) if keys.follows_the_ledger() => boundary.min(height) - 1,
            _ => height,
        };
        marshal_mailbox.set_floor(Height::new(floor)).await;
    }

    let progress = Arc::new(Progress::default());
    let min_block = Duration::from_millis(config.min_block_ms).min(config.leader_timeout / 2);
    let seeds = Seeds::default();
    let app = PlexusApp::new(
        chain.clone(),
        progress.clone(),
        schemes.clone(),
        seeds.clone(),
    )
    .map_err(|e| e.to_string())?
    .with_min_block(min_block)
    .started_from_snapshot(started_from);
    let inline = Inline::new(
        context.with_label("application"),
        app,
        marshal_mailbox.clone(),
        epocher.clone(),
    );

    let backfill = marshal::resolver::p2p::init(
        &context.with_label("backfill"),
        backfill_config(me.clone(), provider, blocker.clone(), config.mailbox_size),
        channels.backfill,
    );
    let epoch_channels = split_by_epoch(
        &context,
        &config,
        channels.votes,
        channels.certificates,
        channels.resolver,
    );

    buffer.start(channels.broadcast);
    // Marshal starts before consensus so that consensus's replay on restart finds it ready.
    marshal.start(inline.clone(), buffer_mailbox, backfill);
    let driver = EpochDriver {
        config,
        chain: chain.clone(),
        me,
        keys,
        schemes,
        epocher,
        blocker,
        automaton: inline,
        reporter: SeedTap {
            seeds,
            inner: marshal_mailbox.clone(),
        },
        marshal: marshal_mailbox,
        progress: progress.clone(),
        page_cache,
        _context: std::marker::PhantomData,
    };
    context
        .with_label("epochs")
        .spawn(move |ctx| driver.run(ctx, epoch_channels));
    start_tx_relay(&context, chain, channels.txs);
    Ok(progress)
}

/// Blocks per consensus epoch: the ledger's epoch length when the set follows the ledger.
fn epoch_blocks(chain: &Chain, keys: &dyn EpochKeys) -> Result<Option<u64>, String> {
    if !keys.follows_the_ledger() {
        return Ok(None);
    }
    let info = plexus_ledger::query::chain_info(chain.store())
        .map_err(|e| format!("reading the chain's parameters: {e}"))?
        .ok_or("the store holds no genesis")?;
    Ok(Some(info.rewards.epoch_blocks))
}

/// Splits the vote, certificate and resolver channels into one subchannel per epoch.
fn split_by_epoch<E, S, R>(
    context: &E,
    config: &ValidatorConfig,
    votes: (S, R),
    certificates: (S, R),
    resolver: (S, R),
) -> EpochChannels<S, R>
where
    E: Spawner + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    let (mux, votes, backup) = Muxer::builder(
        context.with_label("votes_mux"),
        votes.0,
        votes.1,
        config.mailbox_size,
    )
    .with_backup()
    .build();
    mux.start();
    let (mux, certificates) = Muxer::new(
        context.with_label("certificates_mux"),
        certificates.0,
        certificates.1,
        config.mailbox_size,
    );
    mux.start();
    let (mux, resolver) = Muxer::new(
        context.with_label("resolver_mux"),
        resolver.0,
        resolver.1,
        config.mailbox_size,
    );
    mux.start();
    EpochChannels {
        votes,
        certificates,
        resolver,
        backup,
    }
}

/// Marshal's archives of finalizations and finalized blocks, by height.
async fn open_archives<E>(
    context: &E,
    prefix: &str,
    page_cache: &CacheRef,
) -> Result<
    (
        immutable::Archive<E, Sha256Digest, Finalization<Scheme, Sha256Digest>>,
        immutable::Archive<E, Sha256Digest, ConsensusBlock>,
    ),
    String,
>
where
    E: BufferPooler + Clock + Spawner + Storage + Metrics,
{
    let finalizations = immutable::Archive::init(
        context.with_label("finalizations_by_height"),
        archive_config(
            prefix,
            "finalizations",
            page_cache,
            // A threshold certificate is fixed-size: its codec needs no bound.
            (),
        ),
    )
    .await
    .map_err(|e| format!("opening the finalizations archive: {e}"))?;
    let blocks = immutable::Archive::init(
        context.with_label("finalized_blocks"),
        archive_config(prefix, "blocks", page_cache, ()),
    )
    .await
    .map_err(|e| format!("opening the finalized blocks archive: {e}"))?;
    Ok((finalizations, blocks))
}

/// The committed height of a state restored from a snapshot, while marshal has `processed`
/// the finalized blocks only to below that snapshot: such a state holds no block at or below
/// it, and marshal, starting with empty archives, would fetch and deliver finalized blocks from
/// height 1. Marshal's floor is then set to the returned height, so that it fetches them from
/// peers, and delivers them, from the next one.
fn snapshot_start(chain: &Chain, processed: Height) -> Option<u64> {
    let (committed, _) = chain.committed();
    tracing::info!(processed = processed.get(), committed, "marshal restored");
    let snapshot = chain.first_block_height().saturating_sub(1);
    let started = processed.get() < snapshot;
    if started {
        tracing::info!(
            height = committed,
            "starting from a snapshot: finalized blocks are fetched from the next height"
        );
    }
    started.then_some(committed)
}

/// How proposals are broadcast to, and cached from, the other validators.
fn broadcast_config<P>(
    me: ed25519::PublicKey,
    mailbox_size: usize,
    provider: P,
) -> buffered::Config<ed25519::PublicKey, (), P>
where
    P: Provider<PublicKey = ed25519::PublicKey>,
{
    buffered::Config {
        public_key: me,
        mailbox_size,
        deque_size: 10,
        priority: false,
        codec_config: (),
        peer_provider: provider,
    }
}

/// Marshal's settings: where it keeps finalized blocks and how far back it repairs.
fn marshal_config(
    config: &ValidatorConfig,
    prefix: &str,
    schemes: EpochSchemes,
    epocher: PlexusEpocher,
    page_cache: CacheRef,
) -> marshal::Config<ConsensusBlock, EpochSchemes, PlexusEpocher, Sequential> {
    marshal::Config {
        provider: schemes,
        epocher,
        partition_prefix: prefix.to_string(),
        mailbox_size: config.mailbox_size,
        view_retention_timeout: ViewDelta::new(config.activity_timeout * 10),
        prunable_items_per_section: NZU64!(1024),
        replay_buffer: REPLAY_BUFFER,
        key_write_buffer: WRITE_BUFFER,
        value_write_buffer: WRITE_BUFFER,
        block_codec_config: (),
        max_repair: NZUsize!(16),
        max_pending_acks: NZUsize!(1),
        page_cache,
        strategy: Sequential,
    }
}

/// How marshal fetches finalized blocks it missed from other validators.
fn backfill_config<P, B>(
    me: ed25519::PublicKey,
    provider: P,
    blocker: B,
    mailbox_size: usize,
) -> marshal::resolver::p2p::Config<ed25519::PublicKey, P, B>
where
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    marshal::resolver::p2p::Config {
        public_key: me,
        peer_provider: provider,
        blocker,
        mailbox_size,
        initial: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        fetch_retry_timeout: Duration::from_millis(100),
        priority_requests: false,
        priority_responses: false,
    }
}

/// The storage layout of one of marshal's immutable archives (finalizations or blocks).
fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 1024,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1024,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_write_buffer: WRITE_BUFFER,
        freezer_value_target_size: 64 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        ordinal_write_buffer: WRITE_BUFFER,
        items_per_section: NZU64!(4096),
        codec_config,
        replay_buffer: REPLAY_BUFFER,
    }
}

/// Relays transactions admitted here to every other validator, and admits theirs.
fn start_tx_relay<E, S, R>(context: &E, chain: Arc<Chain>, (mut sender, mut receiver): (S, R))
where
    E: Spawner + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    let (tx, mut rx) = fmpsc::unbounded::<Vec<Vec<u8>>>();
    chain.set_relay(Box::new(move |txs| {
        let _ = tx.unbounded_send(txs);
    }));
    context
        .with_label("tx_relay_out")
        .spawn(move |_| async move {
            while let Some(txs) = rx.next().await {
                for batch in txs.chunks(MAX_RELAY_BATCH) {
                    let message = encode_relay(batch);
                    if let Err(e) = sender.send(Recipients::All, message, false).await {
                        tracing::warn!(?e, "relaying transactions failed");
                    }
                }
            }
        });
    context
        .with_label("tx_relay_in")
        .spawn(move |_| async move {
            while let Ok((peer, message)) = receiver.recv().await {
                match decode_relay(message.as_ref()) {
                    Some(txs) => {
                        for tx in txs {
                            // A transaction already pending or already used is refused
                            // here as it would be over the API; nothing more to do.
                            let _ = chain.submit_from_peer(tx);
                        }
                    }
                    None => tracing::warn!(%peer, "malformed transaction relay message"),
                }
            }
        });
}

fn encode_relay(txs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + txs.iter().map(|t| 4 + t.len()).sum::<usize>());
    out.put_u32(txs.len() as u32);
    for tx in txs {
        out.put_u32(tx.len() as u32);
        out.put_slice(tx);
    }
    out
}

fn decode_relay(mut buf: &[u8]) -> Option<Vec<Vec<u8>>> {
    if buf.len() > MAX_RELAY_BYTES || buf.remaining() < 4 {
        return None;
    }
    let count = buf.get_u32() as usize;
    if count > MAX_RELAY_BATCH {
        return None;
    }
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        if buf.remaining() < 4 {
            return None;
        }
        let len = buf.get_u32() as usize;
        if buf.remaining() < len {
            return None;
        }
        txs.push(buf[..len].to_vec());
        buf.advance(len);
    }
    buf.is_empty().then_some(txs)
}
