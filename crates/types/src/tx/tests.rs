use super::*;
use crate::keys::SecretKey;
use proptest::prelude::*;
use prost::Message;

fn transfer(nonce: u64) -> UnsignedTx {
    UnsignedTx {
        chain_id: "plexus-test".into(),
        nonce,
        fee: Amount(10),
        body: Body::Transfer {
            to: Address([9u8; 20]),
            amount: Amount(1_000),
        },
    }
}

#[test]
fn a_signed_transfer_decodes_to_the_same_fields_and_verifies() {
    let key = SecretKey::from_seed([3u8; 32]);
    let tx = transfer(5).sign(&key);
    let back = SignedTx::decode(&tx.bytes).unwrap();
    assert_eq!(back, tx);
    assert!(back.verify_signature().is_ok());
    assert_eq!(
        back.signer_address,
        Address::from_public_key(&key.public_key())
    );
}

#[test]
fn a_tampered_payload_fails_signature_verification() {
    let key = SecretKey::from_seed([3u8; 32]);
    let tx = transfer(5).sign(&key);
    let mut forged_payload = proto::TxPayload::decode(tx.payload.as_slice()).unwrap();
    forged_payload.nonce = 6;
    let forged = proto::SignedTx {
        payload: forged_payload.encode_to_vec(),
        signature: tx.signature.to_bytes().to_vec(),
    }
    .encode_to_vec();
    let decoded = SignedTx::decode(&forged).unwrap();
    assert_eq!(
        decoded.verify_signature(),
        Err(TxError::BadSignature(KeyError::BadSignature))
    );
}

#[test]
fn oversize_and_garbage_inputs_are_rejected_with_codes() {
    assert_eq!(
        SignedTx::decode(&vec![0u8; MAX_TX_BYTES + 1])
            .unwrap_err()
            .code(),
        "oversize"
    );
    assert_eq!(
        SignedTx::decode(&[0xff, 0xff, 0xff]).unwrap_err().code(),
        "malformed"
    );
    assert_eq!(
        SignedTx::decode(&[]).unwrap_err().code(),
        "malformed_signature"
    );
}

#[test]
fn batch_verification_pinpoints_the_forged_transaction() {
    let txs: Vec<SignedTx> = (0..100u64)
        .map(|i| transfer(i).sign(&SecretKey::from_seed([(i % 7) as u8; 32])))
        .collect();
    let mut forged = txs[42].clone();
    forged.signature = SecretKey::from_seed([99u8; 32]).sign(&forged.payload);
    let mut all: Vec<&SignedTx> = txs.iter().collect();
    all[42] = &forged;
    let results = SignedTx::verify_many(&all);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i != 42, "tx {i}");
    }
}

