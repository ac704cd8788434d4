//! `PlexusLedger`: the `Ledger` implementation over the authenticated store.

use crate::bank::{Account, BankState};
use crate::beacon::{Beacon, BeaconCommitment};
use crate::check::{self, TxChecker};
use crate::codes::{CommittedTx, Reject, TxCode, TxFailure, TxResult};
use crate::genesis::{ChainInfo, Genesis, GenesisError, Params};
use crate::overlay::StateOverlay;
use crate::sigcache::SigCache;
use crate::{bank, data_market, dispatch, epochs, payouts, registry, staking, storage, training};
use crate::{query, state_key, BlockCtx, BlockReject, Ledger, Outcome, TxMeta};
use plexus_store::{ChangeSet, StagedVersion, Store, StoreError};
use plexus_types::{Address, Amount, Block, Body, Hash, SignedTx, TxError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Signatures remembered between admission and execution.
const SIG_CACHE_CAPACITY: usize = 1 << 20;

/// The account that collects fees.
pub fn fee_pool_address() -> Address {
    crate::bank::module_account::fee_pool()
}

pub struct PlexusLedger {
    store: Store,
    info: Option<ChainInfo>,
    sigs: Arc<SigCache>,
    committed: (u64, Hash),
    staged: Option<StagedBlock>,
    last_work: BlockWork,
    /// The signers of the last block executed's well-formed transactions.
    last_senders: std::collections::BTreeSet<Address>,
}

/// What executing one block asked of the state: reads (with the bytes they returned) and
/// writes (keys set or removed, with the bytes set), transactions and the block's end
/// together. Deterministic, so it shows how a block's work grows with the state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlockWork {
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub written_bytes: u64,
}

struct StagedBlock {
    version: StagedVersion,
    aux: Vec<(Vec<u8>, Vec<u8>)>,
}

impl PlexusLedger {
    /// Opens the ledger over `store`, loading the chain's genesis information if the store has
    /// been initialized.
    pub fn open(store: Store) -> Result<PlexusLedger, GenesisError> {
        let committed = store.committed()?;
        let info = match store.get(&state_key::chain_info())? {
            None => None,
            Some(bytes) => Some(
                serde_json::from_slice::<ChainInfo>(&bytes)
                    .map_err(|e| GenesisError::Corrupt(e.to_string()))?,
            ),
        };
        Ok(PlexusLedger {
            store,
            info,
            sigs: Arc::new(SigCache::new(SIG_CACHE_CAPACITY)),
            committed: (committed.version.unwrap_or(0), committed.root),
            staged: None,
            last_work: BlockWork::default(),
            last_senders: Default::default(),
        })
    }

    /// What the last block executed asked of the state.
    pub fn last_block_work(&self) -> BlockWork {
        self.last_work
    }

    /// The signers of the last block executed's well-formed transactions (those charged or
    /// not), so that a driver need not decode the block again.
    pub fn last_block_senders(&self) -> &std::collections::BTreeSet<Address> {
        &self.last_senders
    }

    /// Whether genesis has been applied.
    pub fn is_initialized(&self) -> bool {
        self.info.is_some()
    }

    /// A handle for mempool admission that does not borrow the ledger.
    pub fn checker(&self) -> Option<TxChecker> {
        self.info.as_ref().map(|info| TxChecker {
            store: self.store.clone(),
            chain_id: Arc::from(info.chain_id.as_str()),
            params: info.params.clone(),
            sigs: self.sigs.clone(),
        })
    }

    pub fn chain_id(&self) -> Option<&str> {
        self.info.as_ref().map(|i| i.chain_id.as_str())
    }

    pub fn params(&self) -> Option<&Params> {
        self.info.as_ref().map(|i| &i.params)
    }

    pub fn genesis_time_ms(&self) -> Option<u64> {
        self.info.as_ref().map(|i| i.genesis_time_ms)
    }

