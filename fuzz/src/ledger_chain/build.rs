//! Turns planned transactions into signed transaction bytes against the chain's committed
//! state: picks become the ids of objects the chain holds, and a transaction without a chosen
//! signer is signed by whoever the object belongs to.

use super::plan::{
    Action, Amt, AuditTwist, BidTwist, DealTwist, EpochChoice, ManifestTwist, OrderTwist, RawId,
    ResultTwist, RoundTwist, TaskTwist, TxPlan,
};
use super::{account, addr, device, every_address, every_key, oracle, ACCOUNTS, DEVICES, ORACLES};
use plexus_ledger::market::{Bid, Lease, Order, MIN_BID_DEPOSIT};
use plexus_ledger::registry::Device;
use plexus_ledger::storage::StorageDeal;
use plexus_ledger::training::TrainingTask;
use plexus_ledger::{query, PlexusLedger};
use plexus_rewards::Manifest;
use plexus_types::{
    Address, Amount, Body, Capabilities, Hash, JobResult, JobRuntime, OrderTerms, RewardClaim,
    SecretKey, StorageDealTerms, StorageFailure, TrainingRound, TrainingScore, TrainingTaskTerms,
};
use std::collections::BTreeMap;

mod bodies;
mod sign;

use bodies::{capabilities, fraud, manifest, register};
use sign::Signer;

/// A block's transactions, and which of them the ledger must refuse without charging (their
/// nonce, fee, chain or signature is wrong, or they are not transactions at all).
#[derive(Debug, Default)]
pub struct Built {
    pub txs: Vec<Vec<u8>>,
    pub refused: Vec<bool>,
}

/// Device classes: the first four are those `register` picks, with their minimum stake.
const CLASSES: [&str; 6] = [
    "cpu-small",
    "storage-small",
    "bw-home",
    "cpu-medium",
    "gpu-a100",
    "no-such-class",
];
/// Resources a manifest may name: devices earn in the first two.
const RESOURCES: [&str; 5] = [
    "compute",
    "storage",
    "training",
    "bandwidth",
    "no such resource",
];
/// A valid H3 cell.
const CELL: u64 = 0x8c2a100d2c0a5ff;

/// Builds a block of `plans` on `ledger`'s committed state.
pub fn block(ledger: &PlexusLedger, plans: &[TxPlan]) -> Built {
    let view = View::load(ledger);
    let mut signer = Signer {
        ledger,
        nonces: BTreeMap::new(),
        keys: every_key(),
    };
    let mut built = Built::default();
    for (i, plan) in plans.iter().enumerate() {
        let (natural, body) = view.body(&plan.action);
        let key = match plan.signer {
            Some(s) => signer.keys[s as usize % signer.keys.len()].clone(),
            None => natural.unwrap_or_else(|| account(i as u8 % ACCOUNTS)),
        };
        let (tx, refused) = signer.sign(plan, &key, body);
        built.txs.push(tx);
        built.refused.push(refused);
    }
    built
}

/// The chain's objects as committed, read once per block.
struct View {
    keys: Vec<SecretKey>,
    last_epoch: u64,
    devices: Vec<Device>,
    orders: Vec<Order>,
    bids: Vec<Bid>,
    leases: Vec<Lease>,
    tasks: Vec<TrainingTask>,
    deals: Vec<StorageDeal>,
}

impl View {
    fn load(ledger: &PlexusLedger) -> View {
        let store = ledger.store();
        let orders = query::market_orders(store, 0, usize::MAX).expect("orders");
        let bids = orders
            .iter()
            .flat_map(|o| o.bids.iter())
            .map(|id| {
                query::market_bid(store, *id)
                    .expect("bid")
                    .expect("an order's bid exists")
            })
            .collect();
        let leases = orders
            .iter()
            .flat_map(|o| o.leases.iter())
            .map(|id| {
                query::market_lease(store, *id)
                    .expect("lease")
                    .expect("an order's lease exists")
            })
            .collect();
        View {
            keys: every_key(),
            last_epoch: query::last_epoch(store).expect("last epoch"),
            devices: query::devices(store).expect("devices"),
            orders,
            bids,
            leases,
            tasks: query::training_tasks(store)
                .expect("tasks")
                .into_iter()
                .map(|t| t.task)
                .collect(),
            deals: query::open_storage_deals(store).expect("deals"),
        }
    }

    /// The key that controls `a`, if the chain has it.
    fn key_of(&self, a: &Address) -> Option<SecretKey> {
        self.keys.iter().find(|k| addr(k) == *a).cloned()
    }

