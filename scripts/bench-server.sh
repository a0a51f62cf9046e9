#!/usr/bin/env bash
# Benchmarks `sansftp serve` (async, blocking and tokio adapters) side by side with
# pyftpdlib and vsftpd (and pure-ftpd on request) on the shared FTP rig
# (../shared/rig, read-only: only its scripts are run), then prints the rig's
# median table and the ratios that issue 3 item 7 targets.
#
#   scripts/bench-server.sh                        # full run, REPS=3 (~20-25 min, quiet box)
#   REPS=1 ONLY=dl_curl,small,list scripts/bench-server.sh   # quick smoke
#
# Run as root (vsftpd/pure-ftpd need a system account). Loopback only.
# Environment (all optional):
#   REPS=3             bench.py --reps
#   ONLY=m1,m2         bench.py --only (rss dl_curl dl_ftplib dl_rust ul_curl ul_ftplib
#                      ul_rust small small_rust conc conc_rust list mlsd) plus this
#                      script's own `idle10k`; with ONLY the per-server JSON files
#                      are merged (bench.py --merge), not replaced
#   SERVERS="sansftp-async sansftp-blocking sansftp-tokio pyftpdlib vsftpd"   (pureftpd aioftp unftp
#                      also known; PUREFTPD=1 appends pureftpd)
#   PHYSICAL=1         also run the rig's physical.sh (iperf3 loopback limit, ~2 min);
#                      otherwise RESULTS/physical.json or the rig's stored one is used
#   IDLE_SESSIONS=10000  idle logged-in sessions for idle10k (0: skip it)
#   IDLE_SERVERS="sansftp-async"  servers idle10k runs on (fresh server each)
#   RESULTS=target/bench-server   output folder (JSON per server, summary.md, ratios.md)
#   ROOT=/dev/shm/ftprig/root SRC=/dev/shm/ftprig/src   data set (tmpfs, as run_all.sh)
#   RIG=../shared/rig  RIG_TMP=/tmp/ftprig  FTP_USER/FTP_PASS=ftpbench
#   BENCH_ARGS="..."   extra bench.py arguments (e.g. "--wait-quiet 5 --conc-duration 3")
#   SANSFTP_FLAGS="--quiet"   global sansftp flags (default: warnings only, like the
#                      rig's pyftpdlib at WARNING); SANSFTP_ARGS: extra `serve` options
#   BUILD=0            skip `cargo build --release` (use target/release/sansftp as is)
#   RUST_CLIENT=0      do not build the rig's suppaftp client (its measures are skipped)
#   BENCH_TIMEOUT=1800 seconds per bench.py invocation; every other step is bounded too
set -uo pipefail

. "$(dirname "$0")/bench-env.sh"
RESULTS="${RESULTS:-$PROJECT/target/bench-server}"
ONLY="${ONLY:-}"
IDLE_SESSIONS="${IDLE_SESSIONS:-10000}"
IDLE_SERVERS="${IDLE_SERVERS:-sansftp-async}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-1800}"
SANSFTP_FLAGS="${SANSFTP_FLAGS---quiet}"
read -r -a SERVERS <<<"${SERVERS:-sansftp-async sansftp-blocking sansftp-tokio pyftpdlib vsftpd}"
[ -n "${PUREFTPD:-}" ] && [ "${PUREFTPD}" != 0 ] && SERVERS+=(pureftpd)
BIN="${CARGO_TARGET_DIR:-$PROJECT/target}/release/sansftp"
RUST_CLIENT_BIN="$RIG_TMP/rust_client_target/release/ftpbench-rs-client"
# control ports; passive ranges follow the rig: 20000 + (PORT % 10) * 1000 .. +999
declare -A PORT=([aioftp]=21210 [pyftpdlib]=21211 [vsftpd]=21212 [pureftpd]=21213
                 [unftp]=21214 [sansftp-async]=21215 [sansftp-blocking]=21216
                 [sansftp-tokio]=21217)
T0=$(date +%s)

say() { printf '=== %s  [%s, +%ds]\n' "$*" "$(date -u +%H:%M:%S)" $(( $(date +%s) - T0 )); }