    /// Genesis information kept in state.
    pub fn chain_info(&self) -> Option<&ChainInfo> {
        self.info.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// An account in committed state (a never-seen address is an empty account).
    pub fn account(&self, address: &Address) -> Result<Account, StoreError> {
        query::account(&self.store, address)
    }

    /// Total tokens in existence.
    pub fn supply(&self) -> Result<Amount, StoreError> {
        query::supply(&self.store)
    }

    /// Transactions committed since genesis.
    pub fn txs_committed(&self) -> Result<u64, StoreError> {
        query::txs_committed(&self.store)
    }

    /// The result of a committed transaction.
    pub fn committed_tx(&self, hash: &Hash) -> Result<Option<CommittedTx>, StoreError> {
        query::committed_tx(&self.store, hash)
    }

    /// The committed validator set that serves `epoch` (the latest chosen when `None`), with
    /// the height it takes effect: what a consensus driver starts that epoch with.
    pub fn validator_set(
        &self,
        epoch: Option<u64>,
    ) -> Result<Option<crate::staking::ValidatorSet>, StoreError> {
        query::validator_set(&self.store, epoch)
    }

    /// The app hash at `height`, if committed.
    pub fn app_hash_at(&self, height: u64) -> Result<Option<Hash>, StoreError> {
        self.store.root_at(height)
    }
}

impl PlexusLedger {
    /// Executes one transaction against the block's state. Returns its result and whether it
    /// was charged (passed the checks against history).
    #[allow(clippy::too_many_arguments)]
    fn execute_tx(
        &self,
        info: &ChainInfo,
        state: &mut StateOverlay<'_>,
        height: u64,
        decoded: Result<SignedTx, TxError>,
        signature_ok: bool,
        raw_len: usize,
        hash: Hash,
    ) -> Result<(TxResult, bool), StoreError> {
        let refuse = |r: Reject| TxResult {
            hash,
            code: r.code,
            log: r.message,
            fee: Amount::ZERO,
        };
        // Stage 1, stateless: the same checks as admission.
        let tx = match check::check_format(&info.params, &info.chain_id, raw_len, decoded) {
            Ok(tx) => tx,
            Err(r) => return Ok((refuse(r), false)),
        };
        if !signature_ok {
            return Ok((refuse(check::invalid_signature()), false));
        }
        // Stage 2, against state: as admission, but a block takes only the next nonce.
        let sender = tx.signer_address;
        let mut account = state.account(&sender)?;
        if let Err(r) = check::check_against_state(&info.params, &tx, &account, 0) {
            return Ok((refuse(r), false));
        }
        // Both hold after the checks above; checked all the same, so that no arithmetic on a
        // transaction's fields can wrap.
        let (Some(after_fee), Some(next_nonce)) = (
            account.balance.checked_sub(tx.fee),
            account.nonce.checked_add(1),
        ) else {
            return Ok((refuse(check::spent_account(&tx)), false));
        };
        // Stage 3, execute: the fee is charged and the nonce used whatever the body does.
        account.balance = after_fee;
        account.nonce = next_nonce;
        state.set_account(&sender, account);
        state.keep();
        // Whatever the body's content causes fails the transaction alone, its writes dropped;
        // only a store that cannot be read stops the block (see `TxFailure`).
        let (code, log) = match self.execute_body(info, state, height, &sender, &tx.body) {
            Ok(()) => {
                state.keep();
                (TxCode::Ok, String::new())
            }
            Err(TxFailure::Failed { code, log }) => {
                state.discard();
                (code, log)
            }
            Err(TxFailure::Store(e)) => return Err(e),
        };
        Ok((
            TxResult {
                hash,
                code,
                log,
                fee: tx.fee,
            },
            true,
        ))
    }

