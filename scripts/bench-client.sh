#!/usr/bin/env bash
# Benchmarks sansftp's client (blocking and async adapters) side by side with curl and
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

PROJECT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$PROJECT"
RIG="$(cd "${RIG:-$PROJECT/../shared/rig}" 2>/dev/null && pwd)" \
    || { echo "rig not found (set RIG=path/to/shared/rig)" >&2; exit 1; }
export RIG_TMP="${RIG_TMP:-/tmp/ftprig}"
export FTP_USER="${FTP_USER:-ftpbench}" FTP_PASS="${FTP_PASS:-ftpbench}"
ROOT="${ROOT:-/dev/shm/ftprig/root}"
SRC="${SRC:-/dev/shm/ftprig/src}"
RESULTS="${RESULTS:-$PROJECT/target/bench-client}"
REPS="${REPS:-3}"
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
for adapter in blocking async; do
    printf '#!/bin/sh\nexec "%s" --%s "$@"\n' "$OURS" "$adapter" >"$RESULTS/sansftp-$adapter"
    chmod +x "$RESULTS/sansftp-$adapter"
done

say "data set in $ROOT (upload source $SRC)"
timeout 900 python3 "$RIG/make_data.py" "$ROOT" --src "$SRC" || exit 1

bench() {   # bench SERVER PORT LABEL ONLY [RUST_CLIENT]
    local out="$RESULTS/$3.json" rc=()
    [ -n "${5:-}" ] && rc=(--rust-client "$5")
    rm -f "$out"
    # shellcheck disable=SC2086
    timeout 1800 python3 "$RIG/bench.py" --port "$2" --user "$FTP_USER" --password "$FTP_PASS" \
        --pid "$SPID" --server-root "$ROOT" --src "$SRC/up1g.bin" --reps "$REPS" --only "$4" --label "$3" \
        --out "$out" "${rc[@]}" ${BENCH_ARGS:-} || echo "bench $3 failed" >&2
}

for server in "${SERVERS[@]}"; do
    port="${PORT[$server]}"
    say "$server on 127.0.0.1:$port"
    SPID=$("$RIG/start_$server.sh" "$ROOT" "$port") || { echo "$server did not start" >&2; SPID=""; continue; }
    # Measures alternate between the clients, rep by rep inside bench.py, per client.
    bench "$server" "$port" "$server-peers" dl_curl,ul_curl,dl_rust,ul_rust,small_rust
    for adapter in blocking async; do
        bench "$server" "$port" "$server-sansftp-$adapter" dl_rust,ul_rust,small_rust \
            "$RESULTS/sansftp-$adapter"
    done
    cleanup
done

say "ratios"
python3 - "$RESULTS" "${SERVERS[@]}" <<'PY' | tee "$RESULTS/ratios.md"
import json, os, sys
results, servers = sys.argv[1], sys.argv[2:]

def med(label, m):
    try:
        with open(os.path.join(results, label + ".json")) as f:
            return json.load(f)["measures"][m]["median"]
    except (OSError, KeyError, ValueError):
        return None

def cell(ours, ref, goal):
    if ours is None or not ref:
        return "n/a"
    r = ours / ref
    return "%.0f / %.0f = %.2fx %s" % (ours, ref, r, "ok" if r >= goal else "MISS")

print("| server | measure | adapter | vs curl (goal 1.0x) | vs suppaftp (goal) |")
print("|---|---|---|---|---|")
for s in servers:
    for m, unit, curl_m, goal in (("dl", "MB/s", "dl_curl", 1.1), ("ul", "MB/s", "ul_curl", 1.1),
                                  ("small", "files/s", None, 1.2)):
        sup = med(s + "-peers", m + "_rust")
        curl = med(s + "-peers", curl_m) if curl_m else None
        for a in ("blocking", "async"):
            ours = med("%s-sansftp-%s" % (s, a), m + "_rust")
            vs_curl = cell(ours, curl, 1.0) if curl_m else "-"
            print("| %s | %s (%s) | %s | %s | %s (%.1fx) |" % (s, m, unit, a, vs_curl,
                  cell(ours, sup, goal), goal))
PY
say "done: $RESULTS"
