//! Devices, epochs, manifests, claims and fraud proofs, end to end through blocks.
mod common;

use common::*;
use plexus_ledger::{module_account, query, Genesis, RewardParams, TxCode};
use plexus_proofs::compute::{ComputeChallenge, ComputeProof};
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{
    statements, Address, Amount, Body, Capabilities, ComputeFraud, Hash, PublicKey, SecretKey,
    UnsignedTx,
};
use proptest::prelude::*;

const EPOCH_BLOCKS: u64 = 16;

fn reward_genesis(funded: &[Address]) -> Genesis {
    let mut all: Vec<(Address, u128)> = funded.iter().map(|a| (*a, 10_000_000_000)).collect();
    for i in 0..3 {
        all.push((addr(&oracle(i)), 1_000_000_000));
    }
    oracle_genesis(&all, EPOCH_BLOCKS, 3)
}

impl Net {
    fn new(funded: &[Address]) -> Net {
        Net::with_genesis(reward_genesis(funded))
    }

    fn assert_accounted(&self) {
        let acct = query::reward_totals(self.ledger.store()).unwrap();
        assert!(
            acct.balances(),
            "reward accounting does not balance: {acct:?}"
        );
        let t = &acct.totals;
        assert_eq!(self.balance(&module_account::dust()), t.dust.0);
        assert_eq!(self.balance(&module_account::unclaimed()), t.expired.0);
        assert_eq!(
            self.balance(&module_account::slashed()),
            t.forfeited.0 + t.slashed_stake.0
        );
    }
}

fn register_cpu(owner: &SecretKey, device: &SecretKey, class: &str, stake: u128) -> Body {
    let capabilities = Capabilities {
        cpu_cores: 4,
        memory_mb: 8192,
        ..Capabilities::default()
    };
    register_body(owner, device, class, capabilities, stake)
}

const STAKE: u128 = 100_000_000; // the cpu-small minimum, 100 PLX

#[test]
fn a_device_registers_with_its_own_signature_and_bonds_its_stake() {
    let owner = key(0);
    let device = SecretKey::from_seed([50; 32]);
    let mut net = Net::new(&[addr(&owner)]);
    let before = net.balance(&addr(&owner));

    let stranger = SecretKey::from_seed([51; 32]);
    let mut forged = register_cpu(&owner, &device, "cpu-small", STAKE);
    if let Body::RegisterDevice {
        device_signature, ..
    } = &mut forged
    {
        *device_signature = stranger.sign(b"something else");
    }
    assert_eq!(net.send(&owner, forged), TxCode::BadDeviceSignature);
    assert_eq!(
        net.send(
            &owner,
            register_cpu(&owner, &device, "cpu-small", STAKE - 1)
        ),
        TxCode::StakeTooLow
    );
    assert_eq!(
        net.send(&owner, register_cpu(&owner, &device, "quantum-9000", STAKE)),
        TxCode::UnknownClass
    );
    let mut nowhere = register_cpu(&owner, &device, "cpu-small", STAKE);
    if let Body::RegisterDevice { h3_cell, .. } = &mut nowhere {
        *h3_cell = 0;
    }
    assert_eq!(net.send(&owner, nowhere), TxCode::InvalidLocation);
    // Failed registrations cost their fees and nothing else.
    assert_eq!(net.balance(&addr(&owner)), before - 4 * 1_000);

    assert_eq!(
        net.send(&owner, register_cpu(&owner, &device, "cpu-small", STAKE)),
        TxCode::Ok
    );
    assert_eq!(
        net.send(&owner, register_cpu(&owner, &device, "cpu-small", STAKE)),
        TxCode::DeviceExists
    );
    assert_eq!(net.balance(&module_account::stake()), STAKE);
    let devices = query::devices(net.ledger.store()).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].owner, addr(&owner));
    assert_eq!(devices[0].class, "cpu-small");

    // Only the owner may retire it; the stake comes back after unbonding.
    let withdraw = Body::WithdrawStake {
        device: device.public_key(),
    };
    let intruder = key(1);
    net.nonces.insert(addr(&intruder), 0);
    assert_eq!(net.send(&owner, withdraw.clone()), TxCode::DeviceNotActive);
    assert_eq!(
        net.send(
            &owner,
            Body::RetireDevice {
                device: device.public_key()
            }
        ),
        TxCode::Ok
    );
    assert_eq!(net.send(&owner, withdraw.clone()), TxCode::StillBonded);
    let unbonds = match query::device(net.ledger.store(), &device.public_key())
        .unwrap()
        .unwrap()
        .status
    {
        plexus_ledger::registry::DeviceStatus::Retired { unbonded_at_epoch } => unbonded_at_epoch,
        other => panic!("device is {other:?}"),
    };
    net.end_epoch(unbonds - 1);
    assert_eq!(net.send(&owner, withdraw.clone()), TxCode::StillBonded);
    net.end_epoch(unbonds);
    let before = net.balance(&addr(&owner));
    assert_eq!(net.send(&owner, withdraw.clone()), TxCode::Ok);
    assert_eq!(net.balance(&addr(&owner)), before + STAKE - 1_000);
    assert_eq!(net.balance(&module_account::stake()), 0);
}