    /// The owner of device `i` if it is registered, else the account it would belong to.
    fn device_owner(&self, i: u8) -> SecretKey {
        let key = device(i % DEVICES).public_key();
        self.devices
            .iter()
            .find(|d| d.key == key)
            .and_then(|d| self.key_of(&d.owner))
            .unwrap_or_else(|| account(i % DEVICES % ACCOUNTS))
    }

    fn epoch(&self, e: EpochChoice) -> u64 {
        match e {
            EpochChoice::Back(b) => self.last_epoch.saturating_sub(b as u64),
            EpochChoice::Current => self.last_epoch + 1,
            EpochChoice::Max => u64::MAX,
            EpochChoice::Zero => 0,
        }
    }

    /// The body an action asks for, and who it belongs to (`None`: anyone).
    fn body(&self, action: &Action) -> (Option<SecretKey>, Body) {
        match action {
            Action::Transfer { to, amount, twist } => {
                let all = every_address();
                let body = Body::Transfer {
                    to: all[*to as usize % all.len()],
                    amount: Amount(twist.map_or(*amount as u128, Amt::value)),
                };
                (None, body)
            }
            Action::Register {
                device: d,
                class,
                twist,
            } => (
                Some(account(d % DEVICES % ACCOUNTS)),
                register(*d, *class, twist),
            ),
            Action::UpdateDevice {
                device: d,
                cpu_cores,
                twist,
            } => {
                let body = Body::UpdateDevice {
                    device: device(d % DEVICES).public_key(),
                    capabilities: capabilities(*cpu_cores as u32 % 16),
                    h3_cell: twist.unwrap_or(CELL),
                };
                (Some(self.device_owner(*d)), body)
            }
            Action::Retire { device: d } => {
                let body = Body::RetireDevice {
                    device: device(d % DEVICES).public_key(),
                };
                (Some(self.device_owner(*d)), body)
            }
            Action::WithdrawStake { device: d } => {
                let body = Body::WithdrawStake {
                    device: device(d % DEVICES).public_key(),
                };
                (Some(self.device_owner(*d)), body)
            }
            Action::Manifest {
                oracle: o,
                back,
                resource,
                variant,
                twist,
            } => self.manifest_vote(o, back, resource, variant, twist),
            Action::Claim {
                device: d,
                back,
                resource,
                variant,
                twist,
            } => self.claim(d, back, resource, variant, twist),
            Action::Fraud {
                device: d,
                wrong,
                twist,
            } => (
                Some(account(d.wrapping_add(1) % ACCOUNTS)),
                fraud(*d, *wrong, *twist),
            ),
            Action::Deal {
                blob,
                replicas,
                epochs,
                price,
                twist,
            } => self.deal(blob, replicas, epochs, price, twist),
            Action::Audit {
                oracle: o,
                deal,
                replica,
                twist,
            } => self.audit(o, deal, replica, twist),
            Action::CreateTask {
                coordinator,
                rounds,
                budget,
                twist,
            } => self.create_task(coordinator, rounds, budget, twist),
            Action::Join { task, twist } => (
                None,
                Body::JoinTrainingTask {
                    task: self.task_id(*task, *twist),
                },
            ),
            Action::Round {
                task,
                scores,
                twist,
            } => self.round(task, scores, twist),
            Action::Cancel { task, twist } => {
                let id = self.task_id(*task, *twist);
                let sponsor = self
                    .tasks
                    .iter()
                    .find(|t| t.id == id)
                    .and_then(|t| self.key_of(&t.sponsor));
                (sponsor, Body::CancelTrainingTask { task: id })
            }
            Action::Order {
                inference,
                replicas,
                duration,
                sample_per_mille,
                deposit,
                twist,
            } => self.order(
                inference,
                replicas,
                duration,
                sample_per_mille,
                deposit,
                twist,
            ),
            Action::Bid {
                order,
                device: d,
                price,
                twist,
            } => self.bid(order, d, price, twist),
            Action::CloseBid { bid, twist } => {
                let id = twist.unwrap_or_else(|| pick(&self.bids, *bid).map_or(0, |b| b.id));
                let provider = self
                    .bids
                    .iter()
                    .find(|b| b.id == id)
                    .and_then(|b| self.key_of(&b.provider));
                (provider, Body::CloseBid { bid: id })
            }
            Action::Result {
                lease,
                output,
                twist,
            } => self.seal(lease, output, twist),
            Action::Reveal {
                lease,
                output,
                twist,
            } => self.reveal(lease, output, twist),
            Action::WithdrawLease { lease, twist } => {
                let id = twist.unwrap_or_else(|| pick(&self.leases, *lease).map_or(0, |l| l.id));
                (self.lease_provider(id), Body::WithdrawLease { lease: id })
            }
            Action::CloseLease { lease, twist } => {
                let id = twist.unwrap_or_else(|| self.lease_where(*lease, Lease::is_active));
                (self.lease_provider(id), Body::CloseLease { lease: id })
            }
            Action::CloseOrder { order, twist } => {
                let id = twist.unwrap_or_else(|| self.live_order(*order));
                let owner = self
                    .orders
                    .iter()
                    .find(|o| o.id == id)
                    .and_then(|o| self.key_of(&o.owner));
                (owner, Body::CloseOrder { order: id })
            }
        }
    }

