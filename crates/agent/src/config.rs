//! The agent's settings: a TOML file whose every key is explained in
//! [`AgentConfig::template`] (also shipped as `docs/agent.example.toml`).

use plexus_proofs::compute::{class_by_name, COMPUTE_CLASSES};
use plexus_types::Amount;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_NODE_URL: &str = "http://127.0.0.1:26650";
pub const DEFAULT_ORACLE_URL: &str = "http://127.0.0.1:26651";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the agent config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid agent config: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("{key} must be an http:// or https:// URL, got {value:?}")]
    BadUrl { key: &'static str, value: String },
    #[error("oracles must name at least one oracle URL")]
    NoOracles,
    #[error("class {class:?} is not a class this agent serves; it serves {known}")]
    UnknownClass { class: String, known: String },
    #[error(
        "h3_cell {value:?} is not a hexadecimal H3 cell index (for example \"8c2a100d2c0a5ff\")"
    )]
    BadH3Cell { value: String },
    #[error("stake {value:?}: {source}")]
    BadStake {
        value: String,
        source: plexus_types::AmountError,
    },
    #[error("data_dir must not be empty")]
    EmptyDataDir,
    #[error("blob_listen {value:?} is not a socket address (for example \"127.0.0.1:26660\")")]
    BadListen { value: String },
    #[error("bidding.{key} {value:?}: {source}")]
    BadPrice {
        key: &'static str,
        value: String,
        source: plexus_types::AmountError,
    },
    #[error("bidding.runtimes must name at least one of \"wasm\" and \"inference\"")]
    NoRuntimes,
    #[error("bidding.deposit must be at least {min} uplx (the least a bid may bond)")]
    DepositTooLow { min: Amount },
    #[error("[bidding] is for compute classes; {class:?} is not one")]
    BiddingNotCompute { class: String },
}

/// Validated agent settings. Read them with [`AgentConfig::load`] or [`AgentConfig::parse`];
/// every field has been checked, so the agent never discovers a bad setting at run time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ConfigFile")]
pub struct AgentConfig {
    /// Base URL of the node's HTTP API, without a trailing slash.
    pub node: String,
    /// Base URLs of the oracles the device reports to, without trailing slashes.
    pub oracles: Vec<String>,
    /// Where the device key and the record of claimed rewards live.
    pub data_dir: PathBuf,
    /// The class the device registers under (`cpu-small`, `storage-small`, …).
    pub class: String,
    /// The H3 cell the device sits in.
    pub h3_cell: u64,
    /// The stake bonded when the device registers.
    pub stake: Amount,
    /// Whether the agent claims its rewards as soon as an epoch's manifest is final.
    pub auto_claim: bool,
    /// For a storage class: where the agent serves its blobs (`/v1/blobs`).
    pub blob_listen: std::net::SocketAddr,
    /// For a storage class: blob services to fetch assigned blobs from after the node.
    pub blob_sources: Vec<String>,
    /// The endpoint the device declares on chain for its service, when others reach it at
    /// another address than `blob_listen` (behind a port forward or a reverse proxy); `None`:
    /// where it listens. Audits go to the declared endpoint and must come back signed by this
    /// device's key, so declaring a server that does not hold the key fails every audit.
    pub blob_endpoint: Option<String>,
    /// Local data for federated training: the agent joins the training tasks whose dataset
    /// one of these names, and trains on that file.
    pub learn: Vec<crate::learning::LearnData>,
    /// For a compute class: bid for compute jobs at these prices (no section: no bids).
    pub bidding: Option<crate::jobs::Bidding>,
}

/// `[bidding]` as written: prices per block as amounts people type (`0.001plx`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BiddingFile {
    runtimes: Vec<plexus_market::spec::RuntimeKind>,
    per_cpu_core: String,
    per_memory_gib: String,
    #[serde(default = "zero")]
    per_gpu: String,
    #[serde(default = "zero")]
    min_per_block: String,
    #[serde(default = "default_bid_deposit")]
    deposit: String,
}

fn zero() -> String {
    "0uplx".into()
}

fn default_bid_deposit() -> String {
    "1plx".into()
}

fn price(key: &'static str, value: &str) -> Result<Amount, ConfigError> {
    Amount::parse_human(value).map_err(|source| ConfigError::BadPrice {
        key,
        value: value.to_string(),
        source,
    })
}