#[test]
fn each_epoch_mints_its_emission_into_pools_and_nothing_else() {
    let mut net = Net::new(&[addr(&key(0))]);
    let supply0 = net.ledger.supply().unwrap().0;
    net.empty_blocks(EPOCH_BLOCKS - 1);
    assert_eq!(net.ledger.supply().unwrap().0, supply0, "minted mid-epoch");
    net.end_epoch(2);
    assert_eq!(net.ledger.supply().unwrap().0, supply0 + 2 * 1_000_003);
    let (record, pools) = query::epoch(net.ledger.store(), 2).unwrap().unwrap();
    assert_eq!(record.emission, Amount(1_000_003));
    let pooled: u128 = pools.iter().map(|p| p.amount.0).sum();
    assert_eq!(pooled + record.split_dust.0, 1_000_003);
    net.assert_accounted();
}

fn manifest_for(epoch: u64, leaves: &[(PublicKey, Address, u128)]) -> Manifest {
    let mut leaves = leaves.to_vec();
    leaves.sort_by_key(|l| *l.0.as_bytes());
    Manifest::from_leaves(
        epoch,
        "compute",
        leaves
            .iter()
            .map(|(d, o, u)| ManifestLeaf {
                device: *d,
                owner: *o,
                units: *u,
            })
            .collect(),
        Hash::of(b"evidence"),
    )
    .unwrap()
}

fn vote(m: &Manifest) -> Body {
    Body::SubmitManifest {
        epoch: m.epoch(),
        resource: "compute".into(),
        root: m.root(),
        total_units: m.total_units(),
        evidence_root: m.evidence_root(),
    }
}

#[test]
fn a_manifest_is_final_once_enough_oracles_agree_and_claims_pay_pro_rata() {
    let (alice, bob) = (key(0), key(1));
    let (d1, d2) = (
        SecretKey::from_seed([61; 32]),
        SecretKey::from_seed([62; 32]),
    );
    let mut net = Net::new(&[addr(&alice), addr(&bob)]);
    let m = manifest_for(
        1,
        &[
            (d1.public_key(), addr(&alice), 3),
            (d2.public_key(), addr(&bob), 7),
        ],
    );
    assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::EpochNotEnded);
    net.end_epoch(1);
    assert_eq!(net.send(&alice, vote(&m)), TxCode::Unauthorized);
    assert_eq!(
        net.send(&alice, claim_body(&m, &d1.public_key())),
        TxCode::NoManifest
    );
    assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::Ok);
    assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::AlreadySubmitted);
    let other = manifest_for(1, &[(d1.public_key(), addr(&alice), 10)]);
    assert_eq!(net.send(&oracle(1), vote(&other)), TxCode::Ok);
    assert_eq!(
        net.send(&alice, claim_body(&m, &d1.public_key())),
        TxCode::NoManifest
    );
    assert_eq!(net.send(&oracle(2), vote(&m)), TxCode::Ok);

    let (_, pools) = query::epoch(net.ledger.store(), 1).unwrap().unwrap();
    let pool = pools
        .iter()
        .find(|p| p.resource.as_str() == "compute")
        .unwrap()
        .amount
        .0;
    let bob_before = net.balance(&addr(&bob));
    // Anyone may claim; the reward goes to the leaf's owner.
    assert_eq!(
        net.send(&alice, claim_body(&m, &d2.public_key())),
        TxCode::Ok
    );
    assert_eq!(net.balance(&addr(&bob)), bob_before + pool * 7 / 10);
    assert_eq!(
        net.send(&alice, claim_body(&m, &d2.public_key())),
        TxCode::AlreadyClaimed
    );
    let mut inflated = claim_body(&m, &d1.public_key());
    if let Body::ClaimReward(c) = &mut inflated {
        c.units = 9;
    }
    assert_eq!(net.send(&alice, inflated), TxCode::BadProof);
    net.assert_accounted();
}

