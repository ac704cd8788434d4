//! The transaction sender against an in-process node: the nonce comes from the account, the
//! fee and chain id from the node, and waiting ends on a commit, a drop or the clock.

use plexus_client::views::{
    AccountView, BlockView, ChainView, DealView, DeviceView, EpochView, LeaseView, OrderView,
    RewardsView, RoundResultView, StatusView, TaskView, TxStatusView,
};
use plexus_client::{
    ApiFuture, ClientError, Clock, ManualClock, NodeApi, Overrides, SendError, TxSender,
};
use plexus_types::{Address, Amount, Body, Hash, PublicKey, SecretKey, SignedTx};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// What the fake node does with a submitted transaction.
#[derive(Clone, Copy)]
enum Fate {
    /// Committed with this code after this many lookups.
    Commit { after: u32, code: &'static str },
    /// Forgotten: the node answers `unknown`.
    Drop,
    /// Pending for ever.
    Stall,
}

struct FakeNode {
    clock: ManualClock,
    min_fee: Amount,
    fate: Fate,
    state: Mutex<FakeState>,
}

#[derive(Default)]
struct FakeState {
    nonce: u64,
    submitted: Vec<SignedTx>,
    lookups: BTreeMap<Hash, u32>,
}

impl FakeNode {
    fn new(fate: Fate) -> FakeNode {
        FakeNode {
            clock: ManualClock::skipping(Duration::from_secs(1_000)),
            min_fee: Amount(2_500),
            fate,
            state: Mutex::new(FakeState::default()),
        }
    }

    fn submitted(&self) -> Vec<SignedTx> {
        self.state.lock().unwrap().submitted.clone()
    }
}

fn not_here<T>() -> Result<T, ClientError> {
    Err(ClientError::NotHttp {
        service: "node",
        url: "fake".into(),
    })
}

impl NodeApi for FakeNode {
    fn chain_status<'a>(&'a self) -> ApiFuture<'a, Result<StatusView, ClientError>> {
        Box::pin(async move {
            Ok(StatusView {
                chain_id: "plexus-test".into(),
                height: 7,
                app_hash: Hash::of(b"state"),
                last_block_time_ms: 0,
                txs_committed: 0,
                mempool_size: 0,
                min_fee: self.min_fee,
                devices: 0,
                version: "test".into(),
            })
        })
    }

    fn chain_params<'a>(&'a self) -> ApiFuture<'a, Result<ChainView, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn account_of<'a>(
        &'a self,
        address: &'a Address,
    ) -> ApiFuture<'a, Result<AccountView, ClientError>> {
        Box::pin(async move {
            Ok(AccountView {
                address: *address,
                balance: Amount(1_000_000),
                nonce: self.state.lock().unwrap().nonce,
                pending_nonce: 0,
                exists: true,
                height: 7,
                app_hash: Hash::of(b"state"),
                proof: String::new(),
            })
        })
    }

    fn block<'a>(&'a self, _height: u64) -> ApiFuture<'a, Result<BlockView, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn devices<'a>(&'a self) -> ApiFuture<'a, Result<Vec<DeviceView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn device_changes(
        &self,
        _after: u64,
    ) -> ApiFuture<'_, Result<plexus_client::views::DeviceChangesView, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn device<'a>(
        &'a self,
        _key: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<DeviceView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn epoch<'a>(&'a self, _epoch: u64) -> ApiFuture<'a, Result<Option<EpochView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn rewards<'a>(&'a self) -> ApiFuture<'a, Result<RewardsView, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn deals_of<'a>(
        &'a self,
        _device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn open_deals<'a>(&'a self) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn training_tasks<'a>(&'a self) -> ApiFuture<'a, Result<Vec<TaskView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn training_rounds(&self, _: u64) -> ApiFuture<'_, Result<Vec<RoundResultView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn live_orders<'a>(&'a self) -> ApiFuture<'a, Result<Vec<OrderView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn lease<'a>(&'a self, _id: u64) -> ApiFuture<'a, Result<Option<LeaseView>, ClientError>> {
        Box::pin(async move { not_here() })
    }

    fn submit_tx<'a>(&'a self, tx: &'a SignedTx) -> ApiFuture<'a, Result<Hash, ClientError>> {
        Box::pin(async move {
            self.state.lock().unwrap().submitted.push(tx.clone());
            Ok(tx.hash)
        })
    }

    fn tx_status<'a>(&'a self, hash: &'a Hash) -> ApiFuture<'a, Result<TxStatusView, ClientError>> {
        Box::pin(async move {
            let mut state = self.state.lock().unwrap();
            let lookups = state.lookups.entry(*hash).or_default();
            *lookups += 1;
            let lookups = *lookups;
            let mut view = TxStatusView {
                hash: *hash,
                status: "pending".into(),
                height: None,
                index: None,
                code: None,
                log: None,
                fee: None,
            };
            match self.fate {
                Fate::Commit { after, code } if lookups >= after => {
                    state.nonce += 1;
                    view.status = "committed".into();
                    view.height = Some(8);
                    view.index = Some(0);
                    view.code = Some(code.into());
                    view.log = Some(if code == "ok" { "" } else { "not enough" }.into());
                }
                Fate::Drop => view.status = "unknown".into(),
                _ => {}
            }
            Ok(view)
        })
    }
}

