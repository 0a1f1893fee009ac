# Shared settings and helpers for hack/cluster/{build,up,down,smoke}.sh. Source it, don't run it.
# shellcheck shell=bash

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$CLUSTER_DIR/../.." && pwd)
# shellcheck source=../../hack/versions.env
. "$REPO/hack/versions.env"
# shellcheck source=../../hack/local-cluster.env
. "$REPO/hack/local-cluster.env"
# shellcheck source=../../hack/lib/image-key.sh
. "$REPO/hack/lib/image-key.sh"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}

# Everything this cluster owns lives under these two roots (plus the kubelet's /var/lib/kubelet,
# kept at its default so the seccomp root is the standard /var/lib/kubelet/seccomp, and the runsc
# handler's config at /etc/coderun/runsc.toml, the path containerd-runsc.toml names).
STATE=$LOCAL_CLUSTER_STATE
RUN=/run/coderun-cluster
PKI=$STATE/pki
ETC=$STATE/etc
LOGS=$STATE/logs
AUDIT_LOG=$LOCAL_CLUSTER_AUDIT_LOG # Pod deletes only (audit-policy.yaml)
PIDS=$RUN/pids
KUBELET_ROOT=/var/lib/kubelet
RUNSC_CONFIG=/etc/coderun/runsc.toml
CONTAINERD_SOCK=$RUN/containerd/containerd.sock
RUNSC_ROOT=/run/containerd/runsc # the gVisor shim's fixed default (pkg/shim/v1/proc.RunscRoot)
ADMIN_KUBECONFIG=$LOCAL_CLUSTER_KUBECONFIG

# Network: a dummy interface with an address we own; every server binds there or to loopback.
IFACE=coderun0
NODE_IP=$LOCAL_CLUSTER_NODE_IP
NODE_NAME=coderun-node
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1 # first address of SERVICE_CIDR: the `kubernetes` Service
CNI_BRIDGE=coderun-cni0
ETCD_PORT=12379 # not 2379: the integration harness may run its own etcd on loopback
ETCD_PEER_PORT=12380
APISERVER=https://$NODE_IP:6443
# NodePorts are served on loopback only (kube-proxy nodePortAddresses): 127.0.0.1:<nodePort> of this
# machine reaches the Service. The range starts at 9385 so that `make up` can give the API Service that
# nodePort, its own port (hack/lib/dev.sh API_PORT); kind-config.yaml widens kind's range the same way.
NODE_PORT_RANGE=9385-32767
# How often the kube-controller-manager recounts every ResourceQuota (--resource-quota-sync-period; its
# default is 5 minutes). A quota that counts a custom resource created just before it (the chart's
# count/coderuns.coderun.dev on a new cluster) is only counted at such a recount, and until then admission
# refuses every CodeRun ("status unknown for quota"); kind-config.yaml sets the same period.
QUOTA_SYNC_SECONDS=20

# Images the cluster itself needs (never pulled: nothing is reachable).
PAUSE_TAG=3.10.2 # k8s.io/kubernetes/build/pause/Makefile TAG at v1.36.3
PAUSE_IMAGE=localhost/coderun/pause:$PAUSE_TAG
BUSYBOX_IMAGE=localhost/coderun/busybox:1.35.0 # Debian busybox-static, for smoke tests
CLUSTER_IMAGES=$CACHE/cluster-images
USER_IMAGES=$CACHE/images # every *.tar here is imported by up.sh

APT_PACKAGES=(iptables conntrack socat ethtool kmod containernetworking-plugins runc busybox-static openssl gcc libc6-dev jq)

K8S_BIN=$CACHE/k8s-$K8S_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
CONTAINERD_BIN=$CACHE/containerd-$CONTAINERD_VERSION
GVISOR_BIN=$CACHE/gvisor-$GVISOR_VERSION
HELM_BIN=$CACHE/helm-$HELM_VERSION
# Daemons get a PATH with exactly our binaries first: containerd finds the shims and the shims
# find runsc/runc through it.
CLUSTER_PATH=$CONTAINERD_BIN:$GVISOR_BIN:$K8S_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Any unexpected failure names the command and where it was.
set -E
trap '_rc=$?; printf "[%s] ERROR: \"%s\" failed (exit %s) at %s:%s\n" "$(date +%T)" "$BASH_COMMAND" "$_rc" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR

