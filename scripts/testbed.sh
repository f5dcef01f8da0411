#!/usr/bin/env bash
# make up | down | status | weights: the cluster testbed (testbed/, java -jar testbed/target/testbed.jar).
#
#   scripts/testbed.sh up      [LB=on|off] [K3S_IMAGE=rancher/k3s:<tag>] [K3S_PULL=missing|always|never] [NAME=meshbed]
#   scripts/testbed.sh up      CLUSTER=kube [LB=off|on] [NAME=meshbed]      (Linux, as root)
#   scripts/testbed.sh up      CLUSTER=kubeconfig [IMAGE_REGISTRY=host[:port][/path]] [PUSH=0]
#   scripts/testbed.sh status  [NAME=...]
#   scripts/testbed.sh weights W=90:10 | W=50-50 | W=100-0 | W=header   [NAME=...]
#   scripts/testbed.sh down    [NAME=...] [ALL=1]
#
# The VAR=value settings may also come from the environment (make passes its command-line
# variables that way: `make up LB=off`).
#
# up (k3s): k3s in Docker through Testcontainers (the k3s image is pulled when missing, with
#   progress, failing within a minute when no registry answers; K3S_PULL=never stops instead, for
#   machines without registry access; K3S_PULL=always pulls anyway), the image tarballs of
#   `make images` imported into it (built for the Docker engine's platform; PLATFORM=linux/arm64
#   or linux/amd64 names another), manifests/ applied, rollouts awaited, the ingress address
#   resolved as Istio's docs do (LoadBalancer, else node address and nodePort),
#   target/testbed/testbed.env written; the cluster keeps running. Each k3s node has a kubelet
#   cgroup root of its own (/meshbed-k3s-NAME), so testbeds of other names run beside it.
# up CLUSTER=kube: the same on a one-node Kubernetes built from its Go modules (scripts/kube-build.sh,
#   cached outside the clone) and started on this host in a network namespace of its own; no load
#   balancer (EXTERNAL-IP stays <pending>, the edge is the node's address and nodePort 31380)
#   unless LB=on (MetalLB's controller). down, status and weights find it by testbed.env.
# up CLUSTER=kubeconfig: the same on the cluster KUBECONFIG names. With IMAGE_REGISTRY the images
#   are pushed there first (docker, else skopeo; PUSH=0 skips it) and pulled by the cluster;
#   without it the nodes must have meshbed/...:<version> already (kind load, minikube image load).
# Builds what is missing or older than its sources: the launcher (mvn), the image tarballs
# (scripts/images.sh; IMAGES=0 skips that).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
JAR=$ROOT/testbed/target/testbed.jar

say() { printf '\033[1mtestbed:\033[0m %s\n' "$*"; }
die() { printf 'testbed: %s\n' "$1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}
[[ $cmd =~ ^(up|down|status|weights)$ ]] || usage
shift
for arg in "$@"; do
  case $arg in
    [A-Z_]*=*) export "${arg?}" ;;
    *) echo "testbed: unexpected argument '$arg' (settings are VAR=value)" >&2; usage ;;
  esac
done

# settings checked before anything is built
cluster=${CLUSTER:-k3s}
case $cmd in
  weights) [[ -n ${W:-} ]] || die "weights needs W, e.g. make weights W=90:10 (or W=50-50, W=100-0, W=header)" 2 ;;
  up)
    case $cluster in k3s | kube | kubeconfig) ;; *) die "CLUSTER=$cluster (expected: k3s, kube or kubeconfig)" 2 ;; esac
    case ${LB:-on} in on | off) ;; *) die "LB=$LB (expected: on or off)" 2 ;; esac
    case ${K3S_PULL:-missing} in always | missing | never) ;; *) die "K3S_PULL=$K3S_PULL (expected: always, missing or never)" 2 ;; esac
    if [[ $cluster == k3s || $cluster == kube ]]; then
      [[ -z ${IMAGE_REGISTRY:-} ]] || die "IMAGE_REGISTRY is for CLUSTER=kubeconfig ($cluster imports the tarballs)" 2
    else
      [[ -n ${KUBECONFIG:-} || -f $HOME/.kube/config ]] || die "CLUSTER=kubeconfig: KUBECONFIG is not set and there is no ~/.kube/config" 3
    fi
    if [[ $cluster == kube ]]; then
      # before anything is built: the cluster runs on this host, as root
      [[ $(uname -s) == Linux ]] || die "CLUSTER=kube runs the cluster on this host, which needs Linux (this is $(uname -s)); use k3s in Docker (make up)" 3
      [[ $(id -u) == 0 ]] || die "CLUSTER=kube needs root (it creates a network namespace, cgroups and mounts): sudo make up CLUSTER=kube" 3
    fi
    ;;
esac
command -v java >/dev/null || die "java is not installed (JDK 17 or newer)"

