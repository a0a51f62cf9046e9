#!/usr/bin/env bash
# The client as a user tries it: `sansftp` mkdir/put/ls --json/get (--resume, --active,
# --recursive)/mv/stat/rm against a server, checking every byte. With no argument it
# starts each server in turn (sansftp serve, and pyftpdlib, vsftpd, pure-ftpd through the
# shared rig; the last two need root) and stops it by PID afterwards.
#
#   scripts/try-client.sh                                   # all four servers
#   scripts/try-client.sh ftp://user:pass@127.0.0.1:2121/dir/   # one server, a writable dir
set -euo pipefail
PROJECT="$(cd "$(dirname "$0")/.." && pwd)"
RIG="${RIG:-$PROJECT/../shared/rig}"
BIN="${BIN:-$PROJECT/target/release/sansftp}"
[ "${BUILD:-1}" = 0 ] || cargo build --release -q -p sansftp-cli --bin sansftp --manifest-path "$PROJECT/Cargo.toml"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do "$RIG/stop_server.sh" "$p" >/dev/null 2>&1 || kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

check() { # check URL_OF_A_WRITABLE_DIR (ending in /)
    local base="$1" dir="${1}sansftp-try-$$/" f="$WORK/local"
    rm -rf "$f"; mkdir -p "$f/tree/sub"
    head -c 5000000 /dev/urandom >"$f/big.bin"
    printf 'one\ntwo\n' >"$f/tree/a.txt"; head -c 70000 /dev/urandom >"$f/tree/sub/b.bin"
    "$BIN" mkdir --parents "${dir}x/y"
    "$BIN" put "$f/big.bin" "${dir}x/y/big.bin"
    "$BIN" ls --json "${dir}x/y/" | python3 -c '
import json, sys
entries = json.load(sys.stdin)
e = [x for x in entries if x["name"] == "big.bin"]
assert len(e) == 1 and e[0]["type"] == "file" and e[0]["size"] == 5000000, entries
assert all(set(x) >= {"name", "type", "size", "modified"} for x in entries), entries'
    "$BIN" get "${dir}x/y/big.bin" "$f/back.bin"
    cmp "$f/big.bin" "$f/back.bin"
    head -c 1234567 "$f/big.bin" >"$f/part.bin"
    "$BIN" get --resume "${dir}x/y/big.bin" "$f/part.bin"
    cmp "$f/big.bin" "$f/part.bin"
    "$BIN" get --active "${dir}x/y/big.bin" "$f/active.bin"
    cmp "$f/big.bin" "$f/active.bin"
    "$BIN" mv "${dir}x/y/big.bin" ../renamed.bin
    "$BIN" stat --json "${dir}x/renamed.bin" | python3 -c '
import json, sys
e = json.load(sys.stdin)
assert e["type"] == "file" and e["size"] == 5000000, e'
    "$BIN" put --recursive "$f/tree" "${dir}tree"
    "$BIN" get --recursive "${dir}tree" "$f/tree-back"
    diff -r "$f/tree" "$f/tree-back"
    "$BIN" ls --recursive --long "${dir}" >/dev/null
    "$BIN" rm --recursive "${dir}"
    if "$BIN" stat "${dir}x" >/dev/null 2>&1; then echo "rm left ${dir}" >&2; return 1; fi
    if "$BIN" get "${dir}missing" "$f/missing" 2>"$f/err"; then echo "missing file downloaded" >&2; return 1; fi
    grep -q '^sansftp: ' "$f/err" && [ ! -e "$f/missing" ]
}

if [ $# -gt 0 ]; then check "$1"; echo "ok: $1"; exit 0; fi

ROOT="$WORK/root"; mkdir -p "$ROOT/upload"
results=()
"$BIN" --quiet serve "$ROOT" --port 21240 --user ftpbench:ftpbench --write & PIDS+=($!)
sleep 0.5
if check "ftp://ftpbench:ftpbench@127.0.0.1:21240/upload/"; then results+=("sansftp serve: ok"); else results+=("sansftp serve: FAILED"); fi
for server in pyftpdlib vsftpd pureftpd; do
    chmod 755 "$WORK"
    pid=$("$RIG/start_$server.sh" "$ROOT" 21241 2>/dev/null | tail -1) || { results+=("$server: could not start"); continue; }
    PIDS+=("$pid")
    # vsftpd/pure-ftpd chown the tree to their account; the login directory is ROOT.
    if check "ftp://ftpbench:ftpbench@127.0.0.1:21241/upload/"; then results+=("$server: ok"); else results+=("$server: FAILED"); fi
    "$RIG/stop_server.sh" "$pid" >/dev/null 2>&1 || true
done
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q -e FAILED -e "could not"
