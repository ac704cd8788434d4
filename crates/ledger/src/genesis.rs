//! Genesis: the chain id, parameters and opening balances.

use plexus_types::{Address, Amount};
use serde::{Deserialize, Serialize};

/// Parameters fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Smallest fee a transaction may offer, in uplx.
    pub min_fee: Amount,
    /// Largest encoded transaction, in bytes (at most `plexus_types::MAX_TX_BYTES`).
    pub max_tx_bytes: u32,
    /// Largest total size of a block's transactions, in bytes.
    pub max_block_bytes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_fee: Amount(1_000),
            max_tx_bytes: plexus_types::MAX_TX_BYTES as u32,
            max_block_bytes: 4 * 1024 * 1024,
        }
    }
}

/// One opening balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    pub address: Address,
    pub balance: Amount,
}

pub use plexus_rewards::ResourceClass;

/// How a class's devices tell the chain where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationRule {
    /// The owner declares a cell at registration and may change it with `UpdateDevice`.
    #[default]
    Declared,
    /// Wireless hotspots, rewarded for the coverage of where they stand: the location is a
    /// resolution-12 cell asserted for a fee (`AssertLocation`), recorded with its height, and
    /// a move resets the device's seniority.
    Asserted,
}

impl LocationRule {
    fn is_declared(&self) -> bool {
        *self == LocationRule::Declared
    }
}

/// A class of device: what it is worth and what it must bond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceClass {
    /// Name devices register under, for example `cpu-small`.
    pub name: String,
    pub resource: ResourceClass,
    /// Smallest stake a device of this class bonds.
    pub min_stake: Amount,
    /// Reward units the class earns per epoch at full uptime with every challenge passed.
    pub capacity_units: u64,
    /// Left out when declared, so that the classes of chains made before wireless read and
    /// hash as they did.
    #[serde(default, skip_serializing_if = "LocationRule::is_declared")]
    pub location: LocationRule,
}

impl DeviceClass {
    /// Whether the class's devices are wireless hotspots that assert their location.
    pub fn asserts_location(&self) -> bool {
        self.location == LocationRule::Asserted
    }
}

/// Hotspots: what asserting a location costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WirelessParams {
    /// Burned from the owner by each location assertion, on top of the transaction fee: what
    /// keeps a hotspot from hopping between cells, and an assertion spree from being free.
    pub location_assert_fee: Amount,
}

impl Default for WirelessParams {
    fn default() -> Self {
        WirelessParams {
            location_assert_fee: Amount::plx(10),
        }
    }
}

/// Emission, epochs and claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardParams {
    /// Blocks per epoch.
    pub epoch_blocks: u64,
    /// Liveness intervals per epoch (heartbeats are counted per interval).
    pub intervals_per_epoch: u32,
    /// Tokens minted at the end of each of the first `halving_epochs` epochs.
    pub initial_epoch_emission: Amount,
    /// The emission halves every this many epochs.
    pub halving_epochs: u64,
    /// Share of each epoch's emission per resource class (relative weights).
    pub pool_weights: std::collections::BTreeMap<ResourceClass, u32>,
    /// Epochs after an epoch ends during which its rewards can be claimed.
    pub claim_epochs: u64,
    /// Epochs a retired device's stake stays bonded (and slashable).
    pub unbonding_epochs: u64,
    /// A device below this uptime (percent of intervals) earns nothing in an epoch.
    pub min_uptime_percent: u32,
}

impl Default for RewardParams {
    fn default() -> Self {
        use ResourceClass::*;
        RewardParams {
            epoch_blocks: 600,
            intervals_per_epoch: 12,
            initial_epoch_emission: Amount::plx(10_000),
            halving_epochs: 10_000,
            pool_weights: [
                (Compute, 40),
                (Storage, 20),
                (Bandwidth, 10),
                (Coverage, 6),
                (Poc, 4),
                (Sensor, 5),
                (Training, 10),
                (Oracles, 5),
            ]
            .into_iter()
            .collect(),
            claim_epochs: 2,
            unbonding_epochs: 1,
            min_uptime_percent: 50,
        }
    }
}

/// Most validators kept as candidates for the set; a validator beyond it cannot bond.
pub const MAX_VALIDATOR_CANDIDATES: u32 = 256;