#[test]
fn an_unclaimed_reward_expires_when_its_window_closes() {
    let alice = key(0);
    let d1 = SecretKey::from_seed([61; 32]);
    let mut net = Net::new(&[addr(&alice)]);
    let m = manifest_for(1, &[(d1.public_key(), addr(&alice), 5)]);
    net.end_epoch(1);
    assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::Ok);
    assert_eq!(net.send(&oracle(1), vote(&m)), TxCode::Ok);
    net.end_epoch(1 + RewardParams::default().claim_epochs);
    assert_eq!(
        net.send(&alice, claim_body(&m, &d1.public_key())),
        TxCode::ClaimWindowClosed
    );
    let acct = query::reward_totals(net.ledger.store()).unwrap();
    assert!(acct.totals.expired > Amount::ZERO);
    net.assert_accounted();
}

#[test]
fn a_signed_wrong_compute_answer_slashes_the_device_and_forfeits_its_reward() {
    let owner = key(0);
    let device = SecretKey::from_seed([70; 32]);
    let mut net = Net::new(&[addr(&owner)]);
    assert_eq!(
        net.send(&owner, register_cpu(&owner, &device, "cpu-small", STAKE)),
        TxCode::Ok
    );
    let challenge = ComputeChallenge::new([9; 32], 8).unwrap();
    let honest = plexus_proofs::compute::prove(&challenge);
    let mut product = honest.product().to_vec();
    product[3 * 8 + 2] = (product[3 * 8 + 2] + 1) % plexus_proofs::compute::P;
    let cheat = ComputeProof::commit(&challenge, product).unwrap();
    let fraud = |row: u32, proof: &ComputeProof| {
        let opening = proof.open(row).unwrap();
        let statement = statements::compute_commitment(CHAIN, challenge.seed(), 8, &proof.root());
        Body::ComputeFraud(ComputeFraud {
            device: device.public_key(),
            seed: *challenge.seed(),
            n: 8,
            root: proof.root(),
            device_signature: device.sign(&statement),
            row_index: row,
            row: opening.row,
            proof: opening.proof,
        })
    };
    let reporter = key(1);
    net.nonces.insert(addr(&reporter), 0);
    // A correct row is no fraud, and neither is an honest answer.
    assert_eq!(net.send(&owner, fraud(2, &cheat)), TxCode::NotFraud);
    assert_eq!(net.send(&owner, fraud(3, &honest)), TxCode::NotFraud);
    assert_eq!(net.send(&owner, fraud(3, &cheat)), TxCode::Ok);
    assert_eq!(net.send(&owner, fraud(3, &cheat)), TxCode::AlreadySlashed);
    assert_eq!(net.balance(&module_account::slashed()), STAKE);
    assert_eq!(net.balance(&module_account::stake()), 0);

    // Its reward, even if an oracle listed it, goes to the slashed account.
    let m = manifest_for(1, &[(device.public_key(), addr(&owner), 4)]);
    net.end_epoch(1);
    assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::Ok);
    assert_eq!(net.send(&oracle(2), vote(&m)), TxCode::Ok);
    let before = net.balance(&addr(&owner));
    assert_eq!(
        net.send(&owner, claim_body(&m, &device.public_key())),
        TxCode::Ok
    );
    assert_eq!(
        net.balance(&addr(&owner)),
        before - 1_000,
        "paid a slashed device"
    );
    let acct = query::reward_totals(net.ledger.store()).unwrap();
    assert!(acct.totals.forfeited > Amount::ZERO);
    assert_eq!(acct.totals.slashed_stake, Amount(STAKE));
    net.assert_accounted();
}

