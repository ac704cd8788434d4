#!/usr/bin/env bash
# CI for the TypeScript SDK, run from the repository root after target/debug/plexus is built:
# installs the locked dependencies from the npm registry, builds, and runs every test (the
# wire tests and the tests against a devnet the test setup starts).
set -euo pipefail
cd "$(dirname "$0")"
export PLEXUS_BIN="${PLEXUS_BIN:-$(cd ../.. && pwd)/target/debug/plexus}"
if [ ! -x "$PLEXUS_BIN" ]; then
  echo "sdk/ts/ci.sh: no plexus binary at $PLEXUS_BIN (build it first: cargo build -p plexus-cli)" >&2
  exit 1
fi
npm ci --no-audit --no-fund
npm run build
npm test
