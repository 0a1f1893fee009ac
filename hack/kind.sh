#!/usr/bin/env bash
# A kind cluster "coderun" with gVisor, from kind-config.yaml.
#   hack/kind.sh up     `make kind-up`: kind, an engine, a node image; stage gVisor, create the cluster (or
#                       reuse it), write .dev/kind/kubeconfig (`make up` on kind links .dev/kubeconfig to it)
#   hack/kind.sh down   `make kind-down`: delete the cluster; stop the engine if this script started it
#   hack/kind.sh load   `kind load image-archive` every $CODERUN_CACHE/images/*.tar that changed
#   hack/kind.sh env    print the DOCKER_HOST and PATH that reach the engine (eval "$(hack/kind.sh env)")
# kind: KIND_VERSION from hack/versions.env, built from the Go module proxy into $CODERUN_CACHE
# (hack/build-upstream.sh kind); $KIND overrides it (kind >= v0.27.0: containerd 2.x node images).
# Engine: the Docker engine at $DOCKER_HOST or /var/run/docker.sock when one answers (a laptop with
# Docker); else Debian's docker.io, unpacked into the cache and run privately by hack/kind-engine.sh,
# which leaves the host's iptables alone; `down` stops that one again.
# Node image: $KIND_NODE_IMAGE (an image kind pulls, e.g. kindest/node:v1.36.x; "kind" means kind's own
# default); unset, one built here without a registry (hack/kind-node-image.sh, docker import).
# gVisor (runsc + containerd-shim-runsc-v1, one version) comes from $GVISOR_DIR, else from
# $CODERUN_CACHE/gvisor-$GVISOR_VERSION (hack/build-upstream.sh gvisor), else from the directory of the
# runsc on PATH (a gVisor release installed into /usr/local/bin); it is copied to .dev/kind/gvisor/, the
# relative hostPath kind-config.yaml mounts. kind resolves relative hostPaths against its working
# directory, so this script runs kind from the repository root.
# Creating and deleting the cluster (and starting or stopping the engine) wait for $CLUSTER_LOCK, which
# the local cluster's test runs hold: both clusters share this machine.
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"
cd "$REPO"

KIND_MIN_VERSION=0.27.0
STAGE=.dev/kind/gvisor
ENGINE_MARK=.dev/kind/engine # "coderun" while the engine is the one hack/kind-engine.sh started
NODE=$KIND_CLUSTER-control-plane # kind's name for the node container
export KIND_EXPERIMENTAL_PROVIDER=docker

# An engine of the user's own: $DOCKER_HOST, or Docker's default socket, answering.
own_engine() {
  [ "$(cat "$ENGINE_MARK" 2>/dev/null)" = coderun ] && return 1
  [ "${DOCKER_HOST:-}" = "unix://$ENGINE_SOCK" ] && return 1 # ours, from `eval "$(hack/kind.sh env)"`
  command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1
}

# use_engine [start]: point docker and kind at the engine; with "start", start ours when there is no other.
use_engine() {
  if own_engine; then
    return 0
  fi
  local dir
  dir=$("$REPO/hack/kind-engine.sh" install) || die "could not install the Docker engine (hack/kind-engine.sh install)"
  export DOCKER_HOST=unix://$ENGINE_SOCK PATH=$dir/usr/bin:$dir/usr/sbin:$PATH
  if [ "${1:-}" = start ]; then
    mkdir -p "$(dirname "$ENGINE_MARK")"
    echo coderun >"$ENGINE_MARK"
    "$REPO/hack/kind-engine.sh" start >/dev/null || die "could not start the Docker engine (hack/kind-engine.sh start; log $DEV_LOGS/dockerd.log)"
  fi
}

need_kind() {
  if [ -z "${KIND:-}" ]; then
    KIND=$("$REPO/hack/build-upstream.sh" kind)/kind || die "could not build kind $KIND_VERSION (hack/build-upstream.sh kind)"
  fi
  local v
  v=$("$KIND" version | sed -n 's/^kind v\([0-9][0-9.]*\).*/\1/p')
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$KIND_MIN_VERSION" "$v" | sort -V | sed -n 1p)" = "$KIND_MIN_VERSION" ] ||
    die "kind v${v:-?} is too old: kind-config.yaml needs v$KIND_MIN_VERSION or later (containerd 2.x node images)"
}
kind() { "$KIND" "$@"; }

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

node_image() {
  case "${KIND_NODE_IMAGE:-}" in
    kind) ;;                      # kind's default image
    "") "$REPO/hack/kind-node-image.sh" load || die "could not build the kind node image (hack/kind-node-image.sh)" ;;
    *) echo "$KIND_NODE_IMAGE" ;;
  esac
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
  for b in hack/cluster/runsc.toml seccomp/sandbox.json; do [ -f "$b" ] || die "$REPO/$b is missing"; done
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; }

