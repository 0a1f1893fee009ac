#!/usr/bin/env bash
# Builds upstream binaries from the Go module proxy into a cache outside the repo, keyed by version.
#   hack/build-upstream.sh k8s [cmd ...]   kube-apiserver, kube-controller-manager, ... (default: all six)
#   hack/build-upstream.sh etcd
#   hack/build-upstream.sh containerd    containerd, ctr, containerd-shim-runc-v2
#   hack/build-upstream.sh gvisor        runsc, containerd-shim-runsc-v1 (one pinned `go`-branch pseudo-version, one patch)
#   hack/build-upstream.sh helm
#   hack/build-upstream.sh versitygw    the embedded artifacts store: an S3 API over a directory (posix backend)
#   hack/build-upstream.sh kind         kind, for `make kind-up` (hack/kind.sh)
#   hack/build-upstream.sh coredns      CoreDNS, for the kind node image built here (hack/kind-node-image.sh)
# Prints the directory holding the binaries. A second call with the same versions is a no-op.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

build_k8s() {
  local cmds=("$@")
  [ ${#cmds[@]} -gt 0 ] || cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
  local out="$CACHE/k8s-$K8S_VERSION"
  local missing=()
  for c in "${cmds[@]}"; do [ -x "$out/$c" ] || missing+=("$c"); done
  if [ ${#missing[@]} -eq 0 ]; then echo "$out"; return; fi
  local work="$CACHE/build/k8s-$K8S_VERSION"
  mkdir -p "$work" "$out"
  (
    cd "$work"
    # k8s.io/kubernetes replaces its staging modules with local paths, so `go install` refuses it;
    # a wrapper module pins each staging module to its published v0.X.Y instead.
    if [ ! -f go.mod ]; then
      printf 'module local/k8sbuild\n\ngo 1.26.0\n\ngodebug default=go1.26\n' > go.mod
      local stg="v0.${K8S_VERSION#v1.}" gomod
      gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod" | sort -u |
        while read -r m; do go mod edit -replace="$m=$m@$stg"; done
      go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    fi
    local minor ldf="-s -w"
    minor=$(cut -d. -f2 <<<"$K8S_VERSION")
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    local pkgs=()
    for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    go get "${pkgs[@]/%/@$K8S_VERSION}" >&2
    go build -trimpath -ldflags "$ldf" -o "$out/" "${pkgs[@]}" >&2
  )
  echo "$out"
}

build_etcd() {
  local out="$CACHE/etcd-$ETCD_VERSION"
  if [ -x "$out/etcd" ]; then echo "$out"; return; fi
  local work="$CACHE/build/etcd-$ETCD_VERSION"
  mkdir -p "$work" "$out"
  (
    cd "$work"
    [ -f go.mod ] || printf 'module local/etcdbuild\n\ngo 1.26.0\n' > go.mod
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3 >&2
  )
  echo "$out"
}

# go install pkg@version builds with the module's own go.mod (its exact dependency versions);
# containerd and Helm have no replace directives, so no wrapper is needed.
# $1 = output dir, $2 = ldflags, rest = pkg@version.
go_install() {
  local out=$1 ldf=$2
  shift 2
  mkdir -p "$out"
  GOBIN="$out" go install -trimpath -ldflags "$ldf" "$@" >&2
}

# go_install_cached: go_install's arguments; builds only when a binary is missing from the output dir
# (go install names each after its package's last path element), then prints the dir.
go_install_cached() {
  local out=$1 ldf=$2 pkg
  for pkg in "${@:3}"; do
    pkg=${pkg%@*}
    if [ ! -x "$out/${pkg##*/}" ]; then
      go_install "$out" "$ldf" "${@:3}"
      break
    fi
  done
  echo "$out"
}

build_containerd() {
  local m=github.com/containerd/containerd/v2
  # CGO_ENABLED=0 drops only the btrfs snapshotter (cgo-only); overlayfs is what we use.
  go_install_cached "$CACHE/containerd-$CONTAINERD_VERSION" "-s -w -X $m/version.Version=$CONTAINERD_VERSION" \
    "$m/cmd/containerd@$CONTAINERD_VERSION" "$m/cmd/ctr@$CONTAINERD_VERSION" \
    "$m/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
}

build_gvisor() {
  local out="$CACHE/gvisor-$GVISOR_VERSION"
  if [ -x "$out/runsc" ] && [ -x "$out/containerd-shim-runsc-v1" ]; then echo "$out"; return; fi
  local work="$CACHE/build/gvisor-$GVISOR_VERSION" src f=pkg/shim/v1/manager.go
  src=$(go mod download -json "gvisor.dev/gvisor@$GVISOR_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$work" && mkdir -p "$work" "$out" && cp -r "$src/." "$work/" && chmod -R u+w "$work"
  # One local patch. The shim protects itself with oom_score_adj -999 and treats a refused write as
  # fatal ("failed to set OOM Score on shim: ... permission denied"), so no sandbox can start where
  # root lacks CAP_SYS_RESOURCE (as on our test machines). Keep going without the protection then.
  sed -i 's/if err := sys.SetOOMScore(cmd.Process.Pid, oomScoreMax); err != nil {/if err := sys.SetOOMScore(cmd.Process.Pid, oomScoreMax); err != nil \&\& !os.IsPermission(err) {/' "$work/$f"
  grep -q 'oomScoreMax); err != nil && !os.IsPermission(err)' "$work/$f" ||
    { echo "build-upstream.sh: the shim OOM-score patch no longer applies to $f; update it" >&2; exit 1; }
  (
    cd "$work"
    # Both binaries from the same source: the shim execs runsc and they must agree.
    local ldf="-s -w -X gvisor.dev/gvisor/runsc/version.version=$GVISOR_VERSION"
    go build -trimpath -ldflags "$ldf" -o "$out/runsc" ./runsc >&2
    go build -trimpath -ldflags "$ldf" -o "$out/containerd-shim-runsc-v1" ./shim >&2
  )
  echo "$out"
}

build_helm() {
  local out="$CACHE/helm-$HELM_VERSION" m=helm.sh/helm/v3
  if [ -x "$out/helm" ]; then echo "$out"; return; fi
  # Same ldflags as Helm's Makefile: its version, and the default Kubernetes version that
  # `helm template`/lint assume (client-go v0.X.Y => 1.X), or Helm reports v1.20.
  local gomod cg
  gomod=$(go mod download -json "$m@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  cg=$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$gomod")
  cg=${cg#v0.}; cg=${cg%%.*}
  local ldf="-s -w -X $m/internal/version.version=$HELM_VERSION -X $m/internal/version.gitTreeState=clean"
  for p in pkg/lint/rules pkg/chartutil; do ldf+=" -X $m/$p.k8sVersionMajor=1 -X $m/$p.k8sVersionMinor=$cg"; done
  go_install "$out" "$ldf" "$m/cmd/helm@$HELM_VERSION"
  echo "$out"
}

# versitygw has no replace directives either. Its Makefile stamps the version into main.Version; the
# build commit and time are left at their defaults, so two builds of one version are the same file.
build_versitygw() {
  go_install_cached "$CACHE/versitygw-$VERSITYGW_VERSION" "-s -w -X main.Version=$VERSITYGW_VERSION" \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
}

build_kind() {
  go_install_cached "$CACHE/kind-$KIND_VERSION" "-s -w" "sigs.k8s.io/kind@$KIND_VERSION"
}

# CoreDNS with its default plugin set (core/plugin/zplugin.go is generated and in the module); kubeadm
# names the version it deploys (COREDNS_VERSION).
build_coredns() {
  local m=github.com/coredns/coredns
  go_install_cached "$CACHE/coredns-$COREDNS_VERSION" "-s -w -X $m/coremain.GitCommit=$COREDNS_VERSION" \
    "$m@$COREDNS_VERSION"
}

what=${1:?usage: build-upstream.sh k8s|etcd|containerd|gvisor|helm|versitygw|kind|coredns [cmd ...]}
shift
case "$what" in
  k8s) build_k8s "$@" ;;
  etcd) build_etcd ;;
  containerd) build_containerd ;;
  gvisor) build_gvisor ;;
  helm) build_helm ;;
  versitygw) build_versitygw ;;
  kind) build_kind ;;
  coredns) build_coredns ;;
  *) echo "build-upstream.sh: unknown target '$what' (k8s, etcd, containerd, gvisor, helm, versitygw, kind or coredns)" >&2; exit 2 ;;
esac
