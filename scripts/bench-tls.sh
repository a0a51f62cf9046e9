#!/usr/bin/env bash
# FTPS throughput and server CPU: 1 GiB download and upload over explicit FTPS with
# PROT P, curl as the client, against `sansftp serve` (async and blocking adapters) and
# vsftpd with TLS (scripts/vsftpd-tls.sh), interleaved: each repetition runs every server
# in turn, so each ratio compares runs seconds apart. Then our client (`sansftp get/put
# --tls`) against vsftpd-TLS beside curl. Both sides negotiate TLS 1.3 or 1.2 with
# AES-GCM (rustls with ring, OpenSSL): the cipher is printed per run.
#
#   scripts/bench-tls.sh            # REPS=3; needs root (vsftpd's system user)
# Environment: REPS=3 SIZE_MB=1024 BUILD=0 (skip cargo build --release)
set -euo pipefail
PROJECT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$PROJECT"
REPS="${REPS:-3}"
SIZE_MB="${SIZE_MB:-1024}"
BIN="${CARGO_TARGET_DIR:-$PROJECT/target}/release/sansftp"
WORK="$(mktemp -d /dev/shm/sansftp-bench-tls.XXXXXX)"
PIDS=()
declare -A CG
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${VS_PID:-}" ] && scripts/vsftpd-tls.sh stop "$VS_PID"
    sleep 0.5
    for g in "${CG[@]}"; do rmdir "$g" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
[ "${BUILD:-1}" = 0 ] || cargo build --release -q -p sansftp-cli
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"
sansftp_tls_pem() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1; }
sansftp_tls_pem

# Servers: name -> port, pid, root, ca
declare -A PORT PID ROOT CA USERPASS
start_sansftp() { # name extra-args...
    local name=$1; shift
    mkdir -p "$WORK/$name"; cp "$WORK/big.bin" "$WORK/$name/big.bin"
    "$BIN" --quiet serve "$WORK/$name" --port 0 --user u:p --write \
        --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --tls-required "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PID[$name]=$!; PIDS+=("$!")
    for _ in $(seq 100); do grep -q listening "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
    PORT[$name]=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$WORK/$name.out")
    ROOT[$name]="$WORK/$name"; CA[$name]="$WORK/cert.pem"; USERPASS[$name]="u:p"
}
start_sansftp sansftp-async
start_sansftp sansftp-blocking --blocking
VS_OUT="$(scripts/vsftpd-tls.sh start)"; VS_PID="$(echo "$VS_OUT" | tail -1)"
IFS=, read -r vs_hp vs_user vs_pass vs_ca vs_root <<<"${VS_OUT%%$'\n'*}"
vs_hp="${vs_hp#SANSFTP_VSFTPD_TLS=}"
PORT[vsftpd]="${vs_hp#*:}"; PID[vsftpd]="$VS_PID"; ROOT[vsftpd]="$vs_root"; CA[vsftpd]="$vs_ca"
USERPASS[vsftpd]="$vs_user:$vs_pass"
cp "$WORK/big.bin" "$vs_root/big.bin"; chown "$vs_user" "$vs_root/big.bin"
SERVERS=(sansftp-async sansftp-blocking vsftpd)

