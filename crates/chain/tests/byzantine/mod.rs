//! Byzantine validators for the consensus simulation. One runs no ledger and no honest
//! consensus engine: it watches the votes, certificates and proposals its peers send, and when
//! round-robin makes it the leader it signs and sends proposals of its own making. Apart from
//! what its attack says, it never votes.

use commonware_codec::{Decode, DecodeExt, Encode};
use commonware_consensus::simplex::elector::{
    Config as _, Elector as _, RoundRobin, RoundRobinElector,
};
use commonware_consensus::simplex::scheme::bls12381_threshold::vrf::Seedable as _;
use commonware_consensus::simplex::types::{
    Certificate, Finalize, Notarize, Nullify, Proposal, Vote,
};
use commonware_consensus::types::{Epoch, Round, View};
use commonware_consensus::Viewable as _;
use commonware_cryptography::certificate::Scheme as _;
use commonware_cryptography::sha256::Digest;
use commonware_cryptography::{ed25519, Digestible as _, Hasher as _, Sha256};
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{deterministic, Clock, Metrics, Spawner};
use commonware_utils::ordered::{Quorum as _, Set};
use commonware_utils::SystemTimeExt;
use parking_lot::Mutex;
use plexus_chain::commonware::{
    validator_address, ConsensusBlock, Scheme, ThresholdKey, NAMESPACE,
};
use plexus_types::Hash;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a Byzantine validator tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attack {
    /// Proposes blocks whose checkpoint names its parent's height with a made-up app hash.
    WrongCheckpoint,
    /// Proposes, in turn, a block stamped an hour ahead, one naming another proposer, one
    /// whose checkpoint is its own height, and one of undecodable transactions.
    InvalidBlock,
    /// As leader, sends one block (and its vote for it) to some peers and another to the rest.
    SplitProposal,
    /// Votes for every proposal it sees and for a made-up one, and both nullifies and
    /// finalizes each view.
    Equivocate,
    /// Proposes valid blocks but never votes for anyone's.
    WithholdVotes,
    /// Proposes otherwise valid blocks carrying another view's seed instead of its parent
    /// view's (a genuine threshold signature, for the wrong round), to choose its beacon.
    WrongSeed,
}

/// The p2p channels a Byzantine validator uses: votes and certificates on their epoch's
/// subchannel, blocks on the broadcast channel.
pub struct ByzantineChannels<S, R, BS, BR> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub broadcast: (BS, BR),
}

/// Shared between the validator's tasks.
struct State {
    attack: Attack,
    scheme: Scheme,
    participants: Set<ed25519::PublicKey>,
    genesis_app_hash: Hash,
    /// Blocks seen on the broadcast channel, by digest (parents of its proposals).
    blocks: Mutex<BTreeMap<Digest, ConsensusBlock>>,
    /// The highest certified view it knows and its block's digest.
    certified: Mutex<Option<(View, Digest)>>,
    /// Seed signatures of the certified views it has seen, by view.
    seeds: Mutex<BTreeMap<u64, Vec<u8>>>,
    /// Views it has proposed in, or equivocated in.
    proposed: Mutex<BTreeSet<View>>,
    equivocated: Mutex<BTreeSet<View>>,
    /// Proposals it has sent and views it has equivocated in (a test checks the attack was
    /// tried).
    tried: Arc<AtomicU64>,
}