/// A wrong answer of size `n` committed and signed by `device`, and the fraud proof that opens
/// its wrong row 3.
fn signed_wrong_answer(device: &SecretKey, n: u32) -> ComputeFraud {
    let challenge = ComputeChallenge::new([9; 32], n).unwrap();
    let mut product = plexus_proofs::compute::prove(&challenge).product().to_vec();
    let cell = 3 * n as usize + 2;
    product[cell] = (product[cell] + 1) % plexus_proofs::compute::P;
    let cheat = ComputeProof::commit(&challenge, product).unwrap();
    let opening = cheat.open(3).unwrap();
    let statement = statements::compute_commitment(CHAIN, challenge.seed(), n, &cheat.root());
    ComputeFraud {
        device: device.public_key(),
        seed: *challenge.seed(),
        n,
        root: cheat.root(),
        device_signature: device.sign(&statement),
        row_index: 3,
        row: opening.row,
        proof: opening.proof,
    }
}

/// The same proof with a row that is not in the commitment: checking it against the root
/// refuses it as no fraud, so a refusal for any other reason came before the row was looked at.
fn with_garbage_row(mut f: ComputeFraud) -> ComputeFraud {
    f.row = vec![u32::MAX; f.n as usize];
    f
}

#[test]
fn a_fraud_proof_against_an_unregistered_device_is_refused_before_any_recomputation() {
    let reporter = key(0);
    let owner = key(1);
    let mut net = Net::new(&[addr(&reporter), addr(&owner)]);
    // Any fresh key can sign a commitment; no device of the chain stands behind it.
    let stranger = SecretKey::from_seed([90; 32]);
    let proofs = [
        signed_wrong_answer(&stranger, 8),
        with_garbage_row(signed_wrong_answer(&stranger, 8)),
    ];
    for proof in proofs {
        let result = net.send_for_result(&reporter, Body::ComputeFraud(proof));
        assert_eq!(result.code, TxCode::UnknownDevice, "{}", result.log);
        assert_eq!(
            result.fee,
            Amount(FEE),
            "the refused proof still pays its fee"
        );
    }
    let mut unsigned = signed_wrong_answer(&stranger, 8);
    unsigned.device_signature = stranger.sign(b"not a commitment");
    assert_eq!(
        net.send(&reporter, Body::ComputeFraud(unsigned)),
        TxCode::UnknownDevice
    );

    // A device that is slashed already is no target either, whatever row comes with it.
    let device = SecretKey::from_seed([91; 32]);
    assert_eq!(
        net.send(&owner, register_cpu(&owner, &device, "cpu-small", STAKE)),
        TxCode::Ok
    );
    let fraud = signed_wrong_answer(&device, 8);
    assert_eq!(
        net.send(
            &reporter,
            Body::ComputeFraud(with_garbage_row(fraud.clone()))
        ),
        TxCode::NotFraud
    );
    assert_eq!(
        net.send(&reporter, Body::ComputeFraud(fraud.clone())),
        TxCode::Ok
    );
    assert_eq!(
        net.send(&reporter, Body::ComputeFraud(with_garbage_row(fraud))),
        TxCode::AlreadySlashed
    );
    net.assert_accounted();
}

