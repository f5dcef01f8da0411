#!/usr/bin/env bash
# Runs the gateway's reader over Istio's own test data and compares its verdict with Istio's:
# every Istio networking document of istio/istio (samples, test data, analyzer inputs, the
# validation datasets) and of istio/api (its CRD validation cases, *-valid.yaml / *-invalid.yaml).
#
# Usage: scripts/istio-verdict.sh <istio/istio checkout or bare git dir> [<istio/api checkout or bare git dir>]
#
# Istio's verdict on each document comes from istioctl validate (Istio's webhook rules and CRD
# schemas, offline), built from the istio/istio sources given (go build, a few minutes the first
# time; ISTIOCTL=path uses one you have). NO_ISTIOCTL=1 reads the verdict from where a document
# sits instead (the *-invalid files are invalid, the rest valid): a quick first look.
# A developer tool: not part of `make test` (Istio's data is not ours to copy into the repo).
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <istio/istio checkout or bare git dir> [<istio/api checkout or bare git dir>]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
checkout() { # a work tree: the directory itself, or a bare git dir's HEAD extracted
  local src=$1 name=$2
  if [[ -d "$src/objects" && -f "$src/HEAD" ]]; then
    mkdir -p "$tmp/$name"
    git --git-dir="$src" archive HEAD | tar -x -C "$tmp/$name"
    echo "$name at $(git --git-dir="$src" rev-parse --short HEAD)" >&2
    echo "$tmp/$name"
  else
    echo "$src"
  fi
}
istio="$(checkout "$1" istio)"
roots=("$istio")
if [[ $# -eq 2 ]]; then
  roots+=("$(checkout "$2" api)")
fi
oracle=()
if [[ -z "${NO_ISTIOCTL:-}" ]]; then
  istioctl="${ISTIOCTL:-$here/target/istio-verdict/istioctl}"
  if [[ ! -x "$istioctl" ]]; then
    echo "building istioctl from $istio (go build; a few minutes the first time) ..." >&2
    mkdir -p "$(dirname "$istioctl")"
    (cd "$istio" && go build -o "$istioctl" ./istioctl/cmd/istioctl)
  fi
  oracle=(--istioctl "$istioctl")
fi
cd "$here"
mvn -o -q -pl gateway test-compile
cp_file="$tmp/classpath"
mvn -o -q -pl gateway dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
java -cp "gateway/target/test-classes:gateway/target/classes:$(cat "$cp_file")" \
  dev.meshbed.gateway.config.IstioVerdict ${oracle[@]+"${oracle[@]}"} "${roots[@]}"
