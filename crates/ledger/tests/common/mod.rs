//! The ledger's test harness: a chain on a temporary store that runs one block per
//! transaction, with the keys, genesis and block builders every integration test shares.
#![allow(dead_code)]

pub mod market;

use plexus_ledger::{
    Genesis, GenesisAccount, Ledger, OracleSet, Outcome, Params, PlexusLedger, RewardParams,
    TxCode, TxResult,
};
use plexus_store::Store;
use plexus_types::{
    statements, Address, Amount, Block, BlockHeader, Body, Capabilities, SecretKey, SignedTx,
    UnsignedTx,
};
use std::collections::BTreeMap;

pub const CHAIN: &str = "plexus-test";
/// The fee every harness transaction pays.
pub const FEE: u128 = 1_000;
/// What `Net::funded` gives each account.
pub const FUNDS: u128 = 10_000_000_000;
/// A valid H3 cell for device registrations.
pub const CELL: u64 = 0x8c2a100d2c0a5ff;

pub fn key(i: u8) -> SecretKey {
    SecretKey::from_seed([i + 1; 32])
}

pub fn addr(k: &SecretKey) -> Address {
    Address::from_public_key(&k.public_key())
}

/// Oracle `i`'s key.
pub fn oracle(i: u8) -> SecretKey {
    SecretKey::from_seed([200 + i; 32])
}

/// A genesis with `balances`, epochs of `epoch_blocks` blocks minting 1 000 003 uplx each (an
/// odd amount, so splits leave dust), and oracles `0..oracles` as the oracle set, any two of
/// them agreeing.
pub fn oracle_genesis(balances: &[(Address, u128)], epoch_blocks: u64, oracles: u8) -> Genesis {
    let mut g = genesis(balances);
    g.rewards = RewardParams {
        epoch_blocks,
        initial_epoch_emission: Amount(1_000_003),
        ..RewardParams::default()
    };
    g.oracles = OracleSet {
        members: (0..oracles).map(|i| addr(&oracle(i))).collect(),
        threshold: 2,
    };
    g
}

pub fn genesis(balances: &[(Address, u128)]) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 1_700_000_000_000,
        params: Params::default(),
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        beacon: None,
        staking: Default::default(),
        wireless: Default::default(),
        data_credits: Default::default(),
        data_market: Default::default(),
        accounts: balances
            .iter()
            .map(|(a, b)| GenesisAccount {
                address: *a,
                balance: Amount(*b),
            })
            .collect(),
    }
}

pub fn fresh_ledger(g: &Genesis) -> (tempfile::TempDir, PlexusLedger) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.redb")).unwrap();
    let mut ledger = PlexusLedger::open(store).unwrap();
    ledger.init_chain(g).unwrap();
    (dir, ledger)
}

pub fn transfer(from: &SecretKey, to: Address, amount: u128, nonce: u64, fee: u128) -> SignedTx {
    UnsignedTx {
        chain_id: CHAIN.into(),
        nonce,
        fee: Amount(fee),
        body: Body::Transfer {
            to,
            amount: Amount(amount),
        },
    }
    .sign(from)
}

pub fn block_on(ledger: &PlexusLedger, txs: Vec<Vec<u8>>) -> Block {
    let (height, app_hash) = ledger.last_committed();
    Block {
        header: BlockHeader {
            chain_id: CHAIN.into(),
            height: height + 1,
            time_ms: 1_700_000_000_000 + height * 1000,
            proposer: Address([0; 20]),
            prev_app_hash: app_hash,
            tx_root: Block::tx_root(&txs),
            beacon: Vec::new(),
        },
        txs,
    }
}

pub fn run_block(ledger: &mut PlexusLedger, txs: Vec<Vec<u8>>) -> Outcome {
    let block = block_on(ledger, txs);
    let outcome = ledger.execute(&block).unwrap();
    ledger.commit().unwrap();
    outcome
}

/// A chain under test: each `send` is one transaction in a block of its own, signed with the
/// sender's next nonce.
pub struct Net {
    pub _dir: tempfile::TempDir,
    pub ledger: PlexusLedger,
    /// The next nonce of each sender, as the harness has seen transactions land.
    pub nonces: BTreeMap<Address, u64>,
    /// Job results sealed through the harness, by lease, revealed when the ledger asks.
    pub sealed: BTreeMap<u64, market::SealedResult>,
}

