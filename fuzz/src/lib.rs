//! Support for the fuzz targets that need more than a byte string: a small chain on which
//! random sequences of transactions run (`ledger_chain`).

pub mod ledger_chain;
