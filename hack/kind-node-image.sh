#!/usr/bin/env bash
# Builds a kind node image with no registry (hack/kind.sh, `make kind-up`, when KIND_NODE_IMAGE is unset):
#   hack/kind-node-image.sh name    the image name for the current inputs (coderun.local/kind-node:<k8s>-<key>)
#   hack/kind-node-image.sh build   build its root filesystem tarball into $CODERUN_CACHE/kind-node/ (once per key); prints the path
#   hack/kind-node-image.sh load    build, then `docker import` it into the engine at $DOCKER_HOST unless it is there; prints the name
#
# `kind build node-image` cannot do this here: it starts from a pulled kindest/base and pulls etcd,
# CoreDNS, pause, kindnetd and the storage images into it. This script makes the same image from parts
# built on this machine, following kind's images/base/Dockerfile (KIND_VERSION, read from the kind module
# in the Go module cache, never copied into this repository) and pkg/build/nodeimage:
#   - Debian bookworm from debootstrap (its systemd 252 still boots on the cgroup v1 hosts we have; kind's
#     base uses a newer Debian whose systemd refuses cgroup v1) with kind's package list, plus runc and
#     the CNI plugins from Debian;
#   - kind's images/base/files (entrypoint, systemd units, containerd config) with the Dockerfile's modes,
#     unit enables and clean-ups; containerd CONTAINERD_VERSION and /etc/containerd/cri-base.json made
#     as the Dockerfile does;
#   - kubeadm, kubelet and kubectl K8S_VERSION in /usr/bin and /kind/version, as kind's builder writes them;
#   - the images kubeadm deploys, under the names `kubeadm config images list` gives, imported into the
#     node's containerd (namespace k8s.io, pinned, not unpacked, as kind's builder imports them):
#     kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy (on the node's Debian, which has
#     iptables), etcd (ETCD_VERSION, tagged as kubeadm's etcd), CoreDNS (COREDNS_VERSION), pause;
#   - networking without kindnetd (no registry serves it and it is not a Go module we can build): a
#     static CNI config, ptp + host-local over the first /24 of kind's default pod subnet 10.244.0.0/16,
#     written to /etc/cni/net.d, with /kind/manifests/default-cni.yaml reduced to a ConfigMap that says
#     so. Enough for kind-config.yaml's single node; a multi-node cluster or another podSubnet needs
#     kind's own node image. No /kind/manifests/default-storage.yaml: kind then installs its plain
#     "standard" StorageClass and no provisioner image is needed; coderun uses no volumes by default.
# Needs root (debootstrap, file ownership), Go (the parts are built by hack/build-upstream.sh), jq.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=hack/versions.env
. "$here/versions.env"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
ROOTFS=$CACHE/rootfs
OUT_DIR=$CACHE/kind-node
SUITE=bookworm
# kind's images/base/Dockerfile list, minus the storage test packages (nfs-common, open-iscsi, e2fsprogs)
# and fuse-overlayfs; plus runc and the CNI plugins, which kind builds from source.
BASE_PACKAGES=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,runc,containernetworking-plugins
POD_CIDR=10.244.0.0/24 # the first node's share of kind's default podSubnet 10.244.0.0/16
IMAGE_REPO=coderun.local/kind-node

# shellcheck source=lib/log.sh
. "$here/lib/log.sh"
# shellcheck source=lib/rootfs.sh
. "$here/lib/rootfs.sh"

kind_module() {
  (cd "$CACHE" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir) ||
    die "go mod download sigs.k8s.io/kind@$KIND_VERSION failed"
}

key() {
  {
    echo "suite=$SUITE packages=$BASE_PACKAGES k8s=$K8S_VERSION containerd=$CONTAINERD_VERSION etcd=$ETCD_VERSION"
    echo "coredns=$COREDNS_VERSION kind=$KIND_VERSION pod=$POD_CIDR"
    cat "$here/kind-node-image.sh" "$here/oci-image.sh" "$here"/lib/{oci-layout,image-reference}.ts
  } | sha256sum | cut -c1-12
}

name() { echo "$IMAGE_REPO:$K8S_VERSION-$(key)"; }

upstream() { "$here/build-upstream.sh" "$@" || die "hack/build-upstream.sh $* failed"; }

# kubeadm's image names for K8S_VERSION (kube-apiserver ... etcd, coredns, pause).
kubeadm_image() {
  "$K8S_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null | grep -m1 "/$1:" ||
    die "kubeadm $K8S_VERSION lists no $1 image"
}

