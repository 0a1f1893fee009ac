#!/usr/bin/env bash
# `make up`: coderun running for real on this machine, answering on http://localhost:9385.
#
#  1. Picks the cluster: CLUSTER=kind or CLUSTER=local when given; else the one a previous `make up`
#     recorded in .dev/cluster; else the local single-node cluster built from upstream parts
#     (hack/cluster/, needs root). kind is only ever chosen explicitly: a Docker engine that happens to
#     answer on a shared machine must not move everyone's `make up` onto another cluster.
#  2. Builds the images when their inputs changed (`make images`: sandbox images, `make operator-image`,
#     `make artifacts-image`: the chart's embedded S3 store),
#     each cached by a hash of its inputs under ~/.cache/coderun/images/.
#  3. Starts or reuses the cluster (`make cluster-up` / `make kind-up`) and gets the images onto the node:
#     the local cluster's up.sh imports every tarball whose hash changed; kind gets `kind load image-archive`.
#  4. Installs the chart (hack/deploy.sh: helm upgrade --install coderun charts/coderun -n coderun
#     --wait, one API and one controller replica, Service "sandbox-executor-manager" of type NodePort with
#     nodePort 9385); skipped when the chart, values, operator image and cluster are what the last
#     `make up` installed.
#  5. Waits for /readyz on 127.0.0.1:9385, which is that NodePort: on the local cluster kube-proxy serves
#     node ports on loopback (hack/cluster/up.sh), on kind Docker publishes 127.0.0.1:9385 to the node's
#     port 9385 (kind-config.yaml). No process of ours sits in the path: the kernel forwards each
#     connection on its own, so no client (an oversize body, a dropped connection, garbage) can break
#     the endpoint for the others, as one could break the `kubectl port-forward` tunnel used before.
#  6. Sends one hello-world POST /run through localhost:9385, prints the answer and fails unless its
#     status is "success"; then prints a curl example with the token from the chart's Secret.
# Idempotent: a second `make up` reuses everything (a few seconds). `make down` (hack/down.sh) undoes it.
# Step logs: .dev/logs/<step>.log.
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"
cd "$REPO"

API=http://127.0.0.1:$API_PORT

choose_cluster() {
  local recorded
  recorded=$(recorded_cluster)
  if [ -n "${CLUSTER:-}" ]; then
    case "$CLUSTER" in local | kind) ;; *) die "CLUSTER must be local or kind, not '$CLUSTER'" ;; esac
    [ -z "$recorded" ] || [ "$recorded" = "$CLUSTER" ] ||
      die "make up already runs a $recorded cluster (.dev/cluster); run make down before CLUSTER=$CLUSTER make up"
    echo "$CLUSTER"
  elif [ -n "$recorded" ]; then
    echo "$recorded"
  else
    echo local
  fi
}

build_images() {
  step images "$MAKE" -s images
  step operator-image "$MAKE" -s operator-image
  step artifacts-image "$MAKE" -s artifacts-image
}

# Recorded before starting, so that `make down` can clean up after a start that failed half-way.
cluster_up() {
  local kind=$1
  mkdir -p "$DEV"
  echo "$kind" >"$DEV/cluster"
  case "$kind" in
    local)
      free_api_port
      # up.sh reuses a healthy running cluster and imports only the image tarballs whose hash changed.
      step cluster-up "$MAKE" -s cluster-up
      ln -sfn "$LOCAL_KUBECONFIG" "$DEV/kubeconfig"
      ;;
    kind)
      stop_legacy_port_forward
      local_cluster_serves_api_port &&
        die "the local cluster serves localhost:$API_PORT (its kube-proxy redirects 127.0.0.0/8:$API_PORT to its own release ahead of any listener, kind's included): make down there first, or use its release"
      step kind-up "$MAKE" -s kind-up # writes .dev/kind/kubeconfig
      ln -sfn kind/kubeconfig "$DEV/kubeconfig"
      step kind-load "$REPO/hack/kind.sh" load
      ;;
  esac
  export KUBECONFIG=$DEV/kubeconfig
}

# The local cluster's kube-proxy turns every connection to 127.0.0.0/8:$API_PORT into one to its own
# release's API (a NodePort on loopback, hack/cluster/up.sh), whether or not kind's port mapping listens
# there: on one machine only one of the two clusters can own localhost:$API_PORT.
local_cluster_serves_api_port() {
  iptables -w -t nat -S KUBE-NODEPORTS 2>/dev/null | grep -q -- "-d 127.0.0.0/8 .*--dport $API_PORT "
}

api_healthy() { curl -sf --max-time 3 "$API/readyz" >/dev/null 2>&1; }