# shellcheck source=../../hack/lib/log.sh
. "$REPO/hack/lib/log.sh"
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it starts a kubelet and containerd)"; }

kc() { "$K8S_BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
ctr_() { "$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" "$@"; }

# shellcheck source=../../hack/lib/phases.sh
. "$REPO/hack/lib/phases.sh"

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

pid_alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# daemon_fingerprint BIN ARGS...: a hash of a daemon's command line and of the config files it names
# (arguments that are files under $ETC), so that a changed flag or config file is noticed.
daemon_fingerprint() {
  local arg
  {
    printf '%s\0' "$@"
    for arg in "$@"; do
      case $arg in "$ETC"/*) [ -f "$arg" ] && cat "$arg" ;; esac
    done
  } | sha256sum | cut -d' ' -f1
}

# record_fingerprints: for every running daemon that has none yet (started by an up.sh from before
# fingerprints), the fingerprint of what it runs with: its command line (/proc/PID/cmdline, exactly the
# arguments start gave it) and its config files as they are now, before write_configs rewrites them.
record_fingerprints() {
  local d pid args
  for d in "${DAEMONS[@]}"; do
    pid_alive "$d" && [ ! -f "$PIDS/$d.fingerprint" ] || continue
    pid=$(cat "$PIDS/$d.pid")
    mapfile -d '' args <"/proc/$pid/cmdline"
    daemon_fingerprint "${args[@]}" >"$PIDS/$d.fingerprint"
  done
}

# start NAME BIN ARGS...: start a daemon in its own session, log to $LOGS/NAME.log, pid to $PIDS/NAME.pid.
# A running daemon is kept when it runs with exactly these arguments and config files; otherwise it is
# restarted, so that a reused cluster picks up a changed flag or config.
start() {
  local name=$1 fingerprint
  shift
  fingerprint=$(daemon_fingerprint "$@")
  if pid_alive "$name"; then
    if [ "$(cat "$PIDS/$name.fingerprint" 2>/dev/null)" = "$fingerprint" ]; then
      log "$name already running (pid $(cat "$PIDS/$name.pid"))"
      return
    fi
    log "$name runs with other flags or config files than up.sh gives it now: restarting it"
    stop "$name"
  elif [ -f "$PIDS/$name.pid" ]; then
    log "$name (pid $(cat "$PIDS/$name.pid")) has exited: starting it again"
  fi
  mkdir -p "$LOGS" "$PIDS"
  echo "=== $(date -Is) $*" >>"$LOGS/$name.log"
  (
    # The daemon outlives this script: it must not inherit our other open files, such as the lock of
    # `flock <lockfile> make up`, which it would otherwise hold for as long as it runs.
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    PATH=$CLUSTER_PATH exec setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1
  ) &
  echo $! >"$PIDS/$name.pid"
  echo "$fingerprint" >"$PIDS/$name.fingerprint"
}

# stop NAME...: SIGTERM each pid from its PID file (all at once), SIGKILL whatever is still alive
# after $STOP_SECS (default 10) seconds.
stop() {
  local name pid i pids=() names=()
  for name in "$@"; do
    [ -f "$PIDS/$name.pid" ] || continue
    pid=$(cat "$PIDS/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid") names+=("$name")
    fi
    rm -f "$PIDS/$name.pid" "$PIDS/$name.fingerprint"
  done
  for i in "${!pids[@]}"; do
    pid=${pids[$i]} name=${names[$i]}
    local t
    for ((t = 0; t < ${STOP_SECS:-10} * 10; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_SECS:-10}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((t = 0; t < 50; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    log "stopped $name (pid $pid)"
  done
}

# fail_with NAME MESSAGE: die, pointing at the daemon's log (and its last lines).
fail_with() {
  local name=$1
  shift
  {
    echo "---- last lines of $LOGS/$name.log ----"
    tail -n 25 "$LOGS/$name.log" 2>/dev/null || true
    echo "----"
  } >&2
  die "$* (log: $LOGS/$name.log)"
}

# The daemons in start order; down.sh stops them in reverse.
DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)
