//! What the fuzzer's bytes decode to: blocks of planned transactions, one variant per kind of
//! transaction body. Objects are named by small picks among the keys and the objects the chain
//! holds, so that many plans are valid; every number can also take a hostile value (zero, the
//! largest value, any raw value), and every transaction can carry a wrong nonce, a wrong fee,
//! a broken signature or no valid encoding at all.

use arbitrary::Arbitrary;

/// A log of blocks.
#[derive(Debug, Arbitrary)]
pub struct Plan {
    pub blocks: Vec<BlockPlan>,
}

#[derive(Debug, Arbitrary)]
pub struct BlockPlan {
    /// Empty blocks before this one (modulo a small bound), so that epochs end and bid
    /// windows close.
    pub empty_before: u8,
    pub time: BlockTime,
    pub txs: Vec<TxPlan>,
}

/// The block's timestamp: the ledger takes any, consensus decides which.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum BlockTime {
    OneSecondPerBlock,
    Zero,
    Max,
}

#[derive(Debug, Arbitrary)]
pub struct TxPlan {
    /// Who signs: `None` for whoever the action belongs to (the device's owner, the lease's
    /// provider...), otherwise a pick among every key of the chain.
    pub signer: Option<u8>,
    /// `None`: the signer's next nonce, the minimum fee and a good signature.
    pub hostile: Option<Hostile>,
    pub action: Action,
}

/// What is wrong with a transaction besides its body.
#[derive(Debug, Clone, Arbitrary)]
pub enum Hostile {
    /// The nonce before the signer's next one (wrapping below zero).
    UsedNonce,
    /// A nonce past the signer's next one.
    FutureNonce,
    MaxNonce,
    FeeBelowMinimum,
    /// This fee instead of the minimum: refused below it, charged above.
    Fee(Amt),
    /// A bit of the signature flipped.
    BadSignature,
    /// Signed for another chain.
    OtherChain,
    /// Cut short by this many bytes (at least one).
    Truncated(u8),
    /// These bytes instead of a transaction.
    Garbage(Vec<u8>),
}

/// An amount: small, in whole tokens, or hostile.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Amt {
    Units(u16),
    Tokens(u16),
    Zero,
    Max,
    /// A sixteenth of the largest amount: what the whale can pay, many times over.
    Huge,
    Raw(u128),
}

impl Amt {
    pub fn value(self) -> u128 {
        match self {
            Amt::Units(u) => u as u128,
            Amt::Tokens(t) => t as u128 * 1_000_000,
            Amt::Zero => 0,
            Amt::Max => u128::MAX,
            Amt::Huge => u128::MAX / 16,
            Amt::Raw(r) => r,
        }
    }
}

/// A count, a height or an epoch count: small or hostile.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Num {
    Small(u8),
    Zero,
    Max,
    Raw(u64),
}

impl Num {
    pub fn value(self) -> u64 {
        match self {
            Num::Small(s) => s as u64,
            Num::Zero => 0,
            Num::Max => u64::MAX,
            Num::Raw(r) => r,
        }
    }

    /// The same choice as a `u32`, where the field is one.
    pub fn value32(self) -> u32 {
        match self {
            Num::Max => u32::MAX,
            Num::Raw(r) => r as u32,
            other => other.value() as u32,
        }
    }
}

/// Which object an action names: one the chain holds (or the next id, which does not exist
/// yet), or any id.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Id {
    Pick(u8),
    Raw(u64),
}

/// Which epoch a manifest, claim or audit names, relative to the last ended epoch.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum EpochChoice {
    Last,
    Back(u8),
    /// The epoch in progress.
    Current,
    Max,
    Zero,
}

#[derive(Debug, Arbitrary)]
pub enum Action {
    Transfer {
        to: u8,
        amount: Amt,
    },
    Register {
        device: u8,
        class: u8,
        stake: Amt,
        cell: CellChoice,
        /// Signed by another device's key.
        wrong_device_signature: bool,
    },
    UpdateDevice {
        device: u8,
        cpu_cores: u8,
        cell: CellChoice,
    },
    Retire {
        device: u8,
    },
    WithdrawStake {
        device: u8,
    },
    Manifest {
        oracle: u8,
        epoch: EpochChoice,
        resource: u8,
        variant: u8,
        /// Claims a total other than the leaves' sum.
        total_units: Option<Amt>,
    },
    Claim {
        device: u8,
        epoch: EpochChoice,
        resource: u8,
        variant: u8,
        /// Claims other units than the leaf holds.
        units: Option<Amt>,
    },
    Fraud {
        device: u8,
        /// The device's committed product is really wrong.
        wrong: bool,
        n: FraudSize,
    },
    Deal {
        blob: u8,
        size: Num,
        replicas: Num,
        epochs: Num,
        price: Amt,
    },
    Audit {
        oracle: u8,
        epoch: EpochChoice,
        failures: Vec<(Id, u8)>,
    },
    CreateTask {
        coordinator: u8,
        rounds: Num,
        min_participants: Num,
        budget: Amt,
    },
    Join {
        task: Id,
    },
    Round {
        task: Id,
        /// Added to the next round's number (none: the next round).
        skew: Option<Num>,
        scores: Vec<(u8, Num)>,
        /// Leaves the scores as drawn (unsorted, repeated participants).
        unsorted: bool,
    },
    Cancel {
        task: Id,
    },
    Order {
        inference: bool,
        cpu_cores: u8,
        max_price: Amt,
        duration: Num,
        replicas: Num,
        sample_per_mille: Num,
        deposit: Amt,
    },
    Bid {
        order: Id,
        device: u8,
        price: Amt,
        deposit: Amt,
    },
    CloseBid {
        bid: Id,
    },
    Result {
        lease: Id,
        output: u8,
        agrees_with: Vec<Id>,
    },
    WithdrawLease {
        lease: Id,
    },
    CloseLease {
        lease: Id,
    },
    CloseOrder {
        order: Id,
    },
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum CellChoice {
    Valid,
    Zero,
    Raw(u64),
}

/// The challenge size a fraud proof names.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum FraudSize {
    Four,
    Eight,
    /// The size the proof was made for, claimed as this one.
    Claimed(u32),
}
