#!/usr/bin/env bash
# Benchmarks sansftp's client (blocking, async and tokio adapters) side by side with curl and
# the rig's suppaftp client, against pyftpdlib and vsftpd started by the shared FTP rig
# (../shared/rig, read-only: only its scripts are run), then prints the ratios issue 4
# targets: throughput >= 1.0x curl and >= 1.1x suppaftp, small files >= 1.2x suppaftp.
#
#   scripts/bench-client.sh                 # REPS=3, ~10-15 min on a quiet box
#   REPS=1 SERVERS=pyftpdlib scripts/bench-client.sh   # smoke
#
# Our client runs as the program adapters/cli/examples/client_bench.rs, which speaks the
# rig's rust-client interface (`dl|ul|small HOST PORT USER PASS ARGS` -> "count
# seconds"), so bench.py measures it exactly as it measures suppaftp (--rust-client).
# Run as root (vsftpd needs a system account). Loopback only.
# Environment: REPS (3), SERVERS ("pyftpdlib vsftpd"), RESULTS (target/bench-client),
# ROOT/SRC (tmpfs data set, as the rig's run_all.sh), RIG, RIG_TMP, BENCH_ARGS, BUILD=0.
set -uo pipefail

. "$(dirname "$0")/bench-env.sh"
RESULTS="${RESULTS:-$PROJECT/target/bench-client}"
read -r -a SERVERS <<<"${SERVERS:-pyftpdlib vsftpd}"
TARGET="${CARGO_TARGET_DIR:-$PROJECT/target}"
OURS="$TARGET/release/examples/client_bench"
SUPPAFTP="$RIG_TMP/rust_client_target/release/ftpbench-rs-client"
declare -A PORT=([pyftpdlib]=21221 [vsftpd]=21222 [pureftpd]=21223)
T0=$(date +%s)
say() { printf '=== %s  [%s, +%ds]\n' "$*" "$(date -u +%H:%M:%S)" $(( $(date +%s) - T0 )); }

SPID=""
cleanup() { [ -n "$SPID" ] && timeout 60 "$RIG/stop_server.sh" "$SPID" >/dev/null 2>&1; SPID=""; }
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
if [ "${BUILD:-1}" != 0 ]; then
    say "cargo build --release -p sansftp-cli --example client_bench"
    timeout 1800 cargo build --release -p sansftp-cli --example client_bench || exit 1
fi
[ -x "$OURS" ] || { echo "no $OURS" >&2; exit 1; }
if [ ! -x "$SUPPAFTP" ]; then
    say "building the rig's suppaftp client (once)"
    CARGO_TARGET_DIR="$RIG_TMP/rust_client_target" timeout 900 "$RIG/rust_client/build.sh" || exit 1
fi
# bench.py runs one binary per --rust-client: a wrapper per adapter.
for adapter in blocking async tokio; do
    printf '#!/bin/sh\nexec "%s" --%s "$@"\n' "$OURS" "$adapter" >"$RESULTS/sansftp-$adapter"
    chmod +x "$RESULTS/sansftp-$adapter"
done

say "data set in $ROOT (upload source $SRC)"
timeout 900 python3 "$RIG/make_data.py" "$ROOT" --src "$SRC" || exit 1

one() {   # one PORT LABEL MEASURE REP [RUST_CLIENT]: one run into runs/LABEL.MEASURE.REP.json
    local rc=()
    [ -n "${5:-}" ] && rc=(--rust-client "$5")
    # shellcheck disable=SC2086
    timeout 1800 python3 "$RIG/bench.py" --port "$1" --user "$FTP_USER" --password "$FTP_PASS" \
        --pid "$SPID" --server-root "$ROOT" --src "$SRC/up1g.bin" --reps 1 --only "$3" --label "$2" \
        --out "$RESULTS/runs/$2.$3.$4.json" "${rc[@]}" ${BENCH_ARGS:-} >/dev/null \
        || echo "bench $2 $3 failed" >&2
}

