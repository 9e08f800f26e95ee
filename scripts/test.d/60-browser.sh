# Browser tests of the passkey page (issue #15): Debian Chromium, headless, driven over the
# DevTools protocol by playwright-core (tests/browser/, version pinned in package-lock.json) with
# the WebAuthn virtual authenticator, against a private `keyward serve` that
# tests/browser/with-server.sh starts and stops by PID. Screenshots: build/browser-artifacts/.
# Sourced by scripts/test: no exit, no set -e; counts with count_results.
browser_stage() {
  local log rc line p f
  log=$(mktemp)
  if ! command -v npm >/dev/null 2>&1; then
    # Debian's nodejs comes without npm (a NodeSource nodejs carries its own, and conflicts with
    # Debian's npm, so npm is not in scripts/packages.d/browser.txt).
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends npm >/dev/null 2>&1
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ]; then
    echo "browser: node, npm or /usr/bin/chromium missing (scripts/packages.d/browser.txt)"
    count_results 0 1
    rm -f "$log"; return
  fi
  if ! "$root/build/bin/keyward" --help 2>/dev/null | grep -qE '^ +serve +'; then
    echo "browser: this keyward has no 'serve' command (the page is tested against keyward serve)"
    count_results 0 1
    rm -f "$log"; return
  fi
  if ! (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "browser: npm ci failed"
    count_results 0 1
    rm -f "$log"; return
  fi
  rm -rf "$root/build/browser-artifacts"
  KW_ARTIFACTS="$root/build/browser-artifacts" bash "$root/tests/browser/with-server.sh" \
    node run.mjs test 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
    count_results "$p" "$f"
  else
    count_results 0 1
  fi
  rm -f "$log"
}
browser_stage
unset -f browser_stage