    fn execute_body(
        &self,
        info: &ChainInfo,
        state: &mut StateOverlay<'_>,
        height: u64,
        sender: &Address,
        body: &Body,
    ) -> Result<(), TxFailure> {
        // The current epoch, read only by the bodies that need it.
        let epoch = |state: &StateOverlay<'_>| -> Result<u64, StoreError> {
            Ok(epochs::last_epoch(state)? + 1)
        };
        match body {
            b if data_market::carries(b) => dispatch::data_market(state, info, height, sender, b),
            Body::Transfer { to, amount } => bank::transfer(state, sender, to, *amount),
            Body::RegisterDevice {
                device,
                class,
                capabilities,
                h3_cell,
                stake,
                device_signature,
            } => {
                let epoch = epoch(state)?;
                registry::register(
                    state,
                    info,
                    (epoch, height),
                    sender,
                    device,
                    class,
                    capabilities,
                    *h3_cell,
                    *stake,
                    device_signature,
                )?;
                storage::device_registered(state, info, class)
            }
            Body::UpdateDevice {
                device,
                capabilities,
                h3_cell,
            } => registry::update(state, info, height, sender, device, capabilities, *h3_cell),
            Body::RetireDevice { device } => {
                let epoch = epoch(state)?;
                registry::retire(state, info, (epoch, height), sender, device)
            }
            Body::WithdrawStake { device } => {
                let epoch = epoch(state)?;
                registry::withdraw(state, (epoch - 1, height), sender, device)
            }
            Body::SubmitManifest {
                epoch: manifest_epoch,
                resource,
                root,
                total_units,
                evidence_root,
            } => payouts::submit_manifest(
                state,
                info,
                height,
                sender,
                *manifest_epoch,
                resource,
                payouts::ManifestVote {
                    root: *root,
                    total_units: *total_units,
                    evidence_root: *evidence_root,
                },
            ),
            Body::ClaimReward(c) => payouts::claim(state, info, c),
            Body::ComputeFraud(f) => payouts::compute_fraud(state, info, height, f),
            Body::StorageDeal(terms) => {
                let epoch = epoch(state)?;
                storage::create_deal(state, epoch, height, sender, terms)
            }
            Body::StorageAudit {
                epoch: audited,
                failures,
            } => {
                let epoch = epoch(state)?;
                storage::audit(state, info, epoch, sender, *audited, failures)
            }
            Body::CreateTrainingTask(terms) => training::create_task(state, height, sender, terms),
            Body::JoinTrainingTask { task } => training::join(state, sender, *task),
            Body::SubmitTrainingRound(result) => {
                training::submit_round(state, height, sender, result)
            }
            Body::CancelTrainingTask { task } => training::cancel(state, height, sender, *task),
            Body::CreateOrder(_)
            | Body::PlaceBid { .. }
            | Body::CloseBid { .. }
            | Body::SealJobResult { .. }
            | Body::SubmitJobResult(_)
            | Body::WithdrawLease { .. }
            | Body::CloseLease { .. }
            | Body::CloseOrder { .. } => dispatch::market(state, height, sender, body),
            Body::CreateValidator { .. }
            | Body::EditValidator { .. }
            | Body::Stake { .. }
            | Body::Unstake { .. }
            | Body::Redelegate { .. }
            | Body::WithdrawStakingRewards { .. }
            | Body::ReportDoubleSign(_)
            | Body::Unjail => staking::execute(state, info, height, sender, body),
            Body::AssertLocation { .. }
            | Body::BuyDataCredits { .. }
            | Body::SettleDataSession(_) => {
                let epoch = epoch(state)?;
                dispatch::wireless(info, state, (epoch, height), sender, body)
            }
            Body::BuyData { .. } => Err(TxFailure::new(
                TxCode::Internal,
                "a purchase is the data market's",
            )),
        }
    }

    fn check_header(&self, block: &Block) -> Result<&ChainInfo, BlockReject> {
        let info = self.info.as_ref().ok_or(BlockReject::NoGenesis)?;
        let h = &block.header;
        if h.chain_id != info.chain_id {
            return Err(BlockReject::WrongChain {
                expected: info.chain_id.clone(),
                got: h.chain_id.clone(),
            });
        }
        if h.height != self.committed.0 + 1 {
            return Err(BlockReject::WrongHeight {
                committed: self.committed.0,
                got: h.height,
            });
        }
        if h.prev_app_hash != self.committed.1 {
            return Err(BlockReject::WrongPrevAppHash {
                committed: self.committed.1,
                got: h.prev_app_hash,
            });
        }
        Ok(info)
    }
}

impl PlexusLedger {
    /// The beacon of `block`, after checking that its header carries the one value genesis
    /// allows there: the next reveal of the hash chain, or a threshold VRF seed (which the
    /// driver has verified against the group key).
    fn check_beacon(&self, info: &ChainInfo, block: &Block) -> Result<Beacon, BlockReject> {
        match &info.beacon {
            None => {}
            Some(BeaconCommitment::HashChain { length, .. }) => {
                let previous = query::beacon_reveal(&self.store)?.ok_or_else(|| {
                    StoreError::Corrupt("the state keeps no beacon reveal".into())
                })?;
                crate::beacon::check_reveal(*length, &previous, block)?;
            }
            Some(BeaconCommitment::ThresholdVrf { .. }) if block.header.beacon.is_empty() => {
                return Err(BlockReject::BadBeacon {
                    height: block.header.height,
                    reason: "the block carries no threshold VRF seed".into(),
                });
            }
            Some(BeaconCommitment::ThresholdVrf { .. }) => {}
        }
        Ok(Beacon::of_block(block, info.beacon.as_ref()))
    }
}

impl Ledger for PlexusLedger {
    fn last_committed(&self) -> (u64, Hash) {
        self.committed
    }

