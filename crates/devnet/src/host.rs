//! What the devnet and the testnet ask of the program that runs them: the keyring of their
//! home, the account holder's job and training commands, and the layout of a multi-validator
//! home. The `plexus` binary implements these with its own keyring and commands, so that a
//! devnet's accounts are ordinary keys the CLI can use and its consumer submits jobs exactly
//! as `plexus job submit` does.

use plexus_client::NodeClient;
use plexus_types::{Address, Amount, Hash, SecretKey, TrainingTaskTerms};
use std::future::Future;
use std::path::{Path, PathBuf};

/// The keyring of the home the devnet or testnet runs in (unencrypted: the `test` backend).
///
/// The devnet names its accounts (`alice`, `provider-0`, `oracle`, …) and finds them again by
/// name on every start, so a resumed devnet signs with the keys its genesis funded.
pub trait Keys {
    /// The secret key stored under `name`; an error when there is none.
    fn secret(&self, name: &str) -> anyhow::Result<SecretKey>;
    /// The address of the key stored under `name`; when there is none, a new key is made and
    /// stored under that name first.
    fn address_or_new(&self, name: &str) -> anyhow::Result<Address>;
}

/// How far an order has got, as the node shows it.
#[derive(Debug, Clone, Copy)]
pub struct OrderProgress {
    /// A provider holds a lease on it: the job is running or has run.
    pub leased: bool,
    /// The order has ended, whatever the reason.
    pub closed: bool,
}

/// What an account holder does through a node's API, as `plexus job` and `plexus learn` do
/// it: the devnet's job consumer and training sponsor act through these, so their
/// transactions are the ones a user's would be.
///
/// The futures must be `Send`: the devnet runs its consumer and sponsor as tasks of their own.
pub trait Client: Send + Sync + 'static {
    /// Puts `bytes` on the node at `node_url` as a blob (through a file in `dir`), signed by
    /// `key` (the node takes only signed uploads of funded accounts); returns its id.
    fn put_blob(
        &self,
        node_url: &str,
        key: &SecretKey,
        dir: &Path,
        bytes: &[u8],
    ) -> impl Future<Output = anyhow::Result<Hash>> + Send;
    /// Submits the job spec `spec` (TOML) signed by `key`, with `deposit` in escrow (the
    /// default deposit when `None`); waits for its order to commit and returns the order's id.
    fn submit_job(
        &self,
        node: &NodeClient,
        key: &SecretKey,
        spec: &str,
        deposit: Option<Amount>,
        scratch: &Path,
    ) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// Where order `id` stands.
    fn order_progress(
        &self,
        node: &NodeClient,
        id: u64,
    ) -> impl Future<Output = anyhow::Result<OrderProgress>> + Send;
    /// Creates a training task with `terms`, sponsored by `key`; waits for it to commit and
    /// returns the task's id.
    fn create_training_task(
        &self,
        node: &NodeClient,
        key: &SecretKey,
        terms: TrainingTaskTerms,
    ) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// Gives the coordinator at `coordinator` task `task`'s validation set (`csv`, committed
    /// with `salt`), retrying while it has not seen the task yet.
    fn hand_over_validation(
        &self,
        coordinator: &str,
        task: u64,
        salt: &[u8; 32],
        csv: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What `plexus node init --validators N` sets up: one home per validator sharing a genesis.
#[derive(Debug, Clone)]
pub struct ValidatorSetup {
    pub chain_id: String,
    /// Name of the funded key the setup adds to the keyring.
    pub faucet: String,
    /// The faucet's balance, as a human amount (`1000000000plx`).
    pub faucet_amount: String,
    pub count: usize,
    /// First p2p and API ports: validator I uses the port plus I.
    pub p2p_port: u16,
    pub api_port: u16,
    /// Target block time in milliseconds; the node's default when `None`.
    pub block_ms: Option<u64>,
}

/// The homes of a multi-validator network, laid out as `plexus node init --validators N` lays
/// them out, so `plexus node start --home HOME/validator-I` runs any one of them.
pub trait Validators {
    /// The home of validator `i` under `home`.
    fn validator_home(&self, home: &Path, i: usize) -> PathBuf;
    /// Creates every validator's home under `home` (an error if any exists already) and adds
    /// the funded faucet key to the keyring.
    fn init_validators(&self, home: &Path, setup: &ValidatorSetup) -> anyhow::Result<()>;
}

/// Everything the devnet and testnet need from the program that runs them.
pub trait Host: Keys + Client + Validators {}

impl<T: Keys + Client + Validators> Host for T {}
