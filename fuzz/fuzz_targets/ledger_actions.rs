//! Random sequences of every kind of transaction, valid and hostile, run against a ledger
//! block by block. No transaction may abort its block or panic the ledger, and after every
//! block the supply is conserved and every component's books balance (the invariants are
//! listed in `plexus_fuzz::ledger_chain`).
//!
//! With `LEDGER_ACTIONS_STATS` set, each input prints how many transactions of each kind
//! succeeded, to check that the fuzzer reaches every component.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plexus_fuzz::ledger_chain::plan::Plan;
use plexus_fuzz::ledger_chain::Chain;

fuzz_target!(|plan: Plan| {
    let mut chain = Chain::new();
    let stats = std::env::var_os("LEDGER_ACTIONS_STATS").is_some();
    chain.run_plan(&plan, stats);
});
