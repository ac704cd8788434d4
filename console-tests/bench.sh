#!/usr/bin/env bash
# The web console's load-time bench, run from the repository root: installs Debian's chromium
# and chromium-driver when they are missing, the pinned Selenium of requirements.txt and the
# repository's Python SDK (sdk/python) into a fresh virtual environment, starts a bare devnet
# (no agents, no demo transfers) from $PLEXUS_BIN (default target/release/plexus) on free
# loopback ports in a temporary home, and runs console-tests/bench_console.py against it with
# the arguments given here (--devices N, --txs M, --json). Exits with the bench's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PLEXUS_BIN="${PLEXUS_BIN:-$ROOT/target/release/plexus}"
SCRIPT="console-tests/bench.sh"
# shellcheck source=console-tests/common.sh
. "$ROOT/console-tests/common.sh"

need_plexus_bin "cargo build --release -p plexus-cli"
need_chromium
venv_with -r "$ROOT/console-tests/requirements.txt" "$ROOT/sdk/python"
free_ports

# A bare devnet: `--agents 0` explicitly (no agent of any class), no demo transfers; epochs of
# 20 blocks so that one has ended by the time the pages are loaded. --for bounds it even if
# this script is killed before its trap runs.
"$PLEXUS_BIN" --home "$WORK/home" --keyring-backend test devnet \
    --api "127.0.0.1:$API" --oracle "127.0.0.1:$ORACLE" \
    --agents 0 --demo-tps 0 --epoch-blocks 20 \
    --for 3600s >"$WORK/devnet.log" 2>&1 &
DEVNET_PID=$!

if ! "$PY" - "$API" "$DEVNET_PID" <<'PYEOF'
import json, os, sys, time, urllib.request
api, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the devnet exited before it was ready")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{api}/v1/status", timeout=5) as r:
            if json.load(r)["height"] >= 1:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("the devnet did not serve height 1 within 120 s")
PYEOF
then
    tail -n 40 "$WORK/devnet.log" >&2
    exit 1
fi

set +e
"$PY" "$ROOT/console-tests/bench_console.py" --node "http://127.0.0.1:$API" --home "$WORK/home" "$@"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    echo "console-tests/bench.sh: the devnet's last lines:" >&2
    tail -n 40 "$WORK/devnet.log" >&2
fi
exit "$rc"
