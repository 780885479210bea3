#!/usr/bin/env bash
# run_fuzzer.sh TARGET CORPUS_DIR VECTOR_DIR RUNS SECONDS: seeds the corpus with every input of
# the .vec files, then lets libFuzzer try RUNS inputs or run SECONDS, whichever ends first. Any
# crash, leak or sanitizer report fails the test.
set -euo pipefail
target=$1 corpus=$2 vectors=$3 runs=$4 seconds=$5
mkdir -p "$corpus"
n=0
for file in "$vectors"/*.vec; do
    while IFS= read -r line; do
        case "$line" in
            "input = "*)
                n=$((n + 1))
                hex=${line#input = }
                printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" > "$corpus/seed-$n" ;;
        esac
    done < "$file"
done
exec "$target" -runs="$runs" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 "$corpus"
