"""What every example takes: the node's URL and the signing key, from arguments or the
environment (PLEXUS_NODE; PLEXUS_KEY_FILE or PLEXUS_SECRET)."""

import argparse
import os
import sys

from plexus_sdk import Client, Key, PlexusError


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--node", default=os.environ.get("PLEXUS_NODE", "http://127.0.0.1:26650"),
                   help="the node's API (env PLEXUS_NODE)")
    p.add_argument("--key-file", default=os.environ.get("PLEXUS_KEY_FILE"),
                   help="a keyring file with secret_key, or a file holding the hex seed "
                        "(env PLEXUS_KEY_FILE)")
    p.add_argument("--secret", default=os.environ.get("PLEXUS_SECRET"),
                   help="the signing key's 32-byte seed in hex (env PLEXUS_SECRET)")
    return p


def connect(args: argparse.Namespace) -> tuple[Client, Key]:
    if args.key_file:
        key = Key.from_file(args.key_file)
    elif args.secret:
        key = Key.from_hex(args.secret)
    else:
        sys.exit("no signing key: pass --key-file or --secret (or set PLEXUS_KEY_FILE or "
                 "PLEXUS_SECRET)")
    return Client(args.node), key


def run(main) -> None:
    """Runs `main`, turning an SDK error into a one-line message and exit status 1."""
    try:
        main()
    except PlexusError as e:
        sys.exit(f"error: {e}")
