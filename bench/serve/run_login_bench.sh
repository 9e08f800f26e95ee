#!/usr/bin/env bash
# wrk on POST /assertion/result of `keyward serve` (conformance API) with distinct pre-issued
# challenges and pre-signed assertions: bench/serve/run_login_bench.sh [relaxed|full] [N] [SECONDS]
# Prints wrk's throughput and latency distribution and walk_logins.lua's "logins:" line. Stops
# what it starts by PID. CPUs: KW_SERVER_CPUS (default 0), KW_WRK_CPUS (default 1), wrk threads
# KW_WRK_THREADS (default 2), server worker threads KW_SERVE_THREADS (default 2); bench/peers/run.sh
# gives the server both CPUs.
set -u
durability=${1:-relaxed}
n=${2:-20000}
secs=${3:-8}
bin=${KEYWARD_BIN:-build/bin/keyward}
here=$(cd "$(dirname "$0")" && pwd)
server_cpus=${KW_SERVER_CPUS:-0}
wrk_cpus=${KW_WRK_CPUS:-1}
wrk_threads=${KW_WRK_THREADS:-2}
dir=$(mktemp -d)
cat > "$dir/c.json" <<JSON
{"listen":"127.0.0.1:0","rp_id":"localhost","origins":["http://localhost:8080"],
 "store":"sqlite:$dir/s.db","web_root":"","threads":${KW_SERVE_THREADS:-2},"conformance":true,
 "durability":"$durability","log_file":"$dir/log",
 "limits":{"ip_rate":10000000,"ip_burst":10000000}}
JSON
taskset -c "$server_cpus" "$bin" serve --config "$dir/c.json" > "$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
/usr/bin/python3 "$here/prepare_logins.py" "$port" "$n" "$dir/logins.jsonl" || { kill $pid; wait $pid; exit 1; }
# CPU seconds (user + system, all threads) the server spent during the wrk run.
cpu_ticks() { local t=0 p f; for p in "$@"; do read -r -a f < <(sed 's/.*) //' "/proc/$p/stat"); t=$((t + f[11] + f[12])); done; echo $t; }
cpu0=$(cpu_ticks $pid)
KW_LOGINS="$dir/logins.jsonl" KW_THREADS=$wrk_threads taskset -c "$wrk_cpus" wrk -t"$wrk_threads" \
  -c64 -d"${secs}s" --latency -s "$here/walk_logins.lua" "http://127.0.0.1:$port"
echo "server_cpu_s=$(echo "$(cpu_ticks $pid) $cpu0 $(getconf CLK_TCK)" | awk '{printf "%.2f", ($1 - $2) / $3}')"
ok=$(grep -c '"route":"/assertion/result","status":200' "$dir/log")
bad=$(grep '"route":"/assertion/result"' "$dir/log" | grep -vc '"status":200')
echo "durability=$durability logins_ok=$ok logins_not_ok=$bad (server on cpus $server_cpus, wrk on cpus $wrk_cpus)"
kill -TERM $pid; wait $pid
rm -rf "$dir"
