#!/usr/bin/env bash
# Regenerates docs/gallery/ from real Parity, ResNet, SVM, NNGP, Review and Autoencoder runs.
#
# Run from anywhere (paths are taken relative to the repository root) after
#   swift build -c release
# Runs go to $GALLERY_RUNS (default /tmp/gallery-runs), never into the repository.
# Renders with headless Chromium (chromium or chromium-browser, e.g. Debian:
# apt-get install chromium); without one, the SVGs are converted with rsvg-convert
# and the report page screenshot is skipped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host="$root/.build/release/host"
gallery="$root/docs/gallery"
runs="${GALLERY_RUNS:-/tmp/gallery-runs}"

if [[ ! -x "$host" ]]; then
    echo "error: $host not found; build it first with: swift build -c release" >&2
    exit 1
fi

mkdir -p "$runs" "$gallery"
cd "$runs"
rm -rf sweep exact resnet-sweep svm-xor svm-cafe nngp-width nngp-duals review-noise review-kl review-init review-convolution
"$host" run Parity sweep --seeds 3 --out sweep --report
"$host" run Parity exact --d 30 --out exact --report
"$host" run ResNet sweep --seeds 3 --out resnet-sweep --report
"$host" run SVM xor --out svm-xor --report
XDG_CACHE_HOME="$runs/cache" "$host" run SVM cafe --out svm-cafe --report
# The CAFE images are PNGs already: copied as they are.
cp "$runs/svm-cafe/weights.png" "$gallery/svm-cafe-weights.png"
cp "$runs/svm-cafe/samples.png" "$gallery/svm-cafe-samples.png"
contours="poly2 rbf1 rbf2 rbf4"
"$host" run NNGP width --out nngp-width --report
"$host" run NNGP duals --out nngp-duals --report
nngp="nngp-width/width nngp-duals/duals"
for e in noise kl init convolution; do "$host" run Review "$e" --out "review-$e" --quiet; done
review="review-noise/descent review-kl/kl review-init/cnn review-convolution/convolution"
rm -rf autoencoder-attractors
CIFAR10_DIR= "$host" run Autoencoder attractors --out autoencoder-attractors --quiet
for name in one_image two_images iterates; do cp "$runs/autoencoder-attractors/$name.png" "$gallery/autoencoder-$name.png"; done

# svg_size FILE: the width,height attributes of an SVG, rounded up, for the browser window.
svg_size() {
    sed -n 's/.*<svg[^>]* width="\([0-9.]*\)" height="\([0-9.]*\)".*/\1 \2/p' "$1" | head -1 |
        awk '{ printf "%d,%d", ($1 == int($1)) ? $1 : int($1) + 1, ($2 == int($2)) ? $2 : int($2) + 1 }'
}

browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done

# shot INPUT OUTPUT WIDTH,HEIGHT [extra flags...]
shot() {
    local in="$1" out="$2" size="$3"; shift 3
    rm -f "$out"
    # --no-sandbox is needed when running as root (containers, CI).
    if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --window-size="$size" "$@" --screenshot="$out" "file://$in" >"$runs/chromium.log" 2>&1 \
        || [[ ! -s "$out" ]]; then
        echo "error: $browser failed to render $in; see $runs/chromium.log" >&2
        exit 1
    fi
    echo "wrote $out"
}

for name in loss accuracy; do
    cp "$runs/sweep/$name.svg" "$gallery/parity-sweep-$name.svg"
done
for name in grid accuracy; do
    cp "$runs/resnet-sweep/$name.svg" "$gallery/resnet-sweep-$name.svg"
done

if [[ -n "$browser" ]]; then
    echo "rendering with $("$browser" --version 2>/dev/null || echo "$browser")"
    # The plots are 640x420 SVGs; render them at 2x for sharp text.
    for name in loss accuracy; do
        shot "$runs/sweep/$name.svg" "$gallery/parity-sweep-$name.png" 640,420 --force-device-scale-factor=2
    done
    # Top of the report: title, metrics, the sweep table and both figures.
    shot "$runs/sweep/report.html" "$gallery/parity-sweep-report.png" 1160,1640
    for name in grid accuracy; do
        shot "$runs/resnet-sweep/$name.svg" "$gallery/resnet-sweep-$name.png" "$(svg_size "$runs/resnet-sweep/$name.svg")" --force-device-scale-factor=2
    done
    for name in $contours; do
        shot "$runs/svm-xor/contour-$name.svg" "$gallery/svm-xor-$name.png" "$(svg_size "$runs/svm-xor/contour-$name.svg")"
    done
    for name in $nngp; do
        shot "$runs/$name.svg" "$gallery/nngp-$(basename "$name").png" "$(svg_size "$runs/$name.svg")"
    done
    for name in $review; do
        shot "$runs/$name.svg" "$gallery/review-$(basename "$name").png" "$(svg_size "$runs/$name.svg")"
    done
elif command -v rsvg-convert >/dev/null 2>&1; then
    for name in loss accuracy; do
        rsvg-convert --zoom=2 --background-color=white -o "$gallery/parity-sweep-$name.png" "$runs/sweep/$name.svg"
        echo "wrote $gallery/parity-sweep-$name.png (rsvg-convert)"
    done
    for name in grid accuracy; do
        rsvg-convert --zoom=2 --background-color=white -o "$gallery/resnet-sweep-$name.png" "$runs/resnet-sweep/$name.svg"
        echo "wrote $gallery/resnet-sweep-$name.png (rsvg-convert)"
    done
    for name in $contours; do
        rsvg-convert --background-color=white -o "$gallery/svm-xor-$name.png" "$runs/svm-xor/contour-$name.svg"
        echo "wrote $gallery/svm-xor-$name.png (rsvg-convert)"
    done
    for name in $nngp $review; do
        prefix=$([[ "$name" == nngp-* ]] && echo nngp || echo review)
        rsvg-convert --background-color=white -o "$gallery/$prefix-$(basename "$name").png" "$runs/$name.svg"
        echo "wrote $gallery/$prefix-$(basename "$name").png (rsvg-convert)"
    done
    echo "no chromium or chromium-browser on PATH: skipping parity-sweep-report.png (apt-get install chromium)"
else
    echo "error: neither chromium/chromium-browser nor rsvg-convert is installed; cannot render PNGs" >&2
    exit 1
fi
