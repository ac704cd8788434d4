//! Signed transfers for the benchmarks, and the solo driver that commits them as fast as they
//! come.

use plexus_chain::{Chain, SoloConfig};
use plexus_ledger::{Genesis, GenesisAccount, Params};
use plexus_types::{Address, Amount, Body, SecretKey, SignedTx, UnsignedTx};
use rayon::prelude::*;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Runs the solo block producer on its own thread until `stop` is set: a block as soon as
/// transactions wait, as benchmarks want.
/// A benchmark chain's genesis: `params`, the default device classes, no validators (solo),
/// and 1 000 000 PLX in each of `addrs`.
pub fn bench_genesis(chain_id: &str, params: Params, addrs: &[Address]) -> Genesis {
    Genesis {
        chain_id: chain_id.into(),
        genesis_time_ms: 0,
        params,
        rewards: Default::default(),
        oracles: Default::default(),
        device_classes: plexus_ledger::default_device_classes(),
        validators: Vec::new(),
        beacon: None,
        staking: Default::default(),
        wireless: Default::default(),
        data_credits: Default::default(),
        data_market: Default::default(),
        accounts: addrs
            .iter()
            .map(|a| GenesisAccount {
                address: *a,
                balance: Amount::plx(1_000_000),
            })
            .collect(),
    }
}

pub fn start_solo(
    chain: &Arc<Chain>,
    stop: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<(), plexus_chain::ChainError>> {
    let (chain, stop) = (chain.clone(), stop.clone());
    std::thread::spawn(move || {
        chain.run_solo(
            &SoloConfig {
                block_ms: 1_000,
                min_block_ms: 0,
                proposer: Address([0; 20]),
            },
            &stop,
        )
    })
}

/// Funded accounts and the signed transfers they send.
pub struct BenchTransfers {
    pub addrs: Vec<Address>,
    pub signed: Vec<SignedTx>,
}

/// `txs` signed transfers of 1 uplx from `accounts` accounts in turn (keys derived from `tag`
/// and the account's index), each to another of them, with consecutive nonces per sender.
pub fn bench_transfers(
    chain_id: &str,
    tag: u8,
    txs: usize,
    accounts: usize,
) -> anyhow::Result<BenchTransfers> {
    anyhow::ensure!(accounts >= 2, "--accounts must be at least 2");
    anyhow::ensure!(txs >= 1, "--txs must be at least 1");
    let keys: Vec<SecretKey> = (0..accounts)
        .into_par_iter()
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            seed[8] = tag;
            SecretKey::from_seed(seed)
        })
        .collect();
    let addrs: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let fee = Params::default().min_fee;
    let signed: Vec<SignedTx> = (0..txs)
        .into_par_iter()
        .map(|n| {
            let from = n % accounts;
            let round = (n / accounts) as u64;
            UnsignedTx {
                chain_id: chain_id.into(),
                nonce: round,
                fee,
                body: Body::Transfer {
                    to: addrs[(from + 1 + round as usize) % accounts],
                    amount: Amount(1),
                },
            }
            .sign(&keys[from])
        })
        .collect();
    Ok(BenchTransfers { addrs, signed })
}