    /// An oracle's vote for a manifest.
    fn manifest_vote(
        &self,
        o: &u8,
        back: &bool,
        resource: &u8,
        variant: &u8,
        twist: &Option<ManifestTwist>,
    ) -> (Option<SecretKey>, Body) {
        let (name, m) = self.manifest(*back, *resource, *variant, twist);
        let body = Body::SubmitManifest {
            epoch: m.epoch(),
            resource: name,
            root: m.root(),
            total_units: match twist {
                Some(ManifestTwist::Units(u)) => u.value(),
                _ => m.total_units(),
            },
            evidence_root: m.evidence_root(),
        };
        (Some(oracle(o % ORACLES)), body)
    }

    /// A device owner's claim of its leaf.
    fn claim(
        &self,
        d: &u8,
        back: &bool,
        resource: &u8,
        variant: &u8,
        twist: &Option<ManifestTwist>,
    ) -> (Option<SecretKey>, Body) {
        let (name, m) = self.manifest(*back, *resource, *variant, twist);
        let (leaf, proof) = m
            .proof(&device(d % DEVICES).public_key())
            .expect("every device has a leaf");
        let body = Body::ClaimReward(RewardClaim {
            epoch: m.epoch(),
            resource: name,
            device: leaf.device,
            owner: leaf.owner,
            units: match twist {
                Some(ManifestTwist::Units(u)) => u.value(),
                _ => leaf.units,
            },
            proof,
        });
        (Some(account(d % DEVICES % ACCOUNTS)), body)
    }

    /// A storage deal.
    fn deal(
        &self,
        blob: &u8,
        replicas: &u8,
        epochs: &u8,
        price: &u16,
        twist: &Option<DealTwist>,
    ) -> (Option<SecretKey>, Body) {
        let bytes = vec![*blob % 4; 1 << 10];
        let mut terms = StorageDealTerms {
            blob: Hash::of(&bytes),
            size: bytes.len() as u64,
            replicas: 1 + *replicas as u32 % 2,
            epochs: 1 + *epochs as u64 % 3,
            price_per_replica_epoch: Amount(1 + *price as u128 % 2_000),
            size_proof: plexus_types::blob_size::prove_size(&bytes),
        };
        match twist {
            Some(DealTwist::Size(n)) => terms.size = n.value(),
            Some(DealTwist::Replicas(n)) => terms.replicas = n.value32(),
            Some(DealTwist::Epochs(n)) => terms.epochs = n.value(),
            Some(DealTwist::Price(a)) => terms.price_per_replica_epoch = Amount(a.value()),
            None => {}
        }
        (None, Body::StorageDeal(terms))
    }

    /// An oracle's report of failed replicas.
    fn audit(
        &self,
        o: &u8,
        deal: &u8,
        replica: &u8,
        twist: &Option<AuditTwist>,
    ) -> (Option<SecretKey>, Body) {
        // The failure of a replica of `deal` (any id; a replica of device `replica`'s
        // where the chain holds no such open deal).
        let failure = |id: u64, replica: u8| {
            let open = self.deals.iter().find(|d| d.id == id);
            StorageFailure {
                deal: id,
                device: open
                    .and_then(|d| pick(&d.providers, replica))
                    .unwrap_or_else(|| device(replica % DEVICES).public_key()),
            }
        };
        let failures = match twist {
            Some(AuditTwist::Deal(id)) => vec![failure(*id, *replica)],
            Some(AuditTwist::Failures(f)) => {
                f.iter().take(4).map(|(id, r)| failure(*id, *r)).collect()
            }
            _ => {
                let id = pick(&self.deals, *deal).map_or(0, |d| d.id);
                vec![failure(id, *replica)]
            }
        };
        let epoch = match twist {
            Some(AuditTwist::Epoch(e)) => self.epoch(*e),
            _ => self.last_epoch + 1,
        };
        (
            Some(oracle(o % ORACLES)),
            Body::StorageAudit { epoch, failures },
        )
    }

