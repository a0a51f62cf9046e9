#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) on the stable toolchain.
# New inputs go to fuzz/corpus-work/<target> (ignored by git); the committed seeds in
# fuzz/corpus/<target> are read, never grown. A crash fails the script and leaves the
# input in fuzz/artifacts/<target>/: fix it and copy it to fuzz/regressions/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build --sanitizer none -O
for t in "${targets[@]}"; do
    mkdir -p "corpus-work/$t" "corpus/$t"
    echo "--- fuzz $t for ${seconds}s"
    cargo fuzz run --sanitizer none -O "$t" "corpus-work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
        | grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked|SUMMARY' \
        && status=${PIPESTATUS[0]} || status=${PIPESTATUS[0]}
    if [ "$status" -ne 0 ] || [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
        echo "fuzz target $t found a crash: see fuzz/artifacts/$t" >&2
        exit 1
    fi
done
