#!/usr/bin/env bash
# The Helm release of charts/coderun in "the current cluster" ($KUBECONFIG, else the cluster `make up`
# recorded in .dev/kubeconfig, else ~/.kube/config), with values for a small development machine.
#   hack/deploy.sh deploy       `make deploy`: CRD + helm upgrade --install --wait, every time
#   hack/deploy.sh ensure       the same, skipped when nothing changed since the last deploy (`make up`)
#   hack/deploy.sh uninstall    helm uninstall and delete the release namespace (`make down`)
#   hack/deploy.sh logs         follow the API and controller logs (`make logs`)
#   hack/deploy.sh token        print the API token from the chart's Secret
#   hack/deploy.sh token-ref    print the name and key of that Secret
# Release and namespace: $RELEASE (default coderun) and $RELEASE_NAMESPACE (default coderun); the sandbox
# namespace is the chart's default, coderun-sandbox. Extra helm flags: $HELM_ARGS (word-split), e.g.
#   make deploy HELM_ARGS='--set sandbox.policy=off'
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"

CHART=$REPO/charts/coderun
CRDS=(coderuns.coderun.dev sandboxpools.coderun.dev sandboxruntimes.coderun.dev)
RUNTIME_CLASS=gvisor # the chart's sandbox.runtimeClassName
SELECTOR="app.kubernetes.io/instance=$RELEASE"

# Values for a 2-core development machine: one replica each (the controller still takes its Lease), the
# Service under RAGFlow's default name, images that were loaded into the node rather than pulled, and
# sandboxes that ask the scheduler for a fifth of a CPU, so that six runs at once (RAGFlow's security
# suite sends five endless loops and a hello world together) fit on 2 cores next to everything else, and
# may use up to half a CPU when the node has it to spare. The request also bounds how many sandboxes start
# at once: at 50m the scheduler let every cold Pod of a 16-client run start together and 15 of 23 runs
# failed (0.23 runs/s); at 200m it holds some back (0 failed, 0.39 runs/s; docs/performance.md). Not the chart's full CPU: five endless
# loops at one CPU each took both cores, and the API, the controller and the sandboxes starting beside
# them answered a hello world after 13 s and two of the loops after 26 and 51 s (15 s is the bound).
dev_values() {
  local key
  DEV_VALUES=(
    --set api.replicas=1
    --set controller.replicas=1
    --set "api.service.name=$API_SERVICE"
    --set image.pullPolicy=IfNotPresent
    --set sandbox.imagePullPolicy=IfNotPresent
    --set sandbox.cpu.default=500m
    --set sandbox.cpu.request=200m
    # Enough warm Pods that RAGFlow's own burst (three Python and two Node.js endless loops beside a
    # hello world) starts warm, with one to spare while a refill is still starting; and two Python Pods
    # that have imported the data-science modules, for the programs that import them (a chart in
    # RAGFlow's chat), which would otherwise spend seconds of their timeout on the imports.
    --set pools.python.replicas=4
    --set pools.python-data.language=python
    --set pools.python-data.replicas=2
    --set "pools.python-data.preload={numpy,pandas,matplotlib.pyplot}"
    --set pools.nodejs.replicas=3
    --set "runtimeClass.create=$(runtimeclass_create)"
  )
  # On the cluster `make up` brought up, the Service is a NodePort on 9385: that is what answers on
  # localhost:9385 (hack/up.sh). Other clusters keep the chart's ClusterIP (9385 is outside their range).
  if make_up_cluster; then
    DEV_VALUES+=(--set api.service.type=NodePort --set "api.service.nodePort=$API_PORT")
  fi
  # On kind the node also carries kind's own control plane: some 950m of CPU requests (API server 250m,
  # controller manager 200m, scheduler, etcd, two CoreDNS, kindnet 100m each), where the local cluster's
  # runs outside Kubernetes. With the pools above (9 x 100m) and the operator (225m) that is over 2 cores,
  # and this session's kind tier saw a cold run Unschedulable ("Insufficient cpu") for 120 s. Smaller
  # pools there, and runs that ask 100m, leave room for cold Pods beside them.
  if make_up_cluster && [ "$(recorded_cluster)" = kind ]; then
    DEV_VALUES+=(--set pools.python.replicas=3 --set pools.python-data.replicas=1
      --set pools.nodejs.replicas=2 --set sandbox.cpu.request=100m)
  fi
  # The operator image keeps its tag when it is rebuilt; a Pod annotation naming the exact image makes a
  # rebuilt image roll the Deployments (without it they would keep running the old one).
  if [ -f "$IMAGES/operator.tar" ]; then
    key=$(image_key "$IMAGES/operator.tar")
    DEV_VALUES+=(--set-string "api.podAnnotations.coderun\.dev/operator-image=$key"
      --set-string "controller.podAnnotations.coderun\.dev/operator-image=$key")
  fi
  # The same for the embedded artifacts store's image (hack/build-artifacts-image.sh).
  if [ -f "$IMAGES/artifacts.tar" ]; then
    key=$(image_key "$IMAGES/artifacts.tar")
    DEV_VALUES+=(--set-string "artifacts.embedded.podAnnotations.coderun\.dev/artifacts-image=$key")
  fi
  # The import names of the sandbox images' packages, which hack/build-sandbox-images.sh lists next to each
  # tar: a package added to requirements.txt or package.json passes the strict policy (README, "Add packages").
  local lang policy
  for lang in python nodejs; do
    [ -f "$IMAGES/sandbox-$lang.tar.modules" ] || continue
    policy=$lang
    [ "$lang" = nodejs ] && policy=javascript
    DEV_VALUES+=(--set-json "sandbox.policyModules.$policy=$(jq -c . "$IMAGES/sandbox-$lang.tar.modules")")
  done
  # shellcheck disable=SC2206 # word splitting of HELM_ARGS is the point
  DEV_VALUES+=(${HELM_ARGS:-})
}

