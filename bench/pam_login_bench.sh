#!/usr/bin/env bash
# bench/pam_login_bench.sh [BUILD_DIR] [RUNS]
#
# End-to-end PAM authentication with the software PIV card through OpenSC, driven by pamtester
# under pam_wrapper (service files in a temporary directory; /etc is not touched):
#   keyward   pam_keyward.so, chain + signature over a fresh challenge + CRL + OCSP with nonce
#             (keyward-test-ocsp-responder on 127.0.0.1, well-behaved "echo" mode)
#   peer      Debian's pam_pkcs11.so on the same card, module and CA,
#             cert_policy = ca,signature,crl_offline, null mapper → the same account
# Prints, per side, wall time per authentication (min / median / max over RUNS) and the APDUs
# each authentication sent (counted in pcscd's --apdu log), side by side in one run. Runs pinned
# to CPU 1 (taskset -c 1) inside a private namespace (scripts/with-pcscd). Needs root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-15}
build=$(cd "$build" && pwd)

if [ -z "${KEYWARD_PAM_BENCH_INSIDE:-}" ]; then
  export KEYWARD_PAM_BENCH_INSIDE=1
  work=$(mktemp -d /tmp/keyward-pam-bench.XXXXXX)
  export KEYWARD_PAM_BENCH_DIR=$work KEYWARD_BIN_DIR=$build/bin
  export KEYWARD_PCSCD_ARGS="--debug --apdu" KEYWARD_PCSCD_LOG=$work/pcscd.log
  status=0
  "$root/scripts/with-pcscd" "$0" "$build" "$runs" || status=$?
  rm -rf "$work"
  exit "$status"
fi

w=$KEYWARD_PAM_BENCH_DIR
kw=$build/bin/keyward
opensc=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
user=nobody
pin=123456
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A CA and an (empty) CRL.
openssl ecparam -name prime256v1 -genkey -noout -out "$w/ca.key" 2>/dev/null
openssl req -x509 -new -key "$w/ca.key" -subj "/CN=PAM Bench CA" -days 30 -sha256 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -out "$w/ca.pem" 2>/dev/null
mkdir -p "$w/ca"
: >"$w/ca/index.txt"
echo 01 >"$w/ca/crlnumber"
cat >"$w/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $w/ca/index.txt
crlnumber = $w/ca/crlnumber
default_md = sha256
default_crl_days = 30
EOF
openssl ca -batch -config "$w/ca.cnf" -gencrl -keyfile "$w/ca.key" -cert "$w/ca.pem" \
  -out "$w/ca.crl" 2>/dev/null

# The card: key generated in 9A, logon certificate for nobody@corp.example issued by the CA.
"$KEYWARD_SOFTPIV" --state "$w/card.json" --port "$KEYWARD_VPCD_PORT" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$kw" card readers --json 2>/dev/null | grep -Eq '"card_present": ?true' && break
  sleep 0.1
done
"$kw" card enroll --user "$user" --name "Bench User" --upn "$user@corp.example" \
  --ca-cert "$w/ca.pem" --ca-key "$w/ca.key" --keep-pin --keep-puk --keep-mgmt-key \
  --no-login-check --json >"$w/enroll.json" 2>"$w/enroll.err" || {
  echo "card enroll failed:"; cat "$w/enroll.json" "$w/enroll.err"; exit 1; }

# OCSP responder for keyward.
"$build/bin/keyward-test-ocsp-responder" --port-file "$w/ocsp.port" --ca "$w/ca.pem" \
  --signer "$w/ca.pem" --signer-key "$w/ca.key" --status good --lifetime 600 \
  >"$w/ocsp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$w/ocsp.port" ] && break; sleep 0.1; done
ocsp_url="http://127.0.0.1:$(cat "$w/ocsp.port")/"

