#!/usr/bin/env bash
# keyward serve beside SimpleWebAuthn 14 in Fastify (issue #14, "Numbers"), in one run:
#   bench/peers/run.sh [REPETITIONS] [SECONDS]          (defaults 3 and 5; from the checkout root)
# Needs build/bin/keyward and build/bin/bench_authenticator
# (`cmake --build build --target keyward bench_authenticator`), Debian's wrk and node, and
# bench/peers/node_modules (run.sh runs `npm ci` there from package-lock.json when it is missing).
#
# Each repetition, for relaxed (WAL + synchronous=NORMAL) and full (synchronous=FULL) durability:
#   - keyward facade: build/bin/bench_authenticator's BM_FacadeFinishLogin (in process, one thread
#     pinned to CPU $KW_FACADE_CPU, default 1): the login without HTTP; beside it the two floors,
#     BM_VerifyAssertionBare and bench/peers/verify_only.mjs (SimpleWebAuthn's verification alone);
#   - keyward serve:  bench/serve/run_login_bench.sh (conformance API, 2 worker threads);
#   - peer:           bench/peers/server.mjs (Fastify + @simplewebauthn/server, node cluster with
#                     2 workers, better-sqlite3 with the same journal mode and synchronous level);
# both servers get CPUs $KW_SERVER_CPUS (default 0,1) and wrk -t2 -c64 runs on $KW_WRK_CPUS
# (default 0,1) for SECONDS on POST /assertion/result with distinct pre-issued challenges and
# pre-signed ES256 assertions (bench/serve/prepare_logins.py, walk_logins.lua). The order of
# keyward and peer alternates between repetitions. Prints one table (range over repetitions) and
# the #14 target (relaxed: >= 4x the peer's logins/s with a lower p99).
# Logins prepared per run: KW_N_RELAXED (40000), KW_N_PEER_RELAXED (20000), KW_N_FULL (2500); a
# run that used them all up is marked "exhausted" (raise the number). Stops what it starts by PID.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/bench/peers"
reps=${1:-3}
secs=${2:-5}
bin=${KEYWARD_BIN:-$root/build/bin/keyward}
facade_bin=${KEYWARD_FACADE_BIN:-$root/build/bin/bench_authenticator}
export KW_SERVER_CPUS=${KW_SERVER_CPUS:-0,1}
export KW_WRK_CPUS=${KW_WRK_CPUS:-0,1}
export KW_WRK_THREADS=${KW_WRK_THREADS:-2}
facade_cpu=${KW_FACADE_CPU:-1}
n_relaxed=${KW_N_RELAXED:-40000}
n_peer_relaxed=${KW_N_PEER_RELAXED:-20000}
n_full=${KW_N_FULL:-2500}

for tool in wrk node npm taskset; do
  command -v "$tool" > /dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
for b in "$bin" "$facade_bin"; do
  [ -x "$b" ] || { echo "run.sh: $b missing (cmake --build build --target keyward bench_authenticator)" >&2; exit 1; }
