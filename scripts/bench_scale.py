#!/usr/bin/env python3
"""Concurrent big transfers against several FTP servers, interleaved (bench-scale.sh).

For each measure (up, down) and repetition r, every server runs once in turn (the
starting server rotates with r): N clients at once, each moving SIZE bytes. Records
the aggregate rate (N * SIZE over the wall time from the first start to the last end),
the server's CPU (its cpuacct cgroup: forked session processes included) and the
clients' CPU. Writes RESULTS/scale.json and prints a markdown table.

usage: bench_scale.py --servers NAME=PORT=CGROUP,... --root ROOT --src FILE
                      [--clients 8] [--reps 3] [--client curl|sansftp]
                      [--ratios A/B,...] [--out FILE]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

USER = os.environ.get("FTP_USER", "ftpbench")
PASS = os.environ.get("FTP_PASS", "ftpbench")


def cgroup_ns(cg):
    try:
        with open(os.path.join("/sys/fs/cgroup/cpuacct", cg.lstrip("/"), "cpuacct.usage")) as f:
            return int(f.read())
    except OSError:
        return None


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def command(args, measure, port, i):
    url = f"ftp://{USER}:{PASS}@127.0.0.1:{port}"
    if measure == "up":
        name = f"upload/scale-{port}-{i}.bin"
        if args.client == "sansftp":
            return [args.sansftp, "--quiet", "put", args.src, f"{url}/{name}"]
        return ["curl", "-sS", "--fail", "-T", args.src, f"{url}/{name}"]
    return ["curl", "-sS", "--fail", "-o", "/dev/null", f"{url}/scale/d.bin"]


def run_once(args, measure, name, port, cg):
    size = os.path.getsize(args.src)
    cpu0, ccpu0 = cgroup_ns(cg), children_cpu()
    start = time.monotonic()
    procs = [subprocess.Popen(command(args, measure, port, i), stdout=subprocess.DEVNULL)
             for i in range(args.clients)]
    codes = [p.wait(timeout=600) for p in procs]
    wall = time.monotonic() - start
    cpu1, ccpu1 = cgroup_ns(cg), children_cpu()
    if measure == "up":
        for i in range(args.clients):
            path = os.path.join(args.root, "upload", f"scale-{port}-{i}.bin")
            ok = os.path.exists(path) and os.path.getsize(path) == size
            codes.append(0 if ok else 99)
            if os.path.exists(path):
                os.remove(path)
    total = size * args.clients
    return {
        "server": name,
        "measure": measure,
        "ok": all(c == 0 for c in codes),
        "wall_s": wall,
        "mb_s": total / wall / 1e6,
        "server_cpu_s_per_gib": None if cpu0 is None or cpu1 is None
        else (cpu1 - cpu0) / 1e9 / (total / 2**30),
        "client_cpu_s_per_gib": (ccpu1 - ccpu0) / (total / 2**30),
    }


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def spread2(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", required=True, help="NAME=PORT=CGROUP,...")
    ap.add_argument("--root", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--measures", default="up,down")
    ap.add_argument("--client", default="curl", choices=["curl", "sansftp"])
    ap.add_argument("--sansftp", default="target/release/sansftp")
    ap.add_argument("--ratios", default="", help="A/B,...: median rate of A over B")
    ap.add_argument("--out", default="scale.json")
    args = ap.parse_args()
    servers = [tuple(s.split("=", 2)) for s in args.servers.split(",")]
    runs = []
    for measure in args.measures.split(","):
        for r in range(args.reps):
            k = r % len(servers)
            for name, port, cg in servers[k:] + servers[:k]:
                time.sleep(1)  # let the previous run's sockets and page frees settle
                res = run_once(args, measure, name, int(port), cg)
                res["rep"] = r
                runs.append(res)
                print(f"  {measure} rep {r} {name}: {res['mb_s']:.0f} MB/s, server "
                      f"{res['server_cpu_s_per_gib'] or 0:.2f} s/GiB, clients "
                      f"{res['client_cpu_s_per_gib']:.2f} s/GiB, ok={res['ok']}", flush=True)
    with open(args.out, "w") as f:
        json.dump({"clients": args.clients, "size": os.path.getsize(args.src),
                   "client": args.client, "runs": runs}, f, indent=1)
    names = [s[0] for s in servers]
    print()
    print(f"| {args.clients} concurrent x {os.path.getsize(args.src) >> 20} MiB, "
          f"client {args.client} | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for measure in args.measures.split(","):
        label = "upload" if measure == "up" else "download"
        for key, what, fmt in (("mb_s", "aggregate MB/s", spread),
                               ("server_cpu_s_per_gib", "server CPU s/GiB", spread2),
                               ("client_cpu_s_per_gib", "clients' CPU s/GiB", spread2)):
            cells = [fmt([x[key] for x in runs if x["server"] == n and x["measure"] == measure])
                     for n in names]
            print(f"| {label} {what} | " + " | ".join(cells) + " |")
    for pair in filter(None, args.ratios.split(",")):
        a, b = pair.split("/")
        for measure in args.measures.split(","):
            def med(n):
                v = [x["mb_s"] for x in runs if x["server"] == n and x["measure"] == measure]
                return statistics.median(v) if v else None
            if med(a) and med(b):
                print(f"\n{measure}: {a} / {b} = {med(a) / med(b):.2f}x (median aggregate MB/s)",
                      end="")
    print()
    bad = [x for x in runs if not x["ok"]]
    if bad:
        print(f"\n{len(bad)} run(s) failed a transfer or a size check", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
