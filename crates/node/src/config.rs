//! The files of a node's home directory and its settings.

use plexus_durable::{write_durably, write_private};
use plexus_ledger::Genesis;
use plexus_types::{Address, SecretKey};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the node's HTTP API listens unless told otherwise.
pub const DEFAULT_API_ADDR: &str = "127.0.0.1:26650";

/// Settings from `config.toml`, overridable by flags.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Address of the HTTP API.
    pub api: SocketAddr,
    /// Longest time between blocks when no transactions arrive, in milliseconds.
    pub block_ms: u64,
    /// Shortest time between blocks, in milliseconds (0: a block as soon as transactions wait).
    /// A validator under consensus proposes no block sooner than this after its parent.
    #[serde(default)]
    pub min_block_ms: u64,
    /// Who may upload blobs, how much, and when abandoned uploads expire.
    #[serde(default)]
    pub uploads: crate::UploadSettings,
    /// How many newest heights of state the node keeps for reads and proofs (0: every height).
    /// Older state is deleted a bounded amount per block; the app hash of every height stays.
    #[serde(default = "default_retain_versions")]
    pub retain_versions: u64,
    /// The oracles' API URLs (`http://host:port`) the web console reads: a device's evidence,
    /// an epoch's audit. Empty: the console says it was told of no oracle.
    #[serde(default)]
    pub oracles: Vec<String>,
}

/// Checks an oracle's API URL for the console: http or https, a host, no credentials, no
/// query; returns it without a trailing slash.
pub fn parse_oracle_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| format!("{text:?} is not a URL ({e}); expected http://HOST:PORT"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?}: an oracle's API is reached over http or https"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{text:?}: credentials in an oracle URL would be shown to every console user"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?}: an oracle URL takes no query or fragment"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Heights of state a node keeps unless told otherwise: about a day of one-second blocks.
pub const DEFAULT_RETAIN_VERSIONS: u64 = 100_000;

fn default_retain_versions() -> u64 {
    DEFAULT_RETAIN_VERSIONS
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            api: DEFAULT_API_ADDR.parse().expect("default address parses"),
            block_ms: 1_000,
            min_block_ms: 0,
            uploads: crate::UploadSettings::default(),
            retain_versions: DEFAULT_RETAIN_VERSIONS,
            oracles: Vec::new(),
        }
    }
}

