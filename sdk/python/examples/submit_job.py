"""Submits a WASM compute job and prints its verified result: uploads the module and the job
spec to the node's blob service, opens an order that escrows the deposit, waits until the
market settles it, then downloads each accepted output and checks it against the hash the
chain accepted.

    python examples/submit_job.py --node http://127.0.0.1:26650 \
        --key-file ~/.plexus/keyring-test/alice.json --module examples/sum.wat \
        --input "3 14 15 92"

The network needs compute providers that bid (a devnet with `--agents 2`). The spec format
is docs/jobs.md's.
"""

import time
from pathlib import Path

from _common import connect, parser, run

from plexus_sdk import Capabilities, PlexusError, format_plx, tx, uplx
from plexus_sdk.blobs import get_blob, put_blob

HERE = Path(__file__).resolve().parent


def args_of():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--module", default=str(HERE / "sum.wat"), help="WAT text or a wasm binary")
    p.add_argument("--input", default="3 14 15 92 65 35 89 79", help="the job's standard input")
    p.add_argument("--fuel", type=int, default=200_000_000)
    p.add_argument("--max-price-per-block", default="0.01plx")
    p.add_argument("--duration-blocks", type=int, default=120)
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--sample-per-mille", type=int, default=250)
    p.add_argument("--cpu-cores", type=int, default=1)
    p.add_argument("--memory-mb", type=int, default=256)
    p.add_argument("--deposit", help="escrow (default: 3 × price cap × duration × replicas)")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the result")
    return p.parse_args()


def job_spec(module_id: str, args) -> str:
    """The job spec TOML providers fetch (docs/jobs.md)."""
    if '"' in args.input or "\\" in args.input or "\n" in args.input:
        raise PlexusError("--input: quotes, backslashes and newlines are not supported here")
    return f'''runtime = "wasm"
max_price_per_block = "{uplx(args.max_price_per_block)}uplx"
duration_blocks = {args.duration_blocks}
replicas = {args.replicas}

[wasm]
module = "{module_id}"
fuel = {args.fuel}
memory_mb = 16
max_output_bytes = 4096

[[inputs]]
name = "input.txt"
text = "{args.input}"

[resources]
cpu_cores = {args.cpu_cores}
memory_mb = {args.memory_mb}

[verification]
sample_per_mille = {args.sample_per_mille}
'''


def find_order(node, owner, spec_id: str) -> int:
    start, found = None, None
    while True:
        page = node.orders(owner=owner, start=start)
        for o in page.orders:
            if o.order["terms"]["spec"] == spec_id:
                found = o.id
        if page.next is None:
            break
        start = page.next
    if found is None:
        raise PlexusError("the node lists no such order after committing it")
    return found


def wait_settled(node, order_id: int, timeout_s: float):
    """Polls the order until it has ended."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        view = node.order(order_id)
        state = view.order["state"]
        name = " ".join(str(state[k]) for k in ("state", "reason") if k in state)
        if name != last:
            print(f"order {order_id}: {name}")
            last = name
        if state["state"] == "closed":
            return view
        time.sleep(0.5)
    raise PlexusError(f"order {order_id} did not end within {timeout_s:g} s (last: {last})")


def main() -> None:
    args = args_of()
    node, key = connect(args)
    chain_id = node.chain_id()
    module_id = put_blob(node, key, Path(args.module).read_bytes(), chain_id)
    spec = job_spec(module_id, args)
    spec_id = put_blob(node, key, spec.encode(), chain_id)
    print(f"module blob {module_id}, spec blob {spec_id}")
    price = uplx(args.max_price_per_block)
    deposit = uplx(args.deposit) if args.deposit else 3 * price * args.duration_blocks * args.replicas
    body = tx.create_order(bytes.fromhex(spec_id), "wasm",
                           Capabilities(cpu_cores=args.cpu_cores, memory_mb=args.memory_mb),
                           price, args.duration_blocks, args.replicas, args.sample_per_mille,
                           deposit)
    view = node.send(key, body)
    order_id = find_order(node, key.address, spec_id)
    print(f"order {order_id} opened at height {view.height}, escrow {format_plx(deposit)}")
    settled = wait_settled(node, order_id, args.timeout)
    head = settled.order
    print(f"paid {format_plx(int(head['paid']))}, fees {format_plx(int(head['fees']))}, "
          f"refunded {format_plx(int(head['refunded']))}")
    if not head["results"]:
        raise PlexusError(f"order {order_id} ended with no accepted result: {head['state']}")
    for lease, output in head["results"]:
        data = get_blob(node, output)
        print(f"lease {lease}: output {output} (verified against the chain)")
        print(data.decode("utf-8", "replace").rstrip())


if __name__ == "__main__":
    run(main)
