#!/usr/bin/env python3
"""Writes seeds for the `ledger_actions` fuzz target: plans that walk each component through
its life (a market order's results, checks and withdrawals; manifests, claims and a fraud
proof; storage deals and audits; training rounds; device registrations, retirements and stake
withdrawals; hostile envelopes and amounts). Random bytes rarely chain enough valid steps to
get there, so without these a short run would stay at the components' doors.

The bytes follow how `arbitrary` (1.x) decodes the derived types of
`src/ledger_chain/plan.rs`: an enum variant is a little-endian u32 `t` with
`t * variants >> 32` the variant's index, `bool` a byte's low bit, `Option` a bool then the
value, a `Vec` a continue-bool before each element, integers little-endian. If the plan's
types change, change this file with them and check the seeds still reach every kind:
`LEDGER_ACTIONS_STATS=1 cargo fuzz run -s none ledger_actions seeds/ledger_actions -- -runs=0`.

Usage: python3 ledger_seeds.py [DIR]   (default seeds/ledger_actions)
"""
import os
import struct
import sys

ACTIONS = ["Transfer", "Register", "UpdateDevice", "Retire", "WithdrawStake", "Manifest",
           "Claim", "Fraud", "Deal", "Audit", "CreateTask", "Join", "Round", "Cancel", "Order",
           "Bid", "CloseBid", "Result", "WithdrawLease", "CloseLease", "CloseOrder"]
HOSTILE = ["UsedNonce", "FutureNonce", "MaxNonce", "FeeBelowMinimum", "Fee", "BadSignature",
           "OtherChain", "Truncated", "Garbage"]
AMT = ["Units", "Tokens", "Zero", "Max", "Huge", "Raw"]
TIMES = ["OneSecondPerBlock", "Zero", "Max"]


def tag(index, count):
    t = ((index << 32) + count - 1) // count
    assert (t * count) >> 32 == index
    return struct.pack("<I", t)


def u8(v):
    return bytes([v])


def u16(v):
    return struct.pack("<H", v)


def boolean(v):
    return u8(1 if v else 0)


NONE = u8(0)


def some(encoded):
    return u8(1) + encoded


def amt(kind, value=None):
    out = tag(AMT.index(kind), len(AMT))
    if kind in ("Units", "Tokens"):
        out += u16(value)
    elif kind == "Raw":
        out += value.to_bytes(16, "little")
    return out


def hostile(kind, arg=None):
    out = tag(HOSTILE.index(kind), len(HOSTILE))
    if kind == "Fee":
        out += arg
    elif kind == "Truncated":
        out += u8(arg)
    elif kind == "Garbage":
        out += b"".join(u8(1) + u8(b) for b in arg) + u8(0)
    return out


def action(kind, *fields, twist=NONE):
    """An action: its fields already encoded, then its twist (none unless given)."""
    out = tag(ACTIONS.index(kind), len(ACTIONS)) + b"".join(fields)
    if kind not in ("Retire", "WithdrawStake"):
        out += twist
    return out


class Tx(bytes):
    """A planned transaction: signer, hostility, action."""


def tx(act, signer=None, bad=None):
    out = NONE if signer is None else some(u8(signer))
    out += NONE if bad is None else some(bad)
    return Tx(out + act)


def block(txs, empty_before=0, time="OneSecondPerBlock"):
    """A block of transactions; a bare action is signed by whom it belongs to, untwisted."""
    txs = [t if isinstance(t, Tx) else tx(t) for t in txs]
    out = u8(empty_before) + tag(TIMES.index(time), len(TIMES))
    return out + b"".join(u8(1) + t for t in txs) + u8(0)


def plan(blocks):
    return b"".join(u8(1) + b for b in blocks) + u8(0)


# After the setup: devices 0-3 registered by accounts 0-3 (device 3 stores), order 0 by
# account 0 matched to device 1 (lease 0) with device 2's bid standing by, training task 0
# (coordinator account 1, participants 0 and 2), storage deal 0 by account 2, epoch 1 ended.
def market():
    result = lambda lease, out: action("Result", u8(lease), boolean(out))
    return plan([
        block([result(0, False)]),
        block([], empty_before=1),
        block([result(1, False)]),
        block([result(1, False), result(0, False)], empty_before=1),
        block([action("WithdrawLease", u8(0)), action("CloseBid", u8(1))], empty_before=1),
        block([action("Order", boolean(True), u8(0), u8(6), u16(1000), u16(9000)),
               action("Order", boolean(False), u8(1), u8(10), u16(0), u16(30000))]),
        block([action("Bid", u8(1), u8(1), u8(30)), action("Bid", u8(1), u8(2), u8(40)),
               action("Bid", u8(2), u8(0), u8(20)), action("Bid", u8(2), u8(2), u8(25))]),
        block([result(2, True), result(3, False)], empty_before=4),
        block([result(4, True), result(5, True)], empty_before=1),
        block([action("CloseLease", u8(2)), action("CloseOrder", u8(1)),
               action("WithdrawLease", u8(3))], empty_before=2),
    ])