done
if [ ! -e "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "run.sh: npm ci in bench/peers (builds better-sqlite3's bundled SQLite from source)" >&2
  (cd "$here" && npm ci --no-audit --no-fund) >&2 || exit 1
fi

work=$(mktemp -d)
peer_pid=""
# Stopped from outside: stop the peer server we started (by PID) and remove the scratch files.
trap '[ -n "$peer_pid" ] && kill -TERM "$peer_pid" 2> /dev/null && wait "$peer_pid"; rm -rf "$work"; exit 130' INT TERM
results="$work/results"
: > "$results"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start;" \
  "node $(node --version), wrk: servers on CPUs $KW_SERVER_CPUS, wrk -t$KW_WRK_THREADS -c64" \
  "${secs}s on CPUs $KW_WRK_CPUS, facade on CPU $facade_cpu"

# One "logins:" line of walk_logins.lua -> a results row.
record() {  # side durability rep logfile
  local line
  line=$(grep '^logins:' "$4" | tail -1)
  if [ -z "$line" ]; then
    echo "run.sh: no result from $1 $2 (log: $4)" >&2
    sed -n '1,40p' "$4" >&2
    return
  fi
  local cpu ok
  cpu=$(sed -n 's/^server_cpu_s=//p' "$4" | tail -1)
  ok=$(echo "$line" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
  if [ -n "$cpu" ] && [ "${ok:-0}" -gt 0 ]; then
    line="$line cpu_us=$(awk -v c="$cpu" -v n="$ok" 'BEGIN { printf "%.0f", c * 1e6 / n }')"
  fi
  echo "$1 $2 $3 $line" >> "$results"
  echo "  $1 $2: $line"
}

run_keyward() {  # durability n rep
  local log="$work/keyward-$1-$3.log"
  KEYWARD_BIN="$bin" bash "$root/bench/serve/run_login_bench.sh" "$1" "$2" "$secs" > "$log" 2>&1
  record keyward "$1" "$3" "$log"
  grep '^durability=' "$log" | sed 's/^/    /'
}

# CPU clock ticks (user + system, all threads) of the given processes.
cpu_ticks() {
  local t=0 p f
  for p in "$@"; do read -r -a f < <(sed 's/.*) //' "/proc/$p/stat"); t=$((t + f[11] + f[12])); done
  echo $t
}

run_peer() {  # durability n rep
  local dir log pid port
  dir=$(mktemp -d "$work/peer.XXXX")
  log="$work/peer-$1-$3.log"
  taskset -c "$KW_SERVER_CPUS" node "$here/server.mjs" --db "$dir/p.db" --durability "$1" \
    --workers 2 > "$dir/out" 2> "$dir/err" &
  pid=$!
  peer_pid=$pid
  for _ in $(seq 200); do grep -q ready "$dir/out" 2> /dev/null && break; sleep 0.1; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
  if [ -z "$port" ] ||
     ! /usr/bin/python3 "$root/bench/serve/prepare_logins.py" "$port" "$2" "$dir/logins.jsonl" \
       > "$log" 2>&1; then
    echo "run.sh: peer did not start or prepare failed" >&2
    cat "$dir/err" "$log" >&2
    kill -TERM "$pid"; wait "$pid"
    return
  fi
  local workers cpu0
  workers=$(cat "/proc/$pid/task/"*/children)
  cpu0=$(cpu_ticks $workers)
  KW_LOGINS="$dir/logins.jsonl" KW_THREADS=$KW_WRK_THREADS taskset -c "$KW_WRK_CPUS" \
    wrk -t"$KW_WRK_THREADS" -c64 -d"${secs}s" --latency -s "$root/bench/serve/walk_logins.lua" \
    "http://127.0.0.1:$port" >> "$log" 2>&1
  echo "server_cpu_s=$(echo "$(cpu_ticks $workers) $cpu0 $(getconf CLK_TCK)" |
    awk '{printf "%.2f", ($1 - $2) / $3}')" >> "$log"
  kill -TERM "$pid"; wait "$pid"
  peer_pid=""
  record peer "$1" "$3" "$log"
  # Every answered login committed: audit rows of logins (after the server stopped).
  /usr/bin/python3 -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
print("    peer audit rows of logins:", c.execute("SELECT count(*) FROM audit WHERE event = ?", ("login",)).fetchone()[0])' "$dir/p.db"
  rm -rf "$dir"
}

run_facade() {  # rep
  local out="$work/facade-$1.json"
  KEYWARD_BENCH_CREDENTIALS=${KW_BENCH_CREDENTIALS:-100000} taskset -c "$facade_cpu" "$facade_bin" \
    --benchmark_filter='^BM_(VerifyAssertionBare|FacadeFinishLogin/[01])' \
    --benchmark_out="$out" --benchmark_out_format=json > "$work/facade-$1.log" 2>&1 ||
    { echo "run.sh: bench_authenticator failed" >&2; tail -20 "$work/facade-$1.log" >&2; return; }
  /usr/bin/python3 - "$out" "$1" >> "$results" <<'EOF'
import json, sys
names = {"BM_VerifyAssertionBare": "bare", "BM_FacadeFinishLogin/0": "full",
         "BM_FacadeFinishLogin/1": "relaxed"}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    base = b["name"].split("/iterations")[0]
    if base in names:
        print(f"facade {names[base]} {sys.argv[2]} logins: ok=0 failed=0 exhausted=0 seconds=0 "
              f"ok_per_s={b['logins_per_s']:.0f} p50_us={b['median_us']:.0f} p99_us={b['p99_us']:.0f} "
              f"cpu_us={b['cpu_time']:.0f}")
EOF
  grep "^facade [a-z]* $1 " "$results" | sed 's/^/  /'
  # SimpleWebAuthn's own floor: verifyAuthenticationResponse alone, in process, same CPU.
  (cd "$here" && taskset -c "$facade_cpu" node verify_only.mjs 3000) > "$work/peer-bare-$1.log" 2>&1
  record peer bare "$1" "$work/peer-bare-$1.log"
}

for rep in $(seq "$reps"); do
  echo "repetition $rep/$reps (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  run_facade "$rep"
  for d in relaxed full; do
    if [ "$d" = relaxed ]; then nk=$n_relaxed; np=$n_peer_relaxed; else nk=$n_full; np=$n_full; fi
    if [ $((rep % 2)) = 1 ]; then
      run_keyward "$d" "$nk" "$rep"; run_peer "$d" "$np" "$rep"
    else
      run_peer "$d" "$np" "$rep"; run_keyward "$d" "$nk" "$rep"
    fi
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$here/report.py" "$results"
cp "$results" "${KW_RESULTS_OUT:-/dev/null}" 2> /dev/null || true
rm -rf "$work"
