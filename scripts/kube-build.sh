#!/usr/bin/env bash
# linux-only: the cluster it builds runs on Linux only (CLUSTER=kube); it uses flock and sha256sum.
# The one-node Kubernetes of `make up CLUSTER=kube`, built from its Go modules (kube/): one
# multi-call binary (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy, kubectl, kubeadm) and the pods' sandbox program (pause), both static; and, for LB=on,
# MetalLB's controller from MetalLB's own module (its go.mod and go.sum, at METALLB_VERSION) with
# that module's manifest (config/manifests/metallb-native.yaml) beside it.
#
#   scripts/kube-build.sh            build unless the cache holds this build; print the binary's path last
#   scripts/kube-build.sh --check    print the binary's path and exit 0 when the cache holds it (nothing
#                                    is built); exit 1 when not
#   scripts/kube-build.sh --pin      regenerate kube/go.mod's replace block from k8s.io/kubernetes' go.mod
#
# Reproducible: versions pinned in kube/go.mod and go.sum (never `go get -u`), -trimpath, no VCS
# stamp, CGO off, the version stamped as Kubernetes' own build does. The output goes to a cache
# outside the clone, keyed by a hash of the module's files, the Go version and these flags:
#   ${MESHBED_CACHE:-${XDG_CACHE_HOME:-~/.cache}/meshbed}/kube/<key>/{meshbed-kube,pause,kubectl}
# with the Go module and build caches beside it (go-mod/, go-build/), so that a second run on the
# same machine, or from another clone, does not rebuild.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOD=$ROOT/kube
CACHE=${MESHBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshbed}

say() { printf '\033[1mkube-build:\033[0m %s\n' "$*" >&2; }
die() { printf 'kube-build: %s\n' "$1" >&2; exit "${2:-1}"; }

command -v go >/dev/null || die "the Go toolchain is missing (Go 1.24 or newer; on Debian: the golang-go package is too old, use go.dev/dl or your distribution's newer one)" 3
GOVERSION=$(go env GOVERSION)
if ! [[ $GOVERSION =~ ^go1\.([0-9]+) ]] || ((BASH_REMATCH[1] < 24)); then
  die "Go $GOVERSION is too old (expected: 1.24 or newer)" 3
fi

