#!/usr/bin/env bash
# Installs the shells whose completion the tests drive (HostTests.CompletionTests): zsh and fish
# from Debian's packages, when missing and when this runs as root with apt-get. Without them
# those two tests are skipped, saying which shell is missing; bash's test always runs.
set -uo pipefail
missing=()
for shell in zsh fish; do command -v "$shell" >/dev/null || missing+=("$shell"); done
[ ${#missing[@]} -eq 0 ] && { echo "test-shells.sh: zsh and fish are installed"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } \
        || echo "test-shells.sh: could not install ${missing[*]}; their completion tests will be skipped" >&2
else
    echo "test-shells.sh: ${missing[*]} missing and not root with apt-get; their completion tests will be skipped" >&2
fi
exit 0
