//! Consensus epochs: one simplex instance per epoch, each with the validator set the ledger
//! chose for it.
//!
//! Ledger epoch `e` ends with block `e × B` (`B`: the genesis `epoch_blocks`), and its last
//! block chooses the set of ledger epoch `e + 1`. Consensus epoch `c` is ledger epoch `c + 1`:
//! heights `c·B + 1 ..= (c + 1)·B` (epoch 0 also holds genesis). When this validator has
//! executed the last block of consensus epoch `c`, it stops that epoch's simplex instance and
//! starts the next one with the participants the ledger chose, their keys from [`EpochKeys`],
//! on subchannel `c + 1` of the vote, certificate and resolver channels and in journal
//! partition `{prefix}-consensus-{c + 1}`. A validator with no share in an epoch follows it
//! without voting. A validator that hears peers of a later epoch asks them for the last
//! finalized block of its own epoch, so that it can move on.

use super::block::ConsensusBlock;
use super::threshold::{Polynomial, Scheme};
use super::NAMESPACE;
use crate::chain::Chain;
use commonware_codec::DecodeExt;
use commonware_consensus::marshal::{core::Mailbox as MarshalMailbox, standard::Standard};
use commonware_consensus::types::{Epoch, EpochInfo, Epocher, Height};
use commonware_cryptography::bls12381::primitives::group::Share;
use commonware_cryptography::certificate::Provider;
use commonware_cryptography::ed25519;
use commonware_utils::ordered::Set;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One consensus epoch's participants and threshold key, with this validator's share if it
/// has one (without one it follows the epoch and does not vote).
#[derive(Clone, Debug)]
pub struct EpochKey {
    pub participants: Set<ed25519::PublicKey>,
    pub polynomial: Polynomial,
    pub share: Option<Share>,
}

/// Where a validator gets each consensus epoch's key.
pub trait EpochKeys: Send + Sync + 'static {
    /// Whether the set follows the ledger (a new consensus epoch at each ledger epoch's end);
    /// otherwise the chain runs in consensus epoch 0 forever with [`EpochKeys::key`]`(0, ..)`.
    fn follows_the_ledger(&self) -> bool;

    /// The key of consensus `epoch`, whose participants the ledger chose as `chosen` (empty
    /// when the set does not follow the ledger).
    fn key(&self, epoch: u64, chosen: &Set<ed25519::PublicKey>) -> Result<EpochKey, String>;
}

/// The genesis set's key, for every epoch: the set's threshold key is not reshared through
/// the chain yet, so a set the ledger chooses later cannot sign, and the genesis set stays.
pub struct GenesisKeys {
    key: EpochKey,
}

impl GenesisKeys {
    pub fn new(
        participants: Set<ed25519::PublicKey>,
        threshold: super::ThresholdKey,
    ) -> GenesisKeys {
        GenesisKeys {
            key: EpochKey {
                participants,
                polynomial: threshold.polynomial,
                share: Some(threshold.share),
            },
        }
    }
}

impl EpochKeys for GenesisKeys {
    fn follows_the_ledger(&self) -> bool {
        false
    }

    fn key(&self, _: u64, _: &Set<ed25519::PublicKey>) -> Result<EpochKey, String> {
        Ok(self.key.clone())
    }
}

/// The heights of consensus epochs: epoch `c` is `c·B + 1 ..= (c + 1)·B`, and epoch 0 also
/// holds genesis, so that consensus epochs end where the ledger's do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlexusEpocher {
    blocks: u64,
}

impl PlexusEpocher {
    /// Epochs of `blocks` blocks; `None`: one epoch forever.
    pub fn new(blocks: Option<u64>) -> PlexusEpocher {
        PlexusEpocher {
            blocks: blocks.unwrap_or(u64::MAX).max(1),
        }
    }

    /// The consensus epoch of a height.
    pub fn epoch_of(&self, height: u64) -> u64 {
        height.saturating_sub(1) / self.blocks
    }

    /// The last height of a consensus epoch.
    pub fn last_height(&self, epoch: u64) -> Option<u64> {
        epoch.checked_add(1)?.checked_mul(self.blocks)
    }

    fn first_height(&self, epoch: u64) -> Option<u64> {
        match epoch {
            0 => Some(0),
            e => e.checked_mul(self.blocks)?.checked_add(1),
        }
    }
}

