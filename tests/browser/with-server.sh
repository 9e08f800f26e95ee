#!/usr/bin/env bash
# tests/browser/with-server.sh COMMAND...
# Starts a private `keyward serve` for the browser tests, runs COMMAND in tests/browser/ with
# KW_PORT / KW_SPKI / KW_RP_HOST / KW_RELATED_HOST / KW_FOREIGN_HOST / KW_ARTIFACTS set, then
# stops the server by PID (also when COMMAND fails or the script is interrupted) and exits with
# COMMAND's status. A second server without attestation anchors (KW_PLAIN_HOST on KW_PLAIN_PORT)
# shows the same security key *without* trusted attestation. The servers' own logs go to files in
# the temporary directory; their last lines are printed when COMMAND fails.
#
# What it sets up in a temporary directory:
#  - a test CA and a TLS certificate for the three test host names (openssl); Chromium maps
#    each name's port 443 to the server's 127.0.0.1:PORT (--host-resolver-rules) and accepts
#    exactly this server key (--ignore-certificate-errors-spki-list=KW_SPKI);
#  - the attestation certificate of Chromium's virtual authenticators as a trust anchor:
#    captured from a credential the browser creates now (`run.mjs capture-attestation`). Chromium
#    signs this batch certificate anew for every credential, so later credentials carry other
#    bytes with the same subject and key; keyward's TrustStore takes a self-signed attestation
#    certificate as trusted when an anchor has its subject and key and its signature verifies
#    with that key (attestation/trust_store.cc) — so a security key with UV reaches AAL3;
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
plain=${KW_PLAIN_HOST:-plain.test}
export KW_RP_HOST=$rp KW_RELATED_HOST=$related KW_FOREIGN_HOST=$foreign KW_PLAIN_HOST=$plain
export KW_ARTIFACTS=${KW_ARTIFACTS:-$root/build/browser-artifacts}

tmp=$(mktemp -d /tmp/keyward-browser.XXXXXX)
server_pids=()
stop_server() {
  local pid=$1
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do stop_server "$pid"; done
  server_pids=()
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
printf 'subjectAltName=DNS:%s,DNS:%s,DNS:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$rp" "$related" "$foreign" "$plain" \
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
# $1 name, $2 rp id, $3 origins (JSON list), $4 related origins (JSON list), $5 trust_dir member
write_config() {
  cat >"$tmp/$1.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "rp_id": "$2",
  "rp_name": "keyward browser tests",
  "origins": $3,
  "related_origins": $4,
  "policy": "$tmp/policy.json",
  "store": "sqlite:$tmp/$1.db",
  "web_root": "$root/serve/web",$5
  "tls": {"cert": "$tmp/chain.pem", "key": "$tmp/server.key"},
  "limits": {"login_failures_before_backoff": 1000, "ip_rate": 1000, "ip_burst": 5000}
}
EOF
}
write_config serve "$rp" "[\"https://$rp\", \"https://$related\"]" "[\"https://$related\"]" \
  "
  \"trust_dir\": \"$tmp/trust\","
write_config plain "$plain" "[\"https://$plain\"]" "[]" ""

# KW_SERVER_CPU / KW_CLIENT_CPU (benchmarks): pin the server and the command to cores.
server_pin=() client_pin=()
[ -n "${KW_SERVER_CPU:-}" ] && server_pin=(taskset -c "$KW_SERVER_CPU")
[ -n "${KW_CLIENT_CPU:-}" ] && client_pin=(taskset -c "$KW_CLIENT_CPU")
# Starts `keyward serve --config $tmp/$1.json` (in this shell, so its PID is ours to stop and
# wait for); sets started_port once it is ready.
started_port=""
start_server() {
  local name=$1 pid port=""
  started_port=""
  "${server_pin[@]}" "$keyward" serve --config "$tmp/$name.json" >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" &
  pid=$!
  server_pids+=("$pid")
  for _ in $(seq 1 200); do  # 20 s at most
    port=$(sed -n 's/.*"event":"ready".*"listen":"[^"]*:\([0-9][0-9]*\)".*/\1/p' "$tmp/$name.stdout" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "browser: keyward serve ($name) did not become ready; its stderr:" >&2
    tail -n 20 "$tmp/$name.stderr" >&2
    return 1
  fi
  echo "browser: keyward serve $name (pid $pid) ready on 127.0.0.1:$port"
  started_port=$port
}
start_server serve || exit 1
export KW_PORT=$started_port
start_server plain || exit 1
export KW_PLAIN_PORT=$started_port

(cd "$here" && "${client_pin[@]}" "$@")
rc=$?
if [ "$rc" != 0 ]; then
  for name in serve plain; do
    [ -s "$tmp/$name.stderr" ] || continue
    echo "browser: last lines of the $name server log:"
    tail -n 15 "$tmp/$name.stderr"
  done
fi
exit "$rc"
