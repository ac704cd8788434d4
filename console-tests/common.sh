# What console-tests/ci.sh and console-tests/bench.sh share, sourced by both after they set
# ROOT, PYTHON, PLEXUS_BIN and SCRIPT (their name, for messages).

# Refuses to go on without the plexus binary; $1 says how to build it.
need_plexus_bin() {
    if [ ! -x "$PLEXUS_BIN" ]; then
        echo "$SCRIPT: no plexus binary at $PLEXUS_BIN ($1, or set PLEXUS_BIN)" >&2
        exit 1
    fi
}

# Installs Debian's chromium and chromium-driver when either is missing (a fresh machine's
# package lists may be empty, so they are refreshed first).
need_chromium() {
    if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
        echo "$SCRIPT: installing chromium and chromium-driver" >&2
        local sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq >/dev/null
        $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
    fi
}

# A temporary directory ($WORK), removed on exit with the devnet started into $DEVNET_PID.
WORK="$(mktemp -d)"
DEVNET_PID=""
cleanup() {
    if [ -n "$DEVNET_PID" ] && kill -0 "$DEVNET_PID" 2>/dev/null; then
        kill "$DEVNET_PID" 2>/dev/null || true
        wait "$DEVNET_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh virtual environment in $WORK with what pip is given ($PY is its Python).
venv_with() {
    "$PYTHON" -m venv "$WORK/venv"
    PY="$WORK/venv/bin/python"
    "$PY" -m pip install --disable-pip-version-check -q "$@"
}

# Two loopback ports free a moment ago, for the node's API and the oracle: sets API and ORACLE.
free_ports() {
    read -r API ORACLE < <("$PY" - <<'PYEOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks:
    s.close()
PYEOF
)
}
