#!/usr/bin/env bash
# Stops the local cluster started by up.sh and undoes what it did to the host, so the next up.sh
# starts from scratch:
#   pods (deleted through the API while it is up, then any leftover task killed through ctr),
#   shims and runsc sandboxes started by *our* containerd, the daemons from the PID files,
#   mounts under our state dirs and /var/lib/kubelet, pod network namespaces, the CNI bridge, the
#   node-address interface, every KUBE-*/CNI-* iptables chain and our CODERUN-EGRESS guard, kubelet
#   cgroups, and the sysctls up.sh or the kubelet changed.
# Kept for a faster next start: the PKI and containerd's image store (imports are skipped when
# unchanged). `down.sh --purge` removes those too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

purge=false
[ "${1:-}" = --purge ] && purge=true

# Ask the kubelet to tear pods down properly (this runs CNI DEL: veth, IPAM, CNI-* rules).
# kube-controller-manager and kube-scheduler are stopped first, so nothing recreates them.
delete_pods() {
  pid_alive kube-apiserver && pid_alive kubelet && [ -f "$ADMIN_KUBECONFIG" ] || return 0
  kc delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
  # The API objects go at once; the kubelet then stops the sandboxes. A pod already terminating
  # keeps its own grace period (30 s by default), so after 10 s SIGKILL what is left through
  # containerd and give the kubelet a moment to tear those sandboxes down too.
  tasks_gone 10 && return 0
  log "pod tasks still running after 10 s; SIGKILLing them through containerd"
  local t
  for t in $(ctr_t tasks ls -q 2>/dev/null || true); do ctr_t tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  tasks_gone 10 || log "pod tasks still running; they are removed with containerd below"
}
tasks_gone() {
  local i
  for ((i = 0; i < $1 * 5; i++)); do
    [ -z "$(ctr_t tasks ls -q 2>/dev/null || true)" ] && return 0
    sleep 0.2
  done
  return 1
}

# Network namespaces of our pods, read from containerd's container specs (before they go).
pod_netns() {
  local c
  for c in $(ctr_t containers ls -q 2>/dev/null || true); do
    ctr_t containers info --spec "$c" 2>/dev/null |
      jq -r '.linux.namespaces[]? | select(.type == "network") | .path // empty' 2>/dev/null || true
  done | sort -u
}