impl NodeConfig {
    /// The commented template written by `plexus node init`.
    pub fn template(&self) -> String {
        format!(
            "# Plexus node settings. Flags of `plexus node start` override these.\n\
             \n\
             # Address of the HTTP API (/v1, /metrics, the web console at /).\n\
             api = \"{}\"\n\
             \n\
             # Longest time between blocks when no transactions arrive, in milliseconds.\n\
             # A block is made as soon as transactions are waiting.\n\
             block_ms = {}\n\
             \n\
             # Shortest time between blocks, in milliseconds (0: no minimum).\n\
             min_block_ms = {}\n\
             \n\
             # How many newest heights of state to keep for reads and Merkle proofs (0: all).\n\
             # Proofs at older heights are refused; every height's app hash is kept.\n\
             retain_versions = {}\n\
             \n\
             # The oracles' API URLs the web console reads (a device's evidence, an epoch's\n\
             # audit), for example [\"http://127.0.0.1:26651\"]; `--oracle-url` overrides.\n\
             oracles = [{}]\n\
             \n\
             # Blob uploads: each is signed by an account holding at least min_balance uplx\n\
             # (or by an active device, charged to its owner); each account may upload\n\
             # quota_bytes; a partial upload that stops growing is deleted after\n\
             # partial_ttl_secs.\n\
             [uploads]\n\
             min_balance = \"{}\"\n\
             quota_bytes = {}\n\
             partial_ttl_secs = {}\n",
            self.api,
            self.block_ms,
            self.min_block_ms,
            self.retain_versions,
            self.oracles
                .iter()
                .map(|u| format!("{u:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.uploads.min_balance.0,
            self.uploads.quota_bytes,
            self.uploads.partial_ttl_secs
        )
    }
}

/// The layout of a node's home directory.
#[derive(Debug, Clone)]
pub struct NodeFiles {
    pub home: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

fn read(path: &Path) -> Result<String, FilesError> {
    std::fs::read_to_string(path).map_err(|source| FilesError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl NodeFiles {
    pub fn new(home: impl Into<PathBuf>) -> NodeFiles {
        NodeFiles { home: home.into() }
    }

    pub fn genesis_path(&self) -> PathBuf {
        self.home.join("genesis.json")
    }
    pub fn config_path(&self) -> PathBuf {
        self.home.join("config.toml")
    }
    pub fn node_key_path(&self) -> PathBuf {
        self.home.join("node_key.json")
    }
    /// The validator's consensus key (hex), for a multi-validator chain.
    pub fn consensus_key_path(&self) -> PathBuf {
        self.home.join("consensus_key")
    }

    /// The validator's share of the threshold key (hex), for a multi-validator chain.
    pub fn consensus_share_path(&self) -> PathBuf {
        self.home.join("consensus_share")
    }

    /// This validator's part of the threshold key: its share, from the home, and the public
    /// polynomial the genesis records.
    pub fn load_threshold_key(
        &self,
        genesis: &Genesis,
    ) -> Result<plexus_chain::commonware::ThresholdKey, FilesError> {
        use plexus_chain::commonware::threshold::{polynomial_from_hex, share_from_hex};
        let Some(plexus_ledger::BeaconCommitment::ThresholdVrf { polynomial }) = &genesis.beacon
        else {
            return Err(FilesError::Invalid {
                path: self.genesis_path(),
                reason: "the genesis lists validators but records no threshold VRF polynomial"
                    .into(),
            });
        };
        let polynomial = polynomial_from_hex(polynomial).map_err(|reason| FilesError::Invalid {
            path: self.genesis_path(),
            reason,
        })?;
        let path = self.consensus_share_path();
        let share = share_from_hex(&read(&path)?).map_err(|reason| FilesError::Invalid {
            path: path.clone(),
            reason,
        })?;
        Ok(plexus_chain::commonware::ThresholdKey { polynomial, share })
    }

    /// The solo operator's beacon hash chain: its secret seed and checkpoints.
    pub fn beacon_chain_path(&self) -> PathBuf {
        self.home.join("beacon_chain")
    }

    /// Draws a fresh beacon hash chain of `length` reveals, keeps it in the home, and records
    /// its commitment in `genesis` (a solo chain's; written next by [`NodeFiles::write_new`]).
    pub fn new_beacon_chain(&self, genesis: &mut Genesis, length: u64) -> Result<(), FilesError> {
        let path = self.beacon_chain_path();
        let invalid = |e: plexus_chain::RevealError| FilesError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(&self.home).map_err(|source| FilesError::Io {
            path: self.home.clone(),
            source,
        })?;
        let chain = plexus_chain::RevealChain::generate(length).map_err(invalid)?;
        chain.save(&path).map_err(invalid)?;
        genesis.beacon = Some(chain.genesis_commitment());
        Ok(())
    }

    /// The home's beacon hash chain, if its genesis commits to one.
    pub fn load_beacon_chain(
        &self,
        genesis: &Genesis,
    ) -> Result<Option<plexus_chain::RevealChain>, FilesError> {
        let Some(plexus_ledger::BeaconCommitment::HashChain { .. }) = &genesis.beacon else {
            return Ok(None);
        };
        let path = self.beacon_chain_path();
        plexus_chain::RevealChain::load(&path)
            .map(Some)
            .map_err(|e| FilesError::Invalid {
                path,
                reason: format!(
                    "the genesis commits to a beacon hash chain, which this home must keep: {e}"
                ),
            })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }
    /// The blob store: blobs put to this node and served under `/v1/blobs`.
    pub fn blobs_dir(&self) -> PathBuf {
        self.home.join("blobs")
    }

    pub fn is_initialized(&self) -> bool {
        self.genesis_path().exists()
    }

    pub fn load_genesis(&self) -> Result<Genesis, FilesError> {
        let path = self.genesis_path();
        serde_json::from_str(&read(&path)?).map_err(|e| FilesError::Invalid {
            path,
            reason: e.to_string(),
        })
    }

    pub fn load_config(&self) -> Result<NodeConfig, FilesError> {
        let path = self.config_path();
        if !path.exists() {
            return Ok(NodeConfig::default());
        }
        let mut config: NodeConfig =
            toml::from_str(&read(&path)?).map_err(|e| FilesError::Invalid {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        config.oracles = config
            .oracles
            .iter()
            .map(|u| parse_oracle_url(u))
            .collect::<Result<_, _>>()
            .map_err(|reason| FilesError::Invalid {
                path,
                reason: format!("oracles: {reason}"),
            })?;
        Ok(config)
    }

    /// The node's own key (it signs as proposer). Stored unencrypted, like a validator key in
    /// other chains, and readable only by its owner.
    pub fn load_node_key(&self) -> Result<SecretKey, FilesError> {
        let path = self.node_key_path();
        let file: NodeKeyFile =
            serde_json::from_str(&read(&path)?).map_err(|e| FilesError::Invalid {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let bytes = hex::decode(&file.secret_key).map_err(|e| FilesError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        SecretKey::from_slice(&bytes).map_err(|e| FilesError::Invalid {
            path,
            reason: e.to_string(),
        })
    }

    /// Writes genesis, the config template and a fresh node key. Refuses to overwrite.
    pub fn write_new(
        &self,
        genesis: &Genesis,
        config: &NodeConfig,
        node_key: &SecretKey,
    ) -> Result<(), FilesError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| FilesError::Io { path, source }
        };
        if self.is_initialized() {
            return Err(FilesError::Invalid {
                path: self.genesis_path(),
                reason: "already exists: this home is initialized".into(),
            });
        }
        std::fs::create_dir_all(&self.home).map_err(io(&self.home))?;
        let genesis_json = serde_json::to_string_pretty(genesis).expect("genesis serializes");
        write_durably(&self.config_path(), config.template().as_bytes())
            .map_err(io(&self.config_path()))?;
        let key = NodeKeyFile {
            address: Address::from_public_key(&node_key.public_key()),
            public_key: node_key.public_key().to_string(),
            secret_key: hex::encode(node_key.to_bytes()),
        };
        write_private(
            &self.node_key_path(),
            serde_json::to_string_pretty(&key)
                .expect("key serializes")
                .as_bytes(),
        )
        .map_err(io(&self.node_key_path()))?;
        // Genesis last: its presence marks the home as initialized.
        write_durably(&self.genesis_path(), genesis_json.as_bytes())
            .map_err(io(&self.genesis_path()))?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct NodeKeyFile {
    address: Address,
    public_key: String,
    secret_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oracle_url_is_http_with_a_host_and_nothing_a_console_user_should_not_see() {
        assert_eq!(
            parse_oracle_url("http://127.0.0.1:26651/").unwrap(),
            "http://127.0.0.1:26651"
        );
        assert_eq!(
            parse_oracle_url(" https://oracle.example.org ").unwrap(),
            "https://oracle.example.org"
        );
        for (bad, says) in [
            ("oracle:26651", "http or https"),
            ("ftp://oracle.example", "http or https"),
            ("http://user:secret@oracle.example", "credentials"),
            ("http://oracle.example/?next=1", "no query"),
            ("not a url", "not a URL"),
        ] {
            let err = parse_oracle_url(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn the_config_template_keeps_its_oracles_and_a_bad_one_is_refused_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = NodeFiles::new(dir.path());
        let config = NodeConfig {
            oracles: vec!["http://127.0.0.1:26651".into(), "https://o.example".into()],
            ..NodeConfig::default()
        };
        std::fs::write(files.config_path(), config.template()).unwrap();
        assert_eq!(files.load_config().unwrap().oracles, config.oracles);

        let text = NodeConfig::default()
            .template()
            .replace("oracles = []", r#"oracles = ["gopher://o.example"]"#);
        std::fs::write(files.config_path(), text).unwrap();
        let err = files.load_config().unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("oracles:"),
            "{err}"
        );
    }
}
