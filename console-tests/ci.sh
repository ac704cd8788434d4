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

if [ ! -x "$PLEXUS_BIN" ]; then
    echo "console-tests/ci.sh: no plexus binary at $PLEXUS_BIN (build it first, or set PLEXUS_BIN)" >&2
    exit 1
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "console-tests/ci.sh: installing chromium and chromium-driver" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    # A fresh machine's package lists may be empty.
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

WORK="$(mktemp -d)"
SHOTS="${CONSOLE_SCREENSHOTS:-$(mktemp -d "${TMPDIR:-/tmp}/console-screenshots.XXXXXX")}"
DEVNET_PID=""
cleanup() {
    if [ -n "$DEVNET_PID" ] && kill -0 "$DEVNET_PID" 2>/dev/null; then
        kill "$DEVNET_PID" 2>/dev/null || true
        wait "$DEVNET_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/console-tests/requirements.txt"

# Two free loopback ports: the node's API and the oracle's.
read -r API ORACLE < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks:
    s.close()
EOF
)

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