    /// A training task.
    fn create_task(
        &self,
        coordinator: &u8,
        rounds: &u8,
        budget: &u16,
        twist: &Option<TaskTwist>,
    ) -> (Option<SecretKey>, Body) {
        let rounds = 1 + *rounds as u32 % 3;
        let mut terms = TrainingTaskTerms {
            dataset: "digits".into(),
            spec: "{}".into(),
            validation_commitment: Hash::of(b"validation"),
            rounds,
            min_participants: 1,
            budget: Amount(*budget as u128 + rounds as u128),
            coordinator: addr(&account(coordinator % ACCOUNTS)),
        };
        match twist {
            Some(TaskTwist::Rounds(n)) => terms.rounds = n.value32(),
            Some(TaskTwist::MinParticipants(n)) => terms.min_participants = n.value32(),
            Some(TaskTwist::Budget(a)) => terms.budget = Amount(a.value()),
            None => {}
        }
        (None, Body::CreateTrainingTask(terms))
    }

    /// A coordinator's round.
    fn round(
        &self,
        task: &u8,
        scores: &[(u8, u8)],
        twist: &Option<RoundTwist>,
    ) -> (Option<SecretKey>, Body) {
        let raw = match twist {
            Some(RoundTwist::Task(id)) => Some(*id),
            _ => None,
        };
        let id = self.task_id(*task, raw);
        let found = self.tasks.iter().find(|t| t.id == id);
        let skew = match twist {
            Some(RoundTwist::Skew(n)) => n.value32(),
            _ => 0,
        };
        let round = found
            .map_or(0, |t| t.rounds_done())
            .saturating_add(1)
            .saturating_add(skew);
        let mut scores: Vec<TrainingScore> = scores
            .iter()
            .take(6)
            .map(|(who, score)| TrainingScore {
                participant: addr(&self.keys[*who as usize % self.keys.len()]),
                score: match twist {
                    Some(RoundTwist::Score(n)) => n.value(),
                    _ => *score as u64,
                },
            })
            .collect();
        if !matches!(twist, Some(RoundTwist::Unsorted)) {
            scores.sort_by_key(|s| s.participant);
            scores.dedup_by_key(|s| s.participant);
        }
        let body = Body::SubmitTrainingRound(TrainingRound {
            task: id,
            round,
            model: Hash::of(&round.to_be_bytes()),
            record: Hash::of(b"record"),
            accuracy_ppm: 900_000,
            loss_micro: 100,
            scores,
        });
        (found.and_then(|t| self.key_of(&t.terms.coordinator)), body)
    }

    /// A compute order.
    fn order(
        &self,
        inference: &bool,
        replicas: &u8,
        duration: &u8,
        sample_per_mille: &u16,
        deposit: &u16,
        twist: &Option<OrderTwist>,
    ) -> (Option<SecretKey>, Body) {
        let mut terms = OrderTerms {
            spec: Hash::of(b"spec"),
            runtime: if *inference {
                JobRuntime::Inference
            } else {
                JobRuntime::Wasm
            },
            resources: Capabilities {
                cpu_cores: 2,
                memory_mb: 1024,
                ..Capabilities::default()
            },
            max_price_per_block: Amount(100),
            duration_blocks: 4 + *duration as u64 % 20,
            replicas: 1 + *replicas as u32 % 2,
            sample_per_mille: *sample_per_mille as u32 % 1001,
            deposit: Amount(1 + *deposit as u128),
        };
        match twist {
            Some(OrderTwist::MaxPrice(a)) => terms.max_price_per_block = Amount(a.value()),
            Some(OrderTwist::Duration(n)) => terms.duration_blocks = n.value(),
            Some(OrderTwist::Replicas(n)) => terms.replicas = n.value32(),
            Some(OrderTwist::Sample(n)) => terms.sample_per_mille = n.value32(),
            Some(OrderTwist::Deposit(a)) => terms.deposit = Amount(a.value()),
            Some(OrderTwist::CpuCores(c)) => terms.resources.cpu_cores = *c,
            None => {}
        }
        (None, Body::CreateOrder(terms))
    }