# keyward's config and service.
cat >"$w/pam.conf" <<EOF
[default]
methods = card
card_module = $opensc
card_ca = $w/ca.pem
card_crl = $w/ca.crl
card_ocsp = $ocsp_url
card_rules = $w/rules
EOF
echo 'rule bench: <SAN:upn>@corp\.example$ => upn-user' >"$w/rules"
chmod 644 "$w/pam.conf"
mkdir -p "$w/pam.d"
echo "auth required $build/lib/pam_keyward.so config=$w/pam.conf" >"$w/pam.d/kw-bench"

# pam_pkcs11's config: same module, CA and CRL (hashed directories), null mapper → nobody.
mkdir -p "$w/pkcs11/cacerts" "$w/pkcs11/crls"
cp "$w/ca.pem" "$w/pkcs11/cacerts/"
cp "$w/ca.crl" "$w/pkcs11/crls/ca.crl.pem"
openssl rehash "$w/pkcs11/cacerts" "$w/pkcs11/crls" 2>/dev/null
cat >"$w/pkcs11/pam_pkcs11.conf" <<EOF
pam_pkcs11 {
  nullok = false;
  debug = false;
  use_first_pass = false;
  try_first_pass = false;
  use_authtok = false;
  card_only = true;
  wait_for_card = false;
  use_pkcs11_module = opensc;
  pkcs11_module opensc {
    module = $opensc;
    slot_num = 0;
    ca_dir = $w/pkcs11/cacerts;
    crl_dir = $w/pkcs11/crls;
    support_threads = false;
    cert_policy = ca,signature,crl_offline;
    token_type = "Smart card";
  }
  use_mappers = null;
  mapper_search_path = /usr/lib/x86_64-linux-gnu/pam_pkcs11;
  mapper null {
    debug = false;
    module = internal;
    default_match = true;
    default_user = $user;
  }
}
EOF
echo "auth required /lib/x86_64-linux-gnu/security/pam_pkcs11.so config_file=$w/pkcs11/pam_pkcs11.conf" \
  >"$w/pam.d/pkcs11-bench"

export LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$w/pam.d

apdus() { grep -c 'APDU: ' "$KEYWARD_PCSCD_LOG" 2>/dev/null || echo 0; }

# One authentication; prints "nanoseconds apdus".
once() {
  local service=$1 before after t0 t1
  before=$(apdus)
  t0=$(date +%s%N)
  if ! printf '%s\n' "$pin" | taskset -c 1 pamtester "$service" "$user" authenticate \
      >>"$w/$service.out" 2>&1; then
    echo "FAILED: $service (see below)" >&2; tail -5 "$w/$service.out" >&2; return 1
  fi
  t1=$(date +%s%N)
  sleep 0.2  # let pcscd flush its log
  after=$(apdus)
  echo "$((t1 - t0)) $((after - before))"
}

stats() {  # reads "ns apdus" lines; prints min/median/max ms and the APDU range
  sort -n | awk '{t[NR]=$1/1e6; a[NR]=$2; if(NR==1||$2<amin)amin=$2; if(NR==1||$2>amax)amax=$2}
    END {printf "%7.1f / %7.1f / %7.1f ms   APDUs %d-%d   (n=%d)\n", t[1], t[int((NR+1)/2)], t[NR], amin, amax, NR}'
}

once kw-bench >/dev/null      # warm-up (OpenSC's first card read, file caches)
once pkcs11-bench >/dev/null
: >"$w/kw.txt"; : >"$w/p11.txt"
for _ in $(seq 1 "$runs"); do   # interleaved, so machine noise hits both sides alike
  once kw-bench >>"$w/kw.txt"
  once pkcs11-bench >>"$w/p11.txt"
done
echo "PAM authentication, software PIV card via OpenSC + pcscd + vpcd, pamtester, taskset -c 1"
echo "                                             min / median / max"
printf '%-44s %s\n' "pam_keyward (chain+CRL+OCSP nonce+challenge)" "$(stats <"$w/kw.txt")"
printf '%-44s %s\n' "pam_pkcs11 (ca,signature,crl_offline)" "$(stats <"$w/p11.txt")"
