//! Replays random block logs on two fresh ledgers: the app hashes agree at every height and
//! no token is created or destroyed.
mod common;

use common::*;
use plexus_ledger::{fee_pool_address, Ledger};
use plexus_types::{Address, Amount, SecretKey};
use proptest::prelude::*;

const KEYS: u8 = 5;

#[derive(Debug, Clone)]
enum Action {
    Transfer {
        from: u8,
        to: u8,
        amount: u128,
        nonce_skew: i8,
        fee: u128,
    },
    ForgedSignature {
        from: u8,
        to: u8,
    },
    WrongChain {
        from: u8,
    },
    Garbage(Vec<u8>),
    Oversize,
    AmountBeyondU128 {
        from: u8,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let amount = prop_oneof![
        0u128..2_000_000,
        Just(u128::MAX),
        Just(u128::MAX - 1),
        (1u128 << 100)..(1u128 << 101),
    ];
    prop_oneof![
        8 => (0..KEYS, 0..KEYS + 1, amount, prop_oneof![8 => Just(0i8), 1 => -2i8..3], prop_oneof![Just(1_000u128), Just(5u128), 1_000u128..50_000])
            .prop_map(|(from, to, amount, nonce_skew, fee)| Action::Transfer { from, to, amount, nonce_skew, fee }),
        1 => (0..KEYS, 0..KEYS).prop_map(|(from, to)| Action::ForgedSignature { from, to }),
        1 => (0..KEYS).prop_map(|from| Action::WrongChain { from }),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Action::Garbage),
        1 => Just(Action::Oversize),
        1 => (0..KEYS).prop_map(|from| Action::AmountBeyondU128 { from }),
    ]
}

struct Model {
    keys: Vec<SecretKey>,
    nonces: Vec<u64>,
}

impl Model {
    fn to(&self, i: u8) -> Address {
        if i < KEYS {
            addr(&self.keys[i as usize])
        } else {
            Address([0xee; 20])
        }
    }

    fn encode(&mut self, action: &Action) -> Vec<u8> {
        match action {
            Action::Transfer {
                from,
                to,
                amount,
                nonce_skew,
                fee,
            } => {
                let n = self.nonces[*from as usize];
                let nonce = (n as i64 + *nonce_skew as i64).max(0) as u64;
                if *nonce_skew == 0 {
                    // Assume it lands; if it fails history checks the real nonce stays put,
                    // which later transactions then exercise as a bad nonce.
                    self.nonces[*from as usize] += 1;
                }
                transfer(
                    &self.keys[*from as usize],
                    self.to(*to),
                    *amount,
                    nonce,
                    *fee,
                )
                .bytes
            }
            Action::ForgedSignature { from, to } => {
                use prost::Message;
                let n = self.nonces[*from as usize];
                let tx = transfer(&self.keys[*from as usize], self.to(*to), 1, n, 1_000);
                let liar = SecretKey::from_seed([0x55; 32]);
                plexus_types::proto::SignedTx {
                    payload: tx.payload.clone(),
                    signature: liar.sign(&tx.payload).to_bytes().to_vec(),
                }
                .encode_to_vec()
            }
            Action::WrongChain { from } => {
                plexus_types::UnsignedTx {
                    chain_id: "elsewhere".into(),
                    nonce: self.nonces[*from as usize],
                    fee: Amount(1_000),
                    body: plexus_types::Body::Transfer {
                        to: Address([1; 20]),
                        amount: Amount(1),
                    },
                }
                .sign(&self.keys[*from as usize])
                .bytes
            }
            Action::Garbage(bytes) => bytes.clone(),
            Action::Oversize => vec![0x0a; plexus_types::MAX_TX_BYTES + 10],
            Action::AmountBeyondU128 { from } => {
                use prost::Message;
                let key = &self.keys[*from as usize];
                let payload = plexus_types::proto::TxPayload {
                    chain_id: CHAIN.into(),
                    signer: key.public_key().as_bytes().to_vec(),
                    nonce: self.nonces[*from as usize],
                    fee: "1000".into(),
                    body: Some(plexus_types::proto::tx_payload::Body::Transfer(
                        plexus_types::proto::Transfer {
                            to: vec![2; 20],
                            amount: "340282366920938463463374607431768211456".into(),
                        },
                    )),
                }
                .encode_to_vec();
                plexus_types::proto::SignedTx {
                    signature: key.sign(&payload).to_bytes().to_vec(),
                    payload,
                }
                .encode_to_vec()
            }
        }
    }
}

fn total_balances(ledger: &plexus_ledger::PlexusLedger, model: &Model) -> u128 {
    let mut addrs: Vec<Address> = (0..=KEYS).map(|i| model.to(i)).collect();
    addrs.push(fee_pool_address());
    addrs
        .iter()
        .map(|a| ledger.account(a).unwrap().balance.0)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn two_ledgers_replaying_the_same_blocks_agree_and_conserve_supply(
        blocks in proptest::collection::vec(proptest::collection::vec(action(), 0..12), 1..10),
        rich in 0u8..KEYS,
    ) {
        let keys: Vec<SecretKey> = (0..KEYS).map(key).collect();
        // One account holds nearly all representable tokens, so overflows are within reach.
        let balances: Vec<(Address, u128)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (addr(k), if i as u8 == rich { u128::MAX - 10_000_000 } else { 2_000_000 }))
            .collect();
        let supply: u128 = balances.iter().map(|b| b.1).fold(0u128, |a, b| a.saturating_add(b));
        prop_assume!(balances.iter().try_fold(0u128, |a, b| a.checked_add(b.1)).is_some());
        let g = genesis(&balances);
        let (_da, mut a) = fresh_ledger(&g);
        let (_db, mut b) = fresh_ledger(&g);
        prop_assert_eq!(a.last_committed(), b.last_committed());
        let mut model = Model { keys, nonces: vec![0; KEYS as usize] };
        for actions in &blocks {
            let txs: Vec<Vec<u8>> = actions.iter().map(|x| model.encode(x)).collect();
            let oa = run_block(&mut a, txs.clone());
            let ob = run_block(&mut b, txs);
            prop_assert_eq!(&oa, &ob);
            prop_assert_eq!(a.last_committed(), b.last_committed());
            prop_assert_eq!(a.supply().unwrap().0, supply);
            prop_assert_eq!(total_balances(&a, &model), supply);
            // Resync the model's nonces with what actually landed.
            for (i, k) in model.keys.iter().enumerate() {
                model.nonces[i] = a.account(&addr(k)).unwrap().nonce;
            }
        }
    }
}
