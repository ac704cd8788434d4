"""Sends PLX from the signing key's account to another, waits for the commit, and prints the
balances before and after.

    python examples/transfer.py --node http://127.0.0.1:26650 \
        --key-file ~/.plexus/keyring-test/alice.json --to plx1… --amount 2.5plx
"""

from _common import connect, parser, run

from plexus_sdk import Address, format_plx, tx, uplx


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--to", required=True, help="the recipient's address, plx1…")
    p.add_argument("--amount", required=True, help="for example 2.5plx or 2500uplx")
    args = p.parse_args()
    node, key = connect(args)
    to, amount = Address.parse(args.to), uplx(args.amount)
    before = node.account(key.address).balance
    print(f"sending {format_plx(amount)} from {key.address} to {to}")
    signed = node.sign(key, tx.transfer(to, amount))
    node.submit(signed)
    print(f"submitted {signed.hash} at nonce {signed.nonce}, fee {signed.fee} uplx")
    view = node.wait(signed.hash)
    if not view.succeeded:
        raise SystemExit(f"transaction {signed.hash} failed: {view.log} ({view.code})")
    after = node.account(key.address).balance
    print(f"committed at height {view.height}")
    print(f"sender balance: {format_plx(before)} -> {format_plx(after)}")
    print(f"recipient balance: {format_plx(node.account(to).balance)}")


if __name__ == "__main__":
    run(main)
