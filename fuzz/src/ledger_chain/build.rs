//! Turns planned transactions into signed transaction bytes against the chain's committed
//! state: picks become the ids of objects the chain holds, and a transaction without a chosen
//! signer is signed by whoever the object belongs to.

use super::plan::{Action, Amt, CellChoice, EpochChoice, FraudSize, Hostile, Id, TxPlan};
use super::{
    account, addr, device, every_address, every_key, oracle, ACCOUNTS, CHAIN, DEVICES, FEE, ORACLES,
};
use plexus_ledger::market::{Bid, Lease, Order};
use plexus_ledger::registry::Device;
use plexus_ledger::storage::StorageDeal;
use plexus_ledger::training::TrainingTask;
use plexus_ledger::{query, PlexusLedger};
use plexus_proofs::compute::{ComputeChallenge, ComputeProof};
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{
    statements, Address, Amount, Body, Capabilities, ComputeFraud, Hash, JobResult, JobRuntime,
    OrderTerms, RewardClaim, SecretKey, StorageDealTerms, StorageFailure, TrainingRound,
    TrainingScore, TrainingTaskTerms, UnsignedTx,
};
use std::collections::BTreeMap;

/// A block's transactions, and which of them the ledger must refuse without charging (their
/// nonce, fee, chain or signature is wrong, or they are not transactions at all).
#[derive(Debug, Default)]
pub struct Built {
    pub txs: Vec<Vec<u8>>,
    pub refused: Vec<bool>,
}

