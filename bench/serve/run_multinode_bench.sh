#!/usr/bin/env bash
# Two `keyward serve` nodes on ONE PostgreSQL beside one node, under wrk, in one run (issue #16):
#   bench/serve/run_multinode_bench.sh [N] [SECONDS]
# Starts a private PostgreSQL 15 (scripts/with-postgres: Unix socket, default durability,
# synchronous_commit=on) and two nodes (2 worker threads each, conformance API). N distinct
# pre-issued challenges with pre-signed ES256 assertions per phase (bench/serve/prepare_logins.py),
# POST /assertion/result, each sent once (walk_logins.lua):
#   1. one node:  wrk -t2 -c64 against node A;
#   2. two nodes: two wrk processes at once, -t1 -c32 each, one against A and one against B
#      (what a load balancer spreading 64 connections over both does);
#   3. control: one node with 4 worker threads (as many as both nodes together), wrk -t2 -c64.
# PostgreSQL and both nodes run on vCPU 0, wrk on vCPU 1 (taskset). Prints logins/s (answered
# 200 by the servers within the window, from their request logs) and wrk's p50/p99 side by side.
# Every counted login was verified, its challenge spent, its counter compared-and-set and its audit
# record appended in PostgreSQL. Stops what it starts by PID (with-postgres stops PostgreSQL).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${KEYWARD_TEST_PG_URL:-}" ]; then
  exec taskset -c 0 "$root/scripts/with-postgres" "$0" "$@"
fi
n=${1:-4000}
secs=${2:-3}
bin=${KEYWARD_BIN:-$root/build/bin/keyward}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$dir"
}
trap cleanup EXIT

port=""
start_node() {  # start_node NAME [THREADS]: sets $port
  cat >"$dir/$1.json" <<JSON
{"listen":"127.0.0.1:0","rp_id":"localhost","origins":["http://localhost:8080"],
 "store":"$KEYWARD_TEST_PG_URL","web_root":"","threads":${2:-2},"conformance":true,
 "log_file":"$dir/$1.log","limits":{"ip_rate":10000000,"ip_burst":10000000}}
JSON
  taskset -c 0 "$bin" serve --config "$dir/$1.json" >"$dir/$1.out" 2>"$dir/$1.err" &
  pids+=($!)
  for _ in $(seq 200); do grep -q ready "$dir/$1.out" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/$1.out")
  [ -n "$port" ] || { echo "node $1 did not start: $(cat "$dir/$1.err")" >&2; exit 1; }
}
start_node a
port_a=$port
start_node b
port_b=$port
start_node c 4
port_c=$port

/usr/bin/python3 "$here/prepare_logins.py" "$port_a" "$n" "$dir/one.jsonl" || exit 1
/usr/bin/python3 "$here/prepare_logins.py" "$port_b" "$n" "$dir/two.jsonl" || exit 1
/usr/bin/python3 "$here/prepare_logins.py" "$port_c" "$n" "$dir/four.jsonl" || exit 1
awk 'NR % 2 == 1' "$dir/two.jsonl" >"$dir/two_a.jsonl"
awk 'NR % 2 == 0' "$dir/two.jsonl" >"$dir/two_b.jsonl"

ok_count() { awk '/"route":"\/assertion\/result","status":200/ {n++} END {print n + 0}' "$1" 2>/dev/null || echo 0; }
not_ok() { awk '/"route":"\/assertion\/result"/ && !/"status":200/ {n++} END {print n + 0}' "$1" 2>/dev/null || echo 0; }
# wrk's 50% and 99% lines of --latency.
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }

a0=$(ok_count "$dir/a.log")
KW_LOGINS="$dir/one.jsonl" KW_THREADS=2 taskset -c 1 wrk -t2 -c64 -d"${secs}s" --latency \
  -s "$here/walk_logins.lua" "http://127.0.0.1:$port_a" >"$dir/wrk_one" 2>&1
a1=$(ok_count "$dir/a.log")
bad1=$(not_ok "$dir/a.log")
one_ok=$((a1 - a0))

b0=$(ok_count "$dir/b.log")
KW_LOGINS="$dir/two_a.jsonl" KW_THREADS=1 taskset -c 1 wrk -t1 -c32 -d"${secs}s" --latency \
  -s "$here/walk_logins.lua" "http://127.0.0.1:$port_a" >"$dir/wrk_two_a" 2>&1 &
w1=$!
KW_LOGINS="$dir/two_b.jsonl" KW_THREADS=1 taskset -c 1 wrk -t1 -c32 -d"${secs}s" --latency \
  -s "$here/walk_logins.lua" "http://127.0.0.1:$port_b" >"$dir/wrk_two_b" 2>&1 &
w2=$!
wait "$w1" "$w2"
a2=$(ok_count "$dir/a.log")
b2=$(ok_count "$dir/b.log")
two_ok=$((a2 - a1 + b2 - b0))
bad2=$(($(not_ok "$dir/a.log") - bad1 + $(not_ok "$dir/b.log")))

# Control: ONE node with as many worker threads as the two nodes together.
c0=$(ok_count "$dir/c.log")
KW_LOGINS="$dir/four.jsonl" KW_THREADS=2 taskset -c 1 wrk -t2 -c64 -d"${secs}s" --latency \
  -s "$here/walk_logins.lua" "http://127.0.0.1:$port_c" >"$dir/wrk_four" 2>&1
c1=$(ok_count "$dir/c.log")
bad3=$(not_ok "$dir/c.log")
four_ok=$((c1 - c0))

printf '%-34s %10s %10s %10s %8s\n' "keyward serve on PostgreSQL" "logins/s" "p50" "p99" "not_ok"
printf '%-34s %10.0f %10s %10s %8s\n' "one node (wrk -c64)" "$(awk -v a="$one_ok" -v s="$secs" 'BEGIN{print a/s}')" \
  "$(pct "$dir/wrk_one" 50%)" "$(pct "$dir/wrk_one" 99%)" "$bad1"
printf '%-34s %10.0f %10s %10s %8s\n' "two nodes (wrk -c32 each)" "$(awk -v a="$two_ok" -v s="$secs" 'BEGIN{print a/s}')" \
  "$(pct "$dir/wrk_two_a" 50%)/$(pct "$dir/wrk_two_b" 50%)" \
  "$(pct "$dir/wrk_two_a" 99%)/$(pct "$dir/wrk_two_b" 99%)" "$bad2"
printf '%-34s %10.0f %10s %10s %8s\n' "one node, 4 threads (control)" \
  "$(awk -v a="$four_ok" -v s="$secs" 'BEGIN{print a/s}')" \
  "$(pct "$dir/wrk_four" 50%)" "$(pct "$dir/wrk_four" 99%)" "$bad3"
echo "ratio two/one: $(awk -v a="$two_ok" -v b="$one_ok" 'BEGIN{printf "%.2f", (b > 0 ? a/b : 0)}')" \
  "(N=$n per phase, ${secs}s each; PostgreSQL + nodes on vCPU 0, wrk on vCPU 1;" \
  "not_ok counts requests past the N prepared logins and any refusal)"
