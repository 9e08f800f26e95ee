#!/usr/bin/python3
"""Summarises bench/peers/run.sh's results file into one table (ranges over repetitions).

Rows of the file: SIDE DURABILITY REP logins: ok=N failed=N exhausted=N seconds=S ok_per_s=R
p50_us=X p99_us=Y [cpu_us=C: server CPU time (all threads/processes) per answered login], SIDE one of keyward, peer, facade (DURABILITY "bare" for bare verification).
"""
import collections
import sys

runs = collections.defaultdict(dict)  # (side, durability) -> rep -> fields
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 5 or parts[3] != "logins:":
        continue
    fields = dict(p.split("=", 1) for p in parts[4:])
    runs[(parts[0], parts[1])][parts[2]] = {k: float(v) for k, v in fields.items()}


def fmt_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    return f"{us / 1000:.1f} ms" if us >= 1000 else f"{us:.0f} µs"


def rng(values, f):
    lo, hi = f(min(values)), f(max(values))
    if lo == hi:
        return lo
    lo_unit, hi_unit = lo.rsplit(" ", 1), hi.rsplit(" ", 1)
    if len(lo_unit) == 2 and len(hi_unit) == 2 and lo_unit[1] == hi_unit[1]:
        return f"{lo_unit[0]}-{hi_unit[0]} {hi_unit[1]}"  # "19.9-45.3 ms"
    return f"{lo}-{hi}"


def cell(side, durability, key, f):
    values = [r[key] for r in runs.get((side, durability), {}).values() if key in r]
    return rng(values, f) if values else "—"


LABELS = [
    ("keyward", "keyward serve, HTTP (2 threads, CPUs shared)"),
    ("peer", "SimpleWebAuthn 14 + Fastify 5, HTTP (node cluster, 2 workers)"),
    ("facade", "keyward facade FinishLogin, in process (1 thread, 1 CPU)"),
]
print()
print("| durability | what | logins/s | p50 | p99 | CPU per login | runs |")
print("|---|---|---|---|---|---|---|")
for durability in ("relaxed", "full"):
    for side, label in LABELS:
        reps = runs.get((side, durability), {})
        exhausted = sum(1 for r in reps.values() if r["exhausted"] > 0 or r["failed"] > 0)
        note = f" ({exhausted} run(s) with failed/exhausted requests!)" if exhausted else ""
        print(f"| {durability} | {label}{note} | {cell(side, durability, 'ok_per_s', lambda v: f'{v:.0f}')}"
              f" | {cell(side, durability, 'p50_us', fmt_us)} | {cell(side, durability, 'p99_us', fmt_us)}"
              f" | {cell(side, durability, 'cpu_us', fmt_us)} | {len(reps)} |")
if runs.get(("peer", "bare")):
    print(f"| — | SimpleWebAuthn verifyAuthenticationResponse alone, in process (1 CPU) | "
          f"{cell('peer', 'bare', 'ok_per_s', lambda v: f'{v:.0f}')} | "
          f"{cell('peer', 'bare', 'p50_us', fmt_us)} | {cell('peer', 'bare', 'p99_us', fmt_us)} | "
          f"{cell('peer', 'bare', 'cpu_us', fmt_us)} | {len(runs[('peer', 'bare')])} |")
if runs.get(("facade", "bare")):
    print(f"| — | bare ES256 assertion verification, in process (1 CPU) | "
          f"{cell('facade', 'bare', 'ok_per_s', lambda v: f'{v:.0f}')} | "
          f"{cell('facade', 'bare', 'p50_us', fmt_us)} | {cell('facade', 'bare', 'p99_us', fmt_us)} | "
          f"{cell('facade', 'bare', 'cpu_us', fmt_us)} | {len(runs[('facade', 'bare')])} |")


def ratios(a_side, b_side, durability, key, invert=False):
    a, b = runs.get((a_side, durability), {}), runs.get((b_side, durability), {})
    out = []
    for rep in sorted(set(a) & set(b)):
        if b[rep].get(key, 0) > 0 and a[rep].get(key, 0) > 0:
            out.append(b[rep][key] / a[rep][key] if invert else a[rep][key] / b[rep][key])
    return out


print()
verdict = None
for durability in ("relaxed", "full"):
    tput = ratios("keyward", "peer", durability, "ok_per_s")
    p99 = ratios("keyward", "peer", durability, "p99_us")
    http = ratios("keyward", "facade", durability, "ok_per_s")
    p50 = ratios("keyward", "facade", durability, "p50_us")
    if tput:
        print(f"{durability}: keyward serve / SimpleWebAuthn logins/s {rng(tput, lambda v: f'{v:.2f}')}x,"
              f" p99 keyward/SimpleWebAuthn {rng(p99, lambda v: f'{v:.2f}')}"
              " (per repetition, same run)")
    cpu = ratios("keyward", "peer", durability, "cpu_us", invert=True)
    if cpu:
        print(f"{durability}: server CPU per login, SimpleWebAuthn / keyward serve"
              f" {rng(cpu, lambda v: f'{v:.2f}')}x (what the logins/s ratio tends to when CPU is the"
              " limit and both get the same CPU)")
    cpu_http = ratios("keyward", "facade", durability, "cpu_us")
    if cpu_http:
        print(f"{durability}: keyward CPU per login, HTTP / in-process facade"
              f" {rng(cpu_http, lambda v: f'{v:.2f}')}x (the HTTP layer's cost)")
    for side, name in (("keyward", "keyward serve"), ("peer", "SimpleWebAuthn + Fastify")):
        floor = runs.get(("facade" if side == "keyward" else "peer", "bare"), {})
        mine = runs.get((side, durability), {})
        over = [mine[r]["cpu_us"] / floor[r]["cpu_us"] for r in sorted(set(mine) & set(floor))
                if "cpu_us" in mine[r] and floor[r].get("cpu_us", 0) > 0]
        if over:
            print(f"{durability}: {name} CPU per HTTP login / its own bare verification"
                  f" {rng(over, lambda v: f'{v:.2f}')}x")
    if http:
        print(f"{durability}: keyward serve (2 CPUs, 64 connections) / in-process facade (1 CPU, one"
              f" call at a time) logins/s {rng(http, lambda v: f'{v:.2f}')}; p50"
              f" {rng(p50, lambda v: f'{v:.0f}')}x (queueing behind 64 connections is in the HTTP p50)")
    if durability == "relaxed" and tput:
        met = all(t >= 4 for t in tput) and all(p < 1 for p in p99)
        verdict = "met" if met else "MISSED"
        print(f"#14 target (relaxed: >= 4x SimpleWebAuthn's logins/s and a lower p99, every repetition): "
              f"{verdict}")