# The local cluster's kube-proxy takes 127.0.0.1:9385 over for the NodePort, ahead of any process
# listening there, which would then silently get nothing: refuse to start over one. The kubectl
# port-forward of an earlier `make up` is ours, and goes.
free_api_port() {
  stop_legacy_port_forward
  local listeners
  listeners=$(ss -ltnpH "sport = :$API_PORT" 2>/dev/null || true)
  [ -z "$listeners" ] ||
    die "port $API_PORT is in use, and make up serves the API there (a NodePort on 127.0.0.1:$API_PORT): stop this first: $(head -n 3 <<<"$listeners")"
}

ensure_endpoint() {
  local i
  for ((i = 0; i < 120; i++)); do
    api_healthy && { log "API ready on $API (Service $API_SERVICE, NodePort $API_PORT)"; return; }
    sleep 0.5
  done
  {
    echo "---- Service and endpoints ----"
    kc -n "$RELEASE_NAMESPACE" get service,endpointslices -o wide 2>&1 || true
    echo "---- listeners on port $API_PORT ----"
    ss -ltnpH "sport = :$API_PORT" 2>&1 || true
  } >&2
  die "the API did not answer $API/readyz within 60 s (make logs; the Service $API_SERVICE must be a NodePort on $API_PORT)"
}

# A release installed moments ago: the kube-controller-manager counts the CodeRuns against the sandbox
# namespace's quota only once it has discovered the CRD, one to two minutes later on a new cluster (kind), and
# until then every CodeRun create is refused ("status unknown for quota"). The API waits 30 s for it per
# request; make up waits here, so its hello world and a user's first run are not refused.
wait_quota_counted() {
  local i uncounted
  for ((i = 0; i < 150; i++)); do
    uncounted=$(kc get resourcequota -A -l "app.kubernetes.io/instance=$RELEASE" -o json |
      jq -r '[.items[] | ((.status.hard // {}) | keys) - ((.status.used // {}) | keys) | .[]] | join(" ")') || uncounted=unknown
    [ -z "$uncounted" ] && return
    [ "$i" = 0 ] && log "waiting for the kube-controller-manager to count the sandbox quota ($uncounted)"
    sleep 2
  done
  die "the sandbox namespace's ResourceQuota still does not count $uncounted after 5 minutes (kubectl get resourcequota -A -o yaml; the kube-controller-manager's logs)"
}

hello_world() {
  local token code body
  token=$("$REPO/hack/deploy.sh" token 2>>"$DEV_LOGS/deploy.log") || die "could not read the API token (log: $DEV_LOGS/deploy.log)"
  code=$(printf 'def main():\n    print("hello, world")\n    return {"hello": "world"}\n' | base64 -w0)
  body=$(curl -sS --max-time 180 "$API/run" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"language\":\"python\",\"code_b64\":\"$code\"}") ||
    die "POST $API/run failed (make logs)"
  printf 'POST /run (hello world) answered:\n%s\n' "$body"
  [ "$(jq -r .status <<<"$body" 2>/dev/null)" = success ] ||
    die "the hello-world run did not succeed; see make logs and: $KUBECTL -n coderun-sandbox get coderuns,pods"
}

usage() {
  local kubeconfig=$KIND_KUBECONFIG secret key
  [ "$(recorded_cluster)" = local ] && kubeconfig=$LOCAL_KUBECONFIG
  read -r secret key < <("$REPO/hack/deploy.sh" token-ref 2>/dev/null)
  cat <<MSG

coderun is up: API on localhost:$API_PORT ($(recorded_cluster) cluster, release $RELEASE in namespace $RELEASE_NAMESPACE)

  export KUBECONFIG=$kubeconfig
  TOKEN=\$($KUBECTL -n $RELEASE_NAMESPACE get secret $secret -o jsonpath='{.data.$key}' | base64 -d)
  curl -s localhost:$API_PORT/run -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d "{\\"language\\":\\"python\\",\\"code_b64\\":\\"\$(printf 'def main(a, b):\\n    return {"sum": a + b}\\n' | base64 -w0)\\",\\"arguments\\":{\\"a\\":1,\\"b\\":2}}"

  $KUBECTL -n coderun-sandbox get coderuns    # every run is a CodeRun
  make logs                                    # API + controller logs
  make down                                    # uninstall, stop the cluster
MSG
}

main() {
  local kind
  kind=$(choose_cluster)
  log "make up on the $kind cluster (step logs in $DEV_LOGS)"
  [ "$kind" = kind ] || [ "$(id -u)" = 0 ] ||
    die "the local cluster needs root (it runs containerd and a kubelet; the image builds use debootstrap): run make up as root, or CLUSTER=kind make up with a Docker engine"
  phase "images";        build_images
  phase "cluster ($kind)"; cluster_up "$kind"
  resolve_tools # kubectl and helm: `make cluster-up` has built them; for kind, built here on first use
  phase "deploy";        step deploy "$REPO/hack/deploy.sh" ensure
  phase "endpoint";      ensure_endpoint
  phase "quota";         wait_quota_counted
  phase "hello world";   hello_world
  phases_done
  usage
}

main "$@"
