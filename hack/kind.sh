#!/usr/bin/env bash
# A kind cluster "coderun" with gVisor, from kind-config.yaml, for machines with a Docker engine.
#   hack/kind.sh up     `make kind-up`: stage gVisor, create the cluster (or reuse it), write .dev/kubeconfig
#   hack/kind.sh down   `make kind-down`: delete the cluster
#   hack/kind.sh load   `kind load image-archive` every $CODERUN_CACHE/images/*.tar that changed
# Needs kind >= v0.27.0 (node images with containerd 2.x; see kind-config.yaml) and `docker info` working.
# gVisor (runsc + containerd-shim-runsc-v1, one version) comes from $GVISOR_DIR, else from
# $CODERUN_CACHE/gvisor-$GVISOR_VERSION (hack/build-upstream.sh gvisor), else from the directory of the
# runsc on PATH (a gVisor release installed into /usr/local/bin); it is copied to .dev/kind/gvisor/, the
# relative hostPath kind-config.yaml mounts. kind resolves relative hostPaths against its working
# directory, so this script runs kind from the repository root.
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"
cd "$REPO"

KIND_MIN_VERSION=0.27.0
STAGE=.dev/kind/gvisor
NODE=$KIND_CLUSTER-control-plane # kind's name for the node container

need_kind() {
  command -v kind >/dev/null 2>&1 ||
    die "kind is not installed: install kind >= v$KIND_MIN_VERSION (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or use the local cluster (make cluster-up; CLUSTER=local make up)"
  command -v docker >/dev/null 2>&1 || die "the docker CLI is missing: kind needs a Docker engine"
  timeout 20 docker info >/dev/null 2>&1 ||
    die "no Docker engine answers ('docker info' failed): start Docker, or use the local cluster (make cluster-up; CLUSTER=local make up)"
  local v
  v=$(kind version | sed -n 's/^kind v\([0-9][0-9.]*\).*/\1/p')
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$KIND_MIN_VERSION" "$v" | sort -V | sed -n 1p)" = "$KIND_MIN_VERSION" ] ||
    die "kind v${v:-?} is too old: kind-config.yaml needs v$KIND_MIN_VERSION or later (containerd 2.x node images)"
}

gvisor_dir() {
  local d
  for d in "${GVISOR_DIR:-}" "$CACHE/gvisor-$GVISOR_VERSION" "$(dirname "$(command -v runsc 2>/dev/null || echo /nonexistent/runsc)")"; do
    [ -n "$d" ] && [ -x "$d/runsc" ] && [ -x "$d/containerd-shim-runsc-v1" ] && { echo "$d"; return; }
  done
  die "gVisor not found (runsc and containerd-shim-runsc-v1 side by side): build it with 'hack/build-upstream.sh gvisor', install a release into /usr/local/bin (https://gvisor.dev/docs/user_guide/install/), or set GVISOR_DIR"
}

# A file bind mount needs its source to exist: Docker would create a directory in its place.
stage_mounts() {
  local src b
  src=$(gvisor_dir)
  mkdir -p "$STAGE"
  for b in runsc containerd-shim-runsc-v1; do
    cmp -s "$src/$b" "$STAGE/$b" || install -m 755 "$src/$b" "$STAGE/$b"
  done
  log "gVisor from $src ($("$STAGE/runsc" --version 2>/dev/null | sed -n 1p))"
  for b in test/cluster/runsc.toml seccomp/sandbox.json; do [ -f "$b" ] || die "$REPO/$b is missing"; done
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; }

up() {
  need_kind
  stage_mounts
  if cluster_exists; then
    log "kind cluster $KIND_CLUSTER exists; reusing it"
    [ "$(docker inspect -f '{{.State.Running}}' "$NODE" 2>/dev/null)" = true ] || docker start "$NODE" >/dev/null ||
      die "could not start the kind node container $NODE (docker logs $NODE)"
    # Created from an older kind-config.yaml, it lacks the port mapping that makes localhost:9385 the API's
    # NodePort; kind cannot add one to an existing cluster.
    [ -n "$(docker port "$NODE" "$API_PORT/tcp" 2>/dev/null)" ] ||
      die "kind cluster $KIND_CLUSTER does not publish port $API_PORT (created from an older kind-config.yaml): recreate it with make kind-down && make up"
  else
    kind create cluster --name "$KIND_CLUSTER" --config kind-config.yaml --wait 180s ||
      die "kind create cluster --name $KIND_CLUSTER --config kind-config.yaml failed (kind export logs --name $KIND_CLUSTER)"
  fi
  mkdir -p "$DEV"
  kind get kubeconfig --name "$KIND_CLUSTER" >"$DEV/kubeconfig.tmp" && mv -f "$DEV/kubeconfig.tmp" "$DEV/kubeconfig"
  resolve_tools
  KUBECONFIG=$DEV/kubeconfig "$KUBECTL" wait --for condition=Ready node --all --timeout=180s >/dev/null ||
    die "the kind node did not become Ready (kubectl --kubeconfig $DEV/kubeconfig describe node)"
  log "kind cluster $KIND_CLUSTER ready; export KUBECONFIG=$DEV/kubeconfig"
}

down() {
  need_kind
  kind delete cluster --name "$KIND_CLUSTER" || die "kind delete cluster --name $KIND_CLUSTER failed"
  rm -rf .dev/kind/images
}

# Stamps are kept per node container, so a re-created cluster gets every image again.
load() {
  need_kind
  local id stamps t key
  id=$(docker inspect -f '{{.Id}}' "$NODE" 2>/dev/null) || die "kind node $NODE not found: run make kind-up first"
  stamps=.dev/kind/images/$id
  mkdir -p "$stamps"
  shopt -s nullglob
  for t in "$IMAGES"/*.tar; do
    key=$(image_key "$t")
    [ "$(cat "$stamps/${t##*/}" 2>/dev/null)" = "$key" ] && continue
    log "kind load image-archive $t"
    kind load image-archive "$t" --name "$KIND_CLUSTER" || die "kind load image-archive $t failed"
    echo "$key" >"$stamps/${t##*/}"
  done
}

case "${1:-}" in
  up | down | load) "$1" ;;
  *) die "usage: hack/kind.sh up|down|load" ;;
esac
