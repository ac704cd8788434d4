#!/usr/bin/env bash
# The Python SDK's checks, run by CI from the repository root after target/debug/plexus is
# built: installs the package and its pinned test dependencies from PyPI into a fresh virtual
# environment in a temporary directory, then runs pytest (unit tests, and tests against a
# devnet it starts from $PLEXUS_BIN, default target/debug/plexus). Exits non-zero on any
# failure, including when no test ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SDK="$ROOT/sdk/python"
PYTHON="${PYTHON:-python3}"
export PLEXUS_BIN="${PLEXUS_BIN:-$ROOT/target/debug/plexus}"

if [ ! -x "$PLEXUS_BIN" ]; then
    echo "sdk/python/ci.sh: no plexus binary at $PLEXUS_BIN (build it first, or set PLEXUS_BIN)" >&2
    exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A virtual environment where the venv module is there; where it is not (a Debian Python
# without python3-venv), a private target directory on PYTHONPATH instead.
if "$PYTHON" -m venv "$WORK/venv" >/dev/null 2>&1; then
    PY="$WORK/venv/bin/python"
    "$PY" -m pip install --disable-pip-version-check -q "$SDK[test]"
else
    echo "sdk/python/ci.sh: no venv module; installing into $WORK/site" >&2
    "$PYTHON" -m pip install --disable-pip-version-check -q --target "$WORK/site" "$SDK[test]"
    export PYTHONPATH="$WORK/site${PYTHONPATH:+:$PYTHONPATH}"
    PY="$PYTHON"
fi

cd "$SDK"
set +e
"$PY" -m pytest -p no:cacheprovider -q
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "sdk/python/ci.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
