# shellcheck shell=bash
# Shared by the local image builds (build-sandbox-images.sh, build-operator-image.sh): the debootstrap
# base that stands in for a public base image. The caller defines SUITE, BASE_PACKAGES, ROOTFS, log and die.
# Sourcing it installs an EXIT trap that undoes the mounts and temporary directories tracked in MOUNTS and
# TEMP_DIRS, whatever happens in between.

MOUNTS=()
TEMP_DIRS=()
unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
  done
  MOUNTS=()
}
cleanup() {
  unmount_all
  rm -rf "${TEMP_DIRS[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
  command -v "$1" >/dev/null && return
  log "installing $2 (for $1)"
  # A fresh machine has no package lists yet: refresh them once and retry.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >&2; } ||
    die "could not install $2 with apt-get"
}

# The Debian mirror the host's apt uses, so the build works wherever apt does.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  echo "${DEBIAN_MIRROR:-$uri}"
}

# base_rootfs: the debootstrap tree, keyed by its inputs, so whichever build runs first makes it and the
# others reuse it. Prints its path.
base_rootfs() {
  local key dir
  key=$(echo "debootstrap $SUITE minbase $BASE_PACKAGES" | sha256sum | cut -c1-16)
  dir=$ROOTFS/base-$SUITE-$key
  if [ ! -f "$dir/.complete" ]; then
    need debootstrap debootstrap
    log "debootstrap $SUITE into $dir (a few minutes, once)"
    rm -rf "$dir"
    # shellcheck disable=SC2046 # an empty mirror means debootstrap's default
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$dir" $(debian_mirror) >&2 ||
      die "debootstrap failed (log: $dir/debootstrap/debootstrap.log)"
    touch "$dir/.complete"
  fi
  echo "$dir"
}
