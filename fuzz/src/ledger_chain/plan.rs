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
    /// A nonce the signer used before this block (the largest nonce on a fresh account).
    UsedNonce,
    /// A nonce past the signer's next one in this block.
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

/// An id where an action names an object: any value, not only one the chain holds.
pub type RawId = u64;

/// Which epoch a manifest, claim or audit names, relative to the last ended epoch.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum EpochChoice {
    Back(u8),
    /// The epoch in progress.
    Current,
    Max,
    Zero,
}

/// One transaction body of each kind. Each is valid by default (small picks among keys and
/// the chain's objects, sensible numbers), and at most one `twist` makes it hostile.
#[derive(Debug, Arbitrary)]
pub enum Action {
    Transfer {
        to: u8,
        amount: u16,
        twist: Option<Amt>,
    },
    Register {
        device: u8,
        class: u8,
        twist: Option<RegisterTwist>,
    },
    UpdateDevice {
        device: u8,
        cpu_cores: u8,
        /// Another H3 cell than a valid one.
        twist: Option<u64>,
    },
    Retire {
        device: u8,
    },
    WithdrawStake {
        device: u8,
    },
    Manifest {
        oracle: u8,
        /// How many epochs before the last ended one (of the last two).
        back: bool,
        resource: u8,
        /// Which manifest the oracle votes for: nearly always the one the others vote for.
        variant: u8,
        twist: Option<ManifestTwist>,
    },
    Claim {
        device: u8,
        back: bool,
        resource: u8,
        variant: u8,
        twist: Option<ManifestTwist>,
    },
    Fraud {
        device: u8,
        /// The device's committed product is really wrong.
        wrong: bool,
        /// The challenge size the proof claims, other than the one it was made for.
        twist: Option<u32>,
    },
    Deal {
        blob: u8,
        replicas: u8,
        epochs: u8,
        price: u16,
        twist: Option<DealTwist>,
    },
    Audit {
        oracle: u8,
        deal: u8,
        replica: u8,
        twist: Option<AuditTwist>,
    },
    CreateTask {
        coordinator: u8,
        rounds: u8,
        budget: u16,
        twist: Option<TaskTwist>,
    },
    Join {
        task: u8,
        twist: Option<RawId>,
    },
    Round {
        task: u8,
        scores: Vec<(u8, u8)>,
        twist: Option<RoundTwist>,
    },
    Cancel {
        task: u8,
        twist: Option<RawId>,
    },
    Order {
        inference: bool,
        replicas: u8,
        duration: u8,
        sample_per_mille: u16,
        deposit: u16,
        twist: Option<OrderTwist>,
    },
    Bid {
        order: u8,
        device: u8,
        price: u8,
        twist: Option<BidTwist>,
    },
    CloseBid {
        bid: u8,
        twist: Option<RawId>,
    },
    /// A provider seals its result.
    Result {
        lease: u8,
        output: bool,
        twist: Option<ResultTwist>,
    },
    /// A provider reveals a sealed result (with the output it sealed, or another).
    Reveal {
        lease: u8,
        output: bool,
        twist: Option<ResultTwist>,
    },
    WithdrawLease {
        lease: u8,
        twist: Option<RawId>,
    },
    CloseLease {
        lease: u8,
        twist: Option<RawId>,
    },
    CloseOrder {
        order: u8,
        twist: Option<RawId>,
    },
}

#[derive(Debug, Clone, Arbitrary)]
pub enum RegisterTwist {
    Stake(Amt),
    Cell(u64),
    /// Signed by another device's key.
    OtherDeviceSignature,
    Class(u8),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum ManifestTwist {
    Epoch(EpochChoice),
    /// A resource by any name, or by none.
    Resource(u8),
    /// A manifest's total, or a claim's units, other than the leaves hold.
    Units(Amt),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum DealTwist {
    Size(Num),
    Replicas(Num),
    Epochs(Num),
    Price(Amt),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum AuditTwist {
    Epoch(EpochChoice),
    Deal(RawId),
    /// Several failures, each a deal (any id) and a replica pick.
    Failures(Vec<(RawId, u8)>),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum TaskTwist {
    Rounds(Num),
    MinParticipants(Num),
    Budget(Amt),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum RoundTwist {
    Task(RawId),
    /// Added to the next round's number.
    Skew(Num),
    /// The scores as drawn: unsorted, participants repeated.
    Unsorted,
    Score(Num),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum OrderTwist {
    MaxPrice(Amt),
    Duration(Num),
    Replicas(Num),
    Sample(Num),
    Deposit(Amt),
    CpuCores(u32),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum BidTwist {
    Order(RawId),
    Price(Amt),
    Deposit(Amt),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum ResultTwist {
    Lease(RawId),
    /// Names these leases (picks among the chain's) as the ones it agrees with.
    AgreesWith(Vec<u8>),
}
