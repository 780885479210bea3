#!/usr/bin/env bash
# Long fuzzing runs, beyond the short ones CI makes (tests/fuzz/CMakeLists.txt): every libFuzzer
# target of a fuzz build for at least RUNS executions (default 10^7) or SECONDS (default: no time
# limit), seeded like CI from tests/data/*.vec, each with its own corpus that is kept between
# runs. Prints one table: executions, coverage (libFuzzer's cov: edges), features, corpus size,
# crashes (files libFuzzer wrote), and the wall time per target.
#   cmake --preset fuzz && cmake --build --preset fuzz
#   tests/fuzz/run-long.sh [BUILD_DIR] [RUNS] [SECONDS] [JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/fuzz}
runs=${2:-10000000}
seconds=${3:-0}
jobs=${4:-$(nproc)}
out=$build/fuzz-long
mkdir -p "$out"
targets=()
for file in "$build"/fuzz/fuzz_*; do
    if [ -f "$file" ] && [ -x "$file" ]; then targets+=("$file"); fi
done
[ "${#targets[@]}" -gt 0 ] || { echo "no fuzz targets in $build/fuzz: cmake --preset fuzz && cmake --build --preset fuzz" >&2; exit 2; }

run_one() {
    local target=$1 name corpus crashes log
    name=$(basename "$target")
    corpus=$out/$name.corpus crashes=$out/$name.crashes log=$out/$name.log
    mkdir -p "$corpus" "$crashes"
    # the CI seeds, once
    if [ -z "$(ls -A "$corpus")" ]; then
        bash "$root/tests/fuzz/run_fuzzer.sh" "$target" "$corpus" "$root/tests/data" 0 1 >/dev/null 2>&1 || true
    fi
    local started=$SECONDS
    set +e
    "$target" -runs="$runs" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
    local status=$?
    set -e
    local wall=$((SECONDS - started))
    local execs cov ft units found
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    units=$(find "$corpus" -type f | wc -l)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-28s %12s %8s %8s %8s %8s %7ss %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$units" "$found" "$wall" \
        "$([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status, see $log)")"
}
export -f run_one
export root out runs seconds

printf '%-28s %12s %8s %8s %8s %8s %8s %s\n' target executions cov features corpus crashes wall result
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} | sort
