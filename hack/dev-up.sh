#!/usr/bin/env bash
# `make up`: a local control plane (etcd, kube-apiserver, kube-controller-manager) with the CRD installed
# and the controller running on this machine. State and logs live in .dev/; `make down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.dev
mkdir -p "$state"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! alive "$state/control-plane.pid"; then
  rm -f "$state/cp/kubeconfig"
  nohup node test/harness/control-plane.ts up "$state/cp" crds >"$state/control-plane.log" 2>&1 &
  echo $! >"$state/control-plane.pid"
  for _ in $(seq 1 120); do
    [ -f "$state/cp/kubeconfig" ] && break
    alive "$state/control-plane.pid" || { echo "control plane failed to start; see $state/control-plane.log" >&2; tail -20 "$state/control-plane.log" >&2; exit 1; }
    sleep 1
  done
  [ -f "$state/cp/kubeconfig" ] || { echo "control plane did not become ready in 120 s; see $state/control-plane.log" >&2; exit 1; }
fi
export KUBECONFIG=$PWD/$state/cp/kubeconfig

if ! alive "$state/controller.pid"; then
  CODERUN_LEADER_ELECTION=false CODERUN_RUNTIME_CLASS=${CODERUN_RUNTIME_CLASS:-gvisor} \
    nohup node dist/main.js controller >"$state/controller.log" 2>&1 &
  echo $! >"$state/controller.pid"
fi

kubectl=$(hack/build-upstream.sh k8s kubectl)/kubectl
"$kubectl" create namespace demo --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
# A real cluster gets this with gVisor; without it the API server refuses every sandbox Pod.
printf 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n' | "$kubectl" apply -f - >/dev/null

[ -f "$state/token" ] || head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$state/token"
if ! alive "$state/api.pid"; then
  CODERUN_RUN_NAMESPACE=demo SANDBOX_EXECUTOR_MANAGER_API_TOKEN=$(cat "$state/token") CODERUN_API_HOST=127.0.0.1 \
    nohup node dist/main.js api >"$state/api.log" 2>&1 &
  echo $! >"$state/api.pid"
fi
for _ in $(seq 1 30); do curl -sf localhost:9385/healthz >/dev/null && break; sleep 0.5; done

cat <<MSG
coderun is up (control plane without a kubelet: sandbox Pods are created but stay Pending).
  export KUBECONFIG=$KUBECONFIG
  $kubectl -n demo create -f deploy/samples/python-rejected.yaml
  $kubectl -n demo get coderuns
  curl -s localhost:9385/run -H "Authorization: Bearer $(cat "$state/token")" -H 'content-type: application/json' \\
    -d '{"language":"python","code_b64":"aW1wb3J0IG9zCg=="}'     # "import os": rejected by the policy at once
Logs: $state/control-plane.log, $state/controller.log, $state/api.log. Stop with: make down
MSG