# On a cgroup v1 host kind's entrypoint bind-mounts /kubelet and /kubelet.slice of every controller onto
# themselves (so that systemd cannot remove them before the kubelet starts). runsc, placing itself in cgroups,
# reads /proc/self/mountinfo and takes each mount of a controller as a root of containerd's own cgroup path:
# with two such mounts it fails every sandbox Pod ("OCI runtime create failed: creating container: Rel: can't
# make ../system.slice/containerd.service relative to /kubelet.slice"), with one it resolves a wrong path.
# Once the node is up the kubelet holds its cgroups (/kubelet, cgroupfs: kind-config.yaml) and the extra
# mounts protect nothing, so they go; on every `up`, because a restarted node container makes them again.
# A cgroup v2 node has none of them.
UNSHADOW_CGROUPS='
  mounts() { awk '"'"'$5 ~ "^/sys/fs/cgroup/[^/]+/kubelet(\\.slice)?$" { print $5 }'"'"' /proc/self/mountinfo | sort -r; }
  for m in $(mounts); do umount "$m" 2>/dev/null || umount -l "$m"; done
  [ -z "$(mounts)" ]
'
unshadow_cgroups() {
  docker exec "$NODE" test -e /sys/fs/cgroup/cgroup.controllers && return 0
  docker exec "$NODE" sh -c "$UNSHADOW_CGROUPS" ||
    die "could not remove kind's /kubelet cgroup bind mounts in $NODE (runsc cannot start sandboxes under them on cgroup v1)"
}

up() {
  need_kind
  use_engine start
  engine_answers || die "no Docker engine answers at ${DOCKER_HOST:-/var/run/docker.sock}"
  stage_mounts
  if cluster_exists; then
    log "kind cluster $KIND_CLUSTER exists; reusing it"
    [ "$(docker inspect -f '{{.State.Running}}' "$NODE" 2>/dev/null)" = true ] || with_cluster_lock docker start "$NODE" >/dev/null ||
      die "could not start the kind node container $NODE (docker logs $NODE)"
    # Created from an older kind-config.yaml, it lacks the port mapping that makes localhost:9385 the API's
    # NodePort; kind cannot add one to an existing cluster.
    [ -n "$(docker port "$NODE" "$API_PORT/tcp" 2>/dev/null)" ] ||
      die "kind cluster $KIND_CLUSTER does not publish port $API_PORT (created from an older kind-config.yaml): recreate it with make kind-down && CLUSTER=kind make up"
  else
    local image args=()
    image=$(node_image)
    [ -z "$image" ] || args=(--image "$image")
    log "kind create cluster --name $KIND_CLUSTER --config kind-config.yaml ${args[*]}"
    mkdir -p "$(dirname "$KIND_KUBECONFIG")"
    # --kubeconfig: kind writes its context there, never into ~/.kube/config (and `down` removes it there).
    with_cluster_lock "$KIND" create cluster --name "$KIND_CLUSTER" --config kind-config.yaml "${args[@]}" \
      --kubeconfig "$KIND_KUBECONFIG" --wait 180s ||
      die "kind create cluster --name $KIND_CLUSTER --config kind-config.yaml failed (kind export logs --name $KIND_CLUSTER; DOCKER_HOST=${DOCKER_HOST:-})"
  fi
  mkdir -p "$(dirname "$KIND_KUBECONFIG")"
  kind get kubeconfig --name "$KIND_CLUSTER" >"$KIND_KUBECONFIG.tmp" && mv -f "$KIND_KUBECONFIG.tmp" "$KIND_KUBECONFIG"
  resolve_tools
  KUBECONFIG=$KIND_KUBECONFIG "$KUBECTL" wait --for condition=Ready node --all --timeout=180s >/dev/null ||
    die "the kind node did not become Ready (kubectl --kubeconfig $KIND_KUBECONFIG describe node)"
  unshadow_cgroups
  log "kind cluster $KIND_CLUSTER ready; export KUBECONFIG=$KIND_KUBECONFIG"
}

# Deletes the cluster, then stops the engine if it is ours (which also removes its network's bridge):
# the host is left as it was before `up`, apart from the cache.
down() {
  need_kind
  use_engine
  local ours=""
  [ "$(cat "$ENGINE_MARK" 2>/dev/null)" = coderun ] && ours=1
  if [ -n "$ours" ] && ! engine_answers && [ -d "${KIND_ENGINE_DATA:-$CACHE/docker-data}/containers" ] &&
    [ -n "$(ls -A "${KIND_ENGINE_DATA:-$CACHE/docker-data}/containers" 2>/dev/null)" ]; then
    # A node container is recorded but the engine is stopped: start it to delete the container properly.
    "$REPO/hack/kind-engine.sh" start >/dev/null || die "could not start the Docker engine to delete the cluster"
  fi
  if engine_answers && cluster_exists; then
    with_cluster_lock "$KIND" delete cluster --name "$KIND_CLUSTER" --kubeconfig "$KIND_KUBECONFIG" ||
      die "kind delete cluster --name $KIND_CLUSTER failed"
  else
    log "no kind cluster $KIND_CLUSTER"
  fi
  rm -rf .dev/kind/images
  if [ -n "$ours" ]; then
    "$REPO/hack/kind-engine.sh" stop || die "could not stop the Docker engine (hack/kind-engine.sh stop)"
    rm -f "$ENGINE_MARK"
  fi
}

# Stamps are kept per node container, so a re-created cluster gets every image again.
load() {
  need_kind
  use_engine
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

print_env() {
  use_engine
  [ -z "${DOCKER_HOST:-}" ] || printf 'export DOCKER_HOST=%q PATH=%q\n' "$DOCKER_HOST" "$PATH"
}

case "${1:-}" in
  up | down | load) "$1" ;;
  env) print_env ;;
  *) die "usage: hack/kind.sh up|down|load|env" ;;
esac