# The current cluster is the one `make up` recorded (.dev/kubeconfig, or for the local cluster the file it
# links to).
make_up_cluster() {
  [ -e "$DEV/kubeconfig" ] && [ -n "${KUBECONFIG:-}" ] &&
    [ "$(readlink -f "$KUBECONFIG")" = "$(readlink -f "$DEV/kubeconfig")" ]
}

# The chart creates the RuntimeClass unless one that this release does not own exists already (the local
# cluster's up.sh makes it; on kind nothing does).
runtimeclass_create() {
  local owner
  owner=$(kc get runtimeclass "$RUNTIME_CLASS" -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}' 2>/dev/null) ||
    { echo true; return; }
  if [ "$owner" = "$RELEASE" ]; then echo true; else echo false; fi
}

# The release namespace, labelled "privileged": the chart's seccomp installer mounts a host directory.
ensure_namespace() {
  kc create namespace "$RELEASE_NAMESPACE" --dry-run=client -o yaml | kc apply -f - >/dev/null ||
    die "could not create namespace $RELEASE_NAMESPACE"
  kc label namespace "$RELEASE_NAMESPACE" --overwrite pod-security.kubernetes.io/enforce=privileged >/dev/null
}

# Helm installs a chart's CRDs only on the first install and never updates them; apply the chart's copy
# every time instead (charts/coderun/README.md, "Install, upgrade, uninstall").
apply_crds() {
  hm show crds "$CHART" | kc apply --server-side --force-conflicts --field-manager=coderun-dev -f - >/dev/null ||
    die "could not apply the CRD from $CHART/crds"
  local crd
  for crd in "${CRDS[@]}"; do
    kc wait --for condition=Established "crd/$crd" --timeout=60s >/dev/null ||
      die "CRD $crd not Established after 60 s (kubectl get crd $crd -o yaml)"
  done
}

diagnose() {
  {
    echo "---- kubectl -n $RELEASE_NAMESPACE get pods ----"
    kc -n "$RELEASE_NAMESPACE" get pods -o wide 2>&1 || true
    echo "---- recent events in $RELEASE_NAMESPACE ----"
    kc -n "$RELEASE_NAMESPACE" get events --sort-by=.lastTimestamp 2>&1 | tail -n 15 || true
  } >&2
}