/// Staking: unbonding, the validator set, commissions, rewards and slashing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StakingParams {
    /// Blocks an unstake waits, after the end of the epoch it began in, before it is paid
    /// back; it stays slashable until then. Evidence of a fault older than this is refused.
    pub unbonding_blocks: u64,
    /// Most validators in the set of an epoch.
    pub max_validators: u32,
    /// Least bonded stake a validator needs to be in the set.
    pub min_validator_stake: Amount,
    /// Most a validator's commission may move in one change, at most one change per epoch.
    pub max_commission_step_bps: u32,
    /// Share of each epoch's emission paid to the validators of the set, before the resource
    /// pools are split (nothing is taken while the set is empty).
    pub validator_emission_bps: u32,
    /// Share of a double signer's bonded and unbonding stake that is slashed.
    pub double_sign_slash_bps: u32,
    /// Share of a slash paid to whoever reported the evidence.
    pub reporter_reward_bps: u32,
    /// Blocks a slashed validator stays jailed before it may ask to rejoin.
    pub jail_blocks: u64,
}

impl Default for StakingParams {
    fn default() -> Self {
        StakingParams {
            unbonding_blocks: 1_800,
            max_validators: 100,
            min_validator_stake: Amount::plx(100),
            max_commission_step_bps: 100,
            validator_emission_bps: 500,
            double_sign_slash_bps: 500,
            reporter_reward_bps: 100,
            jail_blocks: 600,
        }
    }
}

impl StakingParams {
    fn validate(&self) -> Result<(), GenesisError> {
        let bad = |what: &str| Err(GenesisError::BadStaking(what.into()));
        if self.unbonding_blocks == 0 || self.max_validators == 0 {
            return bad("unbonding_blocks and max_validators must be positive");
        }
        if self.max_validators > MAX_VALIDATOR_CANDIDATES {
            return bad("max_validators is above the number of validator candidates kept");
        }
        let bps = [
            self.max_commission_step_bps,
            self.validator_emission_bps,
            self.double_sign_slash_bps,
        ];
        if bps.iter().any(|b| *b > 10_000) {
            return bad("a share in basis points is above 10 000");
        }
        if self.reporter_reward_bps > 1_000 {
            return bad("reporter_reward_bps is above 1 000 (a tenth of the slash)");
        }
        Ok(())
    }
}

/// The oracles that may submit reward manifests, and how many must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OracleSet {
    pub members: Vec<Address>,
    pub threshold: u32,
}

/// A validator of a multi-validator chain: its consensus key (Ed25519, hex), its stake, and
/// where its peers reach it. At genesis the stake is minted as the validator's self-bond (it
/// counts in the supply) and the validator is bonded; its operator account is the address of
/// its consensus key, which withdraws its rewards and unstakes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisValidator {
    pub consensus_key: String,
    pub stake: Amount,
    pub p2p_address: String,
}

impl GenesisValidator {
    /// The consensus key, if it is 32 bytes of hex that make an Ed25519 public key.
    pub fn consensus_public_key(&self) -> Option<plexus_types::PublicKey> {
        let bytes = hex::decode(&self.consensus_key).ok()?;
        plexus_types::PublicKey::from_slice(&bytes).ok()
    }

    /// The account that operates it: the address of its consensus key.
    pub fn operator(&self) -> Option<Address> {
        self.consensus_public_key()
            .map(|k| Address::from_public_key(&k))
    }
}