const CLASSES: [&str; 5] = [
    "cpu-small",
    "storage-small",
    "gpu-a100",
    "bw-home",
    "no-such-class",
];
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
        let (natural, body) = view.body(&plan.action, i);
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
            tasks: query::training_tasks(store).expect("tasks"),
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
            .unwrap_or_else(|| account(i % ACCOUNTS))
    }

    fn epoch(&self, e: EpochChoice) -> u64 {
        match e {
            EpochChoice::Last => self.last_epoch,
            EpochChoice::Back(b) => self.last_epoch.saturating_sub(b as u64),
            EpochChoice::Current => self.last_epoch + 1,
            EpochChoice::Max => u64::MAX,
            EpochChoice::Zero => 0,
        }
    }

    /// The body an action asks for, and who it belongs to (`None`: anyone).
    fn body(&self, action: &Action, index: usize) -> (Option<SecretKey>, Body) {
        match action {
            Action::Transfer { to, amount } => {
                let all = every_address();
                let to = all[*to as usize % all.len()];
                (
                    None,
                    Body::Transfer {
                        to,
                        amount: Amount(amount.value()),
                    },
                )
            }
            Action::Register {
                device: d,
                class,
                stake,
                cell,
                wrong_device_signature,
            } => {
                // Registered under the device's usual owner, unless the plan picks a signer:
                // then the statement names the usual owner and the registration fails.
                let owner = account(d % ACCOUNTS);
                let dev = device(d % DEVICES);
                let signing = if *wrong_device_signature {
                    device(d.wrapping_add(1) % DEVICES)
                } else {
                    dev.clone()
                };
                let statement =
                    statements::device_registration(CHAIN, &addr(&owner), &dev.public_key());
                let body = Body::RegisterDevice {
                    device: dev.public_key(),
                    class: CLASSES[*class as usize % CLASSES.len()].into(),
                    capabilities: capabilities(4),
                    h3_cell: cell_of(*cell),
                    stake: Amount(stake.value()),
                    device_signature: signing.sign(&statement),
                };
                (Some(owner), body)
            }
            Action::UpdateDevice {
                device: d,
                cpu_cores,
                cell,
            } => {
                let body = Body::UpdateDevice {
                    device: device(d % DEVICES).public_key(),
                    capabilities: capabilities(*cpu_cores as u32),
                    h3_cell: cell_of(*cell),
                };
                (Some(self.device_owner(*d)), body)
            }
            Action::Retire { device: d } => (
                Some(self.device_owner(*d)),
                Body::RetireDevice {
                    device: device(d % DEVICES).public_key(),
                },
            ),
            Action::WithdrawStake { device: d } => (
                Some(self.device_owner(*d)),
                Body::WithdrawStake {
                    device: device(d % DEVICES).public_key(),
                },
            ),
            Action::Manifest {
                oracle: o,
                epoch,
                resource,
                variant,
                total_units,
            } => {
                let (name, m) = manifest(self.epoch(*epoch), *resource, *variant);
                let body = Body::SubmitManifest {
                    epoch: m.epoch(),
                    resource: name.into(),
                    root: m.root(),
                    total_units: total_units.map_or(m.total_units(), Amt::value),
                    evidence_root: m.evidence_root(),
                };
                (Some(oracle(o % ORACLES)), body)
            }
            Action::Claim {
                device: d,
                epoch,
                resource,
                variant,
                units,
            } => {
                let (name, m) = manifest(self.epoch(*epoch), *resource, *variant);
                let (leaf, proof) = m
                    .proof(&device(d % DEVICES).public_key())
                    .expect("every device has a leaf");
                let body = Body::ClaimReward(RewardClaim {
                    epoch: m.epoch(),
                    resource: name.into(),
                    device: leaf.device,
                    owner: leaf.owner,
                    units: units.map_or(leaf.units, Amt::value),
                    proof,
                });
                (Some(account(d % DEVICES % ACCOUNTS)), body)
            }
            Action::Fraud {
                device: d,
                wrong,
                n,
            } => (
                Some(account(d.wrapping_add(1) % ACCOUNTS)),
                fraud(*d, *wrong, *n),
            ),
            Action::Deal {
                blob,
                size,
                replicas,
                epochs,
                price,
            } => {
                let body = Body::StorageDeal(StorageDealTerms {
                    blob: Hash::of(&[*blob % 4]),
                    size: size.value(),
                    replicas: replicas.value32(),
                    epochs: epochs.value(),
                    price_per_replica_epoch: Amount(price.value()),
                });
                (None, body)
            }
            Action::Audit {
                oracle: o,
                epoch,
                failures,
            } => {
                let failures = failures
                    .iter()
                    .take(4)
                    .map(|(deal, replica)| {
                        let found = match deal {
                            Id::Pick(p) => pick(&self.deals, *p),
                            Id::Raw(_) => None,
                        };
                        match found {
                            Some(deal) => StorageFailure {
                                deal: deal.id,
                                device: pick(&deal.providers, *replica)
                                    .unwrap_or_else(|| device(*replica % DEVICES).public_key()),
                            },
                            None => StorageFailure {
                                deal: resolve(*deal, self.deals.iter().map(|d| d.id)),
                                device: device(*replica % DEVICES).public_key(),
                            },
                        }
                    })
                    .collect();
                (
                    Some(oracle(o % ORACLES)),
                    Body::StorageAudit {
                        epoch: self.epoch(*epoch),
                        failures,
                    },
                )
            }
            Action::CreateTask {
                coordinator,
                rounds,
                min_participants,
                budget,
            } => {
                let body = Body::CreateTrainingTask(TrainingTaskTerms {
                    dataset: "digits".into(),
                    spec: "{}".into(),
                    validation_commitment: Hash::of(b"validation"),
                    rounds: rounds.value32(),
                    min_participants: min_participants.value32(),
                    budget: Amount(budget.value()),
                    coordinator: addr(&account(coordinator % ACCOUNTS)),
                });
                (None, body)
            }
            Action::Join { task } => (
                None,
                Body::JoinTrainingTask {
                    task: resolve(*task, self.tasks.iter().map(|t| t.id)),
                },
            ),
            Action::Round {
                task,
                skew,
                scores,
                unsorted,
            } => {
                let id = resolve(*task, self.tasks.iter().map(|t| t.id));
                let found = self.tasks.iter().find(|t| t.id == id);
                let done = found.map_or(0, |t| t.rounds_done());
                let round = done
                    .saturating_add(1)
                    .saturating_add(skew.map_or(0, |s| s.value32()));
                let mut scores: Vec<TrainingScore> = scores
                    .iter()
                    .take(6)
                    .map(|(who, score)| TrainingScore {
                        participant: addr(&self.keys[*who as usize % self.keys.len()]),
                        score: score.value(),
                    })
                    .collect();
                if !unsorted {
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
            Action::Cancel { task } => {
                let id = resolve(*task, self.tasks.iter().map(|t| t.id));
                let sponsor = self
                    .tasks
                    .iter()
                    .find(|t| t.id == id)
                    .and_then(|t| self.key_of(&t.sponsor));
                (sponsor, Body::CancelTrainingTask { task: id })
            }
            Action::Order {
                inference,
                cpu_cores,
                max_price,
                duration,
                replicas,
                sample_per_mille,
                deposit,
            } => {
                let body = Body::CreateOrder(OrderTerms {
                    spec: Hash::of(b"spec"),
                    runtime: if *inference {
                        JobRuntime::Inference
                    } else {
                        JobRuntime::Wasm
                    },
                    resources: Capabilities {
                        cpu_cores: *cpu_cores as u32 % 8,
                        memory_mb: 1024,
                        ..Capabilities::default()
                    },
                    max_price_per_block: Amount(max_price.value()),
                    duration_blocks: duration.value(),
                    replicas: replicas.value32(),
                    sample_per_mille: sample_per_mille.value32(),
                    deposit: Amount(deposit.value()),
                });
                (None, body)
            }
            Action::Bid {
                order,
                device: d,
                price,
                deposit,
            } => {
                let body = Body::PlaceBid {
                    order: resolve(*order, self.orders.iter().map(|o| o.id)),
                    device: device(d % DEVICES).public_key(),
                    price_per_block: Amount(price.value()),
                    deposit: Amount(deposit.value()),
                };
                (Some(self.device_owner(*d)), body)
            }
            Action::CloseBid { bid } => {
                let id = resolve(*bid, self.bids.iter().map(|b| b.id));
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
                agrees_with,
            } => {
                let id = resolve(*lease, self.leases.iter().map(|l| l.id));
                let body = Body::SubmitJobResult(JobResult {
                    lease: id,
                    output: Hash::of(&[output % 2]),
                    agrees_with: agrees_with
                        .iter()
                        .take(4)
                        .map(|l| resolve(*l, self.leases.iter().map(|l| l.id)))
                        .collect(),
                });
                (self.lease_provider(id), body)
            }
            Action::WithdrawLease { lease } => {
                let id = resolve(*lease, self.leases.iter().map(|l| l.id));
                (self.lease_provider(id), Body::WithdrawLease { lease: id })
            }
            Action::CloseLease { lease } => {
                let id = resolve(*lease, self.leases.iter().map(|l| l.id));
                (self.lease_provider(id), Body::CloseLease { lease: id })
            }
            Action::CloseOrder { order } => {
                let id = resolve(*order, self.orders.iter().map(|o| o.id));
                let owner = self
                    .orders
                    .iter()
                    .find(|o| o.id == id)
                    .and_then(|o| self.key_of(&o.owner));
                (
                    owner.or_else(|| Some(account(index as u8 % ACCOUNTS))),
                    Body::CloseOrder { order: id },
                )
            }
        }
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

/// An id: `Pick` names one of `ids` or the id after the largest (which does not exist yet),
/// `Raw` any id.
fn resolve(id: Id, ids: impl Iterator<Item = u64>) -> u64 {
    match id {
        Id::Raw(r) => r,
        Id::Pick(p) => {
            let ids: Vec<u64> = ids.collect();
            let next = ids.iter().max().map_or(0, |m| m.saturating_add(1));
            if p as usize % (ids.len() + 1) == ids.len() {
                next
            } else {
                ids[p as usize % (ids.len() + 1)]
            }
        }
    }
}

fn capabilities(cpu_cores: u32) -> Capabilities {
    Capabilities {
        cpu_cores,
        memory_mb: 8192,
        ..Capabilities::default()
    }
}

fn cell_of(cell: CellChoice) -> u64 {
    match cell {
        CellChoice::Valid => CELL,
        CellChoice::Zero => 0,
        CellChoice::Raw(r) => r,
    }
}

/// The manifest the oracles voting `variant` (nearly always the common one) submit for
/// `epoch` and the resource picked: one leaf per device key, whether registered or not. A
/// resource no manifest may name gets the compute manifest's leaves under its name.
fn manifest(epoch: u64, resource: u8, variant: u8) -> (&'static str, Manifest) {
    let name = RESOURCES[resource as usize % RESOURCES.len()];
    let variant = u128::from(variant >= 224);
    let leaves = |name: &str| {
        let mut leaves: Vec<ManifestLeaf> = (0..DEVICES)
            .map(|i| ManifestLeaf {
                device: device(i).public_key(),
                owner: addr(&account(i % ACCOUNTS)),
                units: 1 + (i as u128 * 7 + (epoch % 1000) as u128 * 3 + variant * 11) % 50,
            })
            .collect();
        leaves.sort_by_key(|l| *l.device.as_bytes());
        Manifest::from_leaves(epoch, name, leaves, Hash::of(&[variant as u8]))
    };
    let m = leaves(name)
        .or_else(|_| leaves("compute"))
        .expect("the compute manifest is valid");
    (name, m)
}

/// A fraud proof against device `d`'s signed commitment to a compute answer, opening row 0.
fn fraud(d: u8, wrong: bool, n: FraudSize) -> Body {
    let size = match n {
        FraudSize::Eight => 8,
        _ => 4,
    };
    let challenge = ComputeChallenge::new([d; 32], size).expect("a small challenge");
    let mut product = plexus_proofs::compute::prove(&challenge).product().to_vec();
    if wrong {
        product[1] = (product[1] + 1) % plexus_proofs::compute::P;
    }
    let answer = ComputeProof::commit(&challenge, product).expect("a product of the right size");
    let opening = answer.open(0).expect("row 0 exists");
    let claimed = match n {
        FraudSize::Claimed(c) => c,
        _ => size,
    };
    let dev = device(d % DEVICES);
    let statement =
        statements::compute_commitment(CHAIN, challenge.seed(), claimed, &answer.root());
    Body::ComputeFraud(ComputeFraud {
        device: dev.public_key(),
        seed: *challenge.seed(),
        n: claimed,
        root: answer.root(),
        device_signature: dev.sign(&statement),
        row_index: 0,
        row: opening.row,
        proof: opening.proof,
    })
}

/// Signs planned transactions with each signer's next nonce as this block would use them.
struct Signer<'a> {
    ledger: &'a PlexusLedger,
    nonces: BTreeMap<Address, u64>,
    keys: Vec<SecretKey>,
}

impl Signer<'_> {
    /// The transaction's bytes, and whether the ledger must refuse it without charging.
    fn sign(&mut self, plan: &TxPlan, key: &SecretKey, body: Body) -> (Vec<u8>, bool) {
        let a = addr(key);
        let next = match self.nonces.get(&a) {
            Some(n) => *n,
            None => self.ledger.account(&a).expect("account").nonce,
        };
        let (nonce, fee, chain_id) = match &plan.hostile {
            Some(Hostile::UsedNonce) => (next.wrapping_sub(1), FEE, CHAIN),
            Some(Hostile::FutureNonce) => (next.wrapping_add(2), FEE, CHAIN),
            Some(Hostile::MaxNonce) => (u64::MAX, FEE, CHAIN),
            Some(Hostile::FeeBelowMinimum) => (next, FEE - 1, CHAIN),
            Some(Hostile::Fee(a)) => (next, a.value(), CHAIN),
            Some(Hostile::OtherChain) => (next, FEE, "plexus-other"),
            _ => (next, FEE, CHAIN),
        };
        let mut bytes = UnsignedTx {
            chain_id: chain_id.into(),
            nonce,
            fee: Amount(fee),
            body,
        }
        .sign(key)
        .bytes;
        let refused = match &plan.hostile {
            None => false,
            Some(Hostile::Fee(a)) => a.value() < FEE,
            Some(Hostile::MaxNonce) => next != u64::MAX,
            Some(Hostile::BadSignature) => {
                // The signature is the envelope's last field.
                *bytes.last_mut().expect("a signed transaction has bytes") ^= 0x01;
                true
            }
            Some(Hostile::Truncated(n)) => {
                bytes.truncate(bytes.len().saturating_sub((*n).max(1) as usize));
                true
            }
            Some(Hostile::Garbage(g)) => {
                bytes = g.clone();
                true
            }
            Some(_) => true,
        };
        if !refused {
            self.nonces.insert(a, next.wrapping_add(1));
        }
        (bytes, refused)
    }
}