impl BiddingFile {
    fn check(self) -> Result<crate::jobs::Bidding, ConfigError> {
        if self.runtimes.is_empty() {
            return Err(ConfigError::NoRuntimes);
        }
        let deposit = price("deposit", &self.deposit)?;
        let min = min_bid_deposit();
        if deposit < min {
            return Err(ConfigError::DepositTooLow { min });
        }
        Ok(crate::jobs::Bidding {
            policy: plexus_market::bid::BidPolicy {
                runtimes: self.runtimes,
                per_cpu_core: price("per_cpu_core", &self.per_cpu_core)?,
                per_memory_gib: price("per_memory_gib", &self.per_memory_gib)?,
                per_gpu: price("per_gpu", &self.per_gpu)?,
                min_per_block: price("min_per_block", &self.min_per_block)?,
            },
            deposit,
        })
    }
}

/// The least a bid may bond (the ledger's rule, 1 PLX).
fn min_bid_deposit() -> Amount {
    Amount::plx(1)
}

/// The file as written; [`AgentConfig`] is what it means once checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default = "default_node")]
    node: String,
    #[serde(default = "default_oracles")]
    oracles: Vec<String>,
    data_dir: PathBuf,
    class: String,
    h3_cell: String,
    stake: String,
    #[serde(default = "default_auto_claim")]
    auto_claim: bool,
    #[serde(default = "default_blob_listen")]
    blob_listen: String,
    #[serde(default)]
    blob_sources: Vec<String>,
    blob_endpoint: Option<String>,
    #[serde(default)]
    learn: Vec<crate::learning::LearnData>,
    bidding: Option<BiddingFile>,
}

/// Device classes that keep blobs rather than compute (the chain's default storage classes).
pub const STORAGE_CLASSES: &[&str] = &["storage-small"];

/// Device classes that sell bandwidth (the chain's default bandwidth classes).
pub const BANDWIDTH_CLASSES: &[&str] = &["bw-home"];

/// Whether a device class sells bandwidth.
pub fn is_bandwidth_class(class: &str) -> bool {
    BANDWIDTH_CLASSES.contains(&class)
}

/// Whether a device class keeps blobs.
pub fn is_storage_class(class: &str) -> bool {
    STORAGE_CLASSES.contains(&class)
}

pub const DEFAULT_BLOB_LISTEN: &str = "127.0.0.1:26660";

fn default_blob_listen() -> String {
    DEFAULT_BLOB_LISTEN.to_string()
}

fn default_node() -> String {
    DEFAULT_NODE_URL.to_string()
}

fn default_oracles() -> Vec<String> {
    vec![DEFAULT_ORACLE_URL.to_string()]
}

fn default_auto_claim() -> bool {
    true
}

fn url(key: &'static str, value: String) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError::BadUrl { key, value }),
    }
}

impl TryFrom<ConfigFile> for AgentConfig {
    type Error = ConfigError;

    fn try_from(file: ConfigFile) -> Result<AgentConfig, ConfigError> {
        let node = url("node", file.node)?;
        if file.oracles.is_empty() {
            return Err(ConfigError::NoOracles);
        }
        let oracles = file
            .oracles
            .into_iter()
            .map(|o| url("oracles", o))
            .collect::<Result<Vec<_>, _>>()?;
        if class_by_name(&file.class).is_none()
            && !is_storage_class(&file.class)
            && !is_bandwidth_class(&file.class)
        {
            let mut known: Vec<&str> = COMPUTE_CLASSES.iter().map(|c| c.name).collect();
            known.extend(STORAGE_CLASSES);
            known.extend(BANDWIDTH_CLASSES);
            return Err(ConfigError::UnknownClass {
                class: file.class,
                known: known.join(", "),
            });
        }
        let cell = file.h3_cell.trim();
        let cell_digits = cell.strip_prefix("0x").unwrap_or(cell);
        let h3_cell = u64::from_str_radix(cell_digits, 16)
            .ok()
            .filter(|c| *c != 0 && !cell_digits.starts_with('+'))
            .ok_or_else(|| ConfigError::BadH3Cell {
                value: file.h3_cell.clone(),
            })?;
        let stake = Amount::parse_human(&file.stake).map_err(|source| ConfigError::BadStake {
            value: file.stake.clone(),
            source,
        })?;
        if file.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::EmptyDataDir);
        }
        let blob_listen = file
            .blob_listen
            .trim()
            .parse()
            .map_err(|_| ConfigError::BadListen {
                value: file.blob_listen.clone(),
            })?;
        let blob_sources = file
            .blob_sources
            .into_iter()
            .map(|s| url("blob_sources", s))
            .collect::<Result<Vec<_>, _>>()?;
        let blob_endpoint = file
            .blob_endpoint
            .map(|e| url("blob_endpoint", e))
            .transpose()?;
        let bidding = file.bidding.map(BiddingFile::check).transpose()?;
        if bidding.is_some() && class_by_name(&file.class).is_none() {
            return Err(ConfigError::BiddingNotCompute { class: file.class });
        }
        Ok(AgentConfig {
            node,
            oracles,
            data_dir: file.data_dir,
            class: file.class,
            h3_cell,
            stake,
            auto_claim: file.auto_claim,
            blob_listen,
            blob_sources,
            blob_endpoint,
            learn: file.learn,
            bidding,
        })
    }
}

