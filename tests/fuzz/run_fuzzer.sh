#!/usr/bin/env bash
# run_fuzzer.sh TARGET CORPUS_DIR VECTOR_DIR RUNS: seeds the corpus with every input of the
# .vec files, then lets libFuzzer try RUNS inputs. Any crash or sanitizer report fails the test.
set -euo pipefail
target=$1 corpus=$2 vectors=$3 runs=$4
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
exec "$target" -runs="$runs" -max_len=4096 -timeout=10 "$corpus"
