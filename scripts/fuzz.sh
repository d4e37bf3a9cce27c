#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses of fuzz/harnesses/ (one per reader), each for the given
# number of seconds, after replaying every kept finding of fuzz/regressions/<reader>/.
#
#   scripts/fuzz.sh [seconds-per-reader] [reader...]      (default: 60 s, every reader)
#   FUZZ_JOBS_DIR=/tmp/fz scripts/fuzz.sh 600 tar           (build and work files elsewhere)
#
# Each harness is compiled with `swiftc -sanitize=fuzzer,address -O` together with the runtime
# source files it needs (the lists below), not against the package. Memory is capped
# (-rss_limit_mb=2048 -malloc_limit_mb=1024) and every input must finish in 10 s. Prints the
# executions per reader; exits non-zero on any crash, leak, timeout, out-of-memory or failed
# build. Crashing inputs are left in $WORK/artifacts/<reader>/: copy them to
# fuzz/regressions/<reader>/ once fixed. Compiles take the shared build lock
# (/tmp/swiftbuild.lock); the fuzzing itself runs one reader at a time on one core.
set -uo pipefail
export SWIFT_BACKTRACE=enable=no   # let libFuzzer and ASan report crashes

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_READER=${1:-60}
shift || true
READERS=("$@")
[ ${#READERS[@]} -eq 0 ] && READERS=(npy idx pgm cifar tar gzip png elf)
WORK=${FUZZ_JOBS_DIR:-$ROOT/.build/fuzz}
SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
R=Sources/PluginAPI/Sources

# The runtime files each harness is compiled with.
BASE="$R/Formats/PluginError.swift $R/Formats/ShapeCount.swift fuzz/harnesses/Common.swift"
files_for() {
    case "$1" in
        npy)   echo "$BASE fuzz/harnesses/AtomicFileStub.swift $R/Formats/NPY.swift $R/Formats/NPYHeader.swift" ;;
        idx)   echo "$BASE $R/Datasets/IDX.swift $R/Formats/Gzip.swift $R/Formats/Inflate.swift $R/Formats/InflateStream.swift $R/Formats/Deflate.swift $R/Formats/Checksums.swift" ;;
        pgm)   echo "$BASE $R/Datasets/PGM.swift" ;;
        cifar) echo "$BASE $R/Datasets/CIFAR10Batch.swift" ;;
        tar)   echo "$BASE Sources/Host/Core/Archive/Tar.swift Sources/Host/Core/Archive/TarReader.swift" ;;
        gzip)  echo "$BASE $R/Formats/Gzip.swift Sources/Host/Core/Archive/Tar.swift Sources/Host/Core/Archive/TarReader.swift $R/Formats/Inflate.swift $R/Formats/InflateStream.swift $R/Formats/Deflate.swift $R/Formats/Checksums.swift" ;;
        png)   echo "$BASE fuzz/harnesses/AtomicFileStub.swift $R/Formats/PNG.swift $R/Formats/Inflate.swift $R/Formats/InflateStream.swift $R/Formats/Deflate.swift $R/Formats/Checksums.swift" ;;
        elf)   echo "$BASE Sources/Host/Core/ELFSymbols.swift" ;;
        *)     return 1 ;;
    esac
}

failed=0
summary=""
for reader in "${READERS[@]}"; do
    files=$(files_for "$reader") || { echo "fuzz.sh: unknown reader '$reader' (npy idx pgm cifar tar gzip png elf)" >&2; exit 2; }
    binary=$WORK/bin/$reader
    mkdir -p "$WORK/bin" "$WORK/corpus/$reader" "$WORK/artifacts/$reader" "$WORK/src/$reader"
    # One module here: the runtime's imports of its own layers (Formats, Engine) are dropped.
    sources=""
    for file in $files; do
        copy="$WORK/src/$reader/$(basename "$file")"
        grep -vE '^import (Formats|Engine|Datasets|Plots)$' "$file" > "$copy"
        sources+=" $copy"
    done
    echo "== $reader: building"
    # shellcheck disable=SC2086
    if ! flock /tmp/swiftbuild.lock "$SWIFTC" -parse-as-library -sanitize=fuzzer,address -O -module-name "Fuzz_$reader" \
            $sources "fuzz/harnesses/$reader.swift" -o "$binary" 2> "$WORK/$reader.build.log"; then
        grep -v "Cannot export local symbol" "$WORK/$reader.build.log" >&2
        echo "== $reader: BUILD FAILED" >&2
        failed=1; summary+="$reader: build failed"$'\n'; continue
    fi
    options=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -max_len=20000 -print_final_stats=1
             "-artifact_prefix=$WORK/artifacts/$reader/")
    regressions=(fuzz/regressions/"$reader"/*)
    if [ -e "${regressions[0]}" ]; then
        echo "== $reader: replaying ${#regressions[@]} kept findings"
        if ! "$binary" "${options[@]}" "${regressions[@]}" > "$WORK/$reader.replay.log" 2>&1; then
            tail -30 "$WORK/$reader.replay.log" >&2
            echo "== $reader: A KEPT FINDING FAILS AGAIN" >&2
            failed=1; summary+="$reader: regression replay failed"$'\n'; continue
        fi
    fi
    echo "== $reader: fuzzing for ${SECONDS_PER_READER}s"
    "$binary" "${options[@]}" -max_total_time="$SECONDS_PER_READER" "$WORK/corpus/$reader" "fuzz/corpus/$reader" \
        > "$WORK/$reader.log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$reader.log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'exec/s: [0-9]*' "$WORK/$reader.log" | tail -1 | grep -o '[0-9]*$')
    if [ $status -ne 0 ]; then
        grep -E "ERROR|SUMMARY|==[0-9]+==|invariant|Fatal error|Test unit written|out-of-memory|timeout" "$WORK/$reader.log" | head -20 >&2
        echo "== $reader: FAILED (exit $status) after ${runs:-?} executions; log $WORK/$reader.log" >&2
        failed=1; summary+="$reader: FAILED after ${runs:-?} executions"$'\n'
    else
        echo "== $reader: ${runs:-?} executions (${rate:-?}/s), no finding"
        summary+="$reader: ${runs:-?} executions, no finding"$'\n'
    fi
done
echo "== summary"
printf '%s' "$summary"
exit $failed
