#!/usr/bin/env bash
# tests/browser/with-server.sh COMMAND...
# Starts a private `keyward serve` for the browser tests, runs COMMAND in tests/browser/ with
# KW_PORT / KW_SPKI / KW_RP_HOST / KW_RELATED_HOST / KW_FOREIGN_HOST / KW_ARTIFACTS set, then
# stops the server by PID (also when COMMAND fails or the script is interrupted) and exits with
# COMMAND's status. The server's own log goes to a file in the temporary directory; its last
# lines are printed when COMMAND fails.
#
# What it sets up in a temporary directory:
#  - a test CA and a TLS certificate for the three test host names (openssl); Chromium maps
#    each name's port 443 to the server's 127.0.0.1:PORT (--host-resolver-rules) and accepts
#    exactly this server key (--ignore-certificate-errors-spki-list=KW_SPKI);
#  - the attestation certificate of Chromium's virtual authenticators as a trust anchor
#    (captured from the browser: Chromium signs it anew for each credential), so a security key
#    with UV reaches AAL3;
#  - a policy that extends "ciam" with the action "admin" at AAL3;
#  - the server config: origins https://RP and https://RELATED, related_origins [https://RELATED],
#    listen 127.0.0.1:0 (the port is read from the ready line), a fresh SQLite store; all test
#    traffic comes from 127.0.0.1 and the negative paths fail sign-ins on purpose, so the
#    per-IP rate and the login back-off are set high enough not to interfere.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
keyward=${KEYWARD_BIN:-$root/build/bin/keyward}
rp=${KW_RP_HOST:-rp.test}
related=${KW_RELATED_HOST:-shop.test}
foreign=${KW_FOREIGN_HOST:-evil.test}
export KW_RP_HOST=$rp KW_RELATED_HOST=$related KW_FOREIGN_HOST=$foreign
export KW_ARTIFACTS=${KW_ARTIFACTS:-$root/build/browser-artifacts}

tmp=$(mktemp -d /tmp/keyward-browser.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  server_pid=""
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "browser: $*" >&2; exit 1; }
[ -x "$keyward" ] || fail "no $keyward (build first)"

# TLS: a test CA and a server certificate for the three names.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=keyward browser test CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null ||
  fail "openssl: test CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$rp" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null || fail "openssl: server key"
printf 'subjectAltName=DNS:%s,DNS:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$rp" "$related" "$foreign" \
  >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 2 -extfile "$tmp/server.ext" -out "$tmp/server.crt" 2>/dev/null || fail "openssl: server cert"
cat "$tmp/server.crt" "$tmp/ca.pem" >"$tmp/chain.pem"
KW_SPKI=$(openssl x509 -in "$tmp/server.crt" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64)
export KW_SPKI

# Attestation anchor: Chromium's virtual authenticator certificate.
mkdir -p "$tmp/trust"
(cd "$here" && node run.mjs capture-attestation --out "$tmp/trust") || fail "capturing the virtual authenticator's attestation certificate"

cat >"$tmp/policy.json" <<EOF
{"extends": "ciam",
 "actions": {"login": "aal1", "account_settings": "aal2", "payment": "aal2", "admin": "aal3"}}
EOF
cat >"$tmp/serve.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "rp_id": "$rp",
  "rp_name": "keyward browser tests",
  "origins": ["https://$rp", "https://$related"],
  "related_origins": ["https://$related"],
  "policy": "$tmp/policy.json",
  "store": "sqlite:$tmp/keyward.db",
  "web_root": "$root/serve/web",
  "trust_dir": "$tmp/trust",
  "tls": {"cert": "$tmp/chain.pem", "key": "$tmp/server.key"},
  "limits": {"login_failures_before_backoff": 1000, "ip_rate": 1000, "ip_burst": 5000}
}
EOF

# KW_SERVER_CPU / KW_CLIENT_CPU (benchmarks): pin the server and the command to cores.
server_pin=() client_pin=()
[ -n "${KW_SERVER_CPU:-}" ] && server_pin=(taskset -c "$KW_SERVER_CPU")
[ -n "${KW_CLIENT_CPU:-}" ] && client_pin=(taskset -c "$KW_CLIENT_CPU")
"${server_pin[@]}" "$keyward" serve --config "$tmp/serve.json" >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!
port=""
for _ in $(seq 1 200); do  # 20 s at most
  port=$(sed -n 's/.*"event":"ready".*"listen":"[^"]*:\([0-9][0-9]*\)".*/\1/p' "$tmp/stdout" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "browser: keyward serve did not become ready; its stderr:" >&2
  tail -n 20 "$tmp/stderr" >&2
  exit 1
fi
export KW_PORT=$port
echo "browser: keyward serve (pid $server_pid) ready on 127.0.0.1:$port"

(cd "$here" && "${client_pin[@]}" "$@")
rc=$?
if [ "$rc" != 0 ] && [ -s "$tmp/stderr" ]; then
  echo "browser: last lines of the server log:"
  tail -n 15 "$tmp/stderr"
fi
exit "$rc"
