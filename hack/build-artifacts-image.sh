#!/usr/bin/env bash
# Builds the embedded artifacts store's image (the chart's artifacts.embedded.image) with no Docker and no
# registry, as an OCI image tar for `ctr images import` (hack/cluster/up.sh imports $CODERUN_CACHE/images/*.tar,
# hack/kind.sh load loads them into kind):
#   hack/build-artifacts-image.sh [build]   build if an input changed, check it, print the tar's path
#   hack/build-artifacts-image.sh name      print the image name (coderun/artifacts:$VERSITYGW_VERSION)
#
# The image is the static versitygw binary (hack/build-upstream.sh versitygw) and nothing else: no shell,
# no libc, no /etc/passwd (it runs as the numeric user 65532), no CA certificates (it serves plain HTTP
# inside the cluster and dials nothing). /tmp is there for the binary, /data is the directory it serves.
# The tag is the versitygw version; a rebuild with other inputs keeps the tag, and hack/deploy.sh rolls the
# Deployment by the tarball's image key (hack/lib/image-key.sh), as it does for the operator image.
# Every file has owner 0 and mtime 0, so one binary always gives the same image. Needs root (root-owned
# files, chroot for the check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.env
. "$here/versions.env"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
IMAGES=$CACHE/images
OUT=$IMAGES/artifacts.tar
USER_ID=65532
BIN=/usr/local/bin/versitygw

# shellcheck source=lib/log.sh
. "$here/lib/log.sh"

image_name() { echo "docker.io/coderun/artifacts:$VERSITYGW_VERSION"; }

WORK=""
CHILD=""
cleanup() {
  if [ -n "$CHILD" ]; then kill "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# inputs_key BINARY: a hash of everything the image is made of.
inputs_key() {
  {
    echo "versitygw=$VERSITYGW_VERSION image=$(image_name) user=$USER_ID"
    sha256sum "$1" | cut -d' ' -f1
    cat "$here/build-artifacts-image.sh" "$here/oci-image.sh" "$here"/lib/{oci-layout,image-reference}.ts
  } | sha256sum | cut -c1-16
}

# check ROOT: the binary starts in the tree as user 65532 with nothing else there (it is static) and
# answers its health path over a socket in the tree's /tmp (no port to collide with).
check() {
  local root=$1 sock=/tmp/check.sock i
  mkdir -p "$root/check-data"
  chown "$USER_ID:$USER_ID" "$root/check-data"
  ROOT_ACCESS_KEY_ID=check ROOT_SECRET_ACCESS_KEY=check-secret \
    chroot --userspec="$USER_ID:$USER_ID" "$root" "$BIN" --quiet --port "$sock" --health /health \
    posix /check-data >"$WORK/check.log" 2>&1 &
  CHILD=$!
  for ((i = 0; i < 100; i++)); do
    if [ "$(curl -s --max-time 2 --unix-socket "$root$sock" http://localhost/health 2>/dev/null)" = OK ]; then
      kill "$CHILD" && wait "$CHILD" 2>/dev/null || true
      CHILD=""
      rm -rf "$root/check-data" "${root:?}$sock"
      log "check: $BIN answers /health as user $USER_ID"
      return
    fi
    kill -0 "$CHILD" 2>/dev/null || break
    sleep 0.1
  done
  die "check: $BIN did not answer /health in the image tree: $(tail -n 20 "$WORK/check.log")"
}

build() {
  local dir key root
  dir=$("$here/build-upstream.sh" versitygw) || die "could not build versitygw (hack/build-upstream.sh versitygw)"
  key=$(inputs_key "$dir/versitygw")
  if [ -f "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ]; then
    echo "$OUT"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "building needs root (root-owned files, chroot for the check)"
  command -v curl >/dev/null || die "the check needs curl"
  log "building $(image_name) (inputs $key)"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/artifacts-image.XXXXXX")
  root=$WORK/rootfs
  mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/data"
  install -m 755 "$dir/versitygw" "$root$BIN"
  chmod 1777 "$root/tmp"
  chown -R 0:0 "$root"
  # Writable by the image's user when run without a volume; the chart mounts one there.
  chown "$USER_ID:$USER_ID" "$root/data"
  check "$root"
  find "$root" -exec touch -h -d @0 {} +
  mkdir -p "$IMAGES"
  "$here/oci-image.sh" --entrypoint "$BIN" --user "$USER_ID:$USER_ID" --workdir /data \
    --cmd '["--port",":7070","--health","/health","posix","/data"]' \
    --env PATH=/usr/local/bin --label "org.opencontainers.image.version=$VERSITYGW_VERSION" \
    --label "org.opencontainers.image.source=https://github.com/versity/versitygw" \
    --label "org.opencontainers.image.licenses=Apache-2.0" \
    "$root" "$(image_name)" "$OUT.tmp" >/dev/null
  mv -f "$OUT.tmp" "$OUT"
  echo "$key" >"$OUT.key"
  log "$(image_name): $(du -h "$OUT" | cut -f1) tar"
  echo "$OUT"
}

case ${1:-build} in
  build) build ;;
  name) image_name ;;
  *) die "unknown command '$1' (build, name)" ;;
esac