deploy() {
  cluster_reachable || die "no cluster answers at ${KUBECONFIG:-$HOME/.kube/config} (start one with make up, make cluster-up or make kind-up)"
  dev_values
  ensure_namespace
  apply_crds
  log "helm upgrade --install $RELEASE $CHART -n $RELEASE_NAMESPACE ${DEV_VALUES[*]}"
  if ! hm upgrade --install "$RELEASE" "$CHART" --namespace "$RELEASE_NAMESPACE" --create-namespace \
    --skip-crds --wait --timeout 5m "${DEV_VALUES[@]}" >&2; then
    diagnose
    die "helm upgrade --install $RELEASE failed or its Pods did not become ready within 5 min (make logs)"
  fi
  kc -n "$RELEASE_NAMESPACE" rollout status deploy -l "$SELECTOR,app.kubernetes.io/component=api" --timeout=120s >&2 ||
    { diagnose; die "the API Deployment did not become ready"; }
  wait_quota_counted
  roll_warm_pools
}

# A rebuilt sandbox image keeps its tag (coderun/sandbox-python:<version>): once the node has imported it, new
# sandbox Pods start from it, but the warm pools' idle Pods were started from the old one and would serve runs
# with it. When a sandbox image changed since the last deploy on this cluster, they go and the pools refill.
roll_warm_pools() {
  local cluster images recorded ns t
  cluster=$(kc get namespace kube-system -o jsonpath='{.metadata.uid}')
  images=$(for t in "$IMAGES"/sandbox-*.tar; do
    if [ -f "$t" ]; then echo "${t##*/} $(image_key "$t")"; fi
  done | sha256sum | cut -d' ' -f1)
  recorded=$(cat "$DEV/sandbox-images" 2>/dev/null || true)
  mkdir -p "$DEV"
  echo "$cluster $images" >"$DEV/sandbox-images"
  # After a first deploy, or one on another cluster, the pools started from the images the node has.
  if [ "$recorded" = "$cluster $images" ] || [ "${recorded%% *}" != "$cluster" ]; then return 0; fi
  ns=$(hm get values "$RELEASE" -n "$RELEASE_NAMESPACE" --all -o json | jq -r .sandbox.namespace)
  log "a sandbox image changed: replacing the idle warm-pool Pods in $ns"
  kc -n "$ns" delete pods -l "app.kubernetes.io/managed-by=coderun,coderun.dev/state=idle" --wait=false >&2 ||
    log "could not delete the idle warm-pool Pods in $ns; they serve the old image until they expire"
}

# Until the kube-controller-manager has counted the sandbox namespace's quotas: before that, admission
# refuses every CodeRun ("status unknown for quota"), which the API waits out for 30 s and then answers 429.
# On a new cluster (CRDs installed moments ago) that takes up to a minute.
wait_quota_counted() {
  local ns i
  ns=$(hm get values "$RELEASE" -n "$RELEASE_NAMESPACE" --all -o json | jq -r .sandbox.namespace)
  for i in $(seq 1 120); do
    if kc -n "$ns" get resourcequota -o json 2>/dev/null |
      jq -e '[.items[] | (.spec.hard // {} | keys) - (.status.used // {} | keys) | length == 0] | all' >/dev/null; then
      [ "$i" -gt 1 ] && log "the sandbox namespace's quotas are counted (after ${i} s)"
      return 0
    fi
    sleep 1
  done
  die "the kube-controller-manager has not counted the quotas of namespace $ns within 120 s (kubectl -n $ns describe resourcequota)"
}

