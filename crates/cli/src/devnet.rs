//! `plexus devnet` and `plexus testnet` run in plexus-devnet; this is what they ask of the
//! CLI: the keyring of the home (the `test` backend), and the job, training and validator
//! setup commands, used unchanged so a devnet's transactions are the ones a user's would be.

use crate::keyring::{Backend, Keyring};
use crate::{cmd_job, cmd_learn, cmd_node, Globals};
use plexus_client::NodeClient;
use plexus_devnet::{Client, Keys, OrderProgress, ValidatorSetup, Validators};
use plexus_types::{Address, Amount, Hash, SecretKey, TrainingTaskTerms};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The CLI as the devnet's host.
struct CliHost {
    ring: Keyring,
    node: String,
    json: bool,
}

impl CliHost {
    fn new(g: &Globals) -> CliHost {
        CliHost {
            ring: Keyring::open(&g.home, Backend::Test, Default::default()),
            node: g.node.clone(),
            json: g.json,
        }
    }
}

impl Keys for CliHost {
    fn secret(&self, name: &str) -> anyhow::Result<SecretKey> {
        self.ring.secret(name)
    }

    fn address_or_new(&self, name: &str) -> anyhow::Result<Address> {
        let info = match self.ring.show(name) {
            Ok(info) => info,
            Err(_) => self.ring.add(name, &SecretKey::generate())?,
        };
        Ok(info.address)
    }
}

impl Client for CliHost {
    async fn put_blob(
        &self,
        node_url: &str,
        key: &SecretKey,
        dir: &Path,
        bytes: &[u8],
    ) -> anyhow::Result<Hash> {
        cmd_job::put_blob(node_url, key, dir, bytes).await
    }

    async fn submit_job(
        &self,
        node: &NodeClient,
        key: &SecretKey,
        spec: &str,
        deposit: Option<Amount>,
        scratch: &Path,
    ) -> anyhow::Result<u64> {
        cmd_job::submit(node, key, spec, deposit, scratch).await
    }

    async fn order_progress(&self, node: &NodeClient, id: u64) -> anyhow::Result<OrderProgress> {
        let view = cmd_job::order(node, id).await?;
        Ok(OrderProgress {
            leased: !view.leases.is_empty(),
            closed: view.order.is_closed(),
        })
    }

    async fn create_training_task(
        &self,
        node: &NodeClient,
        key: &SecretKey,
        terms: TrainingTaskTerms,
    ) -> anyhow::Result<u64> {
        cmd_learn::create_task(node, key, terms).await
    }

    async fn hand_over_validation(
        &self,
        coordinator: &str,
        task: u64,
        salt: &[u8; 32],
        csv: &str,
    ) -> anyhow::Result<()> {
        cmd_learn::hand_over_validation(coordinator, task, salt, csv).await
    }
}

impl Validators for CliHost {
    fn validator_home(&self, home: &Path, i: usize) -> PathBuf {
        cmd_node::validator_home(home, i)
    }

    fn init_validators(&self, home: &Path, setup: &ValidatorSetup) -> anyhow::Result<()> {
        let globals = Globals {
            home: home.to_path_buf(),
            node: self.node.clone(),
            backend: Backend::Test,
            passphrase: Default::default(),
            json: self.json,
        };
        cmd_node::init_validators(&globals, setup)?;
        Ok(())
    }
}

pub async fn run_devnet(g: &Globals, args: plexus_devnet::DevnetArgs) -> anyhow::Result<()> {
    plexus_devnet::run(Arc::new(CliHost::new(g)), &g.home, g.json, args).await
}

pub async fn run_testnet(g: &Globals, args: plexus_devnet::TestnetArgs) -> anyhow::Result<()> {
    plexus_devnet::testnet::run(&CliHost::new(g), &g.home, g.json, args).await
}
