//! The node API's JSON views as serde types: what `/v1/…` answers, declared once for the node
//! that writes them and for every program that reads them.
//!
//! Views of chain records (devices, deals, tasks, the chain's parameters) mirror the ledger's
//! records field for field, so a view read from the node writes back the same JSON. Views a
//! reader takes only part of (orders, leases, epochs) say so in their doc comment.

mod chain;
mod data_credits;
mod data_market;
mod market;
mod node;
mod registry;
mod rewards;
#[cfg(feature = "openapi")]
pub mod schema;
mod staking;
mod storage;
mod training;

pub use chain::{
    BeaconCommitmentView, ChainView, DeviceClassView, LocationRuleView, OracleSetView, ParamsView,
    ResourceClass, RewardParamsView, WirelessParamsView,
};
pub use data_credits::{
    CarrierUsageView, DataCreditParamsView, DataCreditsView, DataPoolView, EpochDataSummaryView,
    EpochDataView, HotspotDataView,
};
pub use data_market::{
    DataMarketParamsView, DataMarketTotalsView, DataPaidView, DataSaleView, DataSetView,
    DataSetsView,
};
pub use market::{
    BidState, BidView, CheckView, LeaseCloseReason, LeaseView, OrderCloseReason, OrderHead,
    OrderState, OrderView, OrdersView, RoleView, StateView,
};
pub use node::{AccountView, BeaconView, BlockView, StatusView, SubmittedView, TxStatusView};
pub use registry::{
    CoverageView, DeviceChangesView, DeviceStatusView, DeviceView, DevicesView, LocationView,
};
pub use rewards::{EpochView, PoolView, RewardsView};
pub use staking::{
    DelegationView, DelegationsView, OperatorKindView, OperatorView, OperatorsView, SetMemberView,
    StakingParamsView, StakingView, UnbondingView, UnbondingsView, ValidatorSetView,
};
pub use storage::{
    AssignedReplicaView, DealStatusView, DealView, DealsView, FailedReplicaView, HandoverView,
};
pub use training::{
    ParticipantView, RoundResultView, RoundShareView, RoundsView, TaskStatusView, TaskView,
    TasksView,
};