# What a deploy depends on: the chart, the values, the operator image and the cluster's identity (a new
# cluster has a new kube-system UID).
deploy_stamp() {
  {
    (cd "$CHART" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    printf '%s\n' "$RELEASE" "$RELEASE_NAMESPACE" "${DEV_VALUES[@]}"
    kc get namespace kube-system -o jsonpath='{.metadata.uid}'
  } | sha256sum | cut -d' ' -f1
}

release_healthy() {
  [ "$(hm status "$RELEASE" -n "$RELEASE_NAMESPACE" -o json 2>/dev/null | jq -r .info.status)" = deployed ] &&
    [ "$(kc -n "$RELEASE_NAMESPACE" get deploy -l "$SELECTOR,app.kubernetes.io/component=api" \
      -o jsonpath='{.items[0].status.availableReplicas}' 2>/dev/null)" -ge 1 ] 2>/dev/null
}

ensure() {
  cluster_reachable || die "no cluster answers at ${KUBECONFIG:-$HOME/.kube/config}"
  dev_values
  local stamp
  stamp=$(deploy_stamp)
  if [ "$(cat "$DEV/deploy.stamp" 2>/dev/null)" = "$stamp" ] && release_healthy; then
    log "release $RELEASE in $RELEASE_NAMESPACE is up to date; helm skipped"
    roll_warm_pools
    return
  fi
  rm -f "$DEV/deploy.stamp"
  deploy
  mkdir -p "$DEV"
  echo "$stamp" >"$DEV/deploy.stamp"
  printf 'RELEASE=%s\nRELEASE_NAMESPACE=%s\n' "$RELEASE" "$RELEASE_NAMESPACE" >"$DEV/release"
}

# UNINSTALL_WAIT=false returns without waiting for the objects to go (make down, when the cluster is
# stopped next anyway).
uninstall() {
  local wait=${UNINSTALL_WAIT:-true}
  rm -f "$DEV/deploy.stamp" "$DEV/sandbox-images"
  cluster_reachable || { log "no cluster answers; nothing to uninstall"; return; }
  if hm status "$RELEASE" -n "$RELEASE_NAMESPACE" >/dev/null 2>&1; then
    hm uninstall "$RELEASE" -n "$RELEASE_NAMESPACE" "--wait=$wait" --timeout 2m >&2 ||
      die "helm uninstall $RELEASE -n $RELEASE_NAMESPACE failed"
  fi
  # The namespace was made by ensure_namespace, not by the release.
  kc delete namespace "$RELEASE_NAMESPACE" --ignore-not-found "--wait=$wait" --timeout=90s >/dev/null ||
    log "namespace $RELEASE_NAMESPACE is still terminating (kubectl get namespace $RELEASE_NAMESPACE)"
}

logs() {
  exec "$KUBECTL" -n "$RELEASE_NAMESPACE" logs -f --prefix --all-containers --max-log-requests 10 --tail 50 \
    -l "$SELECTOR,app.kubernetes.io/component in (api,controller)"
}

# The Secret and key the API Deployment reads its token from (the generated one, or api.auth.existingSecret).
token_ref() {
  kc -n "$RELEASE_NAMESPACE" get deploy -l "$SELECTOR,app.kubernetes.io/component=api" -o json |
    jq -er '.items[0].spec.template.spec.containers[0].env[] | select(.name == "SANDBOX_EXECUTOR_MANAGER_API_TOKEN")
      | .valueFrom.secretKeyRef | "\(.name) \(.key)"' ||
    die "no API Deployment of release $RELEASE with a token Secret in namespace $RELEASE_NAMESPACE"
}

token() {
  local name key
  read -r name key < <(token_ref)
  kc -n "$RELEASE_NAMESPACE" get secret "$name" -o "jsonpath={.data.$key}" | base64 -d ||
    die "could not read key $key of Secret $name in $RELEASE_NAMESPACE"
}

main() {
  local cmd=${1:-}
  case "$cmd" in
    deploy | ensure | uninstall | logs | token) ;;
    token-ref) cmd=token_ref ;;
    *) die "usage: hack/deploy.sh deploy|ensure|uninstall|logs|token|token-ref" ;;
  esac
  resolve_tools
  # token and token-ref print to stdout only: no cluster log line.
  case "$cmd" in
    token | token_ref) [ -n "${KUBECONFIG:-}" ] || [ ! -e "$DEV/kubeconfig" ] || export KUBECONFIG=$DEV/kubeconfig ;;
    *) use_current_kubeconfig ;;
  esac
  "$cmd"
}

main "$@"
