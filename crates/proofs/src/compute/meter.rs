//! Counts of the work the prover and the verifier really do, so that tests can show the
//! verifier's advantage by counting operations on the shipped code paths rather than by timing.

use std::sync::atomic::{AtomicU64, Ordering};

/// Work done, by kind. Counters are bumped once per row or per tree, never per element, so
/// metering does not disturb the hot loops.
#[derive(Debug, Default)]
pub(crate) struct WorkMeter {
    /// Multiply-adds mod p.
    mul_adds: AtomicU64,
    /// Matrix or vector elements drawn from a seed's extendable output.
    derived: AtomicU64,
    /// Elements hashed into row leaves.
    hashed: AtomicU64,
    /// Inner Merkle nodes hashed.
    nodes: AtomicU64,
}

/// A snapshot of a [`WorkMeter`].
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WorkCount {
    pub mul_adds: u64,
    pub derived: u64,
    pub hashed: u64,
    pub nodes: u64,
}

/// Where a code path reports its work: nowhere in production, a meter in tests.
pub(crate) type Meter<'a> = Option<&'a WorkMeter>;

pub(crate) fn mul_adds(meter: Meter<'_>, count: u64) {
    if let Some(m) = meter {
        m.mul_adds.fetch_add(count, Ordering::Relaxed);
    }
}

pub(crate) fn derived(meter: Meter<'_>, count: u64) {
    if let Some(m) = meter {
        m.derived.fetch_add(count, Ordering::Relaxed);
    }
}

pub(crate) fn hashed(meter: Meter<'_>, count: u64) {
    if let Some(m) = meter {
        m.hashed.fetch_add(count, Ordering::Relaxed);
    }
}

pub(crate) fn nodes(meter: Meter<'_>, count: u64) {
    if let Some(m) = meter {
        m.nodes.fetch_add(count, Ordering::Relaxed);
    }
}

impl WorkMeter {
    #[cfg(test)]
    pub(crate) fn count(&self) -> WorkCount {
        WorkCount {
            mul_adds: self.mul_adds.load(Ordering::Relaxed),
            derived: self.derived.load(Ordering::Relaxed),
            hashed: self.hashed.load(Ordering::Relaxed),
            nodes: self.nodes.load(Ordering::Relaxed),
        }
    }
}
