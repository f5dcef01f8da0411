#!/usr/bin/env bash
# A local base image for the meshbed images, for machines that cannot pull eclipse-temurin:17-jre
# (no registry access, like the build machine): a jlink'ed Java 17 runtime plus the few glibc and
# libstdc++ files it loads, imported into Docker with `docker import` (no Dockerfile, no registry,
# no shell in the image). Then build the images on it:
#
#   scripts/base-image.sh && BASE_IMAGE=docker://meshbed/base-jre:17 scripts/images.sh
#
# Idempotent: does nothing when the image exists (FORCE=1 rebuilds it). Needs a Docker engine and a
# JDK 17 with jmods (on Debian, openjdk-17-jdk-headless: installed with apt-get when run as root);
# builds on Linux only (it copies this machine's glibc), says so elsewhere (e.g. macOS) and stops.
# Settings (environment): BASE_IMAGE=docker://NAME names the image (default meshbed/base-jre:17);
# JDK17_HOME points at the JDK to link from (found under /usr/lib/jvm otherwise); FORCE=1.
#
# What is in it: /opt/java/openjdk (as in the Temurin images; java on PATH, JAVA_HOME set), the
# shared libraries that `ldd` names for its binaries plus the ones Netty's native transports load
# (libdl, librt, libpthread), /lib64/ld-linux-x86-64.so.2, /etc/passwd and /etc/group with root and
# nonroot (65532), /etc/nsswitch.conf, and /tmp. The desktop (AWT) native libraries are left out:
# java.desktop stays for java.beans, which Jackson and SnakeYAML touch.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
DEFAULT_NAME=meshbed/base-jre:17
case ${BASE_IMAGE:-} in
  docker://*) NAME=${BASE_IMAGE#docker://} ;;
  *) NAME=$DEFAULT_NAME ;;
esac
WORK=$ROOT/target/base-image
NONROOT=65532
# The runtime's modules: what jdeps finds in the gateway and the sample app (java.desktop for
# java.beans, java.sql for Jackson's java.sql types, java.naming and jdk.naming.dns for Netty's DNS
# resolver, java.net.http for fabric8's JDK client, jdk.jfr and jdk.unsupported for Netty), plus
# what TLS to the Kubernetes API and ordinary diagnostics need.
MODULES=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.naming.dns,jdk.unsupported,jdk.zipfs

