#!/usr/bin/env python3
"""Combines the one-repetition result files of an interleaved run into one bench.py
result per server, in bench.py's own format (so the rig's summarize.py reads it).

    bench_combine.py OUT.json RUN.json [RUN.json ...]   # all runs of one server

Each RUN.json is what `bench.py --reps 1 --only MEASURE --out RUN.json` wrote; the
runs of each measure are put together in file order, and the medians recomputed as
bench.py computes them. With OUT.json already there, its other measures are kept
(the `ONLY=` runs of bench-server.sh).
"""
import json
import os
import statistics
import sys

SUMMARY_KEYS = ("p50_ms", "p99_ms", "server_cpu_s", "client_cpu_s", "seconds", "others_cores")


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarize(name, runs):
    """bench.py's summary of one measure's runs."""
    summ = {"runs": runs, "median": median_of(runs, "value"),
            "unit": next((r["unit"] for r in runs if "unit" in r), ""),
            "errors": [r["errors"] for r in runs if r.get("errors")]}
    for k in SUMMARY_KEYS:
        if any(k in r for r in runs):
            summ[k] = median_of(runs, k)
    ok = [r for r in runs if "idle" in r]
    if name == "rss" and ok:
        # the first run's idle figure is the fresh server's (interleaved runs start
        # with rss on freshly started servers)
        summ["idle_rss_mib"] = ok[0]["idle"]["rss_mib"]
        summ["idle_pss_mib"] = ok[0]["idle"]["pss_mib"]
        summ["loaded_rss_mib"] = statistics.median(r["loaded"]["rss_mib"] for r in ok)
        summ["loaded_pss_mib"] = summ["median"]
    return summ


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_path, run_paths = sys.argv[1], sys.argv[2:]
    runs, first = {}, None
    for p in run_paths:
        d = json.load(open(p))
        first = first or d
        for name, mm in d["measures"].items():
            runs.setdefault(name, []).extend(mm["runs"])
    out = dict(first)
    if os.path.exists(out_path):
        out = json.load(open(out_path))
    out["reps"] = max(len(r) for r in runs.values())
    out["interleaved"] = True
    out.setdefault("measures", {})
    for name, rs in runs.items():
        out["measures"][name] = summarize(name, rs)
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
