//! The epoch driver: runs the simplex instance of this validator's current consensus epoch,
//! and at each epoch's end (its last block executed here) stops it and starts the next one
//! with the set the ledger chose (see [`super::epochs`]).

use super::app::{Halt, Progress};
use super::config::ValidatorConfig;
use super::epochs::{epoch_scheme, EpochKeys, EpochSchemes, Marshal, PlexusEpocher};
use super::threshold::Scheme;
use crate::chain::Chain;
use commonware_consensus::simplex::{self, elector::RoundRobin, types::Activity, types::Context};
use commonware_consensus::types::{Epoch, Height, ViewDelta};
use commonware_consensus::{CertifiableAutomaton, Relay, Reporter};
use commonware_cryptography::{ed25519, sha256::Digest};
use commonware_p2p::utils::mux::MuxHandle;
use commonware_p2p::{Blocker, Channel, Message, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, BufferPooler, Clock, Handle, Metrics};
use commonware_runtime::{Spawner, Storage};
use commonware_utils::channel::mpsc;
use commonware_utils::{vec::NonEmptyVec, NZUsize};
use rand::{CryptoRng, Rng};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

const REPLAY_BUFFER: NonZeroUsize = NZUsize!(1024 * 1024);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(128 * 1024);
/// How often the driver looks at the committed height, and at least how long it waits
/// between two requests for a block it lacks.
const POLL: Duration = Duration::from_millis(50);
const ASK_AGAIN: Duration = Duration::from_millis(500);

/// The three consensus channels, each split into one subchannel per epoch; messages of
/// epochs this validator has no subchannel for arrive on `backup`.
pub struct EpochChannels<S: Sender, R: Receiver> {
    pub votes: MuxHandle<S, R>,
    pub certificates: MuxHandle<S, R>,
    pub resolver: MuxHandle<S, R>,
    pub backup: mpsc::Receiver<(Channel, Message<ed25519::PublicKey>)>,
}

/// What the driver runs each epoch's simplex instance with.
pub struct EpochDriver<E, B, A, F> {
    pub config: ValidatorConfig,
    pub chain: Arc<Chain>,
    pub me: ed25519::PublicKey,
    pub keys: Arc<dyn EpochKeys>,
    pub schemes: EpochSchemes,
    pub epocher: PlexusEpocher,
    pub blocker: B,
    /// The automaton and relay (marshal's inline wrapper of the application).
    pub automaton: A,
    pub reporter: F,
    pub marshal: Marshal,
    pub progress: Arc<Progress>,
    pub page_cache: CacheRef,
    pub _context: std::marker::PhantomData<E>,
}