    fn init_chain(&mut self, genesis: &Genesis) -> Result<Outcome, GenesisError> {
        let supply = genesis.validate()?;
        if let Some(info) = &self.info {
            if info.chain_id != genesis.chain_id {
                return Err(GenesisError::OtherChain {
                    stored: info.chain_id.clone(),
                    requested: genesis.chain_id.clone(),
                });
            }
            // The genesis state's root, or, once a pruned store keeps it no more (or the
            // node started from a snapshot), where the chain stands now.
            let (height, app_hash) = match self.store.root_at(0) {
                Ok(root) => (0, root.unwrap_or(Hash::ZERO)),
                Err(plexus_store::StoreError::Pruned { .. }) => self.committed,
                Err(e) => return Err(e.into()),
            };
            return Ok(Outcome {
                height,
                app_hash,
                results: vec![],
            });
        }
        let info = ChainInfo {
            chain_id: genesis.chain_id.clone(),
            genesis_time_ms: genesis.genesis_time_ms,
            params: genesis.params.clone(),
            rewards: genesis.rewards.clone(),
            oracles: genesis.oracles.clone(),
            device_classes: genesis.device_classes.clone(),
            beacon: genesis.beacon.clone(),
            staking: genesis.staking.clone(),
            wireless: genesis.wireless.clone(),
            data_credits: genesis.data_credits.clone(),
            data_market: genesis.data_market.clone(),
        };
        let mut changes = ChangeSet::new();
        if let Some(BeaconCommitment::HashChain { commitment, .. }) = &genesis.beacon {
            changes.insert(state_key::beacon_reveal(), Some(commitment.0.to_vec()));
        }
        changes.insert(
            state_key::chain_info(),
            Some(serde_json::to_vec(&info).expect("chain info serializes")),
        );
        changes.insert(state_key::supply(), Some(supply.0.to_be_bytes().to_vec()));
        changes.insert(
            state_key::last_block(),
            Some(last_block_value(0, genesis.genesis_time_ms)),
        );
        changes.insert(
            state_key::txs_committed(),
            Some(0u64.to_be_bytes().to_vec()),
        );
        for acct in &genesis.accounts {
            let a = Account {
                balance: acct.balance,
                nonce: 0,
            };
            changes.insert(state_key::account(&acct.address), Some(a.encode()));
        }
        let empty = self.store.snapshot()?;
        let mut state = StateOverlay::new(&empty);
        staking::init_genesis(&mut state, genesis, &info)?;
        changes.extend(state.into_changes());
        let staged = self.store.stage(0, &changes)?;
        let root = staged.root;
        self.store.commit(staged, &[])?;
        self.info = Some(info);
        self.committed = (0, root);
        Ok(Outcome {
            height: 0,
            app_hash: root,
            results: vec![],
        })
    }

    fn check_tx(&self, tx: &[u8]) -> Result<TxMeta, Reject> {
        let checker = self
            .checker()
            .ok_or_else(|| Reject::new(TxCode::Malformed, "the chain has no genesis yet"))?;
        checker.check(tx)
    }

    fn select(
        &self,
        _ctx: &BlockCtx,
        pool: &mut dyn Iterator<Item = Vec<u8>>,
        max_bytes: usize,
    ) -> Vec<Vec<u8>> {
        let Some(info) = &self.info else {
            return vec![];
        };
        let max_bytes = max_bytes.min(info.params.max_block_bytes as usize);
        let Ok(snapshot) = self.store.snapshot() else {
            return vec![];
        };
        // Per sender: the next nonce and what is left to spend, as the block would leave them.
        let mut senders: BTreeMap<Address, Account> = BTreeMap::new();
        let mut out = Vec::new();
        let mut used = 0usize;
        for bytes in pool {
            if used + bytes.len() > max_bytes {
                break;
            }
            let decoded = SignedTx::decode(&bytes);
            let Ok(tx) = check::check_format(&info.params, &info.chain_id, bytes.len(), decoded)
            else {
                continue;
            };
            let entry = match senders.get_mut(&tx.signer_address) {
                Some(a) => a,
                None => {
                    let a = snapshot
                        .get(&state_key::account(&tx.signer_address))
                        .ok()
                        .flatten()
                        .and_then(|b| Account::decode(&b))
                        .unwrap_or_default();
                    senders.entry(tx.signer_address).or_insert(a)
                }
            };
            if check::check_against_state(&info.params, &tx, entry, 0).is_err() {
                continue;
            }
            let (Some(left), Some(next_nonce)) = (
                entry.balance.checked_sub(tx.fee),
                entry.nonce.checked_add(1),
            ) else {
                continue;
            };
            entry.nonce = next_nonce;
            entry.balance = left;
            if let Body::Transfer { amount, .. } = &tx.body {
                if let Some(left) = entry.balance.checked_sub(*amount) {
                    entry.balance = left;
                }
            }
            used += bytes.len();
            out.push(bytes);
        }
        out
    }