/// Starts a Byzantine validator; returns the count of its proposals and equivocations.
pub fn start_byzantine<S, R, BS, BR>(
    context: deterministic::Context,
    threshold: ThresholdKey,
    participants: Set<ed25519::PublicKey>,
    genesis_app_hash: Hash,
    attack: Attack,
    channels: ByzantineChannels<S, R, BS, BR>,
) -> Arc<AtomicU64>
where
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    BS: Sender<PublicKey = ed25519::PublicKey>,
    BR: Receiver<PublicKey = ed25519::PublicKey>,
{
    let tried = Arc::new(AtomicU64::new(0));
    let state = Arc::new(State {
        attack,
        scheme: Scheme::signer(
            NAMESPACE,
            participants.clone(),
            threshold.polynomial,
            threshold.share,
        )
        .expect("a participant"),
        participants,
        genesis_app_hash,
        blocks: Mutex::new(BTreeMap::new()),
        seeds: Mutex::new(BTreeMap::new()),
        certified: Mutex::new(None),
        proposed: Mutex::new(BTreeSet::new()),
        equivocated: Mutex::new(BTreeSet::new()),
        tried: tried.clone(),
    });
    let (block_sender, mut block_receiver) = channels.broadcast;
    let (vote_sender, mut vote_receiver) = channels.votes;
    let (_, mut certificate_receiver) = channels.certificates;

    let blocks = state.clone();
    context
        .with_label("byzantine_blocks")
        .spawn(move |_| async move {
            while let Ok((_, message)) = block_receiver.recv().await {
                if let Ok(block) = ConsensusBlock::decode_cfg(message, &()) {
                    blocks.blocks.lock().insert(block.digest(), block);
                }
            }
        });

    let leader = state.clone();
    let (mut votes_out, mut blocks_out) = (vote_sender.clone(), block_sender);
    context
        .with_label("byzantine_leader")
        .spawn(move |ctx| async move {
            while let Ok((_, message)) = certificate_receiver.recv().await {
                // Threshold certificates are fixed-size: no codec bound to pass.
                let Ok(certificate) = Certificate::<Scheme, Digest>::decode_cfg(message, &())
                else {
                    continue;
                };
                // It builds on the highest certified block it knows, after a certified view
                // or a nullified one.
                let (next, parent_view, parent) = match certificate {
                    Certificate::Notarization(n) => {
                        leader.seen_seed(n.view(), n.seed().signature.encode().to_vec());
                        leader.certified(n.view(), n.proposal.payload)
                    }
                    Certificate::Finalization(f) => {
                        leader.seen_seed(f.view(), f.seed().signature.encode().to_vec());
                        leader.certified(f.view(), f.proposal.payload)
                    }
                    Certificate::Nullification(n) => match *leader.certified.lock() {
                        Some((view, parent)) if view < n.view() => (n.view().next(), view, parent),
                        _ => continue,
                    },
                };
                let now_ms = ctx.current().epoch_millis();
                let parent = (parent_view, parent);
                leader
                    .propose(next, parent, now_ms, &mut votes_out, &mut blocks_out)
                    .await;
            }
        });

    if attack == Attack::Equivocate {
        let voter = state;
        let mut votes_out = vote_sender;
        context
            .with_label("byzantine_voter")
            .spawn(move |_| async move {
                while let Ok((_, message)) = vote_receiver.recv().await {
                    if let Ok(Vote::Notarize(notarize)) = Vote::<Scheme, Digest>::decode(message) {
                        voter.equivocate(notarize.proposal, &mut votes_out).await;
                    }
                }
            });
    }
    tried
}

impl State {
    fn me(&self) -> ed25519::PublicKey {
        let me = self.scheme.me().expect("a signer");
        self.participants.key(me).expect("a participant").clone()
    }

    fn seen_seed(&self, view: View, seed: Vec<u8>) {
        self.seeds.lock().insert(view.get(), seed);
    }

    /// The seed an honest block on a parent of `parent_view` carries, and the one this
    /// validator puts there when it attacks the beacon: another view's seed (or, before it has
    /// seen any, bytes that are no signature at all).
    fn seeds_for(&self, parent_view: View, parent: Digest) -> Option<(Vec<u8>, Vec<u8>)> {
        let seeds = self.seeds.lock();
        let honest = if parent_view == View::zero() {
            parent.as_ref().to_vec()
        } else {
            seeds.get(&parent_view.get())?.clone()
        };
        let wrong = seeds
            .iter()
            .find(|(view, _)| **view != parent_view.get())
            .map(|(_, seed)| seed.clone())
            .unwrap_or_else(|| vec![0; 48]);
        Some((honest, wrong))
    }

    /// Records a certified view; returns the view after it, and it with its block, to build on.
    fn certified(&self, view: View, digest: Digest) -> (View, View, Digest) {
        let mut certified = self.certified.lock();
        if certified.is_none_or(|(highest, _)| highest < view) {
            *certified = Some((view, digest));
        }
        (view.next(), view, digest)
    }