# ---------------------------------------------------------------- cleanup --
STARTED=()   # server PIDs this script started and has not stopped yet
STEP=""      # the running long step (a `timeout` process), killed on ^C
stop_pids() {
    [ $# -gt 0 ] || return 0
    local cgs=() p
    for p in "$@"; do   # stop_server.sh removes the cgroup only if already empty
        cgs+=("$(awk -F: '$2 == "cpuacct" {print $3}' "/proc/$p/cgroup" 2>/dev/null)")
    done
    timeout 60 "$RIG/stop_server.sh" "$@" >/dev/null 2>&1
    for p in "${cgs[@]}"; do
        case "$p" in /ftprig-*) for _ in 1 2 3 4 5; do
            [ -d "/sys/fs/cgroup/cpuacct$p" ] || break
            rmdir "/sys/fs/cgroup/cpuacct$p" 2>/dev/null && break; sleep 0.5; done;;
        esac
    done
    local left=() q
    for p in "${STARTED[@]}"; do
        for q in "$@"; do [ "$p" = "$q" ] && continue 2; done
        left+=("$p")
    done
    STARTED=("${left[@]}")
}
cleanup() {
    if [ -n "$STEP" ]; then
        kill -TERM "$STEP" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$STEP" 2>/dev/null || break; sleep 0.2; done
    fi
    if [ ${#STARTED[@]} -gt 0 ]; then
        echo "stopping servers: ${STARTED[*]}" >&2
        stop_pids "${STARTED[@]}"
    fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

# run_step SECONDS CMD...: a bounded step that ^C interrupts at once
run_step() {
    local t="$1"; shift
    timeout -k 10 "$t" "$@" &
    STEP=$!
    wait "$STEP"; local rc=$?
    STEP=""
    [ $rc -eq 124 ] && echo "step timed out after ${t}s: $*" >&2
    return $rc
}

# ---------------------------------------------------------------- checks --
[ "$(id -u)" = 0 ] || echo "warning: not root: vsftpd/pure-ftpd cannot start" >&2
for tool in python3 curl ss timeout; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
python3 -c 'import pyftpdlib' 2>/dev/null \
    || echo "warning: python pyftpdlib missing (pip install pyftpdlib aioftp uvloop)" >&2
python3 -c 'import uvloop' 2>/dev/null \
    || echo "note: uvloop missing: the session load client runs on plain asyncio" >&2
# 10,000 idle sessions need that many descriptors in the server and the client
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"

want() {   # want MEASURE: is it selected by ONLY?
    [ -z "$ONLY" ] && return 0
    case ",$ONLY," in *",$1,"*) return 0;; esac
    return 1
}
BENCH_ONLY="$(tr ',' '\n' <<<"$ONLY" | grep -v -x -e idle10k -e '' | paste -sd, -)"
RUN_BENCH=1
[ -n "$ONLY" ] && [ -z "$BENCH_ONLY" ] && RUN_BENCH=0

# ----------------------------------------------------------------- build --
if [ "${BUILD:-1}" != 0 ]; then
    say "cargo build --release -p sansftp-cli"
    run_step 1800 cargo build --release -p sansftp-cli --bin sansftp || exit 1
fi
[ -x "$BIN" ] || { echo "no $BIN (build failed?)" >&2; exit 1; }
if [ "${RUST_CLIENT:-1}" != 0 ] && [ ! -x "$RUST_CLIENT_BIN" ]; then
    say "building the rig's suppaftp client (rust_client/build.sh, once)"
    CARGO_TARGET_DIR="$RIG_TMP/rust_client_target" run_step 900 "$RIG/rust_client/build.sh" \
        || echo "warning: rust client build failed: dl_rust/ul_rust/small_rust/conc_rust skipped" >&2
fi

# ------------------------------------------------------------------ data --
say "data set in $ROOT (upload source $SRC)"
run_step 900 python3 "$RIG/make_data.py" "$ROOT" --src "$SRC" || exit 1

# --------------------------------------------------------------- servers --
start_server() {   # start_server NAME -> prints PID (server detached, own cgroup)
    local name="$1" port="${PORT[$1]}"
    rm -f "$RIG_TMP/$name-$port/pid"
    case "$name" in
        sansftp-async|sansftp-blocking|sansftp-tokio)
            local extra=(--runtime "${name#sansftp-}")
            # the rig's own launcher: setsid, cpuacct cgroup ftprig-NAME-PORT,
            # waits for the port, log in $RIG_TMP/NAME-PORT/log
            # shellcheck disable=SC2086
            ( . "$RIG/lib/common.sh"
              parse_args "$name" "$ROOT" "$port"
              launch "$BIN" $SANSFTP_FLAGS serve "$ROOT" --host 127.0.0.1 --port "$port" \
                  --user "$FTP_USER:$FTP_PASS" --write --passive-ports "$PASV_MIN-$PASV_MAX" \
                  "${extra[@]}" ${SANSFTP_ARGS:-} )
            ;;
        *) "$RIG/start_$name.sh" "$ROOT" "$port";;
    esac
}
start() {   # start NAME -> sets SPID, records it for cleanup
    local name="$1" port="${PORT[$1]}" pidfile="$RIG_TMP/$1-${PORT[$1]}/pid"
    # bounded by the launchers themselves (20 s wait for the port)
    SPID=$(start_server "$name") || SPID=""
    case "$SPID" in ''|*[!0-9]*)
        # a failed start may have left a process behind: its launcher wrote the pid
        local p; p=$(cat "$pidfile" 2>/dev/null)
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null && { STARTED+=("$p"); stop_pids "$p"; }
        echo "$name: could not start (log: $RIG_TMP/$name-$port/log)" >&2
        SPID=""; return 1;;
    esac
    STARTED+=("$SPID")
    echo "$name on 127.0.0.1:$port, pid $SPID"
}

