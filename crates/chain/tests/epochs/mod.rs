//! Validator set changes in the consensus simulation: the ledger chooses each epoch's set from
//! stake, and the validators run each consensus epoch with the set chosen for it. Each epoch's
//! threshold key is dealt from the run's seed to the set the ledger chose (every validator
//! computes the same deal), standing in for a reshare among the validators.

use super::{alice, runner, Sim, CHAIN_ID};
use commonware_codec::Encode as _;
use commonware_cryptography::{ed25519, Signer as _};
use commonware_p2p::simulated::Link;
use commonware_runtime::Runner as _;
use commonware_utils::ordered::Set;
use plexus_chain::commonware::{deal_threshold_key, validator_address, EpochKey, EpochKeys};
use plexus_ledger::beacon::Beacon;
use plexus_ledger::{Genesis, GenesisAccount, GenesisValidator};
use plexus_types::{
    Address, Amount, Body, ConsensusVote, DoubleSignEvidence, Hash, SecretKey, UnsignedTx,
};
use rand::{rngs::StdRng, SeedableRng as _};
use std::sync::Arc;
use std::time::Duration;

/// Blocks per epoch.
const EPOCH_BLOCKS: u64 = 10;
const GENESIS_VALIDATORS: usize = 4;
/// The validator that bonds and joins.
const NEWCOMER: usize = 4;
/// The genesis validator that unbonds its whole stake.
const LEAVER: usize = 3;
/// The genesis validator reported for signing two proposals of one view.
const DOUBLE_SIGNER: usize = 2;

/// Each epoch's key dealt from `seed` to the set the ledger chose.
struct DealtKeys {
    seed: u64,
    me: ed25519::PublicKey,
}

impl EpochKeys for DealtKeys {
    fn follows_the_ledger(&self) -> bool {
        true
    }

    fn key(&self, epoch: u64, chosen: &Set<ed25519::PublicKey>) -> Result<EpochKey, String> {
        let keys: Vec<_> = chosen.iter().cloned().collect();
        let mut rng = StdRng::seed_from_u64(self.seed.wrapping_add(epoch));
        let dealt = deal_threshold_key(&mut rng, &keys)?;
        let polynomial = dealt.first().ok_or("an empty set")?.polynomial.clone();
        let share = keys
            .iter()
            .position(|k| *k == self.me)
            .map(|i| dealt[i].share.clone());
        Ok(EpochKey {
            participants: chosen.clone(),
            polynomial,
            share,
        })
    }
}

/// The account key of validator `i`: its consensus key, so its address is its operator's.
fn operator_key(i: u64) -> SecretKey {
    let consensus = ed25519::PrivateKey::from_seed(i);
    let seed: [u8; 32] = consensus.encode().as_ref().try_into().unwrap();
    let key = SecretKey::from_seed(seed);
    assert_eq!(
        key.public_key().as_bytes(),
        consensus.public_key().as_ref(),
        "an account key is the consensus key"
    );
    key
}

fn operator(i: u64) -> Address {
    Address::from_public_key(&operator_key(i).public_key())
}

fn epochs_genesis(mut g: Genesis) -> Genesis {
    g.rewards.epoch_blocks = EPOCH_BLOCKS;
    g.validators = (0..GENESIS_VALIDATORS as u64)
        .map(|i| GenesisValidator {
            consensus_key: hex::encode(operator_key(i).public_key().as_bytes()),
            stake: Amount::plx(1_000),
            p2p_address: format!("v{i}"),
        })
        .collect();
    for i in [LEAVER as u64, NEWCOMER as u64] {
        g.accounts.push(GenesisAccount {
            address: operator(i),
            balance: Amount::plx(10_000),
        });
    }
    g
}

fn tx(signer: &SecretKey, nonce: u64, body: Body) -> Vec<u8> {
    UnsignedTx {
        chain_id: CHAIN_ID.into(),
        nonce,
        fee: Amount(1),
        body,
    }
    .sign(signer)
    .bytes
}

/// Two notarize votes of validator `i` in one view for different proposals, signed as the
/// Commonware driver's votes are.
fn double_sign(i: u64) -> DoubleSignEvidence {
    let key = operator_key(i);
    let vote = |payload: &[u8]| {
        let payload = Hash::of(payload);
        let message = plexus_types::statements::consensus_vote(false, 0, 3, 2, &payload);
        ConsensusVote {
            finalize: false,
            epoch: 0,
            view: 3,
            parent: 2,
            payload,
            signature: key.sign(&message),
        }
    };
    DoubleSignEvidence {
        consensus_key: key.public_key(),
        first: vote(b"one block"),
        second: vote(b"another block"),
    }
}

