#!/usr/bin/env bash
# `make down`: undoes `make up` (hack/up.sh) in reverse, using what it recorded in .dev/:
#   the Helm release and its namespace (with them the NodePort that served localhost:9385), then the
#   cluster it brought up (.dev/cluster: `make cluster-down` for the local cluster, which also restores the
#   route_localnet setting kube-proxy changed; `make kind-down` for kind). KEEP_CLUSTER=1 leaves the cluster
#   running (only the release goes) and no longer `make up`'s: a later `make up` reuses it, or CLUSTER=kind
#   make up moves to kind (the kind tier does that after the e2e tier); `make cluster-down` stops it.
# The local cluster may be shared: check that nobody is running tests on it (pgrep -f "test/run.ts e2e")
# before stopping it.
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"
cd "$REPO"

# Processes of earlier `make up`s, if still running: a kubectl port-forward, and before that
# (hack/dev-up.sh) a control plane without kubelet.
stop_legacy() {
  local name
  stop_legacy_port_forward
  for name in api controller control-plane; do stop_group "$DEV/$name.pid" "$name (old make up)"; done
}

uninstall() {
  [ -e "$DEV/kubeconfig" ] || { log "no .dev/kubeconfig: nothing to uninstall"; return; }
  # shellcheck disable=SC1091
  [ -f "$DEV/release" ] && . "$DEV/release"
  export KUBECONFIG=$DEV/kubeconfig RELEASE RELEASE_NAMESPACE
  # Waiting for every object to go only matters when the cluster keeps running.
  if [ -n "${KEEP_CLUSTER:-}" ]; then export UNINSTALL_WAIT=true; else export UNINSTALL_WAIT=false; fi
  step uninstall "$REPO/hack/deploy.sh" uninstall
}

cluster_down() {
  local kind
  kind=$(recorded_cluster)
  if [ -z "$kind" ]; then
    log "no cluster recorded in .dev/cluster: none to stop"
  elif [ -n "${KEEP_CLUSTER:-}" ]; then
    log "KEEP_CLUSTER set: the $kind cluster keeps running"
  else
    case "$kind" in
      local) step cluster-down "$MAKE" -s cluster-down ;;
      kind) step kind-down "$MAKE" -s kind-down ;;
      *) die "unknown cluster '$kind' in .dev/cluster (local or kind)" ;;
    esac
  fi
  rm -f "$DEV/cluster" "$DEV/kubeconfig" "$DEV/release"
}

main() {
  phase "leftovers";    stop_legacy
  phase "uninstall";    uninstall
  phase "cluster";      cluster_down
  phases_done
}

main "$@"