fn transfer() -> Body {
    Body::Transfer {
        to: Address::from_public_key(&SecretKey::from_seed([9; 32]).public_key()),
        amount: Amount(5),
    }
}

fn sender(fate: Fate) -> TxSender<FakeNode, ManualClock> {
    let node = FakeNode::new(fate);
    let clock = node.clock.clone();
    TxSender::with_clock(node, SecretKey::from_seed([1; 32]), clock)
}

#[tokio::test]
async fn a_sent_transaction_carries_the_accounts_nonce_and_the_chains_minimum_fee() {
    let sender = sender(Fate::Commit {
        after: 3,
        code: "ok",
    });
    let first = sender.send_ok(transfer()).await.unwrap();
    let second = sender.send_ok(transfer()).await.unwrap();
    assert_eq!(first.height, 8);
    assert!(first.succeeded() && second.succeeded());
    let sent = sender.node().submitted();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].nonce, sent[1].nonce), (0, 1));
    assert!(sent.iter().all(|tx| tx.fee == Amount(2_500)));
    assert!(sent.iter().all(|tx| tx.chain_id == "plexus-test"));
    assert!(sent.iter().all(|tx| tx.signer_address == sender.address()));
}

#[tokio::test]
async fn overrides_replace_the_nonce_and_the_fee() {
    let sender = sender(Fate::Commit {
        after: 1,
        code: "ok",
    });
    let overrides = Overrides {
        nonce: Some(41),
        fee: Some(Amount(9_999)),
    };
    sender.send_with(transfer(), &overrides).await.unwrap();
    let sent = sender.node().submitted();
    assert_eq!((sent[0].nonce, sent[0].fee), (41, Amount(9_999)));
}

#[tokio::test]
async fn a_transaction_committed_with_a_failure_code_is_an_answer_or_an_error_on_request() {
    let sender = sender(Fate::Commit {
        after: 1,
        code: "insufficient_funds",
    });
    let committed = sender.send(transfer()).await.unwrap();
    assert!(!committed.succeeded());
    assert_eq!(committed.code, "insufficient_funds");
    match sender.send_ok(transfer()).await {
        Err(SendError::Failed { code, log, .. }) => {
            assert_eq!(
                (code.as_str(), log.as_str()),
                ("insufficient_funds", "not enough")
            )
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_transaction_the_node_forgets_is_reported_dropped() {
    let sender = sender(Fate::Drop);
    assert!(matches!(
        sender.send(transfer()).await,
        Err(SendError::Dropped { .. })
    ));
}

#[tokio::test]
async fn waiting_ends_when_the_senders_clock_passes_the_timeout() {
    let sender = sender(Fate::Stall).commit_timeout(Duration::from_secs(5));
    let started = sender.node().clock.now();
    match sender.send(transfer()).await {
        Err(SendError::Timeout { timeout, .. }) => assert_eq!(timeout, Duration::from_secs(5)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let waited = sender.node().clock.now() - started;
    assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(6));
}