impl Epocher for PlexusEpocher {
    fn containing(&self, height: Height) -> Option<EpochInfo> {
        let epoch = self.epoch_of(height.get());
        Some(EpochInfo::new(
            Epoch::new(epoch),
            height,
            Height::new(self.first_height(epoch)?),
            Height::new(self.last_height(epoch)?),
        ))
    }

    fn first(&self, epoch: Epoch) -> Option<Height> {
        self.first_height(epoch.get()).map(Height::new)
    }

    fn last(&self, epoch: Epoch) -> Option<Height> {
        self.last_height(epoch.get()).map(Height::new)
    }
}

/// The signing scheme of each consensus epoch this validator has entered or checks
/// certificates of: what marshal verifies finalizations with, and seeds are checked against.
#[derive(Clone, Default)]
pub struct EpochSchemes {
    by_epoch: Arc<Mutex<BTreeMap<u64, Arc<Scheme>>>>,
}

impl EpochSchemes {
    pub fn insert(&self, epoch: u64, scheme: Scheme) {
        self.by_epoch.lock().insert(epoch, Arc::new(scheme));
    }

    pub fn get(&self, epoch: u64) -> Option<Arc<Scheme>> {
        self.by_epoch.lock().get(&epoch).cloned()
    }
}

impl Provider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Arc<Scheme>> {
        self.get(epoch.get())
    }
}

/// The participants the ledger chose for consensus `epoch` (ledger epoch `epoch + 1`), in
/// the ledger's order of stake.
pub fn chosen_set(chain: &Chain, epoch: u64) -> Result<Set<ed25519::PublicKey>, String> {
    let set = plexus_ledger::staking::query::validator_set(chain.store(), Some(epoch + 1))
        .map_err(|e| format!("reading the validator set: {e}"))?
        .ok_or_else(|| format!("the ledger has chosen no validator set for epoch {epoch}"))?;
    let keys = set
        .validators
        .iter()
        .map(|m| {
            ed25519::PublicKey::decode(m.consensus_key.as_bytes().as_slice())
                .map_err(|e| format!("a consensus key of the set is not Ed25519: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Set::from_iter_dedup(keys))
}

/// The scheme of consensus `epoch`: a signer with this validator's share, or a verifier.
pub fn epoch_scheme(
    keys: &dyn EpochKeys,
    chain: &Chain,
    epoch: u64,
) -> Result<(Scheme, Set<ed25519::PublicKey>), String> {
    let chosen = if keys.follows_the_ledger() {
        chosen_set(chain, epoch)?
    } else {
        Set::default()
    };
    let key = keys.key(epoch, &chosen)?;
    if key.participants.is_empty() {
        return Err("the epoch has no validators".into());
    }
    if key.polynomial.total().get() as usize != key.participants.len() {
        return Err(format!(
            "the threshold key is dealt to {} validators, the epoch has {}",
            key.polynomial.total(),
            key.participants.len()
        ));
    }
    let participants = key.participants.clone();
    let scheme = match key.share {
        Some(share) => Scheme::signer(NAMESPACE, key.participants, key.polynomial, share)
            .ok_or("this validator's threshold share does not match the epoch's polynomial")?,
        None => Scheme::verifier(NAMESPACE, key.participants, key.polynomial),
    };
    Ok((scheme, participants))
}

/// Marshal's mailbox, as the epoch driver uses it.
pub type Marshal = MarshalMailbox<Scheme, Standard<ConsensusBlock>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_epochs_end_where_the_ledgers_do() {
        let e = PlexusEpocher::new(Some(10));
        assert_eq!(e.epoch_of(0), 0);
        assert_eq!(e.epoch_of(10), 0);
        assert_eq!(e.epoch_of(11), 1);
        assert_eq!(e.last_height(0), Some(10));
        assert_eq!(e.first(Epoch::new(1)), Some(Height::new(11)));
        let info = e.containing(Height::new(20)).unwrap();
        assert_eq!(
            (info.epoch(), info.last()),
            (Epoch::new(1), Height::new(20))
        );
        let forever = PlexusEpocher::new(None);
        assert_eq!(forever.epoch_of(u64::MAX), 0);
        assert_eq!(forever.last_height(1), None);
    }
}