#[test]
fn a_storage_deal_round_trips_and_bad_terms_are_refused_by_field() {
    let key = SecretKey::from_seed([5u8; 32]);
    let deal = |replicas, epochs, price| {
        UnsignedTx {
            chain_id: "plexus-test".into(),
            nonce: 0,
            fee: Amount(10),
            body: Body::StorageDeal(StorageDealTerms {
                blob: Hash::of(b"blob"),
                size: 4,
                replicas,
                epochs,
                price_per_replica_epoch: Amount(price),
                size_proof: Default::default(),
            }),
        }
        .sign(&key)
    };
    let good = deal(3, 10, 7);
    assert_eq!(SignedTx::decode(&good.bytes).unwrap(), good);
    for (tx, field) in [
        (deal(0, 10, 7), "replicas"),
        (deal(MAX_DEAL_REPLICAS + 1, 10, 7), "replicas"),
        (deal(3, 0, 7), "epochs"),
        (deal(3, MAX_DEAL_EPOCHS + 1, 7), "epochs"),
        (deal(3, 10, 0), "price_per_replica_epoch"),
    ] {
        match SignedTx::decode(&tx.bytes) {
            Err(TxError::BadField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a bad {field}, got {other:?}"),
        }
    }
}

#[test]
fn staking_actions_round_trip_and_a_commission_above_the_whole_reward_is_refused() {
    let key = SecretKey::from_seed([4u8; 32]);
    let consensus = SecretKey::from_seed([5u8; 32]);
    let vote = |view, payload: u8| ConsensusVote {
        finalize: false,
        epoch: 0,
        view,
        parent: view - 1,
        payload: Hash([payload; 32]),
        signature: consensus.sign(&crate::statements::consensus_vote(
            false,
            0,
            view,
            view - 1,
            &Hash([payload; 32]),
        )),
    };
    let bodies = [
        Body::CreateValidator {
            consensus_key: consensus.public_key(),
            commission_bps: 500,
            p2p_address: "127.0.0.1:26656".into(),
            self_stake: Amount(7),
        },
        Body::EditValidator { commission_bps: 0 },
        Body::Stake {
            validator: Address([1; 20]),
            amount: Amount(u128::MAX),
        },
        Body::Unstake {
            validator: Address([1; 20]),
            amount: Amount(3),
        },
        Body::Redelegate {
            from: Address([1; 20]),
            to: Address([2; 20]),
            amount: Amount(3),
        },
        Body::WithdrawStakingRewards {
            validator: Address([1; 20]),
        },
        Body::ReportDoubleSign(DoubleSignEvidence {
            consensus_key: consensus.public_key(),
            first: vote(9, 1),
            second: vote(9, 2),
        }),
        Body::Unjail,
    ];
    for body in bodies {
        let tx = UnsignedTx {
            chain_id: "plexus-test".into(),
            nonce: 0,
            fee: Amount(10),
            body: body.clone(),
        }
        .sign(&key);
        assert_eq!(SignedTx::decode(&tx.bytes).unwrap().body, body);
    }
    let too_high = UnsignedTx {
        chain_id: "plexus-test".into(),
        nonce: 0,
        fee: Amount(10),
        body: Body::EditValidator {
            commission_bps: MAX_COMMISSION_BPS + 1,
        },
    }
    .sign(&key);
    let err = SignedTx::decode(&too_high.bytes).unwrap_err();
    assert!(
        matches!(
            err,
            TxError::BadField {
                field: "commission_bps",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_storage_audit_has_one_encoding_and_an_endpoint_must_be_a_web_url() {
    let key = SecretKey::from_seed([6u8; 32]);
    let sign = |body| {
        UnsignedTx {
            chain_id: "plexus-test".into(),
            nonce: 0,
            fee: Amount(10),
            body,
        }
        .sign(&key)
    };
    let a = SecretKey::from_seed([1; 32]).public_key();
    let b = SecretKey::from_seed([2; 32]).public_key();
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let audit = |failures: Vec<(u64, PublicKey)>| {
        sign(Body::StorageAudit {
            epoch: 4,
            failures: failures
                .into_iter()
                .map(|(deal, device)| StorageFailure { deal, device })
                .collect(),
        })
    };
    let good = audit(vec![(1, lo), (1, hi), (2, lo)]);
    assert_eq!(SignedTx::decode(&good.bytes).unwrap(), good);
    for bad in [
        audit(vec![(1, hi), (1, lo)]),
        audit(vec![(2, lo), (1, lo)]),
        audit(vec![(1, lo), (1, lo)]),
    ] {
        match SignedTx::decode(&bad.bytes) {
            Err(TxError::BadField { field, .. }) => assert_eq!(field, "failures"),
            other => panic!("expected bad failures, got {other:?}"),
        }
    }

    let register = |endpoint: &str| {
        sign(Body::UpdateDevice {
            device: lo,
            capabilities: Capabilities {
                endpoint: endpoint.into(),
                ..Capabilities::default()
            },
            h3_cell: 1,
        })
    };
    for ok in ["", "http://127.0.0.1:26660", "https://blobs.example.org"] {
        let tx = register(ok);
        assert_eq!(SignedTx::decode(&tx.bytes).unwrap(), tx, "{ok}");
    }
    let long = format!("http://{}", "a".repeat(MAX_ENDPOINT_LEN));
    for bad in ["ftp://x", "127.0.0.1:26660", long.as_str()] {
        match SignedTx::decode(&register(bad).bytes) {
            Err(TxError::BadField { field, .. }) => {
                assert_eq!(field, "capabilities.endpoint", "{bad}")
            }
            other => panic!("expected a bad endpoint for {bad}, got {other:?}"),
        }
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = SignedTx::decode(&bytes);
    }

    #[test]
    fn flipping_any_byte_of_a_valid_tx_never_yields_a_valid_different_tx(pos in 0usize..200, bit in 0u8..8) {
        let key = SecretKey::from_seed([4u8; 32]);
        let tx = transfer(1).sign(&key);
        let mut bytes = tx.bytes.clone();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        if let Ok(decoded) = SignedTx::decode(&bytes) {
            if decoded.verify_signature().is_ok() {
                // Only a change outside the signed payload can still verify, and then the
                // payload (what executes) is unchanged.
                prop_assert_eq!(decoded.payload, tx.payload);
            }
        }
    }
}

fn assert_location(h3_cell: u64, antenna: Antenna) -> UnsignedTx {
    UnsignedTx {
        chain_id: "plexus-test".into(),
        nonce: 0,
        fee: Amount(10),
        body: Body::AssertLocation {
            device: SecretKey::from_seed([4u8; 32]).public_key(),
            h3_cell,
            antenna,
        },
    }
}

/// A resolution-12 cell in San Francisco.
const RES12_CELL: u64 = 0x8c2a100d2c0a5ff;

#[test]
fn a_location_assertion_decodes_to_the_same_cell_and_antenna() {
    let antenna = Antenna {
        gain_cdbi: -250,
        elevation_m: 12,
        azimuth_deg: 359,
    };
    let tx = assert_location(RES12_CELL, antenna).sign(&SecretKey::from_seed([3u8; 32]));
    assert_eq!(SignedTx::decode(&tx.bytes).unwrap(), tx);
}

#[test]
fn a_location_assertion_outside_res_12_or_the_antenna_bounds_names_the_field() {
    let key = SecretKey::from_seed([3u8; 32]);
    let field_of = |tx: UnsignedTx| match SignedTx::decode(&tx.sign(&key).bytes) {
        Err(TxError::BadField { field, reason }) => (field, reason),
        other => panic!("expected a bad field, got {other:?}"),
    };
    let ok = Antenna::default();
    // The parent of the res-12 cell: a valid cell, at resolution 11.
    let (field, reason) = field_of(assert_location(0x8b2a100d2c0afff, ok));
    assert_eq!(field, "h3_cell");
    assert!(reason.contains("resolution 11"), "{reason}");
    let (field, _) = field_of(assert_location(0, ok));
    assert_eq!(field, "h3_cell");
    let (field, _) = field_of(assert_location(u64::MAX, ok));
    assert_eq!(field, "h3_cell");
    let out = |gain_cdbi, elevation_m, azimuth_deg| {
        field_of(assert_location(
            RES12_CELL,
            Antenna {
                gain_cdbi,
                elevation_m,
                azimuth_deg,
            },
        ))
        .0
    };
    assert_eq!(out(3_001, 0, 0), "antenna.gain_cdbi");
    assert_eq!(out(-1_001, 0, 0), "antenna.gain_cdbi");
    assert_eq!(out(0, 1_001, 0), "antenna.elevation_m");
    assert_eq!(out(0, 0, 360), "antenna.azimuth_deg");
    // The bounds themselves are fine.
    let edge = Antenna {
        gain_cdbi: 3_000,
        elevation_m: 1_000,
        azimuth_deg: 0,
    };
    assert!(SignedTx::decode(&assert_location(RES12_CELL, edge).sign(&key).bytes).is_ok());
}

#[test]
fn a_data_session_receipt_verifies_only_with_both_signatures_over_its_own_session() {
    let (subscriber, hotspot, other) = (
        SecretKey::from_seed([21; 32]),
        SecretKey::from_seed([22; 32]),
        SecretKey::from_seed([23; 32]),
    );
    let session = DataSession {
        hotspot: hotspot.public_key(),
        subscriber: subscriber.public_key(),
        session: 1,
        epoch: 3,
        bytes_up: 10,
        bytes_down: 20,
    };
    let receipt = session.sign("plexus-test", &subscriber, &hotspot);
    assert_eq!(receipt.verify("plexus-test"), Ok(()));
    assert_eq!(
        receipt.verify("another-chain"),
        Err(ReceiptSignatureError::Subscriber)
    );
    let by_other_hotspot = session.sign("plexus-test", &subscriber, &other);
    assert_eq!(
        by_other_hotspot.verify("plexus-test"),
        Err(ReceiptSignatureError::Hotspot)
    );
    let mut more_bytes = receipt.clone();
    more_bytes.bytes_down += 1;
    assert_eq!(
        more_bytes.verify("plexus-test"),
        Err(ReceiptSignatureError::Subscriber)
    );
    let json = serde_json::to_string(&receipt).unwrap();
    let back: DataSessionReceipt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, receipt);
}