# kind's images/base/files into ROOT, with the Dockerfile's modes.
install_kind_files() {
  local root=$1 files=$2/images/base/files f
  [ -d "$files" ] || die "$files is missing: kind $KIND_VERSION's module has no images/base/files"
  install -d -m 755 "$root/kind" "$root/kind/bin" "$root/LICENSES" "$root/etc/containerd" "$root/etc/default" \
    "$root/etc/sysctl.d" "$root/etc/systemd/system/kubelet.service.d" "$root/usr/local/bin"
  for f in "$files"/usr/local/bin/*; do install -m 755 "$f" "$root/usr/local/bin/"; done
  (cd "$files/kind" && find . -type f) | while read -r f; do
    install -D -m 644 "$files/kind/$f" "$root/kind/$f"
  done
  for f in "$files"/kind/bin/*; do install -m 755 "$f" "$root/kind/bin/"; done
  for f in "$files"/LICENSES/*; do install -m 644 "$f" "$root/LICENSES/"; done
  for f in "$files"/etc/*; do [ -f "$f" ] && install -m 644 "$f" "$root/etc/"; done
  local d
  for d in containerd default sysctl.d systemd/system systemd/system/kubelet.service.d; do
    for f in "$files/etc/$d"/*; do [ -f "$f" ] && install -m 644 "$f" "$root/etc/$d/"; done
  done
}

# The Dockerfile's RUN steps after the packages: fewer units, no kmsg in journald, systemd as /sbin/init,
# kubelet + containerd + undo-mount-hacks enabled, binfmt masked, the static pod directory.
configure_systemd() {
  local root=$1
  find "$root/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$root"/lib/systemd/system/multi-user.target.wants/* "$root"/etc/systemd/system/*.wants/* \
    "$root"/lib/systemd/system/local-fs.target.wants/* "$root"/lib/systemd/system/sockets.target.wants/*udev* \
    "$root"/lib/systemd/system/sockets.target.wants/*initctl* "$root"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$root/etc/systemd/journald.conf"
  ln -sfn /usr/lib/systemd/systemd "$root/sbin/init"
  systemctl --root="$root" enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1 ||
    die "systemctl --root enable kubelet containerd undo-mount-hacks failed"
  systemctl --root="$root" mask systemd-binfmt.service >/dev/null 2>&1 || die "systemctl --root mask systemd-binfmt failed"
  mkdir -p "$root/etc/kubernetes/manifests"
}

install_binaries() {
  local root=$1 b
  for b in containerd ctr containerd-shim-runc-v2; do install -m 755 "$CONTAINERD_BIN/$b" "$root/usr/local/bin/"; done
  "$CONTAINERD_BIN/ctr" oci spec |
    jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
    jq 'del(.process.rlimits)' >"$root/etc/containerd/cri-base.json"
  for b in kubeadm kubelet kubectl; do install -m 755 "$K8S_BIN/$b" "$root/usr/bin/"; done
  printf '%s' "$K8S_VERSION" >"$root/kind/version"
  mkdir -p "$root/opt/cni/bin"
  for b in host-local loopback ptp portmap; do
    [ -x "$root/usr/lib/cni/$b" ] || die "Debian's containernetworking-plugins has no $b"
    ln -sfn "/usr/lib/cni/$b" "$root/opt/cni/bin/$b"
  done
}

write_network() {
  local root=$1
  mkdir -p "$root/etc/cni/net.d" "$root/kind/manifests"
  jq -n --arg subnet "$POD_CIDR" '{
    cniVersion: "0.4.0", name: "kind",
    plugins: [
      {type: "ptp", ipMasq: true, mtu: 1500,
       ipam: {type: "host-local", ranges: [[{subnet: $subnet}]], routes: [{dst: "0.0.0.0/0"}], dataDir: "/run/cni-ipam-state"}},
      {type: "portmap", capabilities: {portMappings: true}}
    ]}' >"$root/etc/cni/net.d/10-kindnet.conflist"
  cat >"$root/kind/manifests/default-cni.yaml" <<EOF
# coderun's kind node image (hack/kind-node-image.sh) has no kindnetd: Pods get addresses from the static
# CNI config /etc/cni/net.d/10-kindnet.conflist (ptp + host-local, $POD_CIDR), which serves one node.
apiVersion: v1
kind: ConfigMap
metadata:
  name: coderun-kind-network
  namespace: kube-system
data:
  cni: "static ptp + host-local on $POD_CIDR, /etc/cni/net.d/10-kindnet.conflist (no kindnetd)"
EOF
}

# A one-binary image: BIN at /usr/local/bin (as the upstream images keep it) in an otherwise empty tree.
binary_image() {
  local bin=$1 name=$2 tar=$3 entry=$4 root
  root=$(mktemp -d)
  TEMP_DIRS+=("$root")
  install -D -m 755 "$bin" "$root/usr/local/bin/$(basename "$bin")"
  mkdir -p "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/sbin/nologin' >"$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >>"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  "$here/oci-image.sh" --entrypoint "$entry" "$root" "$name" "$tar" >/dev/null
}

# import_images ROOT BASE: the images kubeadm deploys into ROOT's /var/lib/containerd, through a
# containerd of our own on a private socket whose root is that directory.
import_images() {
  local root=$1 base=$2 work state sock pid tars=() t
  work=$(mktemp -d)
  TEMP_DIRS+=("$work")
  binary_image "$K8S_BIN/kube-apiserver" "$(kubeadm_image kube-apiserver)" "$work/apiserver.tar" /usr/local/bin/kube-apiserver
  binary_image "$K8S_BIN/kube-controller-manager" "$(kubeadm_image kube-controller-manager)" "$work/cm.tar" /usr/local/bin/kube-controller-manager
  binary_image "$K8S_BIN/kube-scheduler" "$(kubeadm_image kube-scheduler)" "$work/scheduler.tar" /usr/local/bin/kube-scheduler
  binary_image "$ETCD_BIN/etcd" "$(kubeadm_image etcd)" "$work/etcd.tar" /usr/local/bin/etcd
  binary_image "$COREDNS_BIN/coredns" "$(kubeadm_image coredns)" "$work/coredns.tar" /usr/local/bin/coredns
  # kube-proxy runs iptables: the node's own Debian (same packages) with the binary added.
  local proxy_root=$work/proxy-root
  cp -a "$base" "$proxy_root"
  install -m 755 "$K8S_BIN/kube-proxy" "$proxy_root/usr/local/bin/kube-proxy"
  "$here/oci-image.sh" --entrypoint /usr/local/bin/kube-proxy --exclude './debootstrap' --exclude './.complete' \
    "$proxy_root" "$(kubeadm_image kube-proxy)" "$work/proxy.tar" >/dev/null
  rm -rf "$proxy_root"
  tars=("$work"/*.tar "$CACHE/cluster-images/pause-3.10.2.tar")
  [ -f "${tars[-1]}" ] || die "${tars[-1]} is missing (hack/cluster/build.sh builds it)"

  state=$work/state
  sock=$state/containerd.sock
  mkdir -p "$state" "$root/var/lib/containerd"
  printf 'version = 3\nroot = "%s"\nstate = "%s"\ndisabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]\n[grpc]\n  address = "%s"\n' \
    "$root/var/lib/containerd" "$state" "$sock" >"$work/containerd.toml"
  "$CONTAINERD_BIN/containerd" --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 &
  pid=$!
  local i
  for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.2; done
  [ -S "$sock" ] || { cat "$work/containerd.log" >&2; die "the import containerd did not start"; }
  local ctr=("$CONTAINERD_BIN/ctr" --address "$sock" --namespace k8s.io)
  for t in "${tars[@]}"; do
    "${ctr[@]}" images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "$t" >&2 ||
      { kill "$pid"; die "ctr images import $t failed"; }
  done
  # The pause image under the names kind's containerd config and kubeadm use.
  local pause_src sandbox
  pause_src=$("${ctr[@]}" images list -q | grep -m1 '/pause:')
  sandbox=$(sed -n 's/^ *sandbox_image *= *"\(.*\)"/\1/p' "$root/etc/containerd/config.toml")
  for t in "$sandbox" "$(kubeadm_image pause)"; do
    [ -n "$t" ] && [ "$t" != "$pause_src" ] && "${ctr[@]}" images tag --force "$pause_src" "$t" >/dev/null
  done
  "${ctr[@]}" images list -q >&2
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

build() {
  local k out root base kind_dir
  k=$(key)
  out=$OUT_DIR/node-$K8S_VERSION-$k.tar
  if [ -f "$out" ]; then echo "$out"; return; fi
  [ "$(id -u)" = 0 ] || die "building the kind node image needs root (debootstrap)"
  # load runs build in $(...), a subshell that does not run the caller's EXIT trap: without its own, the
  # build tree (~800 MB in the cache) and the image work directories stayed behind.
  trap cleanup EXIT
  K8S_BIN=$(upstream k8s kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
  ETCD_BIN=$(upstream etcd)
  CONTAINERD_BIN=$(upstream containerd)
  COREDNS_BIN=$(upstream coredns)
  kind_dir=$(kind_module)
  log "node image root filesystem (debootstrap $SUITE, a few minutes once)"
  base=$(base_rootfs)
  root=$(mktemp -d "$CACHE/kind-node-build.XXXXXX")
  TEMP_DIRS+=("$root")
  cp -a "$base/." "$root/"
  rm -rf "$root/debootstrap" "$root/.complete"
  install_kind_files "$root" "$kind_dir"
  configure_systemd "$root"
  install_binaries "$root"
  write_network "$root"
  log "importing the control plane images into the node's containerd"
  import_images "$root" "$base"
  apt_clean "$root"
  mkdir -p "$OUT_DIR"
  log "packing $out"
  tar -C "$root" --numeric-owner --xattrs -cf "$out.tmp" . && mv -f "$out.tmp" "$out"
  # Only the newest node image tarball is kept.
  find "$OUT_DIR" -name 'node-*.tar' ! -path "$out" -delete
  echo "$out"
}

apt_clean() { rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*; }

load() {
  local tar image
  image=$(name)
  if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; return; fi
  tar=$(build)
  log "docker import $tar as $image"
  # kind's base also sets STOPSIGNAL SIGRTMIN+3 (systemd's halt signal), which `docker import` cannot
  # (Docker 20.10); kind removes its nodes with `docker rm -f`, so only a manual `docker stop` notices.
  docker import \
    --change 'ENV container=docker PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    "$tar" "$image" >/dev/null || die "docker import $tar failed"
  echo "$image"
}

case "${1:-}" in
  name) name ;;
  build) build ;;
  load) load ;;
  *) die "usage: hack/kind-node-image.sh name|build|load" ;;
esac