# ctr with a deadline: a task whose shim died can make `ctr tasks delete` hang for ever.
ctr_t() { timeout 10 "$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# Everything left in containerd's k8s.io namespace: kill tasks, delete tasks and containers.
kill_tasks() {
  pid_alive containerd || return 0
  local t c
  for t in $(ctr_t tasks ls -q 2>/dev/null || true); do ctr_t tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  sleep 0.5
  for t in $(ctr_t tasks ls -q 2>/dev/null || true); do ctr_t tasks delete -f "$t" >/dev/null 2>&1 || true; done
  for c in $(ctr_t containers ls -q 2>/dev/null || true); do ctr_t containers delete "$c" >/dev/null 2>&1 || true; done
  for c in $(ctr_t sandboxes ls -q 2>/dev/null || true); do ctr_t sandboxes rm -f "$c" >/dev/null 2>&1 || true; done
}

# Shims started by our containerd carry "-address <our socket>"; their children are the runsc
# sandbox/gofer processes (or runc containers). Kill each shim's whole process tree.
kill_shims() {
  local shim pids=() p
  for shim in $(pgrep -f "containerd-shim-.* -address $CONTAINERD_SOCK" || true); do
    pids+=("$shim" $(descendants "$shim"))
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  log "killing ${#pids[@]} leftover shim/sandbox processes"
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
descendants() {
  local c
  for c in $(pgrep -P "$1" || true); do echo "$c"; descendants "$c"; done
}

# Two things live outside our roots because they are hard-coded upstream: runsc's per-container
# state under /run/containerd/runsc/k8s.io/<id>, and each shim's socket, which containerd's shim
# library always puts at /run/containerd/s/<sha256 of "<containerd address>/<namespace>/<id>">.
# Remove exactly the entries of our containers, then the directories if they are empty.
clean_outside_state() {
  local ids=$1 id h
  for id in $ids; do
    "$GVISOR_BIN/runsc" --root "$RUNSC_ROOT/k8s.io" delete -force "$id" >/dev/null 2>&1 || true
    rm -rf "${RUNSC_ROOT:?}/k8s.io/$id" "$RUNSC_ROOT/k8s.io/$id".* 2>/dev/null || true
    for h in "$CONTAINERD_SOCK/k8s.io/$id" "$CONTAINERD_SOCK/k8s.io/$id/debug"; do
      rm -f "/run/containerd/s/$(printf '%s' "$h" | sha256sum | cut -d' ' -f1)"
    done
  done
  # The gVisor shim does not remove its socket when it exits, so /run/containerd/s collects one
  # dead socket per container ever run. Remove the ones made since our containerd started that
  # nothing listens on any more (all our shims are dead by now).
  if [ -f "$RUN/containerd.started" ] && [ -d /run/containerd/s ]; then
    local listening s n=0
    listening=$(ss -xlH | awk '{print $5}')
    while read -r s; do
      grep -qxF "$s" <<<"$listening" || { rm -f "$s"; n=$((n + 1)); }
    done < <(find /run/containerd/s -type s -newer "$RUN/containerd.started")
    [ "$n" -eq 0 ] || log "removed $n dead shim sockets from /run/containerd/s"
  fi
  rmdir "$RUNSC_ROOT/k8s.io" "$RUNSC_ROOT" /run/containerd/s /run/containerd 2>/dev/null || true
}

unmount_under() {
  local dir=$1 m
  # Deepest first; lazy, so a busy mount cannot block the teardown.
  for m in $(findmnt -rn -o TARGET | grep -E "^$dir(/|$)" | sort -r || true); do
    umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
}

# rm -rf only when nothing is mounted below any more (a leftover bind mount could point anywhere).
safe_rm() {
  local d
  for d in "$@"; do
    [ -e "$d" ] || continue
    if findmnt -rn -o TARGET | grep -qE "^$d(/|$)"; then
      log "NOT removing $d: still has mounts below it (findmnt | grep $d)"
      continue
    fi
    rm -rf "$d"
  done
}

remove_netns() {
  local ns
  for ns in $1; do
    [ -e "$ns" ] || continue
    umount -l "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
}

remove_links() {
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  ip link del "$IFACE" 2>/dev/null || true
}

# Deletes the rules that jump to KUBE-*/CNI-*/CODERUN-* chains from every table, then the chains.
clean_iptables() {
  local cmd t rule chain
  for cmd in iptables ip6tables; do
    for t in filter nat mangle raw; do
      "$cmd" -w -t "$t" -S >/dev/null 2>&1 || continue
      { "$cmd" -w -t "$t" -S | grep -E '^-A [A-Z]+ .*-j (KUBE|CNI|CODERUN)-' || true; } | sed 's/^-A /-D /' |
        while read -r rule; do eval "$cmd -w -t $t $rule" 2>/dev/null || true; done
      for chain in $("$cmd" -w -t "$t" -S | awk '/^-N (KUBE|CNI|CODERUN)-/ {print $2}'); do
        "$cmd" -w -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$cmd" -w -t "$t" -S | awk '/^-N (KUBE|CNI|CODERUN)-/ {print $2}'); do
        "$cmd" -w -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
  conntrack -D -s "$POD_CIDR" >/dev/null 2>&1 || true
}

# The kubelet (cgroupfs driver) made /kubepods in every v1 hierarchy; remove the empty tree.
remove_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/kubepods; do
    [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

restore_sysctls() {
  [ -f "$STATE/sysctl.saved" ] || return 0
  local kv
  while read -r kv; do sysctl -q -w "$kv" >/dev/null 2>&1 || log "could not restore $kv"; done <"$STATE/sysctl.saved"
  rm -f "$STATE/sysctl.saved"
}

main() {
  need_root
  phase "delete pods"
  stop kube-controller-manager kube-scheduler
  local netns ids
  # What our containers own outside our roots, collected while containerd can still tell us.
  netns=$(pod_netns)
  ids=$(ctr_t containers ls -q 2>/dev/null || true)
  delete_pods
  phase "stop node"
  stop kube-proxy kubelet
  phase "stop containerd"
  kill_tasks
  STOP_SECS=15 stop containerd
  kill_shims
  clean_outside_state "$ids"
  phase "stop control plane"
  stop kube-apiserver
  stop etcd
  phase "host cleanup"
  unmount_under "$KUBELET_ROOT"
  unmount_under "$RUN"
  unmount_under "$STATE"
  remove_netns "$netns"
  remove_links
  clean_iptables
  remove_cgroups
  restore_sysctls
  safe_rm "$RUN" "$KUBELET_ROOT" "$STATE/etcd" "$STATE/cni-ipam" "$STATE/containerd-opt" "$ETC"
  if $purge; then
    safe_rm "$STATE" "$(dirname "$RUNSC_CONFIG")"
    log "purged $STATE (PKI, images)"
  fi
  phases_done
}

main "$@"
