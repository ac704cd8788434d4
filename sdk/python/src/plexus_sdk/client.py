"""A client for a Plexus node's HTTP API (`/v1`): queries, and signing, submitting and
waiting for transactions the way the Rust client does (crates/client/src/sender.rs)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

from . import tx as txs
from .amount import uplx
from .errors import NodeError, PlexusError, TxDropped, TxFailed, TxRefused, TxTimeout
from .keys import Address, Key
from .views import (AccountView, DelegationsView, DevicesView, DeviceView, EpochView, LeaseView, OrdersView,
                    OperatorsView, OperatorView, OrderView, RewardsView, StatusView, SubmittedView, TrainingTasksView,
                    TrainingTaskView, TxStatusView, UnbondingsView)

#: How long `send` waits for a commit unless told otherwise, in seconds.
DEFAULT_COMMIT_TIMEOUT_S = 30.0
_POLL_S = 0.1


class Client:
    """One node's API. `url` is its base, for example `http://127.0.0.1:26650`."""

    def __init__(self, url: str, timeout_s: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise PlexusError(f"node URL {url!r}: expected http://host:port or https://…")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    # --- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Optional[bytes] = None,
                 content_type: str = "application/json", params: Optional[dict] = None,
                 not_found_is_an_answer: bool = False) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code == 404 and not_found_is_an_answer:
                return json.loads(e.read())
            raise _node_error(e, f"{method} {path}") from None
        except urllib.error.URLError as e:
            raise PlexusError(f"cannot reach the node at {self.url}: {e.reason}") from None

    def get(self, path: str, **params: Any) -> Any:
        """Any `GET` of the API, as parsed JSON."""
        return self._request("GET", path, params=params)

    def post(self, path: str, document: Any) -> Any:
        """Any JSON `POST` of the API, as parsed JSON."""
        return self._request("POST", path, json.dumps(document).encode())

    # --- queries --------------------------------------------------------------------------

    def status(self) -> StatusView:
        return StatusView.from_json(self.get("/v1/status"))

    def chain(self) -> dict:
        """The chain's parameters, oracle set and device classes (`GET /v1/chain`)."""
        return self.get("/v1/chain")

    def account(self, address: "Address | str") -> AccountView:
        return AccountView.from_json(self.get(f"/v1/accounts/{Address.parse(address)}"))

    def next_nonce(self, address: "Address | str") -> int:
        """max(nonce, pending_nonce): past the account's transactions the node holds."""
        return self.account(address).next_nonce

    def tx(self, tx_hash: str) -> TxStatusView:
        # An unknown hash is answered 404 with the view {hash, status: "unknown"}.
        return TxStatusView.from_json(
            self._request("GET", f"/v1/txs/{tx_hash}", not_found_is_an_answer=True))

    def devices(self, start: Optional[int] = None, limit: Optional[int] = None,
                device_class: Optional[str] = None, status: Optional[str] = None,
                owner: "Address | str | None" = None) -> DevicesView:
        """A page of the registered devices; with a filter, the matching ones among the
        registrations the node looked at for this page (`next` says where to go on)."""
        return DevicesView.from_json(self.get("/v1/devices", **_device_query(
            start, limit, device_class, status, owner)))

    def devices_rewards(self, start: Optional[int] = None, limit: Optional[int] = None,
                        device_class: Optional[str] = None, status: Optional[str] = None,
                        owner: "Address | str | None" = None) -> dict:
        """What each device of the same page of `devices` claimed over the newest 100 ended
        epochs (`GET /v1/devices/rewards`): `{height, last_ended, rewards: [{device, total}],
        next}`."""
        return self.get("/v1/devices/rewards", **_device_query(start, limit, device_class,
                                                                status, owner))

    def device(self, key: "bytes | str") -> DeviceView:
        key_hex = key.hex() if isinstance(key, bytes) else key
        return DeviceView.from_json(self.get(f"/v1/devices/{key_hex}"))

    def epoch(self, epoch: int) -> EpochView:
        return EpochView.from_json(self.get(f"/v1/epochs/{epoch}"))

    def rewards(self) -> RewardsView:
        return RewardsView.from_json(self.get("/v1/rewards"))

    def orders(self, owner: "Address | str | None" = None, live: Optional[bool] = None,
               start: Optional[int] = None, limit: Optional[int] = None) -> OrdersView:
        params = {"owner": str(Address.parse(owner)) if owner else None,
                  "live": None if live is None else str(live).lower(), "from": start,
                  "limit": limit}
        return OrdersView.from_json(self.get("/v1/market/orders", **params))

    def order(self, order_id: int) -> OrderView:
        return OrderView.from_json(self.get(f"/v1/market/orders/{order_id}"))

    def lease(self, lease_id: int) -> LeaseView:
        return LeaseView.from_json(self.get(f"/v1/market/leases/{lease_id}"))

    def training_tasks(self, start: Optional[int] = None,
                       limit: Optional[int] = None) -> TrainingTasksView:
        return TrainingTasksView.from_json(
            self.get("/v1/learn/tasks", **{"from": start, "limit": limit}))

    def training_task(self, task_id: int) -> TrainingTaskView:
        return TrainingTaskView.from_json(self.get(f"/v1/learn/tasks/{task_id}"))

    def operators(self, start: Optional[int] = None, limit: Optional[int] = None) -> OperatorsView:
        """Validator and oracle operators, the ones `stake` can bond to."""
        return OperatorsView.from_json(self.get("/v1/validators", **{"from": start, "limit": limit}))

    def operator(self, address: "Address | str") -> OperatorView:
        return OperatorView.from_json(self.get(f"/v1/validators/{Address.parse(address)}"))

    def delegations(self, delegator: "Address | str") -> DelegationsView:
        return DelegationsView.from_json(self.get(f"/v1/delegations/{Address.parse(delegator)}"))

    def unbondings(self, delegator: "Address | str") -> UnbondingsView:
        return UnbondingsView.from_json(self.get(f"/v1/unbondings/{Address.parse(delegator)}"))

    # --- transactions ---------------------------------------------------------------------

    def sign(self, key: Key, body: txs.Body, nonce: Optional[int] = None,
             fee: "int | str | None" = None) -> txs.SignedTx:
        """`body` signed for this node's chain, at the account's next nonce (counting its
        pending transactions) and the chain's minimum fee unless told otherwise."""
        status = self.status()
        if nonce is None:
            nonce = self.next_nonce(key.address)
        return txs.sign(key, status.chain_id, nonce, status.min_fee if fee is None else uplx(fee),
                        body)

    def submit(self, signed: "txs.SignedTx | bytes") -> SubmittedView:
        """`POST /v1/txs`. A refusal raises TxRefused with the node's code and message."""
        wire = signed if isinstance(signed, bytes) else signed.bytes
        try:
            answer = self._request("POST", "/v1/txs", wire, "application/octet-stream")
        except NodeError as e:
            raise TxRefused(e.status, e.code, e.message, "the transaction") from None
        return SubmittedView.from_json(answer)

    def wait(self, tx_hash: str, timeout_s: float = DEFAULT_COMMIT_TIMEOUT_S) -> TxStatusView:
        """Looks the transaction up until it is committed (answered whether it succeeded or
        not), dropped (TxDropped) or `timeout_s` passes (TxTimeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            view = self.tx(tx_hash)
            if view.status == "committed":
                return view
            if view.status != "pending":
                raise TxDropped(tx_hash)
            if time.monotonic() >= deadline:
                raise TxTimeout(tx_hash, timeout_s)
            time.sleep(_POLL_S)

    def send(self, key: Key, body: txs.Body, nonce: Optional[int] = None,
             fee: "int | str | None" = None,
             timeout_s: float = DEFAULT_COMMIT_TIMEOUT_S) -> TxStatusView:
        """Signs, submits and waits for the commit; a committed failure raises TxFailed."""
        signed = self.sign(key, body, nonce, fee)
        self.submit(signed)
        view = self.wait(signed.hash, timeout_s)
        if not view.succeeded:
            raise TxFailed(signed.hash, view.code or "", view.log or "", view.height)
        return view

    def chain_id(self) -> str:
        return self.status().chain_id


def _device_query(start: Optional[int], limit: Optional[int], device_class: Optional[str],
                  status: Optional[str], owner: "Address | str | None") -> dict:
    return {"from": start, "limit": limit, "class": device_class, "status": status,
            "owner": str(Address.parse(owner)) if owner else None}


def _node_error(e: urllib.error.HTTPError, what: str) -> NodeError:
    raw = e.read()
    try:
        err = json.loads(raw)["error"]
        return NodeError(e.code, err["code"], err["message"], what)
    except (ValueError, KeyError, TypeError):
        return NodeError(e.code, "http_error", raw.decode("utf-8", "replace")[:500], what)