say() { printf '\033[1mbase-image:\033[0m %s\n' "$*"; }
die() { printf 'base-image: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "the docker command is not installed (Debian: apt-get install docker.io, then start dockerd)"
with_timeout 20 docker info >/dev/null 2>&1 \
  || die "no Docker engine answers ('docker info' failed or took over 20 s): start dockerd, or check DOCKER_HOST and your access to the socket"

if [[ ${FORCE:-0} != 1 ]] && docker image inspect "$NAME" >/dev/null 2>&1; then
  say "$NAME is already in Docker ($(docker image inspect -f '{{.Id}}' "$NAME" | cut -c1-19), $(($(docker image inspect -f '{{.Size}}' "$NAME") / 1000000)) MB): nothing to do (FORCE=1 rebuilds it)"
  exit 0
fi
# The runtime and its libraries come from this machine (a Linux JDK, glibc, ldd): not from macOS's.
[[ $(uname -s) == Linux ]] || die "builds the image from this machine's JDK and glibc, so it runs on Linux only (this is $(uname -s)): run it on a Linux machine, or use a base image from a registry (BASE_IMAGE)"

is_jdk17() { # dir: a JDK 17 with jmods
  [[ -f $1/release && -f $1/jmods/java.base.jmod && -x $1/bin/jlink ]] && grep -q '^JAVA_VERSION="17[."]' "$1/release"
}
find_jdk17() {
  local dir javac_dir=""
  command -v javac >/dev/null && javac_dir=$(dirname "$(dirname "$(real_path "$(command -v javac)")")")
  for dir in "${JDK17_HOME:-}" "${JAVA_HOME:-}" "$javac_dir" /usr/lib/jvm/*; do
    [[ -n $dir ]] && is_jdk17 "$dir" && { echo "$dir"; return 0; }
  done
  return 1
}
if [[ -n ${JDK17_HOME:-} ]] && ! is_jdk17 "$JDK17_HOME"; then
  die "JDK17_HOME=$JDK17_HOME is not a JDK 17 with jmods (needs release, bin/jlink and jmods/java.base.jmod)"
fi
if ! JDK=$(find_jdk17); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "no JDK 17 with jmods found: installing openjdk-17-jdk-headless (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$ROOT/target"
    { apt-get update -q && apt-get install -y -q openjdk-17-jdk-headless; } >"$ROOT/target/base-image-apt.log" 2>&1 \
      || die "apt-get install openjdk-17-jdk-headless failed (log: $ROOT/target/base-image-apt.log)"
    JDK=$(find_jdk17) || die "openjdk-17-jdk-headless is installed but no JDK 17 with jmods was found under /usr/lib/jvm"
  else
    die "no JDK 17 with jmods found (looked at JDK17_HOME, JAVA_HOME, javac, /usr/lib/jvm/*): install one (Debian: openjdk-17-jdk-headless) or set JDK17_HOME"
  fi
fi

old_id=$(docker image inspect -f '{{.Id}}' "$NAME" 2>/dev/null || true)
started=$SECONDS
say "building $NAME: a jlink'ed Java 17 runtime from $JDK and the libraries it loads, imported with docker import"
rm -rf "$WORK"
mkdir -p "$WORK"
FS=$WORK/rootfs
JRE=$FS/opt/java/openjdk
mkdir -p "$FS/opt/java"

# --generate-cds-archive: the class data sharing archive takes about a third off the JVM's start.
"$JDK/bin/jlink" --module-path "$JDK/jmods" --add-modules "$MODULES" \
  --strip-debug --no-man-pages --no-header-files --compress=2 --generate-cds-archive \
  --exclude-files='regex:.*/lib/(libawt.*|libfontmanager|libjavajpeg|libjawt|libjsound|liblcms|libmlib_image|libsplashscreen)\.so' \
  --output "$JRE" >"$WORK/jlink.log" 2>&1 \
  || { cat "$WORK/jlink.log" >&2; die "jlink failed (log above)"; }
# The archive for heaps over 32 GB (no compressed oops): 11 MB for a case these services never hit.
rm -f "$JRE/lib/server/classes_nocoops.jsa"

# The shared libraries: whatever ldd resolves for the runtime's binaries, and the glibc pieces that
# Netty's extracted epoll and io_uring libraries link against. Each goes where ldd found it, as a
# regular file (no symlinks into the host's layout).
elves=()
while IFS= read -r f; do elves+=("$f"); done < <(find "$JRE/bin" "$JRE/lib" -type f \( -path '*/bin/*' -o -name '*.so' \))
ldd_out=$(for f in ${elves[@]+"${elves[@]}"}; do ldd "$f" 2>&1 || true; done)
missing=$(awk '/=> not found/ && $1 != "libjvm.so" { print $1 }' <<<"$ldd_out" | sort -u)
[[ -z $missing ]] || die "ldd cannot resolve $(echo "$missing" | tr '\n' ' ')for the runtime: install the packages that provide them"
libs=()
while IFS= read -r lib; do libs+=("$lib"); done < <(awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /\/opt\/java\// && index($3, "'"$WORK"'") != 1 { print $3 }' <<<"$ldd_out" | sort -u)
interp=$(awk '$1 ~ /^\/.*ld-linux/ { print $1 }' <<<"$ldd_out" | sort -u | head -1)
[[ -n $interp ]] || die "ldd named no dynamic loader (ld-linux) for $JRE/bin/java"
libc=$(printf '%s\n' ${libs[@]+"${libs[@]}"} | grep '/libc\.so\.6$' | head -1)
[[ -n $libc ]] || die "ldd named no libc.so.6 for the runtime"
for extra in libdl.so.2 librt.so.1 libpthread.so.0 libresolv.so.2 libnss_files.so.2 libnss_dns.so.2; do
  [[ -e $(dirname "$libc")/$extra ]] && libs+=("$(dirname "$libc")/$extra")
done
for lib in ${libs[@]+"${libs[@]}"} "$interp"; do
  mkdir -p "$FS$(dirname "$lib")"
  cp -L "$lib" "$FS$lib"
done
chmod 755 "$FS$interp" "$JRE/bin/"*
chmod 644 ${libs[@]+"${libs[@]/#/$FS}"}

mkdir -p "$FS/etc" "$FS/tmp" "$FS/home/nonroot"
chmod 1777 "$FS/tmp"
chmod 755 "$FS/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' "$NONROOT" "$NONROOT" >"$FS/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' "$NONROOT" >"$FS/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$FS/etc/nsswitch.conf"
cat >"$FS/etc/meshbed-base-image" <<EOF
meshbed base image $NAME, built by scripts/base-image.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)
java: $("$JRE/bin/java" -version 2>&1 | head -1)
modules: $MODULES
libraries: $(printf '%s ' ${libs[@]+"${libs[@]}"} "$interp")
EOF

# Everything owned by root, nonroot's home by nonroot; no root rights needed for that.
tar --numeric-owner --owner=0 --group=0 -C "$FS" --exclude=./home/nonroot -cf "$WORK/rootfs.tar" .
tar --numeric-owner --owner="$NONROOT" --group="$NONROOT" -C "$FS" -rf "$WORK/rootfs.tar" ./home/nonroot
docker import \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV LANG=C.UTF-8' \
  --message "meshbed base image: jlink'ed Java 17 runtime (scripts/base-image.sh)" \
  "$WORK/rootfs.tar" "$NAME" >/dev/null \
  || die "docker import failed"

# Smoke test as the images run: non-root, read-only root, no shell.
if ! out=$(docker run --rm --read-only --user "$NONROOT:$NONROOT" --tmpfs /tmp "$NAME" java -Xshare:on -version 2>&1); then
  docker image rm "$NAME" >/dev/null 2>&1 || true
  die "the new image does not run java (removed it again): $out"
fi
rm -rf "$WORK"
# FORCE=1: the image this one replaced, unless something still names or uses it
if [[ -n $old_id && -z $(docker image inspect -f '{{join .RepoTags ""}}' "$old_id" 2>/dev/null) ]]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
say "built $NAME in $((SECONDS - started)) s: $(($(docker image inspect -f '{{.Size}}' "$NAME") / 1000000)) MB, $(head -1 <<<"$out")"