METALLB_VERSION=v0.15.2
K8S_VERSION=$(sed -n 's/^\tk8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$MOD/go.mod" | head -1)
STAGING_VERSION=v0.${K8S_VERSION#v1.}
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read k8s.io/kubernetes' version from $MOD/go.mod"
K8S_MINOR=${BASH_REMATCH[1]}

export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build GOFLAGS=-mod=readonly GOTOOLCHAIN=local
export CGO_ENABLED=0 GOOS=linux

if [[ ${1:-} == --pin ]]; then
  # the staging modules k8s.io/kubernetes maps to ./staging, at their published version
  gomod=$(cd "$MOD" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  block=$(sed -n '/^replace (/,/^)/p' "$gomod" | awk -v v="$STAGING_VERSION" '$3 ~ /^\.\/staging/ {print "\t" $1 " => " $1 " " v}')
  awk -v block="$block" '/^replace \(/ {print; print block; skip=1; next} skip && /^\)/ {skip=0} !skip' "$MOD/go.mod" >"$MOD/go.mod.new"
  mv "$MOD/go.mod.new" "$MOD/go.mod"
  (cd "$MOD" && GOFLAGS=-mod=mod go mod tidy)
  say "pinned $(grep -c "=> .* $STAGING_VERSION\$" "$MOD/go.mod") staging modules at $STAGING_VERSION"
  exit 0
fi

# the flags of the build: part of the cache key
PKG=k8s.io/component-base/version
CLIENT_PKG=k8s.io/client-go/pkg/version

SOURCE_HASH=$(cd "$MOD" && find go.mod go.sum cmd -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-40)
LDFLAGS="-s -w -buildid="
for p in $PKG $CLIENT_PKG; do
  LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR"
  LDFLAGS+=" -X $p.gitCommit=$SOURCE_HASH -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
BUILD_FLAGS=(-trimpath -buildvcs=false)
KEY=$(printf '%s\n' "$SOURCE_HASH" "$GOVERSION" "$(go env GOARCH)" "$LDFLAGS" "${BUILD_FLAGS[*]}" "$METALLB_VERSION" | sha256sum | cut -c1-16)
OUT=$CACHE/kube/$K8S_VERSION-$KEY

built() { [[ -x $OUT/meshbed-kube && -x $OUT/pause && -x $OUT/metallb-controller && -f $OUT/build.txt ]]; }
if [[ ${1:-} == --check ]]; then
  built || exit 1
  echo "$OUT/meshbed-kube"
  exit 0
fi
[[ -z ${1:-} ]] || die "unexpected argument '$1' (expected: nothing, --check or --pin)" 2

if built; then
  say "cached: Kubernetes $K8S_VERSION in $OUT ($(sed -n 's/^built in //p' "$OUT/build.txt") when built)"
  echo "$OUT/meshbed-kube"
  exit 0
fi

mkdir -p "$CACHE/kube"
exec 9>"$CACHE/kube/.lock"
if ! flock -n 9; then
  say "another build holds $CACHE/kube/.lock; waiting for it ..."
  flock 9
  if built; then
    echo "$OUT/meshbed-kube"
    exit 0
  fi
fi

free_mb=$(df -Pm "$CACHE" | awk 'NR == 2 {print $4}')
((free_mb > 4096)) || die "only ${free_mb} MB free under $CACHE; the build needs about 4 GB (module and build caches)" 4

say "building Kubernetes $K8S_VERSION (etcd, control plane, kubelet, kube-proxy, kubectl, kubeadm) with $GOVERSION into $OUT"
say "a cold build downloads the modules and compiles for 10-30 min on 2 cores; later runs take the cache"
tmp=$(mktemp -d "$CACHE/kube/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
(
  cd "$MOD"
  go mod download
  say "modules ready ($(($(date +%s) - start)) s); compiling ..."
  go build "${BUILD_FLAGS[@]}" -ldflags "$LDFLAGS" -o "$tmp/meshbed-kube" ./cmd/meshbed-kube
  go build "${BUILD_FLAGS[@]}" -ldflags "-s -w -buildid=" -o "$tmp/pause" ./cmd/pause
  say "Kubernetes compiled ($(($(date +%s) - start)) s); MetalLB $METALLB_VERSION's controller ..."
  # a module of its own, with its own pins: installed as its go.sum says, outside this module
  (cd "$tmp" && GOFLAGS=-mod=readonly GOBIN="$tmp" go install "${BUILD_FLAGS[@]}" -ldflags "-s -w -buildid=" \
    "go.universe.tf/metallb/controller@$METALLB_VERSION")
  mv "$tmp/controller" "$tmp/metallb-controller"
  cp "$GOMODCACHE/go.universe.tf/metallb@$METALLB_VERSION/config/manifests/metallb-native.yaml" "$tmp/"
  chmod 644 "$tmp/metallb-native.yaml"
  echo "$METALLB_VERSION" >"$tmp/metallb.version"
) || die "the build failed (see the lines above)"
secs=$(($(date +%s) - start))
ln -s meshbed-kube "$tmp/kubectl"
{
  echo "Kubernetes $K8S_VERSION, staging modules $STAGING_VERSION, $GOVERSION linux/$(go env GOARCH), CGO off"
  echo "source hash $SOURCE_HASH"
  echo "built in ${secs} s"
  echo "sha256 $(sha256sum "$tmp/meshbed-kube" | cut -d' ' -f1)  meshbed-kube ($(du -m "$tmp/meshbed-kube" | cut -f1) MB)"
  echo "sha256 $(sha256sum "$tmp/pause" | cut -d' ' -f1)  pause"
  echo "sha256 $(sha256sum "$tmp/metallb-controller" | cut -d' ' -f1)  metallb-controller (MetalLB $METALLB_VERSION)"
} >"$tmp/build.txt"
rm -rf "$OUT"
chmod 755 "$tmp"
mv "$tmp" "$OUT"
trap - EXIT
say "built in ${secs} s: $OUT/meshbed-kube, $(du -m "$OUT/meshbed-kube" | cut -f1) MB"
echo "$OUT/meshbed-kube"
