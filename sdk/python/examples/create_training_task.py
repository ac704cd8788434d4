"""Creates a federated training task: commits to a held-out validation set (a salt and the
file's blake3 go on chain), escrows the budget, and, where the coordinator's URL is given,
hands it the validation set. Prints the task and the salt, with which and the file the
sponsor can prove the commitment.

    python examples/create_training_task.py --node http://127.0.0.1:26650 \
        --key-file ~/.plexus/keyring-test/sponsor.json --dataset digits \
        --validation validation.csv --rounds 5 --min-participants 2 --budget 100plx \
        --coordinator-url http://127.0.0.1:26651
"""

import json
import os
import time

from _common import connect, parser, run

from plexus_sdk import PlexusError, format_plx, tx
from plexus_sdk.client import Client
from plexus_sdk.errors import NodeError

# The recipe of docs/learn.md for the 8×8 digits: 64 features, 10 classes.
DEFAULT_SPEC = {
    "architecture": {"kind": "mlp", "hidden": 32}, "features": 64, "classes": 10,
    "scale": 0.0625, "seed": 1, "rule": {"rule": "trimmed_mean", "trim": 0.25},
    "train": {"epochs": 2, "batch": 16, "lr": 0.1}, "round_timeout_ms": 10000, "quorum": 2,
}


def args_of():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits")
    p.add_argument("--spec", help="the model and recipe as a JSON file (default: the digits MLP)")
    p.add_argument("--validation", required=True, help="the held-out set (CSV, label last)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-participants", type=int, default=2)
    p.add_argument("--budget", default="100plx")
    p.add_argument("--coordinator", help="the coordinator's account (default: the first oracle)")
    p.add_argument("--coordinator-url", help="the coordinator's API, to hand it the validation set")
    return p.parse_args()


def find_task(node, sponsor, commitment: str) -> int:
    start = None
    found = None
    while True:
        page = node.training_tasks(start=start)
        for t in page.tasks:
            if t.sponsor == str(sponsor) and t.terms["validation_commitment"] == commitment:
                found = t.id
        if page.next is None:
            break
        start = page.next
    if found is None:
        raise PlexusError("the node lists no such task after committing it")
    return found


def hand_over(url: str, task: int, salt: bytes, csv: str, timeout_s: float = 30) -> None:
    """Gives the coordinator the validation set, asking again while it has not seen the task."""
    coordinator = Client(url)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            coordinator.post(f"/v1/learn/tasks/{task}/validation", {"salt": salt.hex(), "csv": csv})
            return
        except NodeError as e:
            if e.status != 503 or time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def main() -> None:
    args = args_of()
    node, sponsor = connect(args)
    spec = json.load(open(args.spec)) if args.spec else DEFAULT_SPEC
    if args.coordinator_url:
        spec = {**spec, "coordinator_url": args.coordinator_url}
    csv = open(args.validation).read()
    salt = os.urandom(32)
    commitment = tx.validation_commitment(salt, csv.encode())
    coordinator = args.coordinator or node.chain()["oracles"]["members"][0]
    body = tx.create_training_task(args.dataset, json.dumps(spec, separators=(",", ":")),
                                   commitment, args.rounds, args.min_participants, args.budget,
                                   coordinator)
    view = node.send(sponsor, body)
    task = find_task(node, sponsor.address, commitment.hex())
    print(f"training task {task} created at height {view.height}, tx {view.hash}")
    print(f"validation commitment {commitment.hex()}, salt {salt.hex()} (keep it)")
    if args.coordinator_url:
        hand_over(args.coordinator_url, task, salt, csv)
        print(f"the coordinator at {args.coordinator_url} has the validation set")
    t = node.training_task(task)
    print(f"task {t.id}: dataset {t.terms['dataset']}, {t.terms['rounds']} rounds, budget "
          f"{format_plx(int(t.terms['budget']))}, coordinator {t.terms['coordinator']}, "
          f"status {t.status}")


if __name__ == "__main__":
    run(main)