impl Net {
    pub fn with_genesis(genesis: Genesis) -> Net {
        let (dir, ledger) = fresh_ledger(&genesis);
        Net {
            _dir: dir,
            ledger,
            nonces: BTreeMap::new(),
            sealed: BTreeMap::new(),
        }
    }

    /// A default chain where each of `keys` holds [`FUNDS`].
    pub fn funded(keys: &[&SecretKey]) -> Net {
        let funded: Vec<(Address, u128)> = keys.iter().map(|k| (addr(k), FUNDS)).collect();
        Net::with_genesis(genesis(&funded))
    }

    /// Sends one transaction in its own block; returns its result. A charged transaction uses
    /// its nonce; every failure says why.
    pub fn send_for_result(&mut self, key: &SecretKey, body: Body) -> TxResult {
        let a = addr(key);
        let nonce = *self.nonces.get(&a).unwrap_or(&0);
        let tx = UnsignedTx {
            chain_id: CHAIN.into(),
            nonce,
            fee: Amount(FEE),
            body,
        }
        .sign(key);
        let mut out = run_block(&mut self.ledger, vec![tx.bytes]);
        let result = out.results.remove(0);
        if result.fee > Amount::ZERO {
            self.nonces.insert(a, nonce + 1);
        }
        assert!(
            result.code == TxCode::Ok || !result.log.is_empty(),
            "a failure says why"
        );
        result
    }

    /// A transaction from `key` with its next nonce as the harness has seen them land, counted
    /// as used: for blocks of several transactions.
    pub fn signed(&mut self, key: &SecretKey, body: Body) -> Vec<u8> {
        let a = addr(key);
        let nonce = *self.nonces.get(&a).unwrap_or(&0);
        self.nonces.insert(a, nonce + 1);
        UnsignedTx {
            chain_id: CHAIN.into(),
            nonce,
            fee: Amount(FEE),
            body,
        }
        .sign(key)
        .bytes
    }

    /// Sends one transaction in its own block; returns its result code.
    pub fn send(&mut self, key: &SecretKey, body: Body) -> TxCode {
        self.send_for_result(key, body).code
    }

    /// Runs `n` blocks holding no transaction but the reveals of job results the ledger asks
    /// for (see [`Net::seal`]).
    pub fn empty_blocks(&mut self, n: u64) {
        for _ in 0..n {
            let reveals = self.asked_reveals();
            run_block(&mut self.ledger, reveals);
        }
    }

    pub fn epoch_blocks(&self) -> u64 {
        self.ledger
            .chain_info()
            .expect("the harness applies genesis")
            .rewards
            .epoch_blocks
    }

    /// Runs empty blocks until `epoch` has ended.
    pub fn end_epoch(&mut self, epoch: u64) {
        while self.ledger.last_committed().0 < epoch * self.epoch_blocks() {
            self.empty_blocks(1);
        }
    }

    /// The epoch the next block belongs to.
    pub fn epoch_in_progress(&self) -> u64 {
        self.ledger.last_committed().0 / self.epoch_blocks() + 1
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.ledger.account(a).unwrap().balance.0
    }
}

/// A registration of `device` under `owner`, signed by the device as the ledger requires.
pub fn register_body(
    owner: &SecretKey,
    device: &SecretKey,
    class: &str,
    capabilities: Capabilities,
    stake: u128,
) -> Body {
    let statement = statements::device_registration(CHAIN, &addr(owner), &device.public_key());
    Body::RegisterDevice {
        device: device.public_key(),
        class: class.into(),
        capabilities,
        h3_cell: CELL,
        stake: Amount(stake),
        device_signature: device.sign(&statement),
    }
}

/// The claim of `device`'s leaf of the compute manifest `m`, with its Merkle proof.
pub fn claim_body(m: &plexus_rewards::Manifest, device: &plexus_types::PublicKey) -> Body {
    let (leaf, proof) = m.proof(device).unwrap();
    Body::ClaimReward(plexus_types::RewardClaim {
        epoch: m.epoch(),
        resource: "compute".into(),
        device: leaf.device,
        owner: leaf.owner,
        units: leaf.units,
        proof,
    })
}
