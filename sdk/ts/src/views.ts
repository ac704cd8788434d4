/**
 * Names for the node's JSON views, taken from the types generated from the node's OpenAPI
 * document (src/api-types.ts, `npm run gen:api-types`). Amounts are decimal strings of uplx;
 * read them with `uplx()` to get a bigint.
 */

import type { components } from "./api-types.js";

type S = components["schemas"];

export type StatusView = S["StatusView"];
export type AccountView = S["AccountView"];
export type ChainView = S["ChainView"];
export type SubmittedView = S["SubmittedView"];
export type TxStatusView = S["TxStatusView"];
export type ErrorBody = S["ErrorBody"];
export type DeviceView = S["DeviceView"];
export type DevicesView = S["DevicesView"];
export type EpochView = S["EpochView"];
export type RewardsView = S["RewardsView"];
export type EpochAudit = S["EpochAudit"];
export type OrderView = S["OrderView"];
export type OrdersView = S["OrdersView"];
export type LeaseView = S["LeaseView"];
export type TaskView = S["TaskView"];
export type TasksView = S["TasksView"];
export type RoundsView = S["RoundsView"];
export type BlockView = S["BlockView"];
export type MarketTotalsView = S["MarketTotalsView"];
export type StakingView = S["StakingView"];
export type OperatorView = S["OperatorView"];
export type DelegationsView = S["DelegationsView"];