# Interleaved: for each measure, repetition r runs every client in turn (the starting
# client rotating) before repetition r+1, so each ratio compares runs seconds apart.
for server in "${SERVERS[@]}"; do
    port="${PORT[$server]}"
    say "$server on 127.0.0.1:$port"
    SPID=$("$RIG/start_$server.sh" "$ROOT" "$port") || { echo "$server did not start" >&2; SPID=""; continue; }
    rm -rf "$RESULTS/runs"; mkdir -p "$RESULTS/runs"
    for kind in dl ul small; do
        clients=("peers ${kind}_rust $SUPPAFTP" "sansftp-blocking ${kind}_rust $RESULTS/sansftp-blocking"
                 "sansftp-async ${kind}_rust $RESULTS/sansftp-async"
                 "sansftp-tokio ${kind}_rust $RESULTS/sansftp-tokio")
        [ "$kind" = small ] || clients+=("peers ${kind}_curl")
        for rep in $(seq "$REPS"); do
            say "$server: $kind, repetition $rep of $REPS"
            n=${#clients[@]}
            for i in $(seq 0 $((n - 1))); do
                read -r label meas rust <<<"${clients[$(( (i + rep - 1) % n ))]}"
                one "$port" "$server-$label" "$meas" "$rep" "$rust"
            done
        done
    done
    for label in peers sansftp-blocking sansftp-async sansftp-tokio; do
        rm -f "$RESULTS/$server-$label.json"
        files=("$RESULTS/runs/$server-$label".*.json)
        [ -e "${files[0]}" ] && python3 scripts/bench_combine.py "$RESULTS/$server-$label.json" "${files[@]}"
    done
    cleanup
done

say "ratios"
python3 - "$RESULTS" "${SERVERS[@]}" <<'PY' | tee "$RESULTS/ratios.md"
import json, os, sys
results, servers = sys.argv[1], sys.argv[2:]

def runs(label, m):
    try:
        with open(os.path.join(results, label + ".json")) as f:
            return [r for r in json.load(f)["measures"][m]["runs"] if r.get("value") is not None]
    except (OSError, KeyError, ValueError):
        return []

def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None

def rate(rs):
    v = sorted(r["value"] for r in rs)
    return "%.0f (%.0f-%.0f)" % (med(v), v[0], v[-1]) if v else "n/a"

def cpu(rs, kind):
    """client CPU: s per GiB (1 GiB transfers) or ms per file"""
    v = [r["client_cpu_s"] * (1000 / r["files"] if kind == "small" else 1)
         for r in rs if r.get("client_cpu_s") is not None and (kind != "small" or r.get("files"))]
    return ("%.2f" if kind != "small" else "%.3f") % med(v) if v else "n/a"

def ratio(ours, ref, goal):
    o, r = med([x["value"] for x in ours]), med([x["value"] for x in ref])
    if o is None or not r:
        return "n/a"
    return "%.2fx %s" % (o / r, "ok" if o / r >= goal else "MISS")

print("| server | measure | client | rate, median (min-max) | client CPU | vs curl (goal 1.0x) | vs suppaftp (goal) |")
print("|---|---|---|---|---|---|---|")
for s in servers:
    for kind, unit, goal in (("dl", "MB/s", 1.1), ("ul", "MB/s", 1.1), ("small", "files/s", 1.2)):
        sup, curl = runs(s + "-peers", kind + "_rust"), runs(s + "-peers", kind + "_curl")
        cpu_unit = "ms/file" if kind == "small" else "s/GiB"
        for who, rs in (("curl", curl), ("suppaftp", sup)):
            if rs:
                print("| %s | %s (%s) | %s | %s | %s %s | - | - |" % (s, kind, unit, who, rate(rs),
                      cpu(rs, kind), cpu_unit))
        for a in ("blocking", "async", "tokio"):
            ours = runs("%s-sansftp-%s" % (s, a), kind + "_rust")
            print("| %s | %s (%s) | sansftp %s | %s | %s %s | %s | %s (%.1fx) |" % (
                s, kind, unit, a, rate(ours), cpu(ours, kind), cpu_unit,
                ratio(ours, curl, 1.0) if curl else "-", ratio(ours, sup, goal), goal))
print()
print("Interleaved runs (each repetition runs every client in turn); ratios of medians.")
PY
say "done: $RESULTS"