impl AgentConfig {
    /// Parses settings from TOML text. A relative `data_dir` stays relative to the working
    /// directory; [`AgentConfig::load`] resolves it against the file instead.
    pub fn parse(text: &str) -> Result<AgentConfig, ConfigError> {
        // Through the file type rather than `toml::from_str::<AgentConfig>`, which would fold
        // the typed errors of the checks into a TOML error.
        let file: ConfigFile = toml::from_str(text)?;
        AgentConfig::try_from(file)
    }

    /// Reads settings from a file. A relative `data_dir` is taken relative to the file, so the
    /// agent finds the same device key whatever directory it is started from.
    pub fn load(path: &Path) -> Result<AgentConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = AgentConfig::parse(&text)?;
        if config.data_dir.is_relative() {
            if let Some(dir) = path.parent() {
                config.data_dir = dir.join(&config.data_dir);
            }
        }
        Ok(config)
    }

    /// A commented configuration with every key and its default or an example value.
    pub fn template() -> String {
        let classes: Vec<String> = COMPUTE_CLASSES
            .iter()
            .map(|c| {
                format!(
                    "#   {:<10}  n = {:<4}  deadline {} ms",
                    c.name, c.n, c.deadline_ms
                )
            })
            .collect();
        format!(
            r#"# Plexus provider agent (`plexus agent start --config FILE`).

# Base URL of a node's HTTP API: the agent reads the chain's parameters from it and sends
# its transactions (device registration, reward claims) through it.
node = "{DEFAULT_NODE_URL}"

# Base URLs of the oracles that watch this device. Heartbeats go to every one of them; each
# may challenge the device and each can serve the proofs of its reward claims.
oracles = ["{DEFAULT_ORACLE_URL}"]

# Directory for the agent's own files: the device key (device_key.json, created on first
# start with permissions 0600 and never overwritten) and the epochs whose rewards were
# claimed (claims.json). Relative paths are relative to this file. Back it up: losing the
# device key means registering a new device and bonding a new stake.
data_dir = "agent-data"

# The class the device registers under. A compute class sets the size of the challenges
# the oracles send and the time allowed to answer them; a device that cannot answer its
# class's challenges in time earns nothing for them. Compute classes:
{classes}
# a storage class ({storage}), whose device keeps blobs for storage deals (see below); or a
# bandwidth class ({bandwidth}), whose device the oracles speed-test every interval and pay by
# the tier of its measured download, upload and latency (see blob_listen below).
class = "cpu-small"

# The H3 cell (hexadecimal index, any resolution) where the device sits.
h3_cell = "8c2a100d2c0a5ff"

# Stake bonded when the device registers, paid by the owner key: a number followed by
# `plx` or `uplx` (1 plx = 1000000 uplx). It must reach the class's minimum, and it is
# slashed if the device signs a wrong answer to a challenge.
stake = "100plx"

# Whether to claim rewards automatically once an epoch's compute manifest is final. Each
# claim is a transaction signed by the owner key and pays the usual fee.
auto_claim = true

# Storage classes only ({storage}): the device keeps the blobs that storage deals assign to
# it, fetching each from the node, then from these blob services in order, and verifying
# every byte against the blob id; it serves them at http://<blob_listen>/v1/blobs, and declares
# that address as the device's endpoint on chain, where downloaders fetch replicas and oracles
# send retrievability challenges (port 0: any free port, declared once it listens).
# Bandwidth classes ({bandwidth}) serve their speed tests at this address instead
# (http://<blob_listen>/v1/bandwidth/...), declared the same way.
blob_listen = "{DEFAULT_BLOB_LISTEN}"
blob_sources = []
# Declare this URL as the endpoint instead, when others reach blob_listen at another address
# (a port forward, a reverse proxy). Audits sent there must be answered with this device's
# key, so it must lead to this agent.
# blob_endpoint = "https://blobs.example.org"

# Federated training: for each local data file, the dataset name of the training tasks it
# may train (CSV with the label last on each line, or NPY with the label in the last
# column). The agent joins every open task of that dataset, fetches each round's model from
# the task's coordinator, trains on the file, which never leaves this machine, and sends
# the signed update; the task pays the owner by how much its updates helped.
# [[learn]]
# dataset = "digits"
# data = "/path/to/my-digits.csv"

# Compute classes only: sell this device's time to the compute marketplace. The agent bids
# for every live order whose job its declared hardware can run (`plexus job submit` makes
# them), at per_cpu_core × the cores the job asks for + per_memory_gib × its GiB (a started
# GiB counts whole) + per_gpu × its GPUs, and at least min_per_block, all per block; never
# above the order's price cap. Each bid bonds `deposit` (at least 1 plx), returned when the
# bid loses or its lease ends, and lost if a re-execution shows a result was wrong. Won jobs
# run in a sandbox (WASM with fuel and memory limits and no network; inference on the CPU),
# their outputs go to the node's blob service, and the earnings are withdrawn as released.
# [bidding]
# runtimes = ["wasm", "inference"]
# per_cpu_core = "0.001plx"
# per_memory_gib = "0.0005plx"
# per_gpu = "0.01plx"
# min_per_block = "0.0001plx"
# deposit = "1plx"
"#,
            storage = STORAGE_CLASSES.join(", "),
            bandwidth = BANDWIDTH_CLASSES.join(", "),
            classes = classes.join("\n"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_to_the_documented_defaults() {
        let config = AgentConfig::parse(&AgentConfig::template()).unwrap();
        assert_eq!(config.node, DEFAULT_NODE_URL);
        assert_eq!(config.oracles, vec![DEFAULT_ORACLE_URL.to_string()]);
        assert_eq!(config.class, "cpu-small");
        assert_eq!(config.h3_cell, 0x8c2a100d2c0a5ff);
        assert_eq!(config.stake, Amount::plx(100));
        assert!(config.auto_claim);
        assert!(config.learn.is_empty(), "no training data unless named");
        assert!(config.bidding.is_none(), "no bids unless configured");
    }

    #[test]
    fn bidding_prices_are_read_as_people_type_them_and_checked() {
        let with = |section: &str| {
            AgentConfig::parse(&format!(
                "{}\n[bidding]\n{section}\n",
                AgentConfig::template()
            ))
        };
        let config = with(
            "runtimes = [\"wasm\"]\nper_cpu_core = \"0.001plx\"\nper_memory_gib = \"500uplx\"",
        )
        .unwrap();
        let bidding = config.bidding.unwrap();
        assert_eq!(bidding.policy.per_cpu_core, Amount(1_000));
        assert_eq!(bidding.policy.per_memory_gib, Amount(500));
        assert_eq!(bidding.deposit, Amount::plx(1));
        let err = with("runtimes = []\nper_cpu_core = \"1uplx\"\nper_memory_gib = \"1uplx\"")
            .unwrap_err();
        assert!(matches!(err, ConfigError::NoRuntimes), "{err}");
        let err =
            with("runtimes = [\"wasm\"]\nper_cpu_core = \"lots\"\nper_memory_gib = \"1uplx\"")
                .unwrap_err();
        assert!(err.to_string().contains("bidding.per_cpu_core"), "{err}");
        let err = with(
            "runtimes = [\"wasm\"]\nper_cpu_core = \"1uplx\"\nper_memory_gib = \"1uplx\"\ndeposit = \"0.5plx\"",
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::DepositTooLow { .. }), "{err}");
    }

    #[test]
    fn training_data_is_named_per_dataset() {
        let text = format!(
            "{}\n[[learn]]\ndataset = \"digits\"\ndata = \"/data/mine.npy\"\n",
            AgentConfig::template()
        );
        let config = AgentConfig::parse(&text).unwrap();
        assert_eq!(
            config.learn,
            vec![crate::learning::LearnData {
                dataset: "digits".into(),
                data: "/data/mine.npy".into(),
            }]
        );
        let bad = format!(
            "{}\n[[learn]]\ndataset = \"digits\"\nfile = \"x.csv\"\n",
            AgentConfig::template()
        );
        assert!(
            AgentConfig::parse(&bad).is_err(),
            "an unknown key is refused"
        );
    }

    /// `PLEXUS_BLESS=1 cargo test -p plexus-agent` rewrites the example from the template.
    #[test]
    fn the_shipped_example_config_is_the_template() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/agent.example.toml");
        if std::env::var_os("PLEXUS_BLESS").is_some() {
            std::fs::write(&path, AgentConfig::template()).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            shipped,
            AgentConfig::template(),
            "docs/agent.example.toml is out of date: run `PLEXUS_BLESS=1 cargo test -p plexus-agent`"
        );
    }

    #[test]
    fn an_unknown_key_is_rejected_by_name() {
        let text = format!("{}\nheartbeat_every = 5\n", AgentConfig::template());
        let err = AgentConfig::parse(&text).unwrap_err().to_string();
        assert!(err.contains("heartbeat_every"), "{err}");
    }

    #[test]
    fn optional_keys_take_their_defaults() {
        let config = AgentConfig::parse(
            "data_dir = \"/var/lib/plexus\"\nclass = \"cpu-large\"\nh3_cell = \"8c2a100d2c0a5ff\"\nstake = \"2.5plx\"\n",
        )
        .unwrap();
        assert_eq!(config.node, DEFAULT_NODE_URL);
        assert_eq!(config.oracles, vec![DEFAULT_ORACLE_URL.to_string()]);
        assert!(config.auto_claim);
        assert_eq!(config.stake, Amount(2_500_000));
    }

    fn with(key: &str, value: &str) -> Result<AgentConfig, ConfigError> {
        let text = AgentConfig::template()
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{key} = ")) {
                    format!("{key} = {value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        AgentConfig::parse(&text)
    }

    #[test]
    fn bad_values_are_rejected_with_the_key_they_belong_to() {
        assert!(matches!(
            with("class", "\"gpu-h900\""),
            Err(ConfigError::UnknownClass { .. })
        ));
        assert!(matches!(
            with("h3_cell", "\"not-hex\""),
            Err(ConfigError::BadH3Cell { .. })
        ));
        assert!(matches!(
            with("stake", "\"100 eth\""),
            Err(ConfigError::BadStake { .. })
        ));
        assert!(matches!(
            with("node", "\"localhost:26650\""),
            Err(ConfigError::BadUrl { key: "node", .. })
        ));
        assert!(matches!(with("oracles", "[]"), Err(ConfigError::NoOracles)));
    }

    #[test]
    fn a_blob_endpoint_is_optional_and_must_be_a_url() {
        assert_eq!(
            with("node", "\"http://127.0.0.1:26650\"")
                .unwrap()
                .blob_endpoint,
            None
        );
        let text = format!(
            "{}\nblob_endpoint = \"https://blobs.example.org/\"",
            AgentConfig::template()
        );
        assert_eq!(
            AgentConfig::parse(&text).unwrap().blob_endpoint.as_deref(),
            Some("https://blobs.example.org")
        );
        let text = format!(
            "{}\nblob_endpoint = \"blobs.example.org\"",
            AgentConfig::template()
        );
        assert!(matches!(
            AgentConfig::parse(&text),
            Err(ConfigError::BadUrl {
                key: "blob_endpoint",
                ..
            })
        ));
    }

    #[test]
    fn trailing_slashes_are_dropped_from_urls() {
        let config = with("oracles", "[\"http://oracle.example:26651/\"]").unwrap();
        assert_eq!(
            config.oracles,
            vec!["http://oracle.example:26651".to_string()]
        );
    }

    #[test]
    fn a_relative_data_dir_is_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, AgentConfig::template()).unwrap();
        let config = AgentConfig::load(&path).unwrap();
        assert_eq!(config.data_dir, dir.path().join("agent-data"));
    }
}
