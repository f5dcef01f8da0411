#!/usr/bin/env bash
# make images: the container images meshbed/gateway:VERSION and meshbed/sample-app:VERSION (the
# project version, never latest), built by Jib without a Dockerfile.
#
#   - always the tarballs (jib:buildTar): gateway/target/jib-image.tar, sample-apps/target/jib-image.tar
#     (what `docker load -i` and k3s's `ctr images import` take);
#   - where a Docker engine answers, the images in Docker too (jib:dockerBuild).
#
# Settings (environment):
#   BASE_IMAGE  the base image (default eclipse-temurin:17-jre, pulled from Docker Hub). Without
#               registry access: scripts/base-image.sh, then BASE_IMAGE=docker://meshbed/base-jre:17
#               (a docker:// base is read from the local engine: no registry involved). When
#               BASE_IMAGE is not set and Docker Hub's name does not resolve, the local
#               meshbed/base-jre:17 is used if it exists, and the script says so.
#   PLATFORM    the platform the images are for, which must be the node's (linux/amd64, linux/arm64).
#               Default: the Docker engine's architecture (docker info; linux/arm64 on Apple Silicon,
#               where k3s runs arm64), else this machine's (uname -m). Passed to Jib as
#               -Djib.from.platforms. A docker:// base has one platform only: a mismatch stops here.
#   MVN         the Maven command (default "mvn -B -q"; MVN="mvn -B -q -o" builds offline)
#   DOCKER=0    tarballs only, even where a Docker engine answers (a docker:// base is still read from it)
# Jib's caches stay under target/jib (XDG_CONFIG_HOME, XDG_CACHE_HOME); its update check is off.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
LOCAL_BASE=meshbed/base-jre:17
DEFAULT_BASE=eclipse-temurin:17-jre
read -r -a MVN_CMD <<<"${MVN:-mvn -B -q}"
WORK=$ROOT/target/jib
LOG=$WORK/images.log
MODULES=(gateway sample-apps)
IMAGES=(meshbed/gateway meshbed/sample-app)

say() { printf '\033[1mimages:\033[0m %s\n' "$*"; }
die() { printf 'images: %s\n' "$*" >&2; exit 1; }

command -v "${MVN_CMD[0]}" >/dev/null || die "${MVN_CMD[0]} is not installed (Maven 3.8 or newer)"
VERSION=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1)
[[ -n $VERSION ]] || die "cannot read the project version from $ROOT/pom.xml"

docker_answers=0
engine_arch=""
if engine_arch=$(docker_architecture 20); then
  docker_answers=1
fi
load=$docker_answers
[[ ${DOCKER:-1} != 0 ]] || load=0
has_image() { ((docker_answers)) && docker image inspect "$1" >/dev/null 2>&1; }

# The registry a reference names: its first part if that looks like a host, else Docker Hub.
registry_of() {
  local first=${1%%/*}
  if [[ $1 == */* && ($first == *.* || $first == *:* || $first == localhost) ]]; then echo "${first%%:*}"; else echo registry-1.docker.io; fi
}

