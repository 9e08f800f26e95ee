#!/usr/bin/env bash
# Memory of `keyward serve` with N idle keep-alive connections (default 10000): starts the server
# (port 0, its own temp store), opens N connections that each send one GET /healthz and then stay
# open, and prints the server's RSS before and after. Run from the repository root after
# building build/bin/keyward. Stops what it starts by PID.
set -u
n=${1:-10000}
bin=${KEYWARD_BIN:-build/bin/keyward}
ulimit -n $((n + 1024)) || { echo "cannot raise RLIMIT_NOFILE to $((n + 1024))"; exit 1; }
dir=$(mktemp -d)
cat > "$dir/c.json" <<JSON
{"listen":"127.0.0.1:0","rp_id":"localhost","origins":["http://localhost:8080"],
 "store":"sqlite:$dir/s.db","web_root":"","threads":2,"log_file":"$dir/log",
 "limits":{"max_connections":$((n + 100)),"max_connections_per_ip":$((n + 100)),
           "idle_timeout_ms":600000,"ip_burst":$((n * 2)),"ip_rate":100000}}
JSON
"$bin" serve --config "$dir/c.json" > "$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
before=$(rss)
/usr/bin/python3 - "$port" "$n" "$pid" <<'PY'
import socket, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req)
    socks.append(s)
ok = 0
for s in socks:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk: break
        data += chunk
    ok += data.startswith(b"HTTP/1.1 200")
time.sleep(1)
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
print(f"connections={n} answered_200={ok} rss_kib_with_idle={rss}")
sys.stdout.flush()
PY
after=$(rss)
echo "rss_kib_before=$before rss_kib_after_close=$after"
kill -TERM $pid; wait $pid
rm -rf "$dir"
