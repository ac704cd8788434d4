//! A small chain for fuzzing the ledger: a fixed genesis (funded accounts, one of them a whale
//! holding a quarter of the largest amount, oracles and device keys), blocks built
//! from a fuzzer's [`plan::Plan`], and the invariants every block must keep:
//!
//! - `execute` accepts every block built on the committed state: whatever its transactions
//!   carry, none aborts the block (a `BlockReject` is a finding, as is a panic);
//! - a transaction that is refused before execution (bad signature, wrong nonce, fee it cannot
//!   pay, bytes that decode to nothing) succeeds never and is charged nothing;
//! - every unit of the supply is in a known account, and the supply is the genesis supply plus
//!   what emission minted;
//! - the rewards, storage, training and market books balance, and the stake account holds
//!   exactly the stakes of the devices still bonded.

mod build;
pub mod plan;
mod setup;

use plexus_ledger::registry::DeviceStatus;
use plexus_ledger::{
    default_device_classes, fee_pool_address, module_account, query, Genesis, GenesisAccount,
    Ledger, OracleSet, Outcome, Params, PlexusLedger, RewardParams, TxCode,
};
use plexus_store::Store;
use plexus_types::{Address, Amount, Block, BlockHeader, SecretKey};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use build::Built;

pub const CHAIN: &str = "plexus-fuzz";
/// Funded accounts; the last one is the whale.
pub const ACCOUNTS: u8 = 4;
pub const ORACLES: u8 = 3;
/// Device keys, each owned by account `i % ACCOUNTS`; the setup registers the first four.
pub const DEVICES: u8 = 6;
/// Short epochs, so that rewards are minted, settled and expire within a few dozen blocks.
pub const EPOCH_BLOCKS: u64 = 4;
pub const FUNDS: u128 = 1_000_000 * 1_000_000;
/// The whale's balance: enough to escrow, stake and bond amounts near the largest value.
pub const WHALE: u128 = u128::MAX / 4;
/// The fee planned transactions offer (the chain's minimum).
pub const FEE: u128 = 1_000;
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;
/// At most this many planned blocks, empty blocks and transactions per block run per input, to
/// keep each input cheap.
pub const MAX_BLOCKS: usize = 40;
pub const MAX_EMPTY_BEFORE: u8 = 6;
pub const MAX_TXS: usize = 12;

pub fn account(i: u8) -> SecretKey {
    SecretKey::from_seed([1 + i; 32])
}

pub fn oracle(i: u8) -> SecretKey {
    SecretKey::from_seed([200 + i; 32])
}

pub fn device(i: u8) -> SecretKey {
    SecretKey::from_seed([120 + i; 32])
}

pub fn addr(k: &SecretKey) -> Address {
    Address::from_public_key(&k.public_key())
}

/// An address no key of the chain controls.
pub fn outsider() -> Address {
    Address([0xee; 20])
}

/// Every key of the chain: accounts, oracles, then devices (which hold nothing).
pub fn every_key() -> Vec<SecretKey> {
    let mut keys: Vec<SecretKey> = (0..ACCOUNTS).map(account).collect();
    keys.extend((0..ORACLES).map(oracle));
    keys.extend((0..DEVICES).map(device));
    keys
}

pub fn module_accounts() -> Vec<Address> {
    vec![
        fee_pool_address(),
        module_account::stake(),
        module_account::rewards(),
        module_account::dust(),
        module_account::slashed(),
        module_account::unclaimed(),
        module_account::storage_escrow(),
        module_account::training_escrow(),
        module_account::market_escrow(),
    ]
}

/// Every address a plan can reach: a transfer goes only to these.
pub fn every_address() -> Vec<Address> {
    let mut all: Vec<Address> = every_key().iter().map(addr).collect();
    all.push(outsider());
    all.extend(module_accounts());
    all
}