    /// A provider's bid.
    fn bid(
        &self,
        order: &u8,
        d: &u8,
        price: &u8,
        twist: &Option<BidTwist>,
    ) -> (Option<SecretKey>, Body) {
        let order = match twist {
            Some(BidTwist::Order(id)) => *id,
            _ => self.live_order(*order),
        };
        let body = Body::PlaceBid {
            order,
            device: device(d % DEVICES).public_key(),
            price_per_block: Amount(match twist {
                Some(BidTwist::Price(a)) => a.value(),
                _ => 1 + *price as u128 % 120,
            }),
            deposit: match twist {
                Some(BidTwist::Deposit(a)) => Amount(a.value()),
                _ => MIN_BID_DEPOSIT,
            },
        };
        (Some(self.device_owner(*d)), body)
    }

    /// A provider's seal of its result for an active lease.
    fn seal(
        &self,
        lease: &u8,
        output: &bool,
        twist: &Option<ResultTwist>,
    ) -> (Option<SecretKey>, Body) {
        let id = match twist {
            Some(ResultTwist::Lease(id)) => *id,
            _ => self.lease_where(*lease, Lease::is_active),
        };
        let provider = self.lease_provider(id);
        let signer = provider.as_ref().map_or(Address([0; 20]), |k| addr(k));
        let seal = job_result(id, *output, Vec::new()).seal(&signer);
        (provider, Body::SealJobResult { lease: id, seal })
    }

    /// A provider's reveal of a result it sealed, preferring leases the chain asks.
    fn reveal(
        &self,
        lease: &u8,
        output: &bool,
        twist: &Option<ResultTwist>,
    ) -> (Option<SecretKey>, Body) {
        let id = match twist {
            Some(ResultTwist::Lease(id)) => *id,
            _ => self.lease_where(*lease, |l| l.awaits_reveal() && l.reveal_from > 0),
        };
        let agrees_with = match twist {
            Some(ResultTwist::AgreesWith(picks)) => picks
                .iter()
                .take(4)
                .map(|p| pick(&self.leases, *p).map_or(0, |l| l.id))
                .collect(),
            _ => Vec::new(),
        };
        let body = Body::SubmitJobResult(job_result(id, *output, agrees_with));
        (self.lease_provider(id), body)
    }

    /// The epoch and manifest an oracle votes for (or a claim is made against): of the last
    /// or the one before, the resource picked, nearly always the common variant.
    fn manifest(
        &self,
        back: bool,
        resource: u8,
        variant: u8,
        twist: &Option<ManifestTwist>,
    ) -> (String, Manifest) {
        let epoch = match twist {
            Some(ManifestTwist::Epoch(e)) => self.epoch(*e),
            _ => self.last_epoch.saturating_sub(back as u64),
        };
        let (name, m) = manifest(epoch, RESOURCES[resource as usize % 2], variant >= 224);
        match twist {
            Some(ManifestTwist::Resource(r)) => {
                (RESOURCES[*r as usize % RESOURCES.len()].into(), m)
            }
            _ => (name.into(), m),
        }
    }

    fn task_id(&self, p: u8, raw: Option<RawId>) -> u64 {
        raw.unwrap_or_else(|| pick(&self.tasks, p).map_or(0, |t| t.id))
    }

    /// An order still taking bids or running, else any order.
    fn live_order(&self, p: u8) -> u64 {
        let live: Vec<&Order> = self.orders.iter().filter(|o| !o.is_closed()).collect();
        pick(&live, p)
            .or_else(|| pick(&self.orders.iter().collect::<Vec<_>>(), p))
            .map_or(0, |o| o.id)
    }

    /// An active lease, else any lease.
    /// A lease picked among those `wanted` says, else among all.
    fn lease_where(&self, p: u8, wanted: impl Fn(&Lease) -> bool) -> u64 {
        let some: Vec<&Lease> = self.leases.iter().filter(|l| wanted(l)).collect();
        pick(&some, p)
            .or_else(|| pick(&self.leases.iter().collect::<Vec<_>>(), p))
            .map_or(0, |l| l.id)
    }

    fn lease_provider(&self, id: u64) -> Option<SecretKey> {
        self.leases
            .iter()
            .find(|l| l.id == id)
            .and_then(|l| self.key_of(&l.provider))
    }
}

/// Picks an item; `None` for an empty list.
fn pick<T: Clone>(items: &[T], p: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[p as usize % items.len()].clone())
}

/// A result for `lease`: the output picked, a salt the fuzzer derives from the lease.
fn job_result(lease: u64, output: bool, agrees_with: Vec<u64>) -> JobResult {
    JobResult {
        lease,
        output: Hash::of(&[output as u8]),
        agrees_with,
        salt: Hash::of(&lease.to_be_bytes()),
    }
}