BASE=${BASE_IMAGE:-$DEFAULT_BASE}
case $BASE in
  docker://*)
    name=${BASE#docker://}
    ((docker_answers)) || die "BASE_IMAGE=$BASE is read from a Docker engine, and none answers ('docker info' failed or took over 20 s)"
    has_image "$name" || die "the base image $name is not in Docker: build it with scripts/base-image.sh (no registry needed)"
    ;;
  tar://*)
    [[ -f ${BASE#tar://} ]] || die "BASE_IMAGE=$BASE: no such file"
    ;;
  *)
    registry=$(registry_of "$BASE")
    if ! resolves "$registry"; then
      if [[ -z ${BASE_IMAGE:-} ]] && has_image "$LOCAL_BASE"; then
        say "$registry does not resolve (no registry access): using the local base image $LOCAL_BASE instead of $BASE"
        BASE=docker://$LOCAL_BASE
      else
        die "cannot pull the base image $BASE: $registry does not resolve (no registry access?). Build a local base with scripts/base-image.sh, then BASE_IMAGE=docker://$LOCAL_BASE scripts/images.sh"
      fi
    fi
    ;;
esac

# The platform: the node's. k3s runs on the Docker engine, so its architecture decides.
if [[ -n ${PLATFORM:-} ]]; then
  case $PLATFORM in
    linux/?*) platform_why="PLATFORM" ;;
    *) die "PLATFORM=$PLATFORM (expected linux/ARCH, e.g. linux/amd64 or linux/arm64)" ;;
  esac
elif [[ -n $engine_arch ]]; then
  platform_why="the Docker engine's architecture, $engine_arch"
else
  platform_why="this machine's architecture, $(uname -m): no Docker engine answers"
fi
platform=$(image_platform "$engine_arch") \
  || die "no platform for the architecture ${engine_arch:-$(uname -m)}: name one, e.g. PLATFORM=linux/amd64"
# A base read from Docker has one platform; Jib would stop on a mismatch with a terse message.
if [[ $BASE == docker://* ]]; then
  base_platform=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "${BASE#docker://}" 2>/dev/null || true)
  if [[ -n $base_platform && $base_platform != "$platform" ]]; then
    die "the base image ${BASE#docker://} is $base_platform, but the images are for $platform ($platform_why). A local base has its own platform only (scripts/base-image.sh builds one for the machine it runs on): build the base on a $platform machine, use a registry base with both platforms (the default, $DEFAULT_BASE), or, if the node really is $base_platform, PLATFORM=$base_platform"
  fi
fi

goals=(jib:buildTar)
if ((load)); then
  goals+=(jib:dockerBuild)
  where="tarballs, and loading them into Docker"
elif ((docker_answers)); then
  where="tarballs only: DOCKER=0"
else
  where="tarballs only: no Docker engine answers"
fi
old_ids=()
for image in "${IMAGES[@]}"; do
  old_id=""
  if ((load)); then old_id=$(docker image inspect -f '{{.Id}}' "$image:$VERSION" 2>/dev/null || true); fi
  old_ids+=("$old_id")
done

say "building ${IMAGES[*]/%/:$VERSION} for $platform ($platform_why) on $BASE ($where)"
mkdir -p "$WORK"
started=$SECONDS
modules=$(IFS=,; echo "${MODULES[*]}")
if ! (cd "$ROOT" && XDG_CONFIG_HOME=$WORK/config XDG_CACHE_HOME=$WORK/cache \
  "${MVN_CMD[@]}" -pl "$modules" -am -DskipTests package "${goals[@]}" \
  -Djib.disableUpdateChecks=true -Djib.from.image="$BASE" -Djib.from.platforms="$platform") >"$LOG" 2>&1; then
  grep -E '^\[ERROR\]' "$LOG" | head -15 >&2 || tail -n 30 "$LOG" >&2
  if grep -qE "doesn't match the platform|does not contain an image for architecture|no matching manifest" "$LOG"; then
    echo "images: the base image $BASE has no $platform variant ($platform_why); use a base that has it, or PLATFORM=... for the node's platform" >&2
  fi
  if grep -qE 'UnknownHost|Connect to|connect timed out|offline mode' "$LOG"; then
    echo "images: the base image $BASE could not be fetched; without registry access: scripts/base-image.sh, then BASE_IMAGE=docker://$LOCAL_BASE scripts/images.sh" >&2
  fi
  die "the build failed (log: $LOG)"
fi
say "built in $((SECONDS - started)) s"

for i in "${!MODULES[@]}"; do
  tar=$ROOT/${MODULES[i]}/target/jib-image.tar
  [[ -f $tar ]] || die "Jib wrote no $tar (log: $LOG)"
  line="  ${IMAGES[i]}:$VERSION  tarball ${tar#"$ROOT"/} ($(($(wc -c <"$tar") / 1000000)) MB)"
  if ((load)); then
    id=$(docker image inspect -f '{{.Id}}' "${IMAGES[i]}:$VERSION") || die "${IMAGES[i]}:$VERSION is not in Docker after jib:dockerBuild (log: $LOG)"
    line+=", in Docker as ${id:7:12} ($(($(docker image inspect -f '{{.Size}}' "${IMAGES[i]}:$VERSION") / 1000000)) MB)"
    # The image this build replaced, if nothing else uses or names it.
    old=${old_ids[i]}
    if [[ -n $old && $old != "$id" && -z $(docker image inspect -f '{{join .RepoTags ""}}' "$old" 2>/dev/null) ]]; then
      docker image rm "$old" >/dev/null 2>&1 || true
    fi
  fi
  echo "$line"
done