pub fn genesis() -> Genesis {
    let mut accounts: Vec<GenesisAccount> = (0..ACCOUNTS)
        .map(|i| GenesisAccount {
            address: addr(&account(i)),
            balance: Amount(if i == ACCOUNTS - 1 { WHALE } else { FUNDS }),
        })
        .collect();
    accounts.extend((0..ORACLES).map(|i| GenesisAccount {
        address: addr(&oracle(i)),
        balance: Amount(FUNDS),
    }));
    Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: GENESIS_TIME_MS,
        params: Params::default(),
        rewards: RewardParams {
            epoch_blocks: EPOCH_BLOCKS,
            initial_epoch_emission: Amount(1_000_003),
            ..RewardParams::default()
        },
        oracles: OracleSet {
            members: (0..ORACLES).map(|i| addr(&oracle(i))).collect(),
            threshold: 2,
        },
        device_classes: default_device_classes(),
        beacon: None,
        validators: Vec::new(),
        staking: Default::default(),
        wireless: Default::default(),
        data_credits: Default::default(),
        data_market: Default::default(),
        accounts,
    }
}

const STORE_FILE: &str = "state.redb";

fn temp_dir() -> tempfile::TempDir {
    let builder = tempfile::Builder::new().prefix("plexus-fuzz-").to_owned();
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        builder.tempdir_in(shm)
    } else {
        builder.tempdir()
    }
    .expect("a temporary directory")
}

/// A file kept as its pages that are not all zero: most of a fresh store file is preallocated
/// zeros, and writing only the rest leaves holes that cost each copy nothing.
struct SparseFile {
    len: u64,
    pages: Vec<(u64, Vec<u8>)>,
}

impl SparseFile {
    const PAGE: usize = 4096;

    fn of(bytes: &[u8]) -> SparseFile {
        let pages = bytes
            .chunks(Self::PAGE)
            .enumerate()
            .filter(|(_, page)| page.iter().any(|b| *b != 0))
            .map(|(i, page)| ((i * Self::PAGE) as u64, page.to_vec()))
            .collect();
        SparseFile {
            len: bytes.len() as u64,
            pages,
        }
    }

    fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::File::create(path)?;
        for (offset, page) in &self.pages {
            file.seek(SeekFrom::Start(*offset))?;
            file.write_all(page)?;
        }
        file.set_len(self.len)
    }
}

