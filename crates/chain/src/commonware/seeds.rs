//! The threshold VRF seeds of recent views, taken from the certificates consensus reports on
//! their way to marshal, so that a proposer can put its parent view's seed in its block.
//!
//! Simplex reports every notarization and finalization it forms or receives (and replays them
//! from its journal on restart); each carries the recovered seed signature of its view, which
//! is the same on every validator.

use super::threshold::Scheme;
use commonware_codec::Encode;
use commonware_consensus::simplex::scheme::bls12381_threshold::vrf::Seedable;
use commonware_consensus::simplex::types::Activity;
use commonware_consensus::{Epochable, Reporter, Viewable};
use commonware_cryptography::sha256::Digest;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Seeds of this many newest views are kept.
const KEPT_VIEWS: usize = 4_096;

/// A round: its epoch and view.
type Round = (u64, u64);

/// Seed signatures (encoded) by epoch and view.
#[derive(Clone, Default)]
pub struct Seeds {
    by_view: Arc<Mutex<BTreeMap<Round, Vec<u8>>>>,
}

impl Seeds {
    /// The seed signature of `view` of `epoch`, if a certificate of it has been seen.
    pub fn get(&self, epoch: u64, view: u64) -> Option<Vec<u8>> {
        self.by_view.lock().get(&(epoch, view)).cloned()
    }

    fn insert(&self, epoch: u64, view: u64, seed: Vec<u8>) {
        let mut by_view = self.by_view.lock();
        by_view.insert((epoch, view), seed);
        while by_view.len() > KEPT_VIEWS {
            by_view.pop_first();
        }
    }
}

/// A reporter that keeps the seed of every certificate it sees and passes all activity on.
#[derive(Clone)]
pub struct SeedTap<R> {
    pub seeds: Seeds,
    pub inner: R,
}

impl<R> Reporter for SeedTap<R>
where
    R: Reporter<Activity = Activity<Scheme, Digest>>,
{
    type Activity = Activity<Scheme, Digest>;

    async fn report(&mut self, activity: Self::Activity) {
        match &activity {
            Activity::Notarization(n) | Activity::Certification(n) => {
                self.seeds.insert(
                    n.epoch().get(),
                    n.view().get(),
                    n.seed().signature.encode().to_vec(),
                );
            }
            Activity::Finalization(f) => {
                self.seeds.insert(
                    f.epoch().get(),
                    f.view().get(),
                    f.seed().signature.encode().to_vec(),
                );
            }
            _ => {}
        }
        self.inner.report(activity).await;
    }
}
