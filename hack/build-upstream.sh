#!/usr/bin/env bash
# Builds upstream binaries from the Go module proxy into a cache outside the repo, keyed by version.
#   hack/build-upstream.sh k8s [cmd ...]   kube-apiserver, kube-controller-manager, ... (default: all six)
#   hack/build-upstream.sh etcd
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

what=${1:?usage: build-upstream.sh k8s|etcd [cmd ...]}
shift
case "$what" in
  k8s) build_k8s "$@" ;;
  etcd) build_etcd ;;
  *) echo "build-upstream.sh: unknown target '$what' (k8s or etcd)" >&2; exit 2 ;;
esac
