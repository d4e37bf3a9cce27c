#!/usr/bin/env bash
# Runs the release build on a processor without AVX: qemu-user emulating a Nehalem (SSE4.2, no
# AVX, AVX2, FMA or AVX-512), which faults on any instruction that CPU lacks
# (docs/ARCHITECTURE.md, "Kernel sets"). Checks that
#  1. the host starts and answers (`host --version`);
#  2. forcing the AVX2 kernels is refused with the missing flags: the choice follows CPUID,
#     not /proc/cpuinfo, which under qemu-user lists the real host's flags;
#  3. a whole run (Parity, in the worker role, so that the run itself is emulated) completes
#     with the generic kernel set recorded in its config.json;
#  4. the engine tests and the plugin tests that train through the kernels pass.
#
#   scripts/old-cpu.sh            (after `swift build -c release --build-tests`; x86-64 only)
#
# Installs Debian's qemu-user when qemu-x86_64 is missing and this runs as root. Exits non-zero
# on any failed check.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -m)" = x86_64 ] || { echo "old-cpu: not an x86-64 machine, nothing to check"; exit 0; }
if ! command -v qemu-x86_64 >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "old-cpu: installing qemu-user"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null 2>&1; }
    fi
    command -v qemu-x86_64 >/dev/null || { echo "FAIL: qemu-x86_64 is missing; install Debian's qemu-user"; exit 1; }
fi
BIN=.build/release
CPU=Nehalem
emulate() { timeout 900 qemu-x86_64 -cpu "$CPU" "$@"; }
status=0
fail() { echo "FAIL: $*"; status=1; }

version=$(emulate "$BIN/host" --version 2>&1) || fail "host --version on a $CPU: $version"
echo "on a $CPU: $version"

refusal=$(HOST_KERNELS=avx2 emulate "$BIN/host" bench none 2>&1); code=$?
[ $code -eq 2 ] && echo "$refusal" | grep -q "lacks avx2, fma" \
    && echo "HOST_KERNELS=avx2 refused: $(echo "$refusal" | head -1)" \
    || fail "HOST_KERNELS=avx2 on a $CPU should exit 2 naming avx2 and fma (exit $code): $refusal"

run=$(mktemp -d); trap 'rm -rf "$run"' EXIT
out=$(HOST_WORKER=run HOST_WORKER_PLUGIN="$PWD/$BIN/libParity.so" emulate "$BIN/host" run Parity train --d 5 --iters 300 \
      --out "$run/parity" 3>/dev/null 2>&1) || fail "Parity train on a $CPU: $out"
grep -q '"kernel_set" : "generic"\|"kernel_set": "generic"' "$run/parity/config.json" 2>/dev/null \
    && grep -q '"status" *: *"completed"' "$run/parity/summary.json" \
    && echo "Parity train on a $CPU: completed with the generic kernel set" \
    || fail "Parity train on a $CPU did not complete with the generic set: $(cat "$run/parity/config.json" "$run/parity/summary.json" 2>&1 | grep -E 'kernel_set|status')"

# The engine's tests and those of plugins that train through the kernels (as scripts/kernel-sets.sh).
classes=$("$BIN/MLHostPackageTests.xctest" --list-tests 2>/dev/null | sed -n 's/^\([A-Za-z]*Tests\.[A-Za-z0-9]*\)\/.*/\1/p' | sort -u \
          | grep -E '^EngineTests\.|\.(ResNet18Tests|FitAndValidateTests|CafeSoftmaxTests)$' | paste -sd, -)
[ -n "$classes" ] || fail "no test classes found in $BIN/MLHostPackageTests.xctest; build with --build-tests first"
tests=$(emulate "$BIN/MLHostPackageTests.xctest" "$classes" 2>&1)
echo "$tests" | grep -E "error:" | head -20
summary=$(echo "$tests" | grep -E "Executed [0-9]+ tests" | tail -1)
echo "tests on a $CPU: ${summary:-none ran}"
echo "$summary" | grep -qE "Executed [1-9][0-9]* tests, with 0 failures" || fail "tests on a $CPU"

[ $status -eq 0 ] && echo "old-cpu: all checks passed on an emulated $CPU"
exit $status