# What Testcontainers needs (../shared/reference/environment.md): no Ryuk (the cluster must outlive
# the launcher, and Ryuk's image may not be pullable), and the Docker host named outright (else,
# inside a container, Testcontainers pulls alpine to find its gateway). Ports are published on
# 127.0.0.1, so localhost is right for a local Docker engine.
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-localhost}

# newer_than FILE PATH...: some file under PATHs is newer than FILE (or FILE is missing)
newer_than() {
  local file=$1
  shift
  [[ ! -f $file ]] || [[ -n $(find "$@" -newer "$file" -type f 2>/dev/null | head -n 1) ]]
}

if newer_than "$JAR" "$ROOT/testbed/src/main" "$ROOT/testbed/pom.xml" "$ROOT/pom.xml"; then
  say "building the launcher (testbed/target/testbed.jar) ..."
  (cd "$ROOT" && mvn -B -q -pl testbed -am -DskipTests package) || die "the build failed"
fi

version() { sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1; }

# push IMAGE REGISTRY TARBALL: the image of the tarball (what k3s mode imports) as REGISTRY/IMAGE
push() {
  local image=$1 registry=${2%/} tarball=$3 target
  target=$registry/$image
  [[ -f $tarball ]] || die "$tarball is missing (make images)"
  if docker_answers 20; then
    docker load -i "$tarball" >/dev/null || die "docker load -i $tarball failed"
    docker tag "$image" "$target"
    docker push "$target" >/dev/null || die "docker push $target failed (docker login $registry? an insecure registry must be listed in the engine's insecure-registries)"
  elif command -v skopeo >/dev/null; then
    skopeo copy "docker-archive:$tarball" "docker://$target" >/dev/null || die "skopeo copy to $target failed"
  else
    die "pushing $target needs docker or skopeo (or push it yourself and run with PUSH=0)"
  fi
  say "pushed $target"
}

args=()
[[ -n ${NAME:-} ]] && args+=(--name "$NAME")
case $cmd in
  up)
    tarballs=("$ROOT/gateway/target/jib-image.tar" "$ROOT/sample-apps/target/jib-image.tar")
    need_images=0
    if [[ $cluster == k3s || $cluster == kube || -n ${IMAGE_REGISTRY:-} && ${PUSH:-1} != 0 ]] && [[ ${IMAGES:-1} != 0 ]]; then
      newer_than "${tarballs[0]}" "$ROOT/gateway/src/main" "$ROOT/gateway/pom.xml" && need_images=1
      newer_than "${tarballs[1]}" "$ROOT/sample-apps/src/main" "$ROOT/sample-apps/pom.xml" && need_images=1
    fi
    if ((need_images)); then
      say "the image tarballs are missing or older than their sources: scripts/images.sh"
      "$ROOT/scripts/images.sh" || die "building the images failed"
    fi
    args+=(--cluster "$cluster")
    if [[ $cluster == k3s ]]; then
      args+=(--lb "${LB:-on}")
      [[ -n ${K3S_IMAGE:-} ]] && args+=(--k3s-image "$K3S_IMAGE")
      args+=(--k3s-pull "${K3S_PULL:-missing}")
    elif [[ $cluster == kube ]]; then
      args+=(--lb "${LB:-off}")
      # the binary from the cache, built first if it is not there (its progress on stderr; Go missing: exit 3)
      kube_binary=$("$ROOT/scripts/kube-build.sh" | tail -n 1) || exit $?
      args+=(--kube-binary "$kube_binary")
    else
      if [[ -n ${IMAGE_REGISTRY:-} ]]; then
        args+=(--image-registry "$IMAGE_REGISTRY")
        if [[ ${PUSH:-1} != 0 ]]; then
          v=$(version)
          push "meshbed/gateway:$v" "$IMAGE_REGISTRY" "${tarballs[0]}"
          push "meshbed/sample-app:$v" "$IMAGE_REGISTRY" "${tarballs[1]}"
        fi
      fi
    fi
    [[ -n ${ROLLOUT_TIMEOUT:-} ]] && args+=(--rollout-timeout "$ROLLOUT_TIMEOUT")
    [[ -n ${LB_WAIT:-} ]] && args+=(--lb-wait "$LB_WAIT")
    exec java -jar "$JAR" --root "$ROOT" up ${args[@]+"${args[@]}"}
    ;;
  down)
    [[ ${ALL:-0} != 0 ]] && args+=(--all)
    exec java -jar "$JAR" --root "$ROOT" down ${args[@]+"${args[@]}"}
    ;;
  status)
    exec java -jar "$JAR" --root "$ROOT" status ${args[@]+"${args[@]}"}
    ;;
  weights)
    exec java -jar "$JAR" --root "$ROOT" weights ${args[@]+"${args[@]}"} "$W"
    ;;
esac
