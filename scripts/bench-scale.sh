#!/usr/bin/env bash
# The async server's thread scaling (issue 10 item 6): 8 concurrent 256 MiB uploads
# and 8 concurrent downloads, aggregate MB/s, against `sansftp serve --threads 1`,
# `--threads 2` and pure-ftpd (forks a process per session: every core), all running
# at once and measured interleaved (scripts/bench_scale.py), with each server's CPU
# from its own cpuacct cgroup.
#
#   scripts/bench-scale.sh                       # REPS=3, curl clients (~5 min)
#   CLIENT=sansftp scripts/bench-scale.sh        # uploads by `sansftp put` (sendfile)
#
# Run as root (pure-ftpd needs a system account), on a quiet box. Loopback only.
# Environment: REPS (3), CLIENTS (8), SIZE_MB (256), CLIENT (curl|sansftp),
#   SERVERS ("sansftp-t1 sansftp-t2 pureftpd"; vsftpd also known), RESULTS
#   (target/bench-scale), ROOT (/dev/shm/ftprig/root), SRC (/dev/shm/ftprig/src),
#   RIG (../shared/rig), RIG_TMP (/tmp/ftprig), BUILD=0 to skip the release build.
set -uo pipefail

. "$(dirname "$0")/bench-env.sh"
RESULTS="${RESULTS:-$PROJECT/target/bench-scale}"
CLIENTS="${CLIENTS:-8}" SIZE_MB="${SIZE_MB:-256}" CLIENT="${CLIENT:-curl}"
read -r -a SERVERS <<<"${SERVERS:-sansftp-t1 sansftp-t2 pureftpd}"
BIN="${CARGO_TARGET_DIR:-$PROJECT/target}/release/sansftp"
declare -A PORT=([vsftpd]=21212 [pureftpd]=21213 [sansftp-t1]=21217 [sansftp-t2]=21218)

STARTED=()
cleanup() {
    [ ${#STARTED[@]} -gt 0 ] || return 0
    echo "stopping servers: ${STARTED[*]}" >&2
    timeout 60 "$RIG/stop_server.sh" "${STARTED[@]}" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

if [ "${BUILD:-1}" != 0 ]; then
    timeout 1800 cargo build --release -p sansftp-cli --bin sansftp || exit 1
fi
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
mkdir -p "$RESULTS" "$SRC" "$ROOT/upload" "$ROOT/scale"
RESULTS="$(cd "$RESULTS" && pwd)"
# The data: one SIZE_MB file to upload, one to download (tmpfs, as the rig's data set).
src="$SRC/scale-${SIZE_MB}m.bin"
[ "$(stat -c %s "$src" 2>/dev/null)" = $((SIZE_MB << 20)) ] \
    || head -c $((SIZE_MB << 20)) /dev/urandom >"$src"
[ "$(stat -c %s "$ROOT/scale/d.bin" 2>/dev/null)" = $((SIZE_MB << 20)) ] \
    || cp "$src" "$ROOT/scale/d.bin"

specs=()
for name in "${SERVERS[@]}"; do
    port="${PORT[$name]}"
    rm -f "$RIG_TMP/$name-$port/pid"
    case "$name" in
        sansftp-t*)
            pid=$( . "$RIG/lib/common.sh"
                   parse_args "$name" "$ROOT" "$port"
                   launch "$BIN" --quiet serve "$ROOT" --host 127.0.0.1 --port "$port" \
                       --user "$FTP_USER:$FTP_PASS" --write \
                       --passive-ports "$PASV_MIN-$PASV_MAX" --threads "${name#sansftp-t}" )
            ;;
        *) pid=$("$RIG/start_$name.sh" "$ROOT" "$port");;
    esac
    case "$pid" in ''|*[!0-9]*)
        p=$(cat "$RIG_TMP/$name-$port/pid" 2>/dev/null)
        [ -n "$p" ] && STARTED+=("$p")
        echo "$name: could not start" >&2; exit 1;;
    esac
    STARTED+=("$pid")
    cg=$(awk -F: '$2 == "cpuacct" {print $3}' "/proc/$pid/cgroup")
    echo "$name on 127.0.0.1:$port, pid $pid, cgroup $cg"
    specs+=("$name=$port=$cg")
done
# pure-ftpd and vsftpd chown the tree to their account; uploads land in upload/.
chmod 777 "$ROOT/upload" 2>/dev/null || true

ratios="sansftp-t2/sansftp-t1,sansftp-t2/pureftpd,sansftp-t1/pureftpd"
timeout 3600 python3 "$PROJECT/scripts/bench_scale.py" \
    --servers "$(IFS=,; echo "${specs[*]}")" --root "$ROOT" --src "$src" \
    --clients "$CLIENTS" --reps "$REPS" --client "$CLIENT" --sansftp "$BIN" \
    --ratios "$ratios" --out "$RESULTS/scale-$CLIENT.json" | tee "$RESULTS/scale-$CLIENT.md"
