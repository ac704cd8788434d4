#!/usr/bin/env bash
# The web console's browser tests, run by CI from the repository root after
# target/debug/plexus is built: installs Debian's chromium and chromium-driver when they are
# missing, installs the pinned Selenium from PyPI into a fresh virtual environment, starts a
# devnet (agents, two cheaters, storage agents with a cheater, and a training task) on free
# loopback ports in a temporary home, runs console-tests/test_console.py against it, and
# stops the devnet.
# Screenshots of every page go to $CONSOLE_SCREENSHOTS (default: a new temporary directory).
# Then runs a small console bench (bench.sh: 300 devices, 3000 transactions) against the same
# binary. Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PLEXUS_BIN="${PLEXUS_BIN:-$ROOT/target/debug/plexus}"
SCRIPT="console-tests/ci.sh"
# shellcheck source=console-tests/common.sh
. "$ROOT/console-tests/common.sh"

need_plexus_bin "build it first"
need_chromium
SHOTS="${CONSOLE_SCREENSHOTS:-$(mktemp -d "${TMPDIR:-/tmp}/console-screenshots.XXXXXX")}"
venv_with -r "$ROOT/console-tests/requirements.txt"
free_ports

# --for bounds the devnet even if this script is killed before its trap runs.
"$PLEXUS_BIN" --home "$WORK/home" --keyring-backend test devnet \
    --api "127.0.0.1:$API" --oracle "127.0.0.1:$ORACLE" \
    --agents 4 --cheaters 2 --storage-agents 4 --storage-cheaters 1 --training --epoch-blocks 20 \
    --for 900s >"$WORK/devnet.log" 2>&1 &
DEVNET_PID=$!

# Ready once two epochs have ended and the training task has closed two rounds.
if ! "$PY" - "$API" "$DEVNET_PID" <<'EOF'
import json, os, sys, time, urllib.request
api, pid = sys.argv[1], int(sys.argv[2])
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{api}{path}", timeout=5) as r:
        return json.load(r)
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the devnet exited before it was ready")
    try:
        tasks = get("/v1/learn/tasks")["tasks"]
        rounds = get(f"/v1/learn/tasks/{tasks[0]['id']}/rounds")["rounds"] if tasks else []
        if get("/v1/rewards")["last_ended_epoch"] >= 2 and len(rounds) >= 2:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("the devnet was not ready within 180 s")
EOF
then
    tail -n 40 "$WORK/devnet.log" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

set +e
"$PY" "$ROOT/console-tests/test_console.py" --node "http://127.0.0.1:$API" --screenshots "$SHOTS"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    echo "console-tests/ci.sh: the devnet's last lines:" >&2
    tail -n 40 "$WORK/devnet.log" >&2
    exit "$rc"
fi

# A small run of the load-time bench (its own bare devnet), so that it keeps working: every
# page must render; the times are printed, not judged.
echo "console-tests/ci.sh: a small run of the console bench" >&2
PLEXUS_BIN="$PLEXUS_BIN" bash "$ROOT/console-tests/bench.sh" --devices 300 --txs 3000
