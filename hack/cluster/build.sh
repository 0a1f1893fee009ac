#!/usr/bin/env bash
# Builds (once) everything the local cluster needs, into $CODERUN_CACHE keyed by version:
#   Debian packages (installed only when missing), etcd, the six Kubernetes binaries, containerd,
#   runsc + containerd-shim-runsc-v1, Helm, and the pause and busybox OCI image tarballs.
# A second run is a no-op apart from the checks. Prints how long each step took.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing Debian packages: ${missing[*]}"
  need_root
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

upstream() { "$REPO/hack/build-upstream.sh" "$@" >/dev/null || die "hack/build-upstream.sh $* failed (its output is above)"; }

# The pause container: upstream's static C pause, from the k8s.io/kubernetes module source.
build_pause_image() {
  local tar=$CLUSTER_IMAGES/pause-$PAUSE_TAG.tar
  [ -f "$tar" ] && return 0
  local src root
  src=$(cd "$CACHE" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')/build/pause/linux/pause.c
  [ -f "$src" ] || die "pause.c not found at $src"
  root=$(mktemp -d)
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_TAG-coderun" -o "$root/pause" "$src" || die "gcc pause.c failed"
  strip "$root/pause"
  # Upstream's pause image runs as 65535:65535 with entrypoint /pause.
  "$REPO/hack/oci-image.sh" --entrypoint /pause --user 65535:65535 "$root" "$PAUSE_IMAGE" "$tar" >/dev/null
  rm -rf "$root"
}

# A tiny image with Debian's static busybox, for the smoke tests (sh, cat, dmesg, mkdir, sleep).
build_busybox_image() {
  local tar=$CLUSTER_IMAGES/busybox-${BUSYBOX_IMAGE##*:}.tar root
  [ -f "$tar" ] && return 0
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s /bin
  chmod 1777 "$root/tmp"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >"$root/etc/passwd"
  echo 'nogroup:x:65534:' >"$root/etc/group"
  "$REPO/hack/oci-image.sh" --cmd '["/bin/sh"]' "$root" "$BUSYBOX_IMAGE" "$tar" >/dev/null
  rm -rf "$root"
}

main() {
  mkdir -p "$CACHE" "$CLUSTER_IMAGES"
  phase "apt packages";           ensure_apt_packages
  phase "etcd $ETCD_VERSION";     upstream etcd
  phase "kubernetes $K8S_VERSION"; upstream k8s kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
  phase "containerd $CONTAINERD_VERSION"; upstream containerd
  phase "gvisor runsc+shim";    upstream gvisor
  phase "helm $HELM_VERSION";     upstream helm
  phase "pause image";            build_pause_image
  phase "busybox image";          build_busybox_image
  phases_done
  echo "binaries: $K8S_BIN $ETCD_BIN $CONTAINERD_BIN $GVISOR_BIN $HELM_BIN"
}

main "$@"
