#!/usr/bin/env bash
# bench/page/run.sh [RUNS]: time from click to signed-in on the passkey page in headless
# Chromium (virtual platform authenticator, button sign-in, median of RUNS, default 20), printed
# beside the server-side latency of the same ceremonies from keyward serve's /metrics.
# The server is pinned to core 1 and the browser + driver to core 0 (taskset); the machine is
# shared, so repeat and report a range.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
(cd "$root/tests/browser" && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error) || exit 1
KW_SERVER_CPU=${KW_SERVER_CPU:-1} KW_CLIENT_CPU=${KW_CLIENT_CPU:-0} \
  bash "$root/tests/browser/with-server.sh" node run.mjs bench --runs "$runs"
