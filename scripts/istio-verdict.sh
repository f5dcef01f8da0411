#!/usr/bin/env bash
# Runs the gateway's reader over Istio's own test data and compares its verdict with Istio's.
# Usage: scripts/istio-verdict.sh <istio/istio checkout | bare git dir of istio/istio>
# A developer tool: not part of `make test` (Istio's data is not ours to copy into the repo).
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 <istio/istio checkout or bare git dir>" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$1"
roots=(samples tests/testdata pkg/test/datasets/validation pkg/config/validation/testdata pilot/pkg/xds/testdata tests/integration/pilot/testdata)
if [[ -d "$src/objects" && -f "$src/HEAD" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  git --git-dir="$src" archive HEAD "${roots[@]}" | tar -x -C "$tmp"
  echo "istio/istio at $(git --git-dir="$src" rev-parse --short HEAD)"
  src="$tmp"
fi
cd "$here"
mvn -o -q -pl gateway test-compile
cp_file="$(mktemp)"
mvn -o -q -pl gateway dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
java -cp "gateway/target/test-classes:gateway/target/classes:$(cat "$cp_file")" \
  dev.meshbed.gateway.config.IstioVerdict "$src"
rm -f "$cp_file"