#[test]
fn a_fraud_proof_that_underpays_for_its_recomputation_is_refused_at_admission() {
    let reporter = key(0);
    let mut net = Net::new(&[addr(&reporter)]);
    let device = SecretKey::from_seed([92; 32]);
    // A cpu-small answer: recomputing one row costs 512² multiply-adds, four minimum fees.
    let mut proof = with_garbage_row(signed_wrong_answer(&device, 8));
    proof.n = 512;
    proof.row = vec![1; 512];
    let signed = |nonce: u64, fee: u128| {
        UnsignedTx {
            chain_id: CHAIN.into(),
            nonce,
            fee: Amount(fee),
            body: Body::ComputeFraud(proof.clone()),
        }
        .sign(&reporter)
    };
    let checker = net.ledger.checker().unwrap();
    let refused = checker.check(&signed(0, FEE).bytes).unwrap_err();
    assert_eq!(refused.code, TxCode::FeeTooLow);
    assert!(
        refused.message.contains("4000 uplx"),
        "the refusal names the fee to pay: {}",
        refused.message
    );
    assert_eq!(
        checker
            .check(&signed(0, 4 * FEE - 1).bytes)
            .unwrap_err()
            .code,
        TxCode::FeeTooLow
    );
    assert!(checker.check(&signed(0, 4 * FEE).bytes).is_ok());

    // A proposer that includes it anyway gets the same refusal from the block, and no work.
    let before = net.balance(&addr(&reporter));
    let outcome = run_block(&mut net.ledger, vec![signed(0, FEE).bytes]);
    assert_eq!(outcome.results[0].code, TxCode::FeeTooLow);
    assert_eq!(net.balance(&addr(&reporter)), before);
    // Paid in full, it is judged: this device was never registered.
    let outcome = run_block(&mut net.ledger, vec![signed(0, 4 * FEE).bytes]);
    assert_eq!(outcome.results[0].code, TxCode::UnknownDevice);
    assert_eq!(net.balance(&addr(&reporter)), before - 4 * FEE);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Minted = paid + forfeited + dust + expired + claimable, at every height, whatever the
    /// manifests, claims and slashes; and the supply equals the sum of all balances.
    #[test]
    fn every_minted_unit_is_accounted_for(
        units in proptest::collection::vec(1u128..1_000_000, 1..6),
        claims in proptest::collection::vec(any::<bool>(), 6),
        slash_first in any::<bool>(),
        epochs in 1u64..5,
    ) {
        let owners: Vec<SecretKey> = (0..units.len() as u8).map(key).collect();
        let devices: Vec<SecretKey> = (0..units.len() as u8).map(|i| SecretKey::from_seed([100 + i; 32])).collect();
        let mut net = Net::new(&owners.iter().map(addr).collect::<Vec<_>>());
        for (o, d) in owners.iter().zip(&devices) {
            prop_assert_eq!(net.send(o, register_cpu(o, d, "cpu-small", STAKE)), TxCode::Ok);
        }
        if slash_first {
            let challenge = ComputeChallenge::new([1; 32], 4).unwrap();
            let mut product = plexus_proofs::compute::prove(&challenge).product().to_vec();
            product[0] = (product[0] + 1) % plexus_proofs::compute::P;
            let cheat = ComputeProof::commit(&challenge, product).unwrap();
            let opening = cheat.open(0).unwrap();
            let statement = statements::compute_commitment(CHAIN, challenge.seed(), 4, &cheat.root());
            let body = Body::ComputeFraud(ComputeFraud {
                device: devices[0].public_key(), seed: *challenge.seed(), n: 4, root: cheat.root(),
                device_signature: devices[0].sign(&statement), row_index: 0,
                row: opening.row, proof: opening.proof,
            });
            prop_assert_eq!(net.send(&owners[0], body), TxCode::Ok);
        }
        for epoch in 1..=epochs {
            net.end_epoch(epoch);
            let leaves: Vec<(PublicKey, Address, u128)> = devices.iter().zip(&owners).zip(&units)
                .map(|((d, o), u)| (d.public_key(), addr(o), *u)).collect();
            let m = manifest_for(epoch, &leaves);
            prop_assert_eq!(net.send(&oracle(0), vote(&m)), TxCode::Ok);
            prop_assert_eq!(net.send(&oracle(1), vote(&m)), TxCode::Ok);
            for (i, d) in devices.iter().enumerate() {
                if claims[i] {
                    prop_assert_eq!(net.send(&owners[i], claim_body(&m, &d.public_key())), TxCode::Ok);
                }
                net.assert_accounted();
            }
        }
        net.end_epoch(epochs + 3);
        net.assert_accounted();
        let mut everyone: Vec<Address> = owners.iter().map(addr).collect();
        everyone.extend((0..3).map(|i| addr(&oracle(i))));
        everyone.extend([
            module_account::fee_pool(), module_account::stake(), module_account::rewards(),
            module_account::dust(), module_account::slashed(), module_account::unclaimed(),
        ]);
        let total: u128 = everyone.iter().map(|a| net.balance(a)).sum();
        prop_assert_eq!(total, net.ledger.supply().unwrap().0);
    }
}