/// A ledger on a temporary store, its genesis applied.
pub struct Chain {
    pub ledger: PlexusLedger,
    genesis_supply: u128,
    // Dropped last: the store's files live here.
    _dir: tempfile::TempDir,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A chain in the state the setup leaves (see `setup`): a copy of a store built once per
    /// process. Its store lives in memory-backed `/dev/shm` where there is one, so that each
    /// block's durable commit costs no disk flush.
    pub fn new() -> Chain {
        static TEMPLATE: OnceLock<SparseFile> = OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let mut chain = Chain::at_genesis();
            setup::run(&mut chain);
            let Chain {
                ledger, _dir: dir, ..
            } = chain;
            drop(ledger);
            let bytes =
                std::fs::read(dir.path().join(STORE_FILE)).expect("the setup's store reads back");
            SparseFile::of(&bytes)
        });
        let dir = temp_dir();
        template
            .write(&dir.path().join(STORE_FILE))
            .expect("the store copy is written");
        Chain::open(dir)
    }

    /// A chain fresh from genesis.
    pub fn at_genesis() -> Chain {
        let mut chain = Chain::open(temp_dir());
        chain
            .ledger
            .init_chain(&genesis())
            .expect("the fuzz genesis is valid");
        chain
    }

    fn open(dir: tempfile::TempDir) -> Chain {
        let store = Store::open(&dir.path().join(STORE_FILE)).expect("a store");
        let ledger = PlexusLedger::open(store).expect("the store opens");
        Chain {
            ledger,
            genesis_supply: genesis().accounts.iter().map(|a| a.balance.0).sum(),
            _dir: dir,
        }
    }

    /// Executes and commits the next block with `txs`; panics if the block is refused (every
    /// block built here is well formed, so a refusal was caused by a transaction) and checks
    /// what each transaction's result may be.
    pub fn run(&mut self, built: Built, time: plan::BlockTime) -> Outcome {
        let (height, app_hash) = self.ledger.last_committed();
        let time_ms = match time {
            plan::BlockTime::OneSecondPerBlock => GENESIS_TIME_MS + height * 1000,
            plan::BlockTime::Zero => 0,
            plan::BlockTime::Max => u64::MAX,
        };
        let block = Block {
            header: BlockHeader {
                chain_id: CHAIN.into(),
                height: height + 1,
                time_ms,
                proposer: Address([0; 20]),
                prev_app_hash: app_hash,
                tx_root: Block::tx_root(&built.txs),
                beacon: Vec::new(),
            },
            txs: built.txs,
        };
        let outcome = match self.ledger.execute(&block) {
            Ok(o) => o,
            Err(e) => panic!("block {} aborted by its transactions: {e}", height + 1),
        };
        self.ledger.commit().expect("the store commits");
        assert_eq!(outcome.results.len(), block.txs.len());
        for (result, refused) in outcome.results.iter().zip(&built.refused) {
            if *refused {
                assert_ne!(
                    result.code,
                    TxCode::Ok,
                    "a transaction that must be refused succeeded: {result:?}"
                );
                assert_eq!(
                    result.fee,
                    Amount::ZERO,
                    "a refused transaction was charged: {result:?}"
                );
            }
            if result.code != TxCode::Ok {
                assert!(!result.log.is_empty(), "a failure says why: {result:?}");
            }
        }
        self.assert_accounted();
        outcome
    }

    /// Every unit of the supply sits in a known account, and each component's books balance.
    pub fn assert_accounted(&self) {
        let store = self.ledger.store();
        let supply = self.ledger.supply().expect("supply").0;
        let held = every_address()
            .iter()
            .map(|a| self.ledger.account(a).expect("account").balance.0)
            .try_fold(0u128, |sum, b| sum.checked_add(b))
            .expect("the balances add up to less than the largest amount");
        assert_eq!(held, supply, "a unit of the supply is in no known account");
        let rewards = query::reward_totals(store).expect("reward totals");
        assert!(rewards.balances(), "rewards: {rewards:?}");
        assert_eq!(
            Some(supply),
            self.genesis_supply.checked_add(rewards.totals.minted.0),
            "the supply moved other than by emission"
        );
        let storage = query::storage_totals(store).expect("storage totals");
        assert!(storage.balances(), "storage: {storage:?}");
        let training = query::training_totals(store).expect("training totals");
        assert!(training.balances(), "training: {training:?}");
        let market = query::market_totals(store).expect("market totals");
        assert!(market.balances(), "market: {market:?}");
        let stake = query::devices(store)
            .expect("devices")
            .iter()
            .filter(|d| {
                !matches!(
                    d.status,
                    DeviceStatus::Withdrawn | DeviceStatus::Slashed { .. }
                )
            })
            .try_fold(0u128, |sum, d| sum.checked_add(d.stake.0))
            .expect("bonded stakes add up to less than the largest amount");
        let staked = self
            .ledger
            .account(&module_account::stake())
            .expect("stake account");
        assert_eq!(
            stake, staked.balance.0,
            "the stake account holds other than the bonded stakes"
        );
    }

    /// Runs a whole plan, block by block, within the bounds above. With `report`, prints to
    /// stderr how many transactions of each kind succeeded.
    pub fn run_plan(&mut self, plan: &plan::Plan, report: bool) {
        let mut succeeded: BTreeMap<String, u32> = BTreeMap::new();
        for block in plan.blocks.iter().take(MAX_BLOCKS) {
            for _ in 0..block.empty_before % (MAX_EMPTY_BEFORE + 1) {
                self.run(Built::default(), plan::BlockTime::OneSecondPerBlock);
            }
            let built = build::block(&self.ledger, &block.txs[..block.txs.len().min(MAX_TXS)]);
            let kinds: Vec<String> = built.txs.iter().map(|t| kind(t)).collect();
            let outcome = self.run(built, block.time);
            for (kind, result) in kinds.into_iter().zip(&outcome.results) {
                if result.code == TxCode::Ok {
                    *succeeded.entry(kind).or_default() += 1;
                } else if report {
                    eprintln!("{kind}: {:?} {}", result.code, result.log);
                }
            }
        }
        if report {
            eprintln!("{} blocks", plan.blocks.len());
            eprintln!("ledger_actions succeeded: {succeeded:?}");
        }
    }
}

/// The kind of body a transaction carries (`Transfer`, `PlaceBid`...), or `undecodable`.
fn kind(tx: &[u8]) -> String {
    match plexus_types::SignedTx::decode(tx) {
        Ok(t) => format!("{:?}", t.body)
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_string(),
        Err(_) => "undecodable".into(),
    }
}