/// Gives every validator its epochs' keys dealt from `seed`, and starts the genesis set.
async fn start_genesis_validators(sim: &mut Sim, seed: u64) {
    for i in 0..sim.nodes.len() {
        let me = sim.pk(i);
        sim.nodes[i].keys = Some(Arc::new(DealtKeys { seed, me }));
    }
    for i in 0..GENESIS_VALIDATORS {
        sim.start(i).await;
    }
}

/// The newcomer's operator creates its validator with a self-bond that puts it in the set.
fn bond_newcomer() -> Vec<u8> {
    let key = operator_key(NEWCOMER as u64);
    tx(
        &key,
        0,
        Body::CreateValidator {
            consensus_key: key.public_key(),
            commission_bps: 500,
            p2p_address: "v4".into(),
            self_stake: Amount::plx(1_000),
        },
    )
}

/// Starts validator `i` from a snapshot of validator 0's committed state; returns its height.
async fn restore_from_snapshot(sim: &mut Sim, i: usize) -> u64 {
    let (height, root, file) = sim.export_snapshot(0);
    sim.start_from_snapshot(i, &file, root).await;
    assert_eq!(sim.chain(i).committed(), (height, root));
    height
}

fn steady_link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        success_rate: 1.0,
    }
}

/// Every running validator's app hash and beacon at every height from `from` up to the
/// lowest committed one; asserts that they agree.
fn agreed_from(sim: &Sim, from: u64) -> (Vec<Hash>, Vec<Hash>) {
    let running = sim.running();
    let top = running
        .iter()
        .map(|i| sim.chain(*i).committed().0)
        .min()
        .unwrap();
    let mut hashes = Vec::new();
    let mut beacons = Vec::new();
    for h in from..=top {
        let at: Vec<_> = running
            .iter()
            .map(|i| {
                let chain = sim.chain(*i);
                let block = chain.block(h).unwrap().unwrap();
                let beacon = Beacon::of_block(&block, sim.genesis.beacon.as_ref()).value();
                (chain.app_hash_at(h).unwrap().unwrap(), beacon)
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] == w[1]),
            "validators disagree at height {h}: {at:?}"
        );
        hashes.push(at[0].0);
        beacons.push(at[0].1);
    }
    (hashes, beacons)
}

/// The run: four genesis validators; a fifth bonds by transaction, starts from a peer's
/// snapshot and joins the set at the next epoch; a genesis validator unbonds and leaves it;
/// another is reported for double signing, slashed and jailed. Returns the runtime's audit
/// and the agreed app hashes and beacons.
fn set_change_run(seed: u64) -> (String, Vec<Hash>, Vec<Hash>) {
    runner(seed).start(|context| async move {
        let mut sim = Sim::with_genesis(context.clone(), NEWCOMER as u64 + 1, epochs_genesis).await;
        sim.link_all(steady_link()).await;
        start_genesis_validators(&mut sim, seed).await;
        let chain = sim.chain(0).clone();
        chain.submit(bond_newcomer()).unwrap();
        chain
            .submit(tx(
                &operator_key(LEAVER as u64),
                0,
                Body::Unstake {
                    validator: operator(LEAVER as u64),
                    amount: Amount::plx(1_000),
                },
            ))
            .unwrap();
        chain
            .submit(tx(
                &alice(),
                0,
                Body::ReportDoubleSign(double_sign(DOUBLE_SIGNER as u64)),
            ))
            .unwrap();
        sim.wait_for(4, 1, Duration::from_secs(60)).await;

        // The newcomer starts from a peer's snapshot, following the epoch it is not in.
        let height = restore_from_snapshot(&mut sim, NEWCOMER).await;

        let top = 3 * EPOCH_BLOCKS + 5;
        sim.wait_for(top, 1, Duration::from_secs(120)).await;

        // The set of the second epoch: the double signer jailed, the leaver gone, the
        // newcomer in.
        let store = sim.chain(0).store();
        let set = plexus_ledger::staking::query::validator_set(store, Some(2))
            .unwrap()
            .unwrap();
        let mut members: Vec<Address> = set.validators.iter().map(|m| m.operator).collect();
        members.sort();
        let mut expected = vec![operator(0), operator(1), operator(NEWCOMER as u64)];
        expected.sort();
        assert_eq!(members, expected, "the set after the first epoch");
        let double_signer = plexus_ledger::staking::query::operator(store, &operator(2))
            .unwrap()
            .unwrap();
        assert!(double_signer.jailed_until.is_some() && double_signer.slashed > Amount::ZERO);

        // Blocks after the first epoch are proposed by its set only, the newcomer among them.
        // A set of three finalizes nothing without all three votes, so every block finalized
        // since carries the newcomer's vote too.
        let proposer = |h: u64| sim.chain(0).block(h).unwrap().unwrap().header.proposer;
        let addresses = |is: &[usize]| -> Vec<Address> {
            is.iter().map(|i| validator_address(&sim.pk(*i))).collect()
        };
        let first_set = addresses(&[0, 1, 2, 3]);
        let next_set = addresses(&[0, 1, NEWCOMER]);
        assert!((1..=EPOCH_BLOCKS).all(|h| first_set.contains(&proposer(h))));
        assert!((EPOCH_BLOCKS + 1..=top).all(|h| next_set.contains(&proposer(h))));
        let by_newcomer = (EPOCH_BLOCKS + 1..=top)
            .filter(|h| proposer(*h) == next_set[2])
            .count();
        assert!(by_newcomer > 0, "the newcomer proposed no block");
        // The validators out of the set keep following: all agree from the snapshot on.
        let (mut hashes, mut beacons) = agreed_from(&sim, height + 1);

        // The leaver loses its machine and starts from a snapshot taken in the middle of a
        // later epoch: it fetches that epoch's first parent (the last block of the one
        // before) from its peers, follows, and crosses the next boundary with them.
        sim.wipe(LEAVER);
        sim.wait_for(top + 3, 1, Duration::from_secs(60)).await;
        let again = restore_from_snapshot(&mut sim, LEAVER).await;
        let past_boundary = (again / EPOCH_BLOCKS + 1) * EPOCH_BLOCKS + 3;
        sim.wait_for(past_boundary, 1, Duration::from_secs(60))
            .await;
        let (later_hashes, later_beacons) = agreed_from(&sim, again + 1);
        hashes.extend(later_hashes);
        beacons.extend(later_beacons);
        (context.auditor().state(), hashes, beacons)
    })
}

