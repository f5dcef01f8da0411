#!/usr/bin/env bash
# Helpers the scripts share, written for bash 3.2 and the BSD tools of macOS as much as for Linux
# (no GNU timeout, getent or readlink -f there). Sourced by the scripts:
#
#   . "$ROOT/scripts/lib.sh"
#
# and runnable for make, whose recipes run /bin/sh: `scripts/lib.sh docker_answers [SECONDS]`.
#
#   with_timeout SECONDS CMD...  CMD's exit status; ended (TERM, then KILL 2 s later) after SECONDS
#   docker_answers [SECONDS]     a Docker engine answers `docker info` within SECONDS (20)
#   resolves HOST                HOST resolves to an address (within 10 s)
#   real_path PATH               PATH with every symlink resolved (readlink -f)
#   docker_architecture [SECS]   the Docker engine's architecture (x86_64, aarch64): docker info
#   platform_of ARCH             the platform of a machine architecture: aarch64 -> linux/arm64
#   image_platform [ENGINE_ARCH] the platform to build images for: PLATFORM, else the engine's, else this machine's

# with_timeout SECONDS CMD...: runs CMD in the background (its stdin is /dev/null) and returns its
# exit status; when it is still running after SECONDS, a watcher ends it by its PID (TERM, and KILL
# 2 s later if it ignores that), and the status is the signal's (143 or 137). Portable stand-in for
# GNU `timeout`, which macOS does not have.
with_timeout() {
  local secs=$1 pid watcher rc=0
  shift
  "$@" &
  pid=$!
  (
    trap 'kill "${sleeper:-}" 2>/dev/null; exit 0' TERM
    sleep "$secs" &
    sleeper=$!
    wait "$sleeper"
    kill -TERM "$pid" 2>/dev/null || exit 0
    sleep 2 &
    sleeper=$!
    wait "$sleeper"
    kill -KILL "$pid" 2>/dev/null
  ) </dev/null >/dev/null 2>&1 &
  watcher=$!
  wait "$pid" 2>/dev/null || rc=$? # 2>: no "Terminated" line from the shell
  kill -TERM "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  return "$rc"
}

# docker_answers [SECONDS]: the docker command is there and its engine answers within SECONDS (20)
docker_answers() {
  command -v docker >/dev/null && with_timeout "${1:-20}" docker info >/dev/null 2>&1
}

# resolves HOST: HOST has an address, as the system's resolver sees it (getent on Linux,
# dscacheutil on macOS); true when neither tool is there (the caller's own lookup will tell)
resolves() {
  if command -v getent >/dev/null; then with_timeout 10 getent hosts "$1" >/dev/null 2>&1
  elif command -v dscacheutil >/dev/null; then [[ -n $(with_timeout 10 dscacheutil -q host -a name "$1" 2>/dev/null) ]]
  else return 0
  fi
}

# real_path PATH: the absolute path of PATH with every symlink resolved, as GNU `readlink -f` prints
# it (macOS's readlink has no -f before macOS 12.3); fails when PATH's folder does not exist
real_path() {
  local path=$1 link hops=0 dir
  while [[ -L $path ]]; do
    hops=$((hops + 1))
    ((hops <= 40)) || return 1
    link=$(readlink "$path") || return 1
    case $link in
      /*) path=$link ;;
      *) path=$(dirname "$path")/$link ;;
    esac
  done
  dir=$(CDPATH='' cd -P "$(dirname "$path")" 2>/dev/null && pwd -P) || return 1
  case $path in
    */ | */. | */.. | . | ..) (CDPATH='' cd -P "$path" 2>/dev/null && pwd -P) ;;
    *) if [[ $dir == / ]]; then echo "/$(basename "$path")"; else echo "$dir/$(basename "$path")"; fi ;;
  esac
}

# docker_architecture [SECONDS]: the Docker engine's architecture as `docker info` reports it
# (x86_64; aarch64 on Apple Silicon, whose Docker Desktop runs an arm64 VM); fails when no engine
# answers within SECONDS (20)
docker_architecture() {
  local arch
  command -v docker >/dev/null || return 1
  arch=$(with_timeout "${1:-20}" docker info --format '{{.Architecture}}' 2>/dev/null) || return 1
  [[ -n $arch ]] || return 1
  echo "$arch"
}

# platform_of ARCH: the OCI platform of a machine architecture as `uname -m` or `docker info` name it
# (x86_64 -> linux/amd64, aarch64 or arm64 -> linux/arm64); fails for one it does not know
platform_of() {
  case ${1:-} in
    x86_64 | amd64) echo linux/amd64 ;;
    aarch64 | arm64) echo linux/arm64 ;;
    s390x | ppc64le | riscv64) echo "linux/$1" ;;
    *) return 1 ;;
  esac
}

# image_platform [ENGINE_ARCH]: the platform the images are built for, which must be the node's:
# PLATFORM when set (e.g. linux/arm64), else the Docker engine's architecture when given (the k3s
# node runs on that engine), else this machine's (uname -m)
image_platform() {
  if [[ -n ${PLATFORM:-} ]]; then
    echo "$PLATFORM"
  elif [[ -n ${1:-} ]]; then
    platform_of "$1"
  else
    platform_of "$(uname -m)"
  fi
}

# run as a command (make): scripts/lib.sh FUNCTION [ARG...]
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    with_timeout | docker_answers | resolves | real_path | docker_architecture | platform_of | image_platform) "$@" ;;
    *) echo "usage: scripts/lib.sh with_timeout|docker_answers|resolves|real_path|docker_architecture|platform_of|image_platform ARG..." >&2; exit 2 ;;
  esac
fi
