"""Registers a device under the signing key's account, then follows the epochs that end:
each epoch's reward pools for the device's resource, whether the oracles finalized its
manifest, and, where an oracle is given, the device's claim, which it sends.

    python examples/register_device_and_follow_rewards.py --node http://127.0.0.1:26650 \
        --key-file ~/.plexus/keyring-test/alice.json --class cpu-small --epochs 3 \
        --oracle http://127.0.0.1:26651

A device earns units only for the heartbeats and challenges its agent answers (`plexus
agent`); a device registered here without an agent is shown with no claim.
"""

import os
import time

from _common import connect, parser, run

from plexus_sdk import Capabilities, Key, PlexusError, format_plx, tx, uplx
from plexus_sdk.oracle import Oracle


def args_of():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--device-key-file", help="the device's key (else a new one is made)")
    p.add_argument("--class", dest="device_class", default="cpu-small")
    p.add_argument("--stake", help="bonded stake (default: the class minimum)")
    p.add_argument("--cpu-cores", type=int, default=4)
    p.add_argument("--memory-mb", type=int, default=8192)
    p.add_argument("--endpoint", default="", help="where the device serves others, if anywhere")
    p.add_argument("--h3-cell", type=lambda s: int(s, 16), default=0x8A2A1072B59FFFF,
                   help="H3 cell of the device's location, hex")
    p.add_argument("--epochs", type=int, default=3, help="ended epochs to follow")
    p.add_argument("--oracle", default=os.environ.get("PLEXUS_ORACLE"),
                   help="an oracle's API, to fetch and send the device's claims")
    return p.parse_args()


def register(node, owner, device, args) -> str:
    chain = node.chain()
    classes = {c["name"]: c for c in chain["device_classes"]}
    if args.device_class not in classes:
        raise PlexusError(f"the chain has no device class {args.device_class!r}; it has "
                          f"{', '.join(sorted(classes))}")
    cls = classes[args.device_class]
    stake = uplx(args.stake) if args.stake else int(cls["min_stake"])
    caps = Capabilities(cpu_cores=args.cpu_cores, memory_mb=args.memory_mb,
                        endpoint=args.endpoint)
    body = tx.signed_registration(owner, device, chain["chain_id"], args.device_class, caps,
                                  args.h3_cell, stake)
    view = node.send(owner, body)
    print(f"registered device {device.public_key.hex()} ({args.device_class}, stake "
          f"{format_plx(stake)}) under {owner.address} at height {view.height}, tx {view.hash}")
    return cls["resource"]


def follow(node, owner, device, resource, args) -> None:
    """Shows each epoch once its manifest for the resource is final, or once the next epoch
    has ended without it."""
    oracle = Oracle(args.oracle) if args.oracle else None
    next_epoch = node.rewards().last_ended_epoch + 1
    epoch_blocks = node.chain()["rewards"]["epoch_blocks"]
    deadline = time.monotonic() + (args.epochs + 2) * epoch_blocks * 2.0 + 30
    last = next_epoch + args.epochs - 1
    while next_epoch <= last:
        if time.monotonic() > deadline:
            raise PlexusError(f"epoch {next_epoch} did not end in time")
        ended = node.rewards().last_ended_epoch
        pools = [p for p in node.epoch(next_epoch).pools if p.resource == resource] \
            if ended >= next_epoch else []
        if pools and (all(p.manifest for p in pools) or ended > next_epoch):
            show_epoch(node, oracle, owner, device, resource, next_epoch, pools)
            next_epoch += 1
        else:
            time.sleep(0.5)
    d = node.device(device.public_key)
    print(f"device status {d.status}; owner balance {format_plx(node.account(owner.address).balance)}")


def show_epoch(node, oracle, owner, device, resource, epoch, pools) -> None:
    for pool in pools:
        final = "final manifest" if pool.manifest else "no final manifest"
        print(f"epoch {epoch}: {resource} pool {format_plx(pool.amount)}, {final}")
        if not (oracle and pool.manifest):
            continue
        body = oracle.claim_body(epoch, resource, device.public_key)
        if body is None:
            print(f"epoch {epoch}: the device earned no {resource} units")
        else:
            view = node.send(owner, body)
            print(f"epoch {epoch}: claimed the device's reward at height {view.height}")


def main() -> None:
    args = args_of()
    node, owner = connect(args)
    device = Key.from_file(args.device_key_file) if args.device_key_file else Key.generate()
    resource = register(node, owner, device, args)
    follow(node, owner, device, resource, args)


if __name__ == "__main__":
    run(main)