    fn verify(&self, block: &Block) -> Result<(), BlockReject> {
        let total: usize = block.txs.iter().map(|t| t.len()).sum();
        if let Some(info) = &self.info {
            if total > info.params.max_block_bytes as usize {
                return Err(BlockReject::TooLarge(total));
            }
        }
        if Block::tx_root(&block.txs) != block.header.tx_root {
            return Err(BlockReject::BadTxRoot);
        }
        Ok(())
    }

    fn execute(&mut self, block: &Block) -> Result<Outcome, BlockReject> {
        use rayon::prelude::*;
        self.verify(block)?;
        let info = self.check_header(block)?.clone();
        let height = block.header.height;
        let beacon = self.check_beacon(&info, block)?;

        // Stateless work in parallel: decoding, then signatures not verified on admission.
        let decoded: Vec<Result<SignedTx, TxError>> =
            block.txs.par_iter().map(|b| SignedTx::decode(b)).collect();
        let unverified: Vec<&SignedTx> = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok())
            .filter(|t| !self.sigs.contains(&t.hash))
            .collect();
        let verdicts = SignedTx::verify_many(&unverified);
        let mut bad_sigs = std::collections::BTreeSet::new();
        for (tx, v) in unverified.iter().zip(verdicts) {
            if v.is_err() {
                bad_sigs.insert(tx.hash);
            }
        }

        self.last_senders = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok())
            .map(|t| t.signer_address)
            .collect();

        let snapshot = self.store.snapshot()?;
        let mut state = StateOverlay::new(&snapshot);
        let mut results = Vec::with_capacity(block.txs.len());
        let mut aux = Vec::new();
        let mut fees = Amount::ZERO;
        let mut charged_count = 0u64;
        for (index, (raw, dec)) in block.txs.iter().zip(decoded).enumerate() {
            let hash = match &dec {
                Ok(t) => t.hash,
                Err(_) => Hash::of(raw),
            };
            let sig_ok = !bad_sigs.contains(&hash);
            let (result, charged) =
                self.execute_tx(&info, &mut state, height, dec, sig_ok, raw.len(), hash)?;
            if charged {
                charged_count += 1;
                fees = fees
                    .checked_add(result.fee)
                    .ok_or_else(|| StoreError::Corrupt("fees exceed the largest amount".into()))?;
                let record = CommittedTx {
                    height,
                    index: index as u32,
                    result: result.clone(),
                };
                aux.push((state_key::tx_result(&hash), record.encode()));
            }
            results.push(result);
        }
        if fees > Amount::ZERO {
            let pool = fee_pool_address();
            let mut acct = state.account(&pool)?;
            acct.balance = acct
                .balance
                .checked_add(fees)
                .ok_or_else(|| StoreError::Corrupt("fee pool exceeds the largest amount".into()))?;
            state.set_account(&pool, acct);
        }
        state.set(
            state_key::last_block(),
            last_block_value(height, block.header.time_ms),
        );
        let before = state.get_u64(&state_key::txs_committed())?;
        state.set_u64(state_key::txs_committed(), before + charged_count);
        state.keep();
        if let Some(BeaconCommitment::HashChain { .. }) = &info.beacon {
            state.set(state_key::beacon_reveal(), block.header.beacon.clone());
        }
        crate::end_block::end_block(&mut state, &info, height, &beacon)?;
        state.keep();
        let (reads, read_bytes) = state.reads();
        let changes = state.into_changes();
        self.last_work = BlockWork {
            reads,
            read_bytes,
            writes: changes.len() as u64,
            written_bytes: changes
                .iter()
                .map(|(k, v)| (k.len() + v.as_ref().map_or(0, Vec::len)) as u64)
                .sum(),
        };
        let version = self.store.stage(height, &changes)?;
        let app_hash = version.root;
        self.staged = Some(StagedBlock { version, aux });
        Ok(Outcome {
            height,
            app_hash,
            results,
        })
    }

    fn commit(&mut self) -> Result<u64, StoreError> {
        let Some(staged) = self.staged.take() else {
            return Ok(self.committed.0);
        };
        let height = staged.version.version;
        let root = staged.version.root;
        self.store.commit(staged.version, &staged.aux)?;
        self.committed = (height, root);
        Ok(height)
    }
}

fn last_block_value(height: u64, time_ms: u64) -> Vec<u8> {
    let mut v = height.to_be_bytes().to_vec();
    v.extend_from_slice(&time_ms.to_be_bytes());
    v
}