/// The device classes a new chain starts with.
pub fn default_device_classes() -> Vec<DeviceClass> {
    let class = |name: &str, min_stake: u64, capacity_units: u64| DeviceClass {
        name: name.into(),
        resource: ResourceClass::Compute,
        min_stake: Amount::plx(min_stake),
        capacity_units,
        location: LocationRule::Declared,
    };
    let hotspot = |name: &str, resource, min_stake: u64, capacity_units: u64| DeviceClass {
        name: name.into(),
        resource,
        min_stake: Amount::plx(min_stake),
        capacity_units,
        location: LocationRule::Asserted,
    };
    vec![
        class("cpu-small", 100, 1),
        class("cpu-medium", 200, 2),
        class("cpu-large", 400, 4),
        class("gpu-a100", 2_000, 32),
        DeviceClass {
            name: "storage-small".into(),
            resource: ResourceClass::Storage,
            min_stake: Amount::plx(100),
            capacity_units: 1,
            location: LocationRule::Declared,
        },
        DeviceClass {
            name: "bw-home".into(),
            resource: ResourceClass::Bandwidth,
            min_stake: Amount::plx(100),
            capacity_units: 1,
            location: LocationRule::Declared,
        },
        // Wi-Fi access points rewarded for modeled coverage, and LoRa gateways for proof of
        // coverage; an outdoor radio covers more hexes, so it bonds and earns more.
        hotspot("wifi-indoor", ResourceClass::Coverage, 50, 1),
        hotspot("wifi-outdoor", ResourceClass::Coverage, 100, 2),
        hotspot("lora", ResourceClass::Poc, 50, 1),
        // Sensor devices, paid from the sensor pool by the quality of what they report. They
        // assert where they stand, as WeatherXM's stations do: a move resets their seniority.
        hotspot("weather", ResourceClass::Sensor, 50, 1),
        hotspot("energy-meter", ResourceClass::Sensor, 50, 1),
        hotspot("vehicle", ResourceClass::Sensor, 50, 1),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub chain_id: String,
    /// Time of the genesis, milliseconds since the Unix epoch.
    pub genesis_time_ms: u64,
    #[serde(default)]
    pub params: Params,
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub rewards: RewardParams,
    #[serde(default)]
    pub oracles: OracleSet,
    #[serde(default = "default_device_classes")]
    pub device_classes: Vec<DeviceClass>,
    /// The validator set of a multi-validator chain (empty for the solo driver). It changes
    /// only at epoch boundaries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<GenesisValidator>,
    /// What every block's beacon is drawn from (`None`: the header's hash, which a proposer
    /// could grind; only chains made before the beacon existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<crate::beacon::BeaconCommitment>,
    #[serde(default)]
    pub staking: StakingParams,
    #[serde(default)]
    pub wireless: WirelessParams,
    /// The price of data credits and the rules of data sessions.
    #[serde(default)]
    pub data_credits: DataCreditParams,
    /// The prices of the sensor data sets the network sells.
    #[serde(default)]
    pub data_market: DataMarketParams,
}

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error(
        "chain id must be 1 to 64 characters of letters, digits, '-', '_' or '.', found {0:?}"
    )]
    BadChainId(String),
    #[error("account {0} appears twice in genesis")]
    DuplicateAccount(Address),
    #[error("genesis balances add up to more than the largest amount")]
    SupplyOverflow,
    #[error("max_tx_bytes must be between 256 and {max}", max = plexus_types::MAX_TX_BYTES)]
    BadMaxTxBytes,
    #[error("max_block_bytes must be at least max_tx_bytes")]
    BadMaxBlockBytes,
    #[error("invalid reward parameters: {0}")]
    BadRewards(String),
    #[error("invalid oracle set: {0}")]
    BadOracles(String),
    #[error("invalid validator set: {0}")]
    BadValidators(String),
    #[error("invalid beacon commitment: {0}")]
    BadBeacon(String),
    #[error("invalid staking parameters: {0}")]
    BadStaking(String),
    #[error("invalid data credit parameters: {0}")]
    BadDataCredits(String),
    #[error("invalid device class {0:?}")]
    BadDeviceClass(String),
    #[error("this store already holds chain {stored:?}, not {requested:?}")]
    OtherChain { stored: String, requested: String },
    #[error("store: {0}")]
    Store(#[from] plexus_store::StoreError),
    #[error("stored chain info is corrupt: {0}")]
    Corrupt(String),
}

impl Genesis {
    /// A genesis with default parameters, reward rules and device classes, no oracles.
    pub fn new(chain_id: &str, genesis_time_ms: u64, accounts: Vec<GenesisAccount>) -> Genesis {
        Genesis {
            chain_id: chain_id.to_string(),
            genesis_time_ms,
            params: Params::default(),
            accounts,
            rewards: RewardParams::default(),
            oracles: OracleSet::default(),
            device_classes: default_device_classes(),
            validators: Vec::new(),
            beacon: None,
            staking: StakingParams::default(),
            wireless: WirelessParams::default(),
            data_credits: Default::default(),
            data_market: Default::default(),
        }
    }