# idle10k: N logged-in idle sessions, then the server's memory (fresh server)
IDLE_PY='
import asyncio, json, os, resource, sys, time
host, port, user, pw, pid, n, label, out = sys.argv[1:9]
port, pid, n = int(port), int(pid), int(n)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if n + 64 > hard:
    n = hard - 64
    print("  fd limit %d: only %d sessions" % (hard, n), file=sys.stderr)

def tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                s = open("/proc/%s/stat" % d).read()
                kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(d))
            except (OSError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop(); out.append(p); todo.extend(kids.get(p, []))
    return out

def mem(root):
    rss = pss = thr = fds = 0
    for p in tree(root):
        try:
            for ln in open("/proc/%d/status" % p):
                if ln.startswith("VmRSS:"): rss += int(ln.split()[1])
                if ln.startswith("Threads:"): thr += int(ln.split()[1])
            for ln in open("/proc/%d/smaps_rollup" % p):
                if ln.startswith("Pss:"): pss += int(ln.split()[1])
            fds += len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            pass
    return {"rss_mib": rss / 1024, "pss_mib": pss / 1024, "threads": thr, "fds": fds}

async def reply(r):
    ln = await r.readline()
    if len(ln) < 4: raise EOFError("short reply")
    if ln[3:4] == b"-":
        while not (await r.readline()).startswith(ln[:3] + b" "): pass
    return int(ln[:3])

async def login(sem, conns, errs):
    async with sem:
        try:
            async def go():
                r, w = await asyncio.open_connection(host, port)
                conns.append(w)
                if await reply(r) != 220: raise ValueError("banner")
                w.write(("USER %s\r\n" % user).encode())
                c = await reply(r)
                if c == 331:
                    w.write(("PASS %s\r\n" % pw).encode()); c = await reply(r)
                if c != 230: raise ValueError("login %d" % c)
            await asyncio.wait_for(go(), 15)
            return True
        except Exception as e:
            k = type(e).__name__ + (": " + str(e)[:40] if str(e) else "")
            errs[k] = errs.get(k, 0) + 1
            return False

async def main():
    fresh = mem(pid)
    sem, conns, errs = asyncio.Semaphore(100), [], {}
    t0 = time.perf_counter()
    ok = sum(await asyncio.gather(*(login(sem, conns, errs) for _ in range(n))))
    t = time.perf_counter() - t0
    await asyncio.sleep(2)
    loaded = mem(pid)
    for w in conns: w.close()
    await asyncio.sleep(2)
    after = mem(pid)
    r = {"label": label, "kind": "idle_sessions", "target": n, "sessions": ok,
         "login_seconds": t, "errors": errs, "fresh": fresh, "loaded": loaded, "after_close": after,
         "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    json.dump(r, open(out, "w"), indent=1)
    print("  %d/%d idle sessions (logins took %.1f s): VmRSS %.1f MiB, Pss %.1f MiB "
          "(fresh %.1f / %.1f; after close %.1f / %.1f), %d threads%s" % (
          ok, n, t, loaded["rss_mib"], loaded["pss_mib"], fresh["rss_mib"], fresh["pss_mib"],
          after["rss_mib"], after["pss_mib"], loaded["threads"],
          ("  errors=%s" % errs) if errs else ""))

try:
    import uvloop; uvloop.run(main())
except ImportError:
    asyncio.run(main())
'

# Interleaved: every server runs at once (each on its port, in its own cgroup), and each
# measure's repetition r runs on every server in turn before repetition r+1, the
# starting server rotating, so a ratio compares runs minutes apart at most, not a
# machine minutes later. One bench.py call per (measure, repetition, server), its file
# in $RESULTS/runs; scripts/bench_combine.py then makes one bench.py-format result per
# server (with ONLY, merged into the existing one).
read -r -a MEASURE_LIST <<<"$(tr ',' ' ' <<<"${BENCH_ONLY:-rss,dl_curl,dl_ftplib,dl_rust,ul_curl,ul_ftplib,ul_rust,small,small_rust,conc,conc_rust,list,mlsd}")"
declare -A SPIDS
LIVE=()
if [ "$RUN_BENCH" = 1 ]; then
    say "starting ${SERVERS[*]} (together, for the interleaved run)"
    for s in "${SERVERS[@]}"; do
        [ -n "${PORT[$s]:-}" ] || { echo "unknown server $s" >&2; continue; }
        if start "$s"; then SPIDS[$s]=$SPID; LIVE+=("$s"); fi
    done
    sleep 1
    rm -rf "$RESULTS/runs"; mkdir -p "$RESULTS/runs"
    n=${#LIVE[@]}
    for meas in "${MEASURE_LIST[@]}"; do
        for rep in $(seq "$REPS"); do
            say "$meas, repetition $rep of $REPS: ${LIVE[*]}"
            for i in $(seq 0 $((n - 1))); do
                s="${LIVE[$(( (i + rep - 1) % n ))]}"
                # shellcheck disable=SC2086
                run_step "$BENCH_TIMEOUT" python3 "$RIG/bench.py" --port "${PORT[$s]}" \
                    --pid "${SPIDS[$s]}" --user "$FTP_USER" --password "$FTP_PASS" --reps 1 \
                    --label "$s" --out "$RESULTS/runs/$s.$meas.$rep.json" --server-root "$ROOT" \
                    --src "$SRC/up1g.bin" --rust-client "$RUST_CLIENT_BIN" --only "$meas" \
                    ${BENCH_ARGS:-} \
                    || echo "$s: bench.py $meas failed (rc $?)" >&2
            done
        done
    done
    for s in "${LIVE[@]}"; do
        [ -n "$ONLY" ] || rm -f "$RESULTS/$s.json"
        files=()
        for meas in "${MEASURE_LIST[@]}"; do
            for rep in $(seq "$REPS"); do
                f="$RESULTS/runs/$s.$meas.$rep.json"; [ -f "$f" ] && files+=("$f")
            done
        done
        [ ${#files[@]} -gt 0 ] && python3 scripts/bench_combine.py "$RESULTS/$s.json" "${files[@]}"
    done
    say "stopping ${LIVE[*]}"
    for s in "${LIVE[@]}"; do stop_pids "${SPIDS[$s]}"; done
    sleep 2
fi
for s in "${SERVERS[@]}"; do
    port="${PORT[$s]:-}"
    [ -n "$port" ] || continue
    if [ "$IDLE_SESSIONS" != 0 ] && want idle10k && [[ " $IDLE_SERVERS " == *" $s "* ]]; then
        say "$s: $IDLE_SESSIONS idle logged-in sessions (fresh server)"
        if start "$s"; then
            sleep 1
            run_step 300 python3 -c "$IDLE_PY" 127.0.0.1 "$port" "$FTP_USER" "$FTP_PASS" \
                "$SPID" "$IDLE_SESSIONS" "$s" "$RESULTS/idle-$s.json" \
                || echo "$s: idle sessions test failed (rc $?)" >&2
            stop_pids "$SPID"
            sleep 2
        fi
    fi
done

if [ -n "${PHYSICAL:-}" ] && [ "$PHYSICAL" != 0 ]; then
    say "physical limits (physical.sh)"
    run_step 600 "$RIG/physical.sh" "$RESULTS/physical.json" || echo "physical.sh failed" >&2
fi

# --------------------------------------------------------------- summary --
say "summary"
files=()
for s in sansftp-async sansftp-blocking sansftp-tokio pyftpdlib vsftpd pureftpd aioftp unftp; do
    [ -f "$RESULTS/$s.json" ] && files+=("$RESULTS/$s.json")
done
PHYS="$RESULTS/physical.json"
[ -f "$PHYS" ] || PHYS="$RIG/results/physical.json"
if [ ${#files[@]} -gt 0 ]; then
    timeout 60 python3 "$RIG/summarize.py" "${files[@]}" "$PHYS" | tee "$RESULTS/summary.md"
fi

timeout 60 python3 - "$RESULTS" "$PHYS" >"$RESULTS/ratios.md" <<'PY'
import json, os, sys
res, phys_path = sys.argv[1], sys.argv[2]
def load(name):
    p = os.path.join(res, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
ours = [n for n in ("sansftp-async", "sansftp-blocking", "sansftp-tokio") if load(n)]
idle = {n: json.load(open(os.path.join(res, "idle-%s.json" % n)))
        for n in ("sansftp-async", "sansftp-blocking", "sansftp-tokio")
        if os.path.exists(os.path.join(res, "idle-%s.json" % n))}
for n in idle:
    if n not in ours: ours.append(n)
peers = {n: load(n) for n in ("pyftpdlib", "vsftpd", "pureftpd")}
peers = {k: v for k, v in peers.items() if v}
phys = json.load(open(phys_path)) if os.path.exists(phys_path) else None

def m(d, meas, key="median"):
    mm = (d or {}).get("measures", {}).get(meas)
    if not mm: return None, ""
    if key in ("loaded_rss_mib", "loaded_pss_mib") and mm.get(key) is None: return None, ""
    err = [e for e in mm.get("errors") or [] if e]
    return mm.get(key), (" (err %d/%d)" % (len(err), len(mm["runs"])) if err else "")

def best(names, meas):
    c = [(m(peers.get(n), meas)[0], n) for n in names if m(peers.get(n), meas)[0]]
    return max(c) if c else (None, None)

rows = []
def row(target, goal, ref_txt, cells):
    rows.append("| %s | %s | %s | %s |" % (target, ref_txt, " | ".join(cells), goal))

def ratio_cells(meas, ref, goal, key="median", invert=False, unit=""):
    cells = []
    for n in ours:
        v, err = m(load(n), meas, key)
        if v is None or not ref:
            cells.append("-"); continue
        r = (ref / v) if invert else (v / ref)
        cells.append("%s%s%s = **%.2f×** %s%s" % (fmt(v), unit, spread(load(n), meas), r,
                                                 "ok" if r >= goal else "MISS", err))
    return cells

def spread(d, meas):
    """ (min-max) of a measure's runs, when there are several"""
    vals = [r["value"] for r in (d or {}).get("measures", {}).get(meas, {}).get("runs", [])
            if r.get("value") is not None]
    return " (%s-%s)" % (fmt(min(vals)), fmt(max(vals))) if len(vals) > 1 else ""

def unit_cpu(d, meas):
    """the server's CPU per unit of work in each run: s per GiB (1 GiB transfers), ms per
    file, ms per session"""
    out = []
    for r in (d or {}).get("measures", {}).get(meas, {}).get("runs", []):
        c = r.get("server_cpu_s")
        if c is None or r.get("value") is None: continue
        if meas.startswith(("dl_", "ul_")): out.append(c)
        elif meas.startswith("small") and r.get("files"): out.append(c / r["files"] * 1000)
        elif meas.startswith("conc") and r.get("sessions"): out.append(c / r["sessions"] * 1000)
    return sorted(out)

def med(v):
    return v[len(v) // 2] if v else None

def cpu_rows():
    """server CPU cost: ours / the cheapest peer's (or a named one), lower is better"""
    specs = [("dl_curl", "vsftpd", 0.9), ("dl_ftplib", "vsftpd", 0.9), ("dl_rust", "vsftpd", 0.9),
             ("ul_curl", None, 0.85), ("ul_ftplib", None, 0.85), ("ul_rust", None, 0.85),
             ("small", "pureftpd", 0.7), ("small_rust", "pureftpd", 0.7),
             ("conc", None, None), ("conc_rust", None, None)]
    what = {"dl": "s per GiB download", "ul": "s per GiB upload", "sm": "ms per file",
            "co": "ms per session"}
    for meas, against, goal in specs:
        if against not in peers: against = None   # e.g. no pure-ftpd: the cheapest peer
        cands = [(med(unit_cpu(peers[k], meas)), k) for k in ([against] if against else peers)
                 if k in peers and unit_cpu(peers[k], meas)]
        if not cands or not any(unit_cpu(load(n), meas) for n in ours): continue
        ref, who = min(cands)
        cells = []
        for n in ours:
            v = unit_cpu(load(n), meas)
            if not v: cells.append("-"); continue
            r = med(v) / ref
            verdict = ("ok" if r <= goal else "MISS") if goal else ""
            cells.append("%.3g (%.3g-%.3g) = **%.2f×** %s" % (med(v), v[0], v[-1], r, verdict))
        row("server CPU %s, %s, vs %s" % (what[meas[:2]], meas, "cheapest peer" if not against else against),
            "≤ %.2f×" % goal if goal else "-", "%s %.3g (%.3g-%.3g)" % (
                who, ref, unit_cpu(peers[who], meas)[0], unit_cpu(peers[who], meas)[-1]), cells)

def fmt(v):
    return "%.3f" % v if v < 10 else "%.0f" % v

clients = {"curl": "_curl", "ftplib": "_ftplib", "suppaftp": "_rust"}
for cl, suf in clients.items():
    ref, who = best(("pyftpdlib", "vsftpd"), "dl" + suf)
    if ref: row("1 GiB download, %s, vs best of pyftpdlib/vsftpd" % cl, "≥ 1.0×",
                "%s %s MB/s" % (who, fmt(ref)), ratio_cells("dl" + suf, ref, 1.0, unit=" MB/s"))
if phys:
    for k, lab in (("iperf3_tcp_loopback", "iperf3 1 stream"),
                   ("iperf3_tcp_loopback_zerocopy", "iperf3 -Z sendfile")):
        lim = phys["median"].get(k)
        src = "this run" if os.path.dirname(os.path.abspath(phys_path)) == os.path.abspath(res) \
            else "rig's stored %s" % phys.get("time", "figure")
        for cl, suf in clients.items():
            if any(m(load(n), "dl" + suf)[0] for n in ours):
                row("1 GiB download, %s, vs loopback limit (%s)" % (cl, lab), "≥ 0.9×",
                    "%.0f MB/s (%s)" % (lim, src), ratio_cells("dl" + suf, lim, 0.9, unit=" MB/s"))
for cl, suf in clients.items():
    ref, who = best(tuple(peers), "ul" + suf)
    if ref: row("1 GiB upload, %s, vs best peer" % cl, "≥ 1.2×", "%s %s MB/s" % (who, fmt(ref)),
                ratio_cells("ul" + suf, ref, 1.2, unit=" MB/s"))
small_ref = "pureftpd" if "pureftpd" in peers else "vsftpd"
for meas, cl in (("small", "ftplib"), ("small_rust", "suppaftp")):
    ref, _ = m(peers.get(small_ref), meas)
    if ref: row("2,000 small files, %s, vs %s" % (cl, small_ref), "≥ 1.3×",
                "%s %s files/s" % (small_ref, fmt(ref)), ratio_cells(meas, ref, 1.3, unit="/s"))
for meas, cl in (("conc", "asyncio client"), ("conc_rust", "tokio client")):
    ref, _ = m(peers.get("pyftpdlib"), meas)
    if ref:
        row("100 concurrent sessions, %s, vs pyftpdlib" % cl, "≥ 1.5×",
            "pyftpdlib %s sessions/s" % fmt(ref), ratio_cells(meas, ref, 1.5, unit="/s"))
    if any(m(load(n), meas)[0] for n in ours):
        cells = []
        for n in ours:
            v, _ = m(load(n), meas, "p99_ms")
            cells.append("-" if v is None else "%.1f ms %s" % (v, "ok" if v <= 100 else "MISS"))
        pv, _ = m(peers.get("pyftpdlib"), meas, "p99_ms")
        row("  session latency p99, %s" % cl, "≤ 100 ms",
            "pyftpdlib %.1f ms" % pv if pv else "-", cells)
ref, _ = m(peers.get("vsftpd"), "list")
if ref: row("LIST 10,000 entries, speed vs vsftpd (vsftpd s / ours s)", "≥ 1.0×",
            "vsftpd %.3f s" % ref, ratio_cells("list", ref, 1.0, invert=True, unit=" s"))
if any(m(load(n), "rss", "loaded_rss_mib")[0] for n in ours):
    cells = []
    for n in ours:
        r, _ = m(load(n), "rss", "loaded_rss_mib"); p, _ = m(load(n), "rss", "loaded_pss_mib")
        if r is None: cells.append("-"); continue
        cells.append("VmRSS %.1f MiB %s (Pss %.1f)" % (r, ("ok" if r <= 8 else "MISS")
                     if n == "sansftp-async" else "", p))
    row("100 idle logged-in sessions, server memory", "≤ 8 MiB (async)", " / ".join(
        "%s %.1f" % (k, m(v, "rss", "loaded_rss_mib")[0]) for k, v in peers.items()
        if m(v, "rss", "loaded_rss_mib")[0] is not None) + " MiB VmRSS", cells)
if idle:
    cells = []
    for n in ours:
        d = idle.get(n)
        if not d: cells.append("-"); continue
        r = d["loaded"]["rss_mib"]
        ok = ("ok" if r <= 150 and d["sessions"] >= d["target"] else "MISS") if n == "sansftp-async" else ""
        cells.append("%d sessions: VmRSS %.1f MiB %s (Pss %.1f, fresh %.1f)%s" % (
            d["sessions"], r, ok, d["loaded"]["pss_mib"], d["fresh"]["rss_mib"],
            " errors %s" % d["errors"] if d["errors"] else ""))
    row("%d idle logged-in sessions, server memory" % max(d["target"] for d in idle.values()),
        "≤ 150 MiB (async)", "-", cells)

cpu_rows()
print("| target | reference (this run) | %s | goal |" % " | ".join(ours))
print("|---|---|" + "---|" * len(ours) + "---|")
print("\n".join(rows))
print()
print("Ratios are ours / reference (LIST: reference time / our time; server CPU: ours / "
      "theirs, lower is better), medians of each server's runs with (min-max); the runs "
      "are interleaved, each repetition running every server in turn. ok/MISS against "
      "the goal. Peers: %s." % ", ".join(
      "%s (%s, reps %s)" % (k, v.get("time"), v.get("reps")) for k, v in peers.items()))
PY
echo
cat "$RESULTS/ratios.md"

# sansftp's own log (warnings and errors with the default --quiet)
for s in sansftp-async sansftp-blocking sansftp-tokio; do
    log="$RIG_TMP/$s-${PORT[$s]}/log"
    [ -f "$log" ] || continue
    n=$(grep -cv '^sansftp listening' "$log")
    if [ "$n" -gt 0 ]; then
        echo "--- $s log ($log, last server run): $n lines besides the banner; last 10:"
        grep -v '^sansftp listening' "$log" | tail -10
    fi
done
echo "results: $RESULTS (summary.md, ratios.md, <server>.json); total $(( $(date +%s) - T0 )) s"
