#!/usr/bin/env bash
# `sansftp serve --s3` against moto_server on loopback, side by side with a direct
# object_store put/get of the same object in the same run (the example
# adapters/objectstore/examples/direct.rs: a multipart upload of the same part size, a
# streamed GET), so the ratio FTP / direct is what serving a bucket over FTP costs.
# Then the server's memory during one long upload: its RSS, sampled every 50 ms,
# against its RSS when idle (uploads stream: it must stay within 64 MiB).
#
#   scripts/bench-s3.sh                 # 256 MiB, 3 repetitions, a 1 GiB upload for RSS
#   SIZE_MIB=64 REPS=1 RSS_MIB=256 scripts/bench-s3.sh
#
# Starts its own moto_server (port from the system) and sansftp server, stops both by
# PID at exit. Needs curl and moto_server (pip install 'moto[server]').
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB="${SIZE_MIB:-256}"
REPS="${REPS:-3}"
RSS_MIB="${RSS_MIB:-1024}"
BUCKET=sansftp-bench

cargo build --release -j1 -p sansftp-cli --bin sansftp -p sansftp-objectstore --example direct
SANSFTP=target/release/sansftp
DIRECT=target/release/examples/direct

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # URL
    for _ in $(seq 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done
    echo "$1 does not answer" >&2
    return 1
}
s3() { # curl ARGS... signed for S3
    curl -sS --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
}
now() { date +%s.%N; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

moto_port="$(free_port)"
moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$moto_port/"
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
s3 -X PUT "$AWS_ENDPOINT_URL/$BUCKET" -o /dev/null

start_server() { # sets $server and $ftp: a fresh `sansftp serve --s3`, ready
    local port log
    port="$(free_port)"
    log="$work/server-$port.log"
    "$SANSFTP" serve --s3 "s3://$BUCKET/ftp" --user u:p --write --port "$port" -q >"$log" 2>&1 &
    server=$!
    pids+=("$server")
    for _ in $(seq 150); do grep -q listening "$log" && break; sleep 0.1; done
    ftp="ftp://u:p@127.0.0.1:$port"
}
start_server

head -c "$((SIZE_MIB << 20))" /dev/urandom >"$work/object.bin"
echo "object: $SIZE_MIB MiB, $REPS repetitions, moto $(python3 -c 'import moto; print(moto.__version__)'), $(nproc) cores"

declare -a direct_put direct_get ftp_put ftp_get
for r in $(seq "$REPS"); do
    read -r _ put _ get _ bytes < <("$DIRECT" "s3://$BUCKET/direct/object.bin" "$work/object.bin")
    [ "$bytes" = "$((SIZE_MIB << 20))" ] || { echo "direct get: $bytes bytes" >&2; exit 1; }
    direct_put+=("$put"); direct_get+=("$get")

    # Timed into /dev/null, as the direct get only counts bytes; then checked, untimed.
    t0="$(now)"; curl -sS -T "$work/object.bin" "$ftp/object.bin"; t1="$(now)"
    curl -sS -o /dev/null "$ftp/object.bin"; t2="$(now)"
    ftp_put+=("$(echo "$t1 - $t0" | bc -l)"); ftp_get+=("$(echo "$t2 - $t1" | bc -l)")
    curl -sS "$ftp/object.bin" | cmp -s "$work/object.bin" - || { echo "FTP download differs" >&2; exit 1; }
    s3 -X DELETE "$AWS_ENDPOINT_URL/$BUCKET/direct/object.bin" -o /dev/null
    s3 -X DELETE "$AWS_ENDPOINT_URL/$BUCKET/ftp/object.bin" -o /dev/null
    echo "rep $r: direct put ${direct_put[-1]}s get ${direct_get[-1]}s; FTP put ${ftp_put[-1]}s get ${ftp_get[-1]}s"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
row() { # NAME DIRECT FTP
    awk -v n="$1" -v d="$2" -v f="$3" -v mib="$SIZE_MIB" 'BEGIN {
        printf "| %-8s | %7.2f s (%6.1f MiB/s) | %7.2f s (%6.1f MiB/s) | %5.2f |\n", n, d, mib / d, f, mib / f, f / d }'
}
echo
echo "| $SIZE_MIB MiB | direct object_store (median) | FTP: sansftp serve --s3 (median) | time FTP / direct |"
echo "|---|---|---|---|"
row upload "$(median "${direct_put[@]}")" "$(median "${ftp_put[@]}")"
row download "$(median "${direct_get[@]}")" "$(median "${ftp_get[@]}")"

# Memory: one long upload to a fresh server (idle: its RSS before any transfer),
# streamed from /dev/urandom.
kill "$server"
start_server
idle="$(rss_kib "$server")"
peak="$idle"
head -c "$((RSS_MIB << 20))" /dev/urandom | curl -sS -T - "$ftp/big.bin" &
uploader=$!
pids+=("$uploader")
while kill -0 "$uploader" 2>/dev/null; do
    rss="$(rss_kib "$server")"
    [ "$rss" -gt "$peak" ] && peak="$rss"
    sleep 0.05
done
wait "$uploader"
size="$(curl -sS -I "$ftp/big.bin" | awk '/Content-Length/ { print $2 }' | tr -d '\r')"
[ "$size" = "$((RSS_MIB << 20))" ] || { echo "the $RSS_MIB MiB upload is $size bytes" >&2; exit 1; }
echo
echo "server RSS during a $RSS_MIB MiB upload: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB, growth $(((peak - idle) / 1024)) MiB (limit 64 MiB)"
[ $((peak - idle)) -le $((64 * 1024)) ] || { echo "FAIL: the server buffered the upload" >&2; exit 1; }
