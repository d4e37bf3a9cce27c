#!/usr/bin/env bash
# Checks every kernel set this CPU runs (docs/ARCHITECTURE.md, "Kernel sets"):
#  1. the machine code: in the built libPluginAPI.so, the AVX-512 module's GEMM micro-kernel
#     has zmm FMA instructions, the AVX2 module's ymm ones, and the generic module uses no
#     ymm or zmm register at all (it must run on any x86-64) and calls no fmaf; and no object
#     linked into the runtime, the host or a plugin, outside the AVX2 and AVX-512 modules, uses
#     a ymm or zmm register (they are built for the x86-64 baseline);
#  2. the engine tests (kernels, golden values from PyTorch, autograd, layers) and the plugin
#     tests that train through them, once per set, with HOST_KERNELS forcing it.
#
#   scripts/kernel-sets.sh            (after `swift build -c release --build-tests`)
#
# Exits non-zero on any failed check or test. Takes the shared build lock for the tests.
set -uo pipefail
cd "$(dirname "$0")/.."
LIB=$(ls .build/release/libPluginAPI.so 2>/dev/null || ls .build/*/release/libPluginAPI.so | head -1)
status=0

if [ "$(uname -m)" = x86_64 ]; then
    dis=$(mktemp); trap 'rm -f "$dis"' EXIT
    objdump -d --no-show-raw-insn "$LIB" > "$dis"
    # A module's functions: Swift symbols start with $s, the module name's length and the name.
    module() { awk -v pat="^[0-9a-f]+ <\\\$s${#1}$1" '/^[0-9a-f]+ </ { on = ($0 ~ pat) } on' "$dis"; }
    # The micro-kernel: the specialised copies of GEMM.kernel (mangled "4GEMMO6kernel").
    microkernel() { module "$1" | awk '/^[0-9a-f]+ </ { on = ($0 ~ /4GEMMO6kernel/) } on'; }
    count() { grep -cE "$1" || true; }
    zmm512=$(microkernel KernelsAVX512 | count 'vfmadd[0-9a-z]*ps.*zmm')
    ymm2=$(microkernel KernelsAVX2 | count 'vfmadd[0-9a-z]*ps.*ymm')
    wideGeneric=$(module KernelsGeneric | count '[yz]mm')
    fmaGeneric=$(module KernelsGeneric | count 'vfmadd|call.*fmaf')
    echo "micro-kernel: avx512 $zmm512 zmm FMAs, avx2 $ymm2 ymm FMAs; generic module: $wideGeneric ymm/zmm uses, $fmaGeneric FMAs or fmaf calls"
    [ "$zmm512" -gt 0 ] || { echo "FAIL: no zmm FMA in the AVX-512 micro-kernel"; status=1; }
    [ "$ymm2" -gt 0 ] || { echo "FAIL: no ymm FMA in the AVX2 micro-kernel"; status=1; }
    [ "$wideGeneric" -eq 0 ] && [ "$fmaGeneric" -eq 0 ] || { echo "FAIL: the generic module uses AVX or FMA"; status=1; }
    # Every object the products link (their link lists name them), but the two wide sets'.
    objects=$(cat .build/release/*.product/Objects.LinkFileList | tr -d "'" | grep -vE '/(KernelsAVX2|KernelsAVX512|[A-Za-z]*Tests)\.build/' | sort -u)
    wide=0; checked=0
    for object in $objects; do
        [ -f "$object" ] || continue
        checked=$((checked + 1))
        uses=$(objdump -d --no-show-raw-insn "$object" | grep -cE '%[yz]mm' || true)
        [ "$uses" -eq 0 ] || { echo "FAIL: $object uses ymm/zmm registers ($uses instructions) outside the wide kernel sets"; wide=1; }
    done
    echo "baseline code: $checked objects of the runtime, host and plugins outside the wide sets, $([ $wide -eq 0 ] && echo none uses ymm/zmm)"
    [ "$checked" -gt 20 ] || { echo "FAIL: found only $checked objects to check; build first"; status=1; }
    [ $wide -eq 0 ] || status=1
fi

# The sets this CPU runs, as the runtime decides (the refusal names them in its hint).
sets=$(HOST_KERNELS=none .build/release/host bench none 2>&1 | sed -n 's/.*) runs \(.*\); set HOST_KERNELS.*/\1/p' | tr -d ',')
[ -n "$sets" ] || { echo "FAIL: cannot tell which kernel sets this CPU runs"; exit 1; }
for set in $sets; do
    echo "== HOST_KERNELS=$set"
    out=$(HOST_KERNELS=$set flock /tmp/swiftbuild.lock swift test -c release --disable-swift-testing --skip-build \
          --filter 'GEMMTests|VectorMathTests|ConvTests|KernelTests|GoldenTests|AutogradTests|ModuleTests|LowRankGradientTests|StepCaptureTests|ResNet18Tests|CafeSoftmaxTests|AutoencoderTests|ParityTests|FitAndValidateTests' 2>&1)
    echo "$out" | grep -E "error:|Executed .* tests" | tail -5
    echo "$out" | grep -q "with 0 failures" && ! echo "$out" | grep -q "error:" || { echo "FAIL: tests with HOST_KERNELS=$set"; status=1; }
done
[ $status -eq 0 ] && echo "kernel sets: all checks passed ($sets)"
exit $status
