#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 120 s each), seeded with the shipped
# samples and test fixtures. Needs a nightly toolchain and cargo-fuzz; installs cargo-fuzz
# if it is missing. Not part of CI. Findings land in fuzz/artifacts/TARGET/; turn each into a
# regression case under tests/fuzz-regressions/ (see tests/fuzz_regressions.rs).
#
#   scripts/fuzz.sh                 # every target, 120 s each
#   scripts/fuzz.sh 300 dateline    # one target, 300 s
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(text_import json_article dateline)
fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Seed corpora from our own inputs, so the fuzzer starts from real shapes.
seed() {
    local target="$1" dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$target" in
        text_import) cp samples/*.txt tests/fixtures/*.txt "$dir"/ ;;
        json_article)
            cp samples/*.json "$dir"/
            if [ -d tests/fuzz-regressions/json_article ]; then cp tests/fuzz-regressions/json_article/* "$dir"/; fi
            ;;
        dateline)
            local i=0
            for d in "07:00 22/04/2024" "Thứ Hai, 22/04/2024, 07:00 (GMT+7)" "6:05 5/1/2025" \
                     "22/04/2024 07:00" "2024-04-22T07:00:00+07:00" "2024-04-22T00:00:00Z" \
                     "Chủ nhật | 01/01/1970 - 08:00 GMT+8" "31/02/2024" "01/05/1911 00:00"; do
                printf '%s' "$d" > "$dir/seed-$i"; i=$((i + 1))
            done
            ;;
    esac
    if [ -d "tests/fuzz-regressions/$target" ]; then cp "tests/fuzz-regressions/$target"/* "$dir"/; fi
}

cd fuzz
echo "== building the fuzz targets"
cargo +nightly fuzz build
status=0
for target in "${targets[@]}"; do
    (cd .. && seed "$target")
    echo "== fuzzing $target for ${seconds}s"
    # -rss_limit_mb: a 2 MiB input through NFC and ammonia stays far below it; more is a leak.
    if ! cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
            -max_len=65536 -print_final_stats=1; then
        echo "== $target FOUND A PROBLEM: see fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit $status