#[test]
fn a_bonded_validator_joins_at_the_boundary_another_leaves_and_a_reported_double_signer_is_jailed()
{
    let run = set_change_run(21);
    assert!(run.1.len() > 2 * EPOCH_BLOCKS as usize);
    assert_eq!(set_change_run(21), run);
}

/// A validator that bonds enough to enter the set and then never runs is one faulty member of
/// five: the others keep finalizing through its epoch, and it proposes nothing.
#[test]
fn a_stranger_who_bonds_into_the_set_and_never_votes_does_not_stop_the_chain() {
    runner(5).start(|context| async move {
        let mut sim = Sim::with_genesis(context.clone(), NEWCOMER as u64 + 1, epochs_genesis).await;
        sim.link_all(steady_link()).await;
        start_genesis_validators(&mut sim, 5).await;
        sim.chain(0).submit(bond_newcomer()).unwrap();
        let top = 2 * EPOCH_BLOCKS + 3;
        sim.wait_for(top, 0, Duration::from_secs(120)).await;
        let set = plexus_ledger::staking::query::validator_set(sim.chain(0).store(), Some(2))
            .unwrap()
            .unwrap();
        assert_eq!(set.validators.len(), 5);
        assert!(set
            .validators
            .iter()
            .any(|m| m.operator == operator(NEWCOMER as u64)));
        let stranger = validator_address(&sim.pk(NEWCOMER));
        for h in EPOCH_BLOCKS + 1..=top {
            let block = sim.chain(0).block(h).unwrap().unwrap();
            assert_ne!(block.header.proposer, stranger);
        }
        agreed_from(&sim, 1);
    });
}

/// A validator down while its peers crossed two epoch boundaries restarts in its old epoch,
/// hears its peers' votes of a later one, fetches the last block of each epoch it missed from
/// them, and rejoins the set in the peers' epoch.
#[test]
fn a_validator_down_for_two_epochs_catches_up_through_each_boundary_and_votes_again() {
    runner(9).start(|context| async move {
        let mut sim =
            Sim::with_genesis(context.clone(), GENESIS_VALIDATORS as u64, epochs_genesis).await;
        sim.link_all(steady_link()).await;
        start_genesis_validators(&mut sim, 9).await;
        sim.wait_for(3, 0, Duration::from_secs(60)).await;
        sim.crash(LEAVER);
        let down_at = 2 * EPOCH_BLOCKS + 3;
        sim.wait_for(down_at, 0, Duration::from_secs(120)).await;
        let (stopped, _) = (0..GENESIS_VALIDATORS)
            .filter(|i| *i != LEAVER)
            .map(|i| sim.chain(i).committed())
            .min()
            .unwrap();
        sim.start(LEAVER).await;
        assert!(sim.chain(LEAVER).committed().0 < EPOCH_BLOCKS);
        let top = stopped + EPOCH_BLOCKS;
        sim.wait_for(top, 0, Duration::from_secs(120)).await;
        agreed_from(&sim, 1);
        // Back in the set, it leads views again: a block after its return is its own.
        let me = validator_address(&sim.pk(LEAVER));
        let proposed = (stopped + 1..=top)
            .filter(|h| sim.chain(0).block(*h).unwrap().unwrap().header.proposer == me)
            .count();
        assert!(proposed > 0, "the returning validator proposed nothing");
    });
}