def closes():
    return plan([
        block([action("Order", boolean(False), u8(1), u8(15), u16(0), u16(20000))]),
        block([action("Bid", u8(1), u8(1), u8(30)), action("Bid", u8(1), u8(2), u8(40)),
               action("Bid", u8(1), u8(0), u8(50))]),
        block([action("CloseBid", u8(4))]),
        block([action("CloseLease", u8(1))], empty_before=3),
        block([action("CloseOrder", u8(0))]),
        block([action("CloseOrder", u8(0))]),
    ])


def rewards():
    manifest = lambda oracle, back, resource, variant=0: action(
        "Manifest", u8(oracle), boolean(back), u8(resource), u8(variant))
    claim = lambda device, back, resource: action(
        "Claim", u8(device), boolean(back), u8(resource), u8(0))
    return plan([
        block([manifest(0, False, 0), manifest(1, False, 0), manifest(2, False, 0, 250)]),
        block([claim(0, False, 0), claim(1, False, 0), claim(4, False, 0)]),
        block([action("Fraud", u8(1), boolean(True)), action("Fraud", u8(2), boolean(False))]),
        block([manifest(0, False, 1), manifest(2, False, 1)], empty_before=3),
        block([claim(3, False, 1), claim(2, True, 0)]),
        block([], empty_before=6),
        block([manifest(1, True, 0), claim(0, True, 0)], empty_before=6),
    ])


def storage():
    deal = lambda blob, price: action("Deal", u8(blob), u8(0), u8(2), u16(price))
    audit = lambda oracle, pick: action("Audit", u8(oracle), u8(pick), u8(0))
    return plan([
        block([deal(1, 500), deal(2, 700), action("Register", u8(5), u8(1))]),
        block([audit(0, 0), audit(1, 0)], empty_before=3),
        block([audit(0, 1), audit(2, 1)], empty_before=3),
        block([action("Retire", u8(3))], empty_before=2),
        block([audit(1, 0)], empty_before=6),
    ])


def training():
    round_ = lambda task, scores: action(
        "Round", u8(task), b"".join(u8(1) + u8(w) + u8(s) for w, s in scores) + u8(0))
    return plan([
        block([round_(0, [(0, 40), (2, 60)])]),
        block([round_(0, [(0, 10)]), action("CreateTask", u8(2), u8(1), u16(5000))]),
        block([action("Join", u8(1)), round_(0, [(2, 7), (0, 3)])]),
        block([action("Cancel", u8(1)), action("Join", u8(1))]),
    ])


def devices():
    return plan([
        block([action("Register", u8(4), u8(0)), action("Register", u8(5), u8(3)),
               action("UpdateDevice", u8(1), u8(8))]),
        block([action("Retire", u8(0)), action("Retire", u8(4))]),
        block([action("WithdrawStake", u8(0))], empty_before=4),
        block([action("WithdrawStake", u8(0)), action("WithdrawStake", u8(4))], empty_before=6),
        block([action("Register", u8(0), u8(2))], empty_before=6),
    ])


def hostile_mix():
    transfer = lambda to, amount, twist=NONE: action("Transfer", u8(to), u16(amount), twist=twist)
    return plan([
        block([
            tx(transfer(1, 5), bad=hostile("UsedNonce")),
            tx(transfer(1, 5), bad=hostile("FutureNonce")),
            tx(transfer(1, 5), bad=hostile("MaxNonce")),
            tx(transfer(1, 5), bad=hostile("FeeBelowMinimum")),
            tx(transfer(1, 5), bad=hostile("Fee", amt("Max"))),
            tx(transfer(1, 5), bad=hostile("Fee", amt("Tokens", 3))),
            tx(transfer(1, 5), bad=hostile("BadSignature")),
            tx(transfer(1, 5), bad=hostile("OtherChain")),
            tx(transfer(1, 5), bad=hostile("Truncated", 70)),
            tx(transfer(1, 5), bad=hostile("Garbage", [0x0a, 0x02, 0x08, 0x01])),
        ], time="Max"),
        block([
            tx(transfer(0, 0, some(amt("Huge"))), signer=3),
            tx(transfer(2, 0, some(amt("Max"))), signer=3),
            tx(transfer(20, 9)),
            tx(action("Order", boolean(False), u8(0), u8(0), u16(0), u16(0),
                      twist=some(tag(4, 6) + amt("Huge"))), signer=3),
        ], time="Zero"),
        block([tx(action("Bid", u8(1), u8(3), u8(1), twist=some(tag(2, 3) + amt("Huge"))))]),
        block([], empty_before=5),
    ])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds", "ledger_actions")
    os.makedirs(out, exist_ok=True)
    seeds = [market(), closes(), rewards(), storage(), training(), devices(), hostile_mix()]
    for i, seed in enumerate(seeds):
        with open(os.path.join(out, f"seed-{i:02}"), "wb") as f:
            f.write(seed)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()
