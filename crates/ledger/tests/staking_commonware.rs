//! Double-sign evidence from the votes the Commonware driver really signs: two simplex
//! notarize votes of one validator for different proposals in one round, signed by
//! Commonware's ed25519 scheme under the driver's namespace, slash and jail that validator.
mod common;

use common::*;
use commonware_codec::Encode;
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::{Notarize, Proposal};
use commonware_consensus::types::{Epoch, Round, View};
use commonware_cryptography::{ed25519, sha256, Signer};
use commonware_utils::ordered::Set;
use plexus_ledger::{module_account, query, GenesisValidator, Ledger, TxCode};
use plexus_types::{
    statements, Address, Amount, Body, ConsensusVote, DoubleSignEvidence, Hash, PublicKey,
    SecretKey, Signature,
};

/// A Commonware consensus key from a 32-byte seed, as the devnets decode theirs.
fn consensus_key(seed: u8) -> ed25519::PrivateKey {
    use commonware_codec::DecodeExt;
    ed25519::PrivateKey::decode([seed; 32].as_slice()).unwrap()
}

/// A notarize vote signed by Commonware's scheme, as the ledger's evidence carries it.
fn notarize(scheme: &Scheme, epoch: u64, view: u64, parent: u64, payload: u8) -> ConsensusVote {
    let proposal = Proposal::new(
        Round::new(Epoch::new(epoch), View::new(view)),
        View::new(parent),
        sha256::Digest::from([payload; 32]),
    );
    let vote = Notarize::sign(scheme, proposal).unwrap();
    let signature = vote.attestation.signature.get().unwrap().encode();
    ConsensusVote {
        finalize: false,
        epoch,
        view,
        parent,
        payload: Hash([payload; 32]),
        signature: Signature::from_slice(&signature).unwrap(),
    }
}

#[test]
fn conflicting_notarize_votes_signed_by_the_commonware_driver_slash_and_jail_the_validator() {
    let keys: Vec<ed25519::PrivateKey> = (1..=4).map(consensus_key).collect();
    let public: Vec<ed25519::PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let participants = Set::from_iter_dedup(public.iter().cloned());
    let double_signer = PublicKey::from_slice(&public[0].encode()).unwrap();
    // The same key on the Plexus side: a 32-byte seed makes one Ed25519 key for both.
    assert_eq!(SecretKey::from_seed([1; 32]).public_key(), double_signer);

    let reporter = key(9);
    let mut g = genesis(&[(addr(&reporter), FUNDS)]);
    g.validators = public
        .iter()
        .map(|k| GenesisValidator {
            consensus_key: hex::encode(k.encode()),
            stake: Amount(5_000_000),
            p2p_address: "127.0.0.1:1".into(),
        })
        .collect();
    let mut net = Net::with_genesis(g);
    net.empty_blocks(2);

    let scheme = Scheme::signer(
        statements::CONSENSUS_NAMESPACE,
        participants,
        keys[0].clone(),
    )
    .unwrap();
    let view = net.ledger.last_committed().0;
    let evidence = DoubleSignEvidence {
        consensus_key: double_signer,
        first: notarize(&scheme, 0, view, view - 1, 0xaa),
        second: notarize(&scheme, 0, view, view - 1, 0xbb),
    };
    let code = net.send(&reporter, Body::ReportDoubleSign(evidence.clone()));
    assert_eq!(code, TxCode::Ok);
    let operator = Address::from_public_key(&double_signer);
    let slashed = query::operator(net.ledger.store(), &operator)
        .unwrap()
        .unwrap();
    assert!(slashed.jailed_until.is_some());
    assert!(slashed.tokens < Amount(5_000_000));
    // Commonware's vote for one proposal, claimed for another, is no evidence.
    let mut forged = evidence;
    forged.second.payload = Hash([0xcc; 32]);
    forged.first.view += 1;
    forged.second.view += 1;
    let code = net.send(&reporter, Body::ReportDoubleSign(forged));
    assert_eq!(code, TxCode::BadEvidence);
    // The slash moved stake, created none: every unit of the supply is in a known account.
    let mut known = vec![addr(&reporter)];
    known.extend(
        public
            .iter()
            .map(|k| Address::from_public_key(&PublicKey::from_slice(&k.encode()).unwrap())),
    );
    known.extend(module_account::all());
    known.sort();
    known.dedup();
    let held: u128 = known.iter().map(|a| net.balance(a)).sum();
    assert_eq!(held, net.ledger.supply().unwrap().0);
    assert!(query::staking_totals(net.ledger.store())
        .unwrap()
        .balances());
}

/// Under Commonware's threshold beacon a block carries its parent's seed, so its beacon is of
/// the height below; the epoch still ends with block `e × epoch_blocks`, where the driver
/// stops the epoch's consensus and reads the next set.
#[test]
fn under_the_threshold_beacon_an_epoch_ends_with_its_last_block_not_the_one_after() {
    let mut g = genesis(&[]);
    g.rewards.epoch_blocks = 5;
    g.beacon = Some(plexus_ledger::beacon::BeaconCommitment::ThresholdVrf {
        polynomial: "00".into(),
    });
    g.validators = vec![GenesisValidator {
        consensus_key: hex::encode(consensus_key(1).public_key().encode()),
        stake: Amount::plx(1_000),
        p2p_address: "127.0.0.1:1".into(),
    }];
    let mut net = Net::with_genesis(g);
    let next_set = |net: &Net| query::validator_set(net.ledger.store(), Some(2)).unwrap();
    for height in 1..=5u64 {
        assert_eq!(
            next_set(&net),
            None,
            "the next set is chosen before block 5"
        );
        let mut block = block_on(&net.ledger, Vec::new());
        block.header.beacon = vec![height as u8; 48];
        net.ledger.execute(&block).unwrap();
        net.ledger.commit().unwrap();
    }
    let set = next_set(&net).expect("block 5 ends the epoch and chooses the next set");
    assert_eq!(set.from_height, 6);
    assert_eq!(set.validators.len(), 1);
}
