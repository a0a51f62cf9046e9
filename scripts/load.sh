#!/usr/bin/env bash
# Burst load on the server adapters: starts `sansftp serve --memory --write` (async,
# then --runtime blocking, then --runtime tokio) on loopback and runs adapters/cli/examples/load.rs against each:
# SESSIONS clients connect at once, each STOR + RETR of SIZE bytes, compared byte for
# byte. Exits non-zero if any session failed on any adapter. Bounded in time: the
# load program gives up after DEADLINE seconds, and every step here is bounded too.
#
#   scripts/load.sh                     # 1,000 sessions x 128 KiB on each adapter
#   SESSIONS=2000 ADAPTERS=async scripts/load.sh
#
# Environment (all optional): SESSIONS=1000 SIZE=131072 DEADLINE=300
# ADAPTERS="async blocking tokio" PORT=21299 BUILD=0 (skip cargo build --release)
# SERVE_ARGS="--backlog 128" (extra `sansftp serve` options)
set -uo pipefail

PROJECT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$PROJECT"
SESSIONS="${SESSIONS:-1000}"
SIZE="${SIZE:-131072}"
DEADLINE="${DEADLINE:-300}"
PORT="${PORT:-21299}"
read -r -a ADAPTERS <<<"${ADAPTERS:-async blocking tokio}"
TARGET="${CARGO_TARGET_DIR:-$PROJECT/target}/release"

# Each session holds a control and a data socket on both sides (plus a passive
# listener on the server's): raise the descriptor limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$(( SESSIONS * 4 + 100 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    echo "load.sh: ulimit -n is $(ulimit -n), $need descriptors wanted" >&2
fi

if [ "${BUILD:-1}" != 0 ]; then
    timeout 1200 cargo build --release -j2 -p sansftp-cli --bin sansftp --example load \
        || { echo "load.sh: build failed" >&2; exit 2; }
fi

SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT

status=0
for adapter in "${ADAPTERS[@]}"; do
    read -r -a extra <<<"${SERVE_ARGS:-}"
    flags=(serve --memory --write --port "$PORT" --idle-timeout 60 "${extra[@]}")
    flags+=(--runtime "$adapter")
    "$TARGET/sansftp" --quiet "${flags[@]}" >/dev/null 2>"$TARGET/load-$adapter.log" &
    SERVER_PID=$!
    # Wait (at most 10 s) for the listener.
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
        sleep 0.1
    done
    printf '%-8s ' "$adapter:"
    timeout $(( DEADLINE + 30 )) "$TARGET/examples/load" "127.0.0.1:$PORT" \
        --sessions "$SESSIONS" --size "$SIZE" --deadline "$DEADLINE" || status=1
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
done
exit "$status"
