//! Market helpers: providers with devices, orders, bids, results and the escrow accounting
//! check, for the market's tests.

use super::*;
use plexus_ledger::market::{BID_WINDOW_BLOCKS, MIN_BID_DEPOSIT};
use plexus_ledger::{module_account, query};
use plexus_types::{Hash, JobResult, JobRuntime, OrderTerms};

pub const STAKE: u128 = 100_000_000;

/// A job result sealed through the harness and not yet revealed.
pub struct SealedResult {
    pub provider: SecretKey,
    pub result: JobResult,
}

/// `provider`'s result for `lease`, with the harness's salt.
pub fn sealed_result(
    provider: &SecretKey,
    lease: u64,
    output: &[u8],
    agrees: Vec<u64>,
) -> SealedResult {
    SealedResult {
        provider: provider.clone(),
        result: JobResult {
            lease,
            output: Hash::of(output),
            agrees_with: agrees,
            salt: Hash::of(&lease.to_be_bytes()),
        },
    }
}

pub fn device(i: u8) -> SecretKey {
    key(100 + i)
}

impl Net {
    /// Registers provider `i`'s device with 4 cores and 8 GiB.
    pub fn register_provider(&mut self, owner: &SecretKey, i: u8) {
        let capabilities = Capabilities {
            cpu_cores: 4,
            memory_mb: 8192,
            ..Capabilities::default()
        };
        let body = register_body(owner, &device(i), "cpu-small", capabilities, STAKE);
        assert_eq!(self.send(owner, body), TxCode::Ok);
    }

    pub fn order(&self, id: u64) -> plexus_ledger::market::Order {
        query::market_order(self.ledger.store(), id)
            .unwrap()
            .unwrap()
    }

    pub fn lease(&self, id: u64) -> plexus_ledger::market::Lease {
        query::market_lease(self.ledger.store(), id)
            .unwrap()
            .unwrap()
    }

    pub fn bid(&mut self, provider: &SecretKey, i: u8, order: u64, price: u128) -> TxCode {
        self.send(
            provider,
            Body::PlaceBid {
                order,
                device: device(i).public_key(),
                price_per_block: Amount(price),
                deposit: MIN_BID_DEPOSIT,
            },
        )
    }

    /// A provider's result: sealed, then revealed (one block each round) for as long as the
    /// ledger asks for sealed results at once. A run's result is asked for only after a
    /// later block's draw: [`Net::empty_blocks`] reveals it then.
    pub fn result(
        &mut self,
        provider: &SecretKey,
        lease: u64,
        output: &[u8],
        agrees: Vec<u64>,
    ) -> TxCode {
        let code = self.seal(provider, lease, output, agrees);
        if code == TxCode::Ok {
            loop {
                let reveals = self.asked_reveals();
                if reveals.is_empty() {
                    break;
                }
                run_block(&mut self.ledger, reveals);
            }
        }
        code
    }

    /// Seals `output` for `lease` as `provider`; the harness reveals it, saying it agrees
    /// with `agrees`, when the ledger asks.
    pub fn seal(
        &mut self,
        provider: &SecretKey,
        lease: u64,
        output: &[u8],
        agrees: Vec<u64>,
    ) -> TxCode {
        let tx = self.seal_tx(provider, lease, output, agrees);
        let result = run_block(&mut self.ledger, vec![tx]).results.remove(0);
        if result.fee == Amount::ZERO {
            // Refused before execution: the nonce was not taken.
            if let Some(n) = self.nonces.get_mut(&addr(provider)) {
                *n -= 1;
            }
        }
        if result.code != TxCode::Ok {
            self.sealed.remove(&lease);
        }
        result.code
    }

    /// A signed seal of `output` for `lease`, to run in a block of the caller's; the harness
    /// reveals it when the ledger asks.
    pub fn seal_tx(
        &mut self,
        provider: &SecretKey,
        lease: u64,
        output: &[u8],
        agrees: Vec<u64>,
    ) -> Vec<u8> {
        let result = sealed_result(provider, lease, output, agrees);
        let seal = result.result.seal(&addr(provider));
        self.sealed.insert(lease, result);
        self.signed(provider, Body::SealJobResult { lease, seal })
    }

    /// Signed reveals of the sealed results the ledger now asks for, forgotten by the
    /// harness.
    pub fn asked_reveals(&mut self) -> Vec<Vec<u8>> {
        let asked: Vec<u64> = self
            .sealed
            .keys()
            .copied()
            .filter(|l| {
                let lease = self.lease(*l);
                lease.awaits_reveal() && lease.reveal_from > 0
            })
            .collect();
        asked
            .into_iter()
            .map(|l| {
                let sealed = self.sealed.remove(&l).expect("listed");
                self.signed(&sealed.provider, Body::SubmitJobResult(sealed.result))
            })
            .collect()
    }

    pub fn accounting_balances(&self) {
        let acct = query::market_totals(self.ledger.store()).unwrap();
        assert!(acct.balances(), "market accounting: {acct:?}");
        assert_eq!(
            self.balance(&module_account::market_escrow()),
            acct.balance.0
        );
    }
}

pub fn terms(runtime: JobRuntime, deposit: u128, duration: u64, sample: u32) -> OrderTerms {
    OrderTerms {
        spec: Hash::of(b"spec"),
        runtime,
        resources: Capabilities {
            cpu_cores: 2,
            memory_mb: 1024,
            ..Capabilities::default()
        },
        max_price_per_block: Amount(1_000),
        duration_blocks: duration,
        replicas: 1,
        sample_per_mille: sample,
        deposit: Amount(deposit),
    }
}

/// Consumer key 1, providers keys 2.. with device i for provider index i.
pub fn setup(providers: u8) -> (Net, SecretKey, Vec<SecretKey>) {
    let consumer = key(1);
    let ps: Vec<SecretKey> = (0..providers).map(|i| key(2 + i)).collect();
    let mut all: Vec<&SecretKey> = vec![&consumer];
    all.extend(ps.iter());
    let mut net = Net::funded(&all);
    for (i, p) in ps.iter().enumerate() {
        net.register_provider(p, i as u8);
    }
    (net, consumer, ps)
}

/// Lease ids of the order's leases in `role`-order.
pub fn leases_of(net: &Net, order: u64) -> Vec<plexus_ledger::market::Lease> {
    net.order(order)
        .leases
        .iter()
        .map(|l| net.lease(*l))
        .collect()
}

/// Runs one WASM order to the end with honest providers `a` (run) and `b` (verifier).
pub fn confirm_once(net: &mut Net, consumer: &SecretKey, ps: &[SecretKey], a: usize, b: usize) {
    let id = query::market_orders(net.ledger.store(), 0, 10_000)
        .unwrap()
        .len() as u64;
    assert_eq!(
        net.send(
            consumer,
            Body::CreateOrder(terms(JobRuntime::Wasm, 100_000, 20, 1000))
        ),
        TxCode::Ok
    );
    assert_eq!(net.bid(&ps[a], a as u8, id, 100), TxCode::Ok);
    assert_eq!(net.bid(&ps[b], b as u8, id, 200), TxCode::Ok);
    net.empty_blocks(BID_WINDOW_BLOCKS);
    let run = leases_of(net, id)[0].id;
    assert_eq!(net.result(&ps[a], run, b"x", vec![]), TxCode::Ok);
    net.empty_blocks(1);
    let ver = leases_of(net, id)[1].id;
    assert_eq!(net.result(&ps[b], ver, b"x", vec![]), TxCode::Ok);
    assert!(net.order(id).is_closed());
}
