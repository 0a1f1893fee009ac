# Shared settings and helpers of hack/{up,down,deploy,kind}.sh (`make up`, `make down`, `make deploy`,
# `make logs`, `make kind-up`, `make kind-down`). Source it, don't run it.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../versions.env
. "$REPO/hack/versions.env"
# shellcheck source=../local-cluster.env
. "$REPO/hack/local-cluster.env"
# shellcheck source=image-key.sh
. "$REPO/hack/lib/image-key.sh"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
MAKE=${MAKE:-make}

# Local state of `make up` (git-ignored):
#   cluster          "local" or "kind": the cluster `make up` brought up, which `make down` stops
#   kubeconfig       the admin kubeconfig of that cluster: a symlink to the local cluster's or to kind/kubeconfig
#   release          RELEASE and RELEASE_NAMESPACE that `make up` installed, for `make down`
#   deploy.stamp     what the last deploy installed; `make up` skips helm when it is unchanged
#   sandbox-images   the cluster and the sandbox images of the last deploy; when an image changes, the
#                    deploy replaces the warm pools' idle Pods (hack/deploy.sh roll_warm_pools)
#   logs/            one log per step
#   kind/            the kind cluster's kubeconfig (written by `make kind-up` whether or not `make up` uses
#                    kind), gVisor binaries staged for kind-config.yaml's extraMounts, image-load stamps
DEV=$REPO/.dev
DEV_LOGS=$DEV/logs

RELEASE=${RELEASE:-coderun}
RELEASE_NAMESPACE=${RELEASE_NAMESPACE:-coderun}
API_SERVICE=sandbox-executor-manager # RAGFlow's default SANDBOX_HOST
# The API's port, and the nodePort `make up` gives its Service: localhost:9385 on this machine reaches it
# (hack/cluster/lib.sh NODE_PORT_RANGE and kind-config.yaml admit it).
API_PORT=9385
LOCAL_KUBECONFIG=$LOCAL_CLUSTER_KUBECONFIG
KIND_CLUSTER=${KIND_CLUSTER:-coderun}
KIND_KUBECONFIG=$DEV/kind/kubeconfig
# The Docker engine hack/kind-engine.sh runs for kind on a machine without one (its socket).
ENGINE_SOCK=/run/coderun-kind/docker.sock
# Starting or stopping an engine or a kind cluster, and anything else that touches the host's network,
# waits for this lock, which the local cluster's test runs hold (it may take a while).
CLUSTER_LOCK=/tmp/coderun-cluster.lock
IMAGES=$CACHE/images # the image tarballs `make images`, `make operator-image` and `make artifacts-image` write

# shellcheck source=log.sh
. "$REPO/hack/lib/log.sh"

# Any unexpected failure names the command and where it was.
set -E
trap '_rc=$?; printf "[%s] ERROR: \"%s\" failed (exit %s) at %s:%s\n" "$(date +%T)" "$BASH_COMMAND" "$_rc" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR

# step NAME CMD...: run CMD with its output in $DEV_LOGS/NAME.log; on failure show the end of it and stop.
step() {
  local name=$1
  shift
  mkdir -p "$DEV_LOGS"
  echo "=== $(date -Is) $*" >"$DEV_LOGS/$name.log"
  "$@" >>"$DEV_LOGS/$name.log" 2>&1 && return 0
  {
    echo "---- last lines of $DEV_LOGS/$name.log ----"
    tail -n 30 "$DEV_LOGS/$name.log"
    echo "----"
  } >&2
  die "$name failed: $* (log: $DEV_LOGS/$name.log)"
}

# shellcheck source=phases.sh
. "$REPO/hack/lib/phases.sh"

# kubectl and helm: $KUBECTL / $HELM when set, else the pinned builds in the cache (built on first use,
# which needs Go). Call once before kc/hm.
resolve_tools() {
  local dir
  if [ -z "${KUBECTL:-}" ]; then
    dir=$("$REPO/hack/build-upstream.sh" k8s kubectl) || die "could not build kubectl (hack/build-upstream.sh k8s kubectl)"
    KUBECTL=$dir/kubectl
  fi
  if [ -z "${HELM:-}" ]; then
    dir=$("$REPO/hack/build-upstream.sh" helm) || die "could not build helm (hack/build-upstream.sh helm)"
    HELM=$dir/helm
  fi
}
kc() { "$KUBECTL" "$@"; }

# with_cluster_lock CMD...: run CMD holding $CLUSTER_LOCK (says so when it has to wait). Run under
# `flock $CLUSTER_LOCK env CODERUN_CLUSTER_LOCKED=1 ...` it runs CMD at once: the caller holds the lock.
with_cluster_lock() {
  if [ -n "${CODERUN_CLUSTER_LOCKED:-}" ]; then
    "$@"
    return
  fi
  if ! flock -n "$CLUSTER_LOCK" true 2>/dev/null; then
    log "waiting for $CLUSTER_LOCK (a cluster test run holds it)"
  fi
  # -o: CMD does not inherit the lock's descriptor, so a daemon it starts (dockerd) cannot keep holding it.
  CODERUN_CLUSTER_LOCKED=1 flock -o "$CLUSTER_LOCK" "$@"
}
hm() { "$HELM" "$@"; }

# The kubeconfig of "the current cluster": $KUBECONFIG when set, else the one `make up` recorded, else
# kubectl's default (~/.kube/config).
use_current_kubeconfig() {
  if [ -z "${KUBECONFIG:-}" ] && [ -e "$DEV/kubeconfig" ]; then
    export KUBECONFIG=$DEV/kubeconfig
  fi
  log "cluster: ${KUBECONFIG:-$HOME/.kube/config} (context $(kc config current-context 2>/dev/null || echo '?'))"
}

# The cluster `make up` brought up and recorded in .dev/cluster ("local" or "kind"); nothing when none is.
recorded_cluster() { cat "$DEV/cluster" 2>/dev/null || true; }

cluster_reachable() { kc get --raw /readyz >/dev/null 2>&1; }

# pid_alive FILE: the process whose id FILE holds is running.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The `kubectl port-forward` supervisor that `make up` ran before the API became a NodePort
# (.dev/port-forward.pid), if one is left.
stop_legacy_port_forward() { stop_group "$DEV/port-forward.pid" "port-forward of an earlier make up"; }

# stop_group FILE NAME: stop the process group led by the pid in FILE (started with setsid), then remove FILE.
stop_group() {
  local file=$1 name=$2 pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    log "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}