    /// Checks genesis before anything is written. Returns the total supply: the opening
    /// balances and the validators' self-bonds.
    pub fn validate(&self) -> Result<Amount, GenesisError> {
        let id_ok = !self.chain_id.is_empty()
            && self.chain_id.len() <= plexus_types::tx::MAX_CHAIN_ID_LEN
            && self
                .chain_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !id_ok {
            return Err(GenesisError::BadChainId(self.chain_id.clone()));
        }
        let max_tx = self.params.max_tx_bytes as usize;
        if !(256..=plexus_types::MAX_TX_BYTES).contains(&max_tx) {
            return Err(GenesisError::BadMaxTxBytes);
        }
        if self.params.max_block_bytes < self.params.max_tx_bytes {
            return Err(GenesisError::BadMaxBlockBytes);
        }
        if let Some(problem) = self.data_credits.problem() {
            return Err(GenesisError::BadDataCredits(problem.into()));
        }
        let r = &self.rewards;
        if r.epoch_blocks == 0 || r.intervals_per_epoch == 0 || r.halving_epochs == 0 {
            return Err(GenesisError::BadRewards(
                "epoch_blocks, intervals_per_epoch and halving_epochs must be positive".into(),
            ));
        }
        if r.pool_weights.values().map(|w| *w as u64).sum::<u64>() == 0 {
            return Err(GenesisError::BadRewards(
                "pool weights add up to zero".into(),
            ));
        }
        if r.min_uptime_percent > 100 {
            return Err(GenesisError::BadRewards(
                "min_uptime_percent is above 100".into(),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for v in &self.validators {
            let ok = v.consensus_key.len() == 64
                && v.consensus_key.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(GenesisError::BadValidators(format!(
                    "consensus key {:?} is not 32 bytes of hex",
                    v.consensus_key
                )));
            }
            if !keys.insert(v.consensus_key.to_ascii_lowercase()) {
                return Err(GenesisError::BadValidators(format!(
                    "validator {} is listed twice",
                    v.consensus_key
                )));
            }
            if v.consensus_public_key().is_none() {
                return Err(GenesisError::BadValidators(format!(
                    "consensus key {} is not an Ed25519 public key",
                    v.consensus_key
                )));
            }
            if v.stake == Amount::ZERO {
                return Err(GenesisError::BadValidators(format!(
                    "validator {} has no stake",
                    v.consensus_key
                )));
            }
        }
        self.validate_beacon()?;
        self.staking.validate()?;
        if self.validators.len() > MAX_VALIDATOR_CANDIDATES as usize {
            return Err(GenesisError::BadValidators(format!(
                "more than {} validators",
                MAX_VALIDATOR_CANDIDATES
            )));
        }
        let oracle_count = self.oracles.members.len() as u32;
        let distinct: std::collections::BTreeSet<_> = self.oracles.members.iter().collect();
        if distinct.len() as u32 != oracle_count {
            return Err(GenesisError::BadOracles("an oracle is listed twice".into()));
        }
        if oracle_count > 0
            && (self.oracles.threshold == 0 || self.oracles.threshold > oracle_count)
        {
            return Err(GenesisError::BadOracles(format!(
                "threshold {} must be between 1 and the {oracle_count} members",
                self.oracles.threshold
            )));
        }
        let mut names = std::collections::BTreeSet::new();
        for c in &self.device_classes {
            let ok_name = !c.name.is_empty()
                && c.name.len() <= plexus_types::tx::MAX_NAME_LEN
                && c.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok_name || !names.insert(c.name.clone()) || c.capacity_units == 0 {
                return Err(GenesisError::BadDeviceClass(c.name.clone()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut supply = Amount::ZERO;
        for acct in &self.accounts {
            if !seen.insert(acct.address) {
                return Err(GenesisError::DuplicateAccount(acct.address));
            }
            supply = supply
                .checked_add(acct.balance)
                .ok_or(GenesisError::SupplyOverflow)?;
        }
        for v in &self.validators {
            supply = supply
                .checked_add(v.stake)
                .ok_or(GenesisError::SupplyOverflow)?;
        }
        Ok(supply)
    }
}

/// The `data_market` section of genesis (see [`crate::data_market`]): the listed price of
/// one data set per sensor class. A class without a price is not sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataMarketParams {
    pub prices: std::collections::BTreeMap<String, Amount>,
}

impl Default for DataMarketParams {
    fn default() -> Self {
        let prices = [("weather", 20), ("energy-meter", 10), ("vehicle", 20)]
            .into_iter()
            .map(|(class, plx)| (class.to_string(), Amount::plx(plx)))
            .collect();
        DataMarketParams { prices }
    }
}

/// uplx in one PLX.
pub const UPLX_PER_PLX: u128 = 1_000_000;

/// The `data_credits` section of genesis (see [`crate::data_credits`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataCreditParams {
    /// Data credits one PLX buys. The default, 100 000, prices a credit at 10⁻⁵ PLX, as
    /// Helium prices one at $0.00001 when a token is worth one dollar.
    pub dc_per_plx: u64,
    /// Bytes (up and down together) one credit pays for; 24 KiB as on Helium.
    pub bytes_per_dc: u64,
    /// How many epochs after the one a session ended in its receipt can still be settled.
    /// Also how long the chain remembers which sessions were settled.
    pub max_receipt_age_epochs: u64,
}

impl Default for DataCreditParams {
    fn default() -> Self {
        DataCreditParams {
            dc_per_plx: 100_000,
            bytes_per_dc: 24 * 1024,
            max_receipt_age_epochs: 2,
        }
    }
}

impl DataCreditParams {
    /// Why these parameters cannot run a chain, if they cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if self.dc_per_plx == 0 {
            return Some("data_credits.dc_per_plx must be at least 1");
        }
        if self.bytes_per_dc == 0 {
            return Some("data_credits.bytes_per_dc must be at least 1");
        }
        None
    }

    /// Credits that burning `amount` buys: ⌊amount × dc_per_plx / 10⁶⌋, `None` on overflow.
    pub fn credits_for(&self, amount: Amount) -> Option<u128> {
        amount
            .0
            .checked_mul(u128::from(self.dc_per_plx))
            .map(|x| x / UPLX_PER_PLX)
    }

    /// Credits a session of `bytes` (up and down) costs: ⌈bytes / bytes_per_dc⌉.
    pub fn credits_due(&self, bytes: u128) -> u128 {
        bytes.div_ceil(u128::from(self.bytes_per_dc.max(1)))
    }
}

/// What the ledger keeps of genesis in its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInfo {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub params: Params,
    #[serde(default)]
    pub rewards: RewardParams,
    #[serde(default)]
    pub oracles: OracleSet,
    #[serde(default = "default_device_classes")]
    pub device_classes: Vec<DeviceClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<crate::beacon::BeaconCommitment>,
    #[serde(default)]
    pub staking: StakingParams,
    #[serde(default)]
    pub wireless: WirelessParams,
    pub data_credits: DataCreditParams,
    #[serde(default)]
    pub data_market: DataMarketParams,
}

impl ChainInfo {
    pub fn device_class(&self, name: &str) -> Option<&DeviceClass> {
        self.device_classes.iter().find(|c| c.name == name)
    }

    pub fn is_oracle(&self, who: &Address) -> bool {
        self.oracles.members.contains(who)
    }
}

impl Genesis {
    /// A hash chain drives the solo driver only; a threshold VRF names its public polynomial
    /// (which the driver decodes and checks against the validator set).
    fn validate_beacon(&self) -> Result<(), GenesisError> {
        use crate::beacon::BeaconCommitment::*;
        match &self.beacon {
            Some(HashChain { length, .. }) if *length == 0 => Err(GenesisError::BadBeacon(
                "the hash chain must be at least one reveal long".into(),
            )),
            Some(HashChain { .. }) if !self.validators.is_empty() => Err(GenesisError::BadBeacon(
                "a chain of validators draws its beacon from their threshold VRF, not a hash chain"
                    .into(),
            )),
            Some(ThresholdVrf { polynomial })
                if polynomial.is_empty() || hex::decode(polynomial).is_err() =>
            {
                Err(GenesisError::BadBeacon(
                    "the threshold VRF's public polynomial is not hex".into(),
                ))
            }
            _ => Ok(()),
        }
    }
}