    /// Proposes in `view` on `parent` (a certified view and its block) if it leads `view`.
    async fn propose<S, BS>(
        &self,
        view: View,
        (parent_view, parent): (View, Digest),
        now_ms: u64,
        votes: &mut S,
        blocks: &mut BS,
    ) where
        S: Sender<PublicKey = ed25519::PublicKey>,
        BS: Sender<PublicKey = ed25519::PublicKey>,
    {
        let round = Round::new(Epoch::zero(), view);
        let elector: RoundRobinElector<Scheme> =
            RoundRobin::<Sha256>::default().build(&self.participants);
        if Some(elector.elect(round, None)) != self.scheme.me() {
            return;
        }
        let Some(seeds) = self.seeds_for(parent_view, parent) else {
            return;
        };
        let Some(parent) = self.blocks.lock().get(&parent).cloned() else {
            return;
        };
        if !self.proposed.lock().insert(view) {
            return;
        }
        let count = self.tried.fetch_add(1, Ordering::SeqCst);
        let proposals = self.blocks_for(&parent, now_ms.max(parent.time_ms + 1), count, seeds);
        for (recipients, block) in proposals {
            let proposal = Proposal::new(round, parent_view, block.digest());
            let vote = Notarize::<Scheme, Digest>::sign(&self.scheme, proposal).expect("signer");
            let _ = blocks.send(recipients.clone(), block.encode(), true).await;
            let _ = votes
                .send(recipients, Vote::Notarize(vote).encode(), true)
                .await;
        }
    }

    /// The blocks it proposes on `parent` and whom each goes to.
    fn blocks_for(
        &self,
        parent: &ConsensusBlock,
        time_ms: u64,
        count: u64,
        (seed, wrong_seed): (Vec<u8>, Vec<u8>),
    ) -> Vec<(Recipients<ed25519::PublicKey>, ConsensusBlock)> {
        let me = self.me();
        let genesis = (0, self.genesis_app_hash);
        let block = |time_ms, proposer, checkpoint, txs| {
            ConsensusBlock::new(
                parent.digest(),
                parent.height + 1,
                time_ms,
                proposer,
                checkpoint,
                txs,
            )
            .with_seed(seed.clone())
        };
        let honest_looking = block(time_ms, validator_address(&me), genesis, Vec::new());
        match self.attack {
            Attack::WrongCheckpoint => {
                let made_up = (parent.height, Hash([0xBA; 32]));
                let lie = block(time_ms, validator_address(&me), made_up, Vec::new());
                vec![(Recipients::All, lie)]
            }
            Attack::InvalidBlock => {
                let other = self.participants.iter().find(|k| **k != me).expect("peers");
                let invalid = match count % 4 {
                    0 => block(time_ms + 3_600_000, validator_address(&me), genesis, vec![]),
                    1 => block(time_ms, validator_address(other), genesis, vec![]),
                    2 => block(
                        time_ms,
                        validator_address(&me),
                        (parent.height + 1, genesis.1),
                        vec![],
                    ),
                    _ => block(
                        time_ms,
                        validator_address(&me),
                        genesis,
                        vec![vec![0xFF; 64]; 3],
                    ),
                };
                vec![(Recipients::All, invalid)]
            }
            Attack::SplitProposal => {
                let peers: Vec<_> = self
                    .participants
                    .iter()
                    .filter(|k| **k != me)
                    .cloned()
                    .collect();
                let (some, rest) = peers.split_at(peers.len() / 2);
                let other = block(time_ms + 1, validator_address(&me), genesis, Vec::new());
                vec![
                    (Recipients::Some(some.to_vec()), honest_looking),
                    (Recipients::Some(rest.to_vec()), other),
                ]
            }
            Attack::WrongSeed => vec![(Recipients::All, honest_looking.with_seed(wrong_seed))],
            Attack::Equivocate | Attack::WithholdVotes => vec![(Recipients::All, honest_looking)],
        }
    }

    /// Sends, once per view, a vote for the proposal and one for a made-up digest, a
    /// nullify and a finalize.
    async fn equivocate<S: Sender<PublicKey = ed25519::PublicKey>>(
        &self,
        proposal: Proposal<Digest>,
        votes: &mut S,
    ) {
        if !self.equivocated.lock().insert(proposal.view()) {
            return;
        }
        self.tried.fetch_add(1, Ordering::SeqCst);
        let made_up = Proposal::new(proposal.round, proposal.parent, Sha256::hash(b"made-up"));
        let messages = [
            Vote::Notarize(Notarize::sign(&self.scheme, proposal.clone()).expect("signer")),
            Vote::Notarize(Notarize::sign(&self.scheme, made_up).expect("signer")),
            Vote::Nullify(Nullify::sign::<Digest>(&self.scheme, proposal.round).expect("signer")),
            Vote::Finalize(Finalize::sign(&self.scheme, proposal).expect("signer")),
        ];
        for message in messages {
            let _ = votes.send(Recipients::All, message.encode(), true).await;
        }
    }
}