# Each server runs in a cpuacct cgroup of its own (vsftpd's session processes are
# forked into it), so its CPU counts every process it started, reaped or not.
CG_ROOT=/sys/fs/cgroup/cpuacct
[ -w "$CG_ROOT" ] || { echo "needs a writable $CG_ROOT (cgroup v1 cpuacct, root)" >&2; exit 1; }
in_cgroup() { # name pid: the server (not yet serving anyone) into its own cgroup
    CG[$1]="$CG_ROOT/sansftp-bench-tls-$1-$$"; mkdir -p "${CG[$1]}"
    echo "$2" >"${CG[$1]}/cgroup.procs"
}
cpu() { # name -> server CPU seconds so far
    awk '{printf "%.3f", $1/1e9}' "${CG[$1]}/cpuacct.usage"
}
for s in "${SERVERS[@]}"; do in_cgroup "$s" "${PID[$s]}"; done
mbs() { echo "$SIZE_MB $1" | awk '{printf "%.0f", $1*1.048576/$2}'; }
run() { # name dl|ul -> "MB/s cpu_s cipher"
    local n=$1 dir=$2 c0 c1 t0 t1 url="ftp://${USERPASS[$1]}@127.0.0.1:${PORT[$1]}"
    local args=(-sS --ssl-reqd --cacert "${CA[$n]}" --max-time 300 -w '%{ssl_verify_result}')
    c0=$(cpu "$n"); t0=$(date +%s.%N)
    if [ "$dir" = dl ]; then curl "${args[@]}" -o /dev/null "$url/big.bin" >/dev/null
    else curl "${args[@]}" -T "$WORK/big.bin" "$url/up.bin" >/dev/null; fi
    t1=$(date +%s.%N); c1=$(cpu "$n")
    echo "$(mbs "$(echo "$t1 - $t0" | bc -l)") $(echo "$c1 - $c0" | bc -l)"
}
cipher=$(curl -sS -v --ssl-reqd --cacert "$WORK/cert.pem" "ftp://u:p@127.0.0.1:${PORT[sansftp-async]}/" 2>&1 \
    | sed -n 's/.*SSL connection using \(.*\)/\1/p' | head -1)
vs_cipher=$(curl -sS -v --ssl-reqd --cacert "$vs_ca" "ftp://$vs_user:$vs_pass@$vs_hp/" 2>&1 \
    | sed -n 's/.*SSL connection using \(.*\)/\1/p' | head -1)
echo "curl to sansftp: $cipher; curl to vsftpd: $vs_cipher"

declare -A R
for rep in $(seq "$REPS"); do
    for m in dl ul; do
        for s in "${SERVERS[@]}"; do
            r=$(run "$s" "$m"); R[$s.$m]+="$r;"
            echo "rep $rep $m $s: $r (MB/s, server CPU s)"
        done
    done
done

# Our client against vsftpd-TLS, beside curl (interleaved), with each client's CPU.
declare -A C
vs_url="ftp://$vs_user:$vs_pass@$vs_hp"
client_run() { # key cmd... -> appends "MB/s client_cpu_s;" to C[key]
    local key=$1 t; shift
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
    C[$key]+="$(echo "$t" | awk -v mb="$SIZE_MB" '{printf "%.0f %.2f", mb*1.048576/$1, $2+$3}');"
    rm -f "$WORK/got.bin"
}
for rep in $(seq "$REPS"); do
    client_run ours.dl "$BIN" --quiet get --tls --cacert "$vs_ca" "$vs_url/big.bin" "$WORK/got.bin"
    client_run curl.dl curl -sS --ssl-reqd --cacert "$vs_ca" -o "$WORK/got.bin" "$vs_url/big.bin"
    client_run ours.ul "$BIN" --quiet put --tls --cacert "$vs_ca" "$WORK/big.bin" "$vs_url/ours.bin"
    client_run curl.ul curl -sS --ssl-reqd --cacert "$vs_ca" -T "$WORK/big.bin" "$vs_url/curl.bin"
done

summary() { # "a b;a b;..." field -> "median (min-max)"
    echo "$1" | tr ';' '\n' | awk -v f="$2" 'NF{print $f}' | sort -n \
        | awk '{v[NR]=$1} END{printf "%s (%s-%s)", v[int((NR+1)/2)], v[1], v[NR]}'
}
echo
echo "| FTPS, PROT P, curl client | sansftp-async | sansftp-blocking | vsftpd |"
echo "|---|---:|---:|---:|"
for m in dl ul; do
    row="| $m 1 GiB MB/s"; for s in "${SERVERS[@]}"; do row+=" | $(summary "${R[$s.$m]}" 1)"; done; echo "$row |"
    row="| $m server CPU s"; for s in "${SERVERS[@]}"; do row+=" | $(summary "${R[$s.$m]}" 2)"; done; echo "$row |"
done
echo
echo "| client against vsftpd-TLS | sansftp (blocking client) | curl |"
echo "|---|---:|---:|"
for m in dl ul; do
    echo "| $m 1 GiB MB/s | $(summary "${C[ours.$m]}" 1) | $(summary "${C[curl.$m]}" 1) |"
    echo "| $m client CPU s | $(summary "${C[ours.$m]}" 2) | $(summary "${C[curl.$m]}" 2) |"
done