impl<E, B, A, F> EpochDriver<E, B, A, F>
where
    E: BufferPooler + Clock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    A: CertifiableAutomaton<Context = Context<Digest, ed25519::PublicKey>, Digest = Digest>
        + Relay<Digest = Digest>
        + Clone,
    F: Reporter<Activity = Activity<Scheme, Digest>> + Clone,
{
    /// Runs epoch after epoch until the validator halts (or forever).
    pub async fn run<S, R>(mut self, context: E, mut channels: EpochChannels<S, R>)
    where
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        let mut epoch = self.epocher.epoch_of(self.chain.committed().0 + 1);
        loop {
            let participants = match self.enter(epoch) {
                Ok(p) => p,
                Err(reason) => return halt_epoch(&self.progress, epoch, reason),
            };
            if epoch > 0
                && !self
                    .await_boundary_block(&context, epoch, &participants)
                    .await
            {
                return;
            }
            let engine = match self.start_engine(&context, epoch, &mut channels).await {
                Ok(engine) => engine,
                Err(reason) => return halt_epoch(&self.progress, epoch, reason),
            };
            if !self.keys.follows_the_ledger() {
                note_set_changes(&self.chain, participants);
                let _ = engine.await;
                return;
            }
            let ended = self.await_epoch_end(&context, epoch, &mut channels).await;
            engine.abort();
            if !ended {
                return;
            }
            tracing::info!(epoch = epoch + 1, "entering the next consensus epoch");
            epoch += 1;
        }
    }

    /// Makes the scheme of `epoch` known (to marshal and the application); returns its
    /// participants.
    fn enter(&mut self, epoch: u64) -> Result<Vec<ed25519::PublicKey>, String> {
        let (scheme, participants) = epoch_scheme(self.keys.as_ref(), &self.chain, epoch)?;
        if !participants.iter().any(|p| p == &self.me) {
            tracing::info!(epoch, "not in this epoch's set: following without voting");
        }
        self.schemes.insert(epoch, scheme);
        Ok(participants.iter().cloned().collect())
    }

    /// Waits until marshal holds the last block of the epoch before `epoch` (the genesis of
    /// `epoch`'s instance), asking peers for it: a validator restored from a snapshot, or one
    /// that fell behind, may not have it. Returns false if the validator halted.
    async fn await_boundary_block(
        &mut self,
        context: &E,
        epoch: u64,
        participants: &[ed25519::PublicKey],
    ) -> bool {
        let Some(boundary) = self.epocher.last_height(epoch - 1) else {
            return false;
        };
        if self.schemes.get(epoch - 1).is_none() {
            match epoch_scheme(self.keys.as_ref(), &self.chain, epoch - 1) {
                Ok((scheme, _)) => self.schemes.insert(epoch - 1, scheme),
                Err(reason) => {
                    halt_epoch(&self.progress, epoch, reason);
                    return false;
                }
            }
        }
        let peers: Vec<_> = participants
            .iter()
            .filter(|p| **p != self.me)
            .cloned()
            .collect();
        loop {
            if self
                .marshal
                .get_block(Height::new(boundary))
                .await
                .is_some()
            {
                return true;
            }
            if self.progress.halted.lock().is_some() {
                return false;
            }
            if let Ok(targets) = NonEmptyVec::try_from(peers.clone()) {
                tracing::info!(boundary, "asking peers for the last block of the epoch");
                self.marshal
                    .hint_finalized(Height::new(boundary), targets)
                    .await;
            }
            context.sleep(ASK_AGAIN).await;
        }
    }

    /// Waits until this validator has executed the last block of `epoch`. Meanwhile, a
    /// message from a peer in a later epoch means this validator is behind: it asks that peer
    /// for the epoch's last finalized block. Returns false if the validator halted.
    async fn await_epoch_end<S, R>(
        &mut self,
        context: &E,
        epoch: u64,
        channels: &mut EpochChannels<S, R>,
    ) -> bool
    where
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        let Some(last) = self.epocher.last_height(epoch) else {
            return false;
        };
        let mut asked_at = None;
        loop {
            if self.chain.committed().0 >= last {
                return true;
            }
            if self.progress.halted.lock().is_some() {
                return false;
            }
            while let Ok((subchannel, (peer, _))) = channels.backup.try_recv() {
                let now = context.current();
                let due = asked_at
                    .is_none_or(|at| now.duration_since(at).unwrap_or_default() >= ASK_AGAIN);
                if subchannel > epoch && due {
                    tracing::info!(%peer, epoch, "a peer is in a later epoch; fetching this one's end");
                    self.marshal
                        .hint_finalized(Height::new(last), NonEmptyVec::new(peer))
                        .await;
                    asked_at = Some(now);
                }
            }
            context.sleep(POLL).await;
        }
    }

    /// Starts the simplex instance of `epoch` on its subchannels.
    async fn start_engine<S, R>(
        &mut self,
        context: &E,
        epoch: u64,
        channels: &mut EpochChannels<S, R>,
    ) -> Result<Handle<()>, String>
    where
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        let scheme = self
            .schemes
            .get(epoch)
            .ok_or("no scheme for the epoch")?
            .as_ref()
            .clone();
        let register_error = |e| format!("opening the epoch's channels: {e}");
        let votes = channels
            .votes
            .register(epoch)
            .await
            .map_err(register_error)?;
        let certificates = channels
            .certificates
            .register(epoch)
            .await
            .map_err(register_error)?;
        let resolver = channels
            .resolver
            .register(epoch)
            .await
            .map_err(register_error)?;
        let config = &self.config;
        let prefix = &config.partition_prefix;
        // A set fixed at genesis keeps the journal partition it always had.
        let partition = if self.keys.follows_the_ledger() {
            format!("{prefix}-consensus-{epoch}")
        } else {
            format!("{prefix}-consensus")
        };
        let engine = simplex::Engine::new(
            context.with_label(&format!("consensus_{epoch}")),
            simplex::Config {
                scheme,
                elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
                blocker: self.blocker.clone(),
                automaton: self.automaton.clone(),
                relay: self.automaton.clone(),
                reporter: self.reporter.clone(),
                strategy: Sequential,
                partition,
                mailbox_size: config.mailbox_size,
                epoch: Epoch::new(epoch),
                replay_buffer: REPLAY_BUFFER,
                write_buffer: WRITE_BUFFER,
                page_cache: self.page_cache.clone(),
                leader_timeout: config.leader_timeout,
                certification_timeout: config.certification_timeout,
                timeout_retry: config.timeout_retry,
                activity_timeout: ViewDelta::new(config.activity_timeout),
                skip_timeout: ViewDelta::new(config.skip_timeout),
                fetch_timeout: config.fetch_timeout,
                fetch_concurrent: 4,
            },
        );
        Ok(engine.start(votes, certificates, resolver))
    }
}

/// Records why this validator cannot enter an epoch.
pub fn halt_epoch(progress: &Progress, epoch: u64, reason: String) {
    let why = Halt::Epoch { epoch, reason };
    tracing::error!(%why, "validator halted");
    *progress.halted.lock() = Some(why);
}

/// Under a set fixed at genesis: logs each ledger epoch whose chosen set differs from the one
/// consensus keeps (its threshold key is not reshared through the chain).
fn note_set_changes(chain: &Arc<Chain>, mut kept: Vec<ed25519::PublicKey>) {
    let Some(epoch_blocks) = plexus_ledger::query::chain_info(chain.store())
        .ok()
        .flatten()
        .map(|info| info.rewards.epoch_blocks.max(1))
    else {
        return;
    };
    kept.sort();
    let weak = Arc::downgrade(chain);
    chain.on_commit(Box::new(move |block| {
        let Some(chain) = weak.upgrade() else { return };
        if !block.height.is_multiple_of(epoch_blocks) {
            return;
        }
        let ended = block.height / epoch_blocks;
        let Ok(chosen) = super::epochs::chosen_set(&chain, ended) else {
            return;
        };
        let mut chosen: Vec<_> = chosen.iter().cloned().collect();
        chosen.sort();
        if !chosen.is_empty() && chosen != kept {
            tracing::warn!(
                ledger_epoch = ended + 1,
                chosen = chosen.len(),
                kept = kept.len(),
                "the ledger chose another validator set; consensus keeps the genesis set, whose \
                 threshold key is not reshared through the chain"
            );
        }
    }));
}
