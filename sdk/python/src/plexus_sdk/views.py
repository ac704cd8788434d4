"""Typed answers of the node's HTTP API. Field names are the JSON's (`class` is `class_`);
amounts, which the JSON carries as decimal strings, are ints of uplx. Every view keeps the
whole JSON object it was read from in `raw`, so fields added by newer nodes stay readable."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

_RENAMED = {"class_": "class"}


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        return [args[0].from_json(v) for v in value]
    if dataclasses.is_dataclass(hint):
        return hint.from_json(value)
    if hint is int and isinstance(value, str):
        return int(value)
    return value


class _View:
    @classmethod
    def from_json(cls, data: dict) -> Any:
        hints = typing.get_type_hints(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name == "raw":
                continue
            key = _RENAMED.get(f.name, f.name)
            if key in data:
                values[f.name] = _convert(hints[f.name], data[key])
        return cls(**values, raw=data)


@dataclass
class StatusView(_View):
    chain_id: str = ""
    height: int = 0
    app_hash: str = ""
    last_block_time_ms: int = 0
    txs_committed: int = 0
    mempool_size: int = 0
    min_fee: int = 0
    devices: int = 0
    version: str = ""
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class AccountView(_View):
    address: str = ""
    balance: int = 0
    nonce: int = 0
    #: The nonce past this account's transactions in the node's mempool.
    pending_nonce: int = 0
    exists: bool = False
    height: int = 0
    app_hash: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def next_nonce(self) -> int:
        """The nonce the next transaction must carry: past the committed and pending ones."""
        return max(self.nonce, self.pending_nonce)


@dataclass
class SubmittedView(_View):
    hash: str = ""
    status: str = ""
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class TxStatusView(_View):
    hash: str = ""
    #: `committed`, `pending` or `unknown`.
    status: str = ""
    height: Optional[int] = None
    index: Optional[int] = None
    #: `ok`, or why the committed transaction failed.
    code: Optional[str] = None
    log: Optional[str] = None
    fee: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status == "committed" and self.code in (None, "ok")


@dataclass
class DeviceView(_View):
    key: str = ""
    owner: str = ""
    class_: str = ""
    capabilities: dict = field(default_factory=dict)
    h3_cell: Any = None
    stake: int = 0
    status: Any = None
    registered_epoch: int = 0
    registered_height: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class DevicesView(_View):
    height: int = 0
    devices: list[DeviceView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class RewardsView(_View):
    last_ended_epoch: int = 0
    balanced: bool = False
    minted: int = 0
    paid: int = 0
    claimable: int = 0
    forfeited: int = 0
    dust: int = 0
    expired: int = 0
    slashed_stake: int = 0
    to_validators: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class PoolView(_View):
    epoch: int = 0
    resource: str = ""
    amount: int = 0
    #: Present once enough oracles agreed on the epoch's manifest for this pool.
    manifest: Optional[dict] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class EpochView(_View):
    epoch: dict = field(default_factory=dict)
    pools: list[PoolView] = field(default_factory=list)
    last_ended: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class LeaseView(_View):
    id: int = 0
    order: int = 0
    bid: int = 0
    provider: str = ""
    device: str = ""
    price_per_block: int = 0
    deposit: int = 0
    role: Any = None
    state: Any = None
    started: int = 0
    settled_to: int = 0
    accrued: int = 0
    releasable: int = 0
    released: bool = False
    withdrawn: int = 0
    #: blake3 of the output blob, once revealed.
    output: Optional[str] = None
    agrees_with: list = field(default_factory=list)
    check: Any = None
    sealed: Optional[str] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class OrderView(_View):
    #: The order itself: id, owner, terms, state, escrow, results, paid, fees, refunded.
    order: dict = field(default_factory=dict)
    bids: list = field(default_factory=list)
    leases: list[LeaseView] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def id(self) -> int:
        return int(self.order.get("id", 0))


@dataclass
class OrdersView(_View):
    orders: list[OrderView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class TrainingTaskView(_View):
    id: int = 0
    sponsor: str = ""
    terms: dict = field(default_factory=dict)
    participants: list = field(default_factory=list)
    rounds_done: int = 0
    rounds: list = field(default_factory=list)
    paid: int = 0
    refunded: int = 0
    status: Any = None
    created_height: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class TrainingTasksView(_View):
    tasks: list[TrainingTaskView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class OperatorView(_View):
    """A validator or oracle operator: its bonded tokens, shares, commission and jail."""

    address: str = ""
    kind: str = ""
    id: int = 0
    tokens: int = 0
    shares: str = ""
    commission_bps: int = 0
    consensus_key: Optional[str] = None
    jailed_until: Optional[int] = None
    p2p_address: str = ""
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class OperatorsView(_View):
    height: int = 0
    operators: list[OperatorView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class DelegationView(_View):
    id: int = 0
    delegator: str = ""
    operator: str = ""
    #: What the delegation is worth now, in uplx.
    stake: int = 0
    shares: str = ""
    rewards: int = 0
    withdrawable_rewards: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class DelegationsView(_View):
    height: int = 0
    delegations: list[DelegationView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class UnbondingView(_View):
    id: int = 0
    delegator: str = ""
    operator: str = ""
    amount: int = 0
    epoch: int = 0
    #: The height from which it is paid back.
    matures_at: int = 0
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class UnbondingsView(_View):
    height: int = 0
    unbondings: list[UnbondingView] = field(default_factory=list)
    next: Optional[int] = None
    raw: dict = field(default_factory=dict, repr=False)
