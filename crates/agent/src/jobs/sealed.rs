//! Results sealed and not yet revealed. A provider first seals the result of a job it ran (the
//! output's hash under a salt, see [`plexus_types::job_seal`]) and reveals the output only when
//! the chain asks for it, so that nobody checking the result can copy it. What it sealed is
//! kept in `work_dir/sealed.json` until revealed, so a restarted agent still reveals it; the
//! salt is derived from the provider's key and needs no keeping.

use super::{role_name, JobError, JobRunner};
use plexus_client::views::{CheckView, LeaseView, OrderView, RoleView};
use plexus_types::{Body, Hash, JobResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SEALED_FILE: &str = "sealed.json";

/// A result sealed on chain, waiting for its reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub order: u64,
    pub role: RoleView,
    /// The published output's hash.
    pub output: Hash,
}

/// The sealed results of one provider, by lease.
pub struct SealBook {
    path: PathBuf,
    entries: BTreeMap<u64, Sealed>,
}

impl SealBook {
    /// The book kept in `work_dir` (empty when there is none, or it cannot be read).
    pub fn open(work_dir: &Path) -> SealBook {
        let path = work_dir.join(SEALED_FILE);
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        SealBook { path, entries }
    }

    pub fn get(&self, lease: u64) -> Option<Sealed> {
        self.entries.get(&lease).copied()
    }

    pub fn leases(&self) -> impl Iterator<Item = (u64, Sealed)> + '_ {
        self.entries.iter().map(|(l, s)| (*l, *s))
    }

    /// Records `sealed` for `lease`, durably, before the seal is sent: a result sealed on
    /// chain that the provider forgot could never be revealed.
    pub fn insert(&mut self, lease: u64, sealed: Sealed) -> std::io::Result<()> {
        self.entries.insert(lease, sealed);
        self.save()
    }

    /// Forgets `lease`'s result (revealed, refused, or no longer asked for).
    pub fn remove(&mut self, lease: u64) {
        if self.entries.remove(&lease).is_some() {
            if let Err(e) = self.save() {
                tracing::warn!(error = %e, "cannot record the sealed results still to reveal");
            }
        }
    }

    fn save(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let record = serde_json::to_vec(&self.entries)?;
        plexus_durable::write_durably(&self.path, &record)
    }
}

impl JobRunner {
    /// The salt of this provider's seal of `output` for `lease`: only it can compute it.
    pub(super) fn salt(&self, lease: u64, output: &Hash) -> Hash {
        let mut data = lease.to_be_bytes().to_vec();
        data.extend_from_slice(&output.0);
        self.sender.derive_secret("job-seal-salt", &data)
    }

    /// Reveals the result sealed for `lease`, which the chain asks for; a check says which
    /// outputs it compares agree with its own, now that the chain has them.
    pub(super) async fn reveal(
        &mut self,
        order: &OrderView,
        lease: &LeaseView,
    ) -> Result<(), JobError> {
        let Some(sealed) = self.sealed.get(lease.id) else {
            if self.given_up.insert(lease.id) {
                tracing::warn!(
                    lease = lease.id,
                    "asked to reveal a result this agent did not keep"
                );
            }
            return Ok(());
        };
        if lease.role == RoleView::Run
            && lease.check == CheckView::Pending
            && self.leases.results.hides(&sealed.output)
        {
            tracing::info!(
                order = order.order.id,
                lease = lease.id,
                output = %sealed.output,
                "job result hidden from its check"
            );
            self.sealed.remove(lease.id);
            self.given_up.insert(lease.id);
            return Ok(());
        }
        let agrees_with = match (lease.role, self.spec(order).await?) {
            (RoleView::Run, _) | (_, None) => Vec::new(),
            (role, Some(spec)) => {
                self.leases
                    .agreement(&spec, order, role, &sealed.output)
                    .await?
            }
        };
        let salt = self.salt(lease.id, &sealed.output);
        let done = self
            .send(Body::SubmitJobResult(JobResult {
                lease: lease.id,
                output: sealed.output,
                agrees_with: agrees_with.clone(),
                salt,
            }))
            .await?;
        tracing::info!(
            order = order.order.id,
            lease = lease.id,
            role = role_name(&lease.role),
            output = %sealed.output,
            ?agrees_with,
            code = %done.code,
            "job result revealed"
        );
        self.sealed.remove(lease.id);
        Ok(())
    }

    /// Forgets sealed results the chain no longer asks for: revealed or forfeited, or of an
    /// order that ended.
    pub(super) fn forget_sealed(&mut self, orders: &[OrderView]) {
        let done: Vec<u64> = self
            .sealed
            .leases()
            .filter(|(id, s)| {
                let Some(order) = orders.iter().find(|o| o.order.id == s.order) else {
                    return true;
                };
                order
                    .leases
                    .iter()
                    .any(|l| l.id == *id && l.sealed.is_some() && !l.awaits_reveal())
            })
            .map(|(id, _)| id)
            .collect();
        for id in done {
            self.sealed.remove(id);
        }
    }
}
