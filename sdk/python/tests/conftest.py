"""A devnet for the tests that need a node: `$PLEXUS_BIN` (default: the repository's
target/debug/plexus) started in a temporary home on free loopback ports, once per session,
and stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from plexus_sdk import Client, Key, PlexusError

REPO = Path(__file__).resolve().parents[3]
START_DEADLINE_S = 120


@dataclass
class Devnet:
    url: str
    oracle_url: str
    home: Path
    client: Client

    def key_file(self, name: str) -> Path:
        return self.home / "keyring-test" / f"{name}.json"

    def key(self, name: str) -> Key:
        return Key.from_file(self.key_file(name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(proc: subprocess.Popen, client: Client, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the devnet exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if client.status().height >= 1:
                return
        except PlexusError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the devnet did not serve height 1 within {START_DEADLINE_S} s:\n"
                       f"{log.read_text()}")


@pytest.fixture(scope="session")
def devnet(tmp_path_factory) -> Devnet:
    binary = Path(os.environ.get("PLEXUS_BIN", REPO / "target" / "debug" / "plexus"))
    if not binary.exists():
        pytest.fail(f"no plexus binary at {binary}: build it (cargo build -p plexus-cli) "
                    "or set PLEXUS_BIN")
    home = tmp_path_factory.mktemp("devnet")
    api, oracle = _free_port(), _free_port()
    log = home.parent / "devnet.log"
    cmd = [str(binary), "--home", str(home / "home"), "devnet", "--api", f"127.0.0.1:{api}",
           "--oracle", f"127.0.0.1:{oracle}", "--demo-tps", "0", "--epoch-blocks", "10",
           # Two compute providers that bid on the job example's order; no demo jobs.
           "--agents", "2", "--job-every", "0s",
           "--for", "600s"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{api}"
    client = Client(url)
    try:
        _wait_until_serving(proc, client, log)
        yield Devnet(url, f"http://127.0.0.1:{oracle}", home / "home", client)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
