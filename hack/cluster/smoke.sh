#!/usr/bin/env bash
# End-to-end checks against the running local cluster (run up.sh first):
#   1. a Pod with runtimeClassName gvisor runs under gVisor (dmesg says "Starting gVisor");
#   2. a Localhost seccomp profile that denies mkdir makes mkdir fail with EPERM under runsc
#      (proves runsc.toml's oci-seccomp = "true"), and mkdir works without the profile;
#   3. the sandbox Pod shape the controller builds (non-root, read-only root, memory emptyDirs,
#      stdin + stdinOnce) runs and `kubectl attach` delivers a line on stdin;
#   4. the sandbox has no network (runsc.toml network = "none"): only loopback;
#   5. pod start latency under runsc (create -> Ready, create -> Succeeded), N pods in a row.
# Exit status 0 only when every check passed. SMOKE_N=5 sets the number of latency samples.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NS=coderun-smoke
N=${SMOKE_N:-5}
PROFILE_DIR=$KUBELET_ROOT/seccomp/coderun-test
failures=0

ok() { printf 'PASS  %s\n' "$*"; }
bad() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# pod NAME RUNTIMECLASS SECCOMP-PROFILE|"" COMMAND: print a Pod manifest running busybox COMMAND.
pod() {
  local name=$1 rc=$2 prof=$3 cmd=$4 sc=""
  [ -z "$prof" ] || sc="securityContext: {seccompProfile: {type: Localhost, localhostProfile: $prof}}"
  cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $NS}
spec:
  ${rc:+runtimeClassName: $rc}
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  automountServiceAccountToken: false
  enableServiceLinks: false
  containers:
  - name: main
    image: $BUSYBOX_IMAGE
    imagePullPolicy: Never
    command: ["/bin/sh", "-c", $(jq -cn --arg c "$cmd" '$c')]
    $sc
EOF
}

# run_to_end NAME MANIFEST...: create, wait until the pod finished, print its log.
run_to_end() {
  local name=$1
  kc apply -f - >/dev/null
  if ! kc -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$name" --timeout=90s >/dev/null 2>&1; then
    kc -n "$NS" wait --for=jsonpath='{.status.phase}'=Failed "pod/$name" --timeout=1s >/dev/null 2>&1 || {
      kc -n "$NS" describe pod "$name" | tail -n 15 >&2
      return 1
    }
  fi
  kc -n "$NS" logs "$name"
}

setup() {
  [ -f "$ADMIN_KUBECONFIG" ] && kc get --raw /readyz >/dev/null 2>&1 ||
    die "cluster is not running: run hack/cluster/up.sh (make cluster-up) first"
  kc delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
  kc create namespace "$NS" >/dev/null
  wait_for 30 sa kc -n "$NS" get serviceaccount default || die "no default ServiceAccount in $NS"
  mkdir -p "$PROFILE_DIR"
  cat >"$PROFILE_DIR/deny-mkdir.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]
}
EOF
}

check_gvisor() {
  local out
  out=$(pod gvisor-dmesg gvisor "" 'dmesg; cat /proc/version' | run_to_end gvisor-dmesg) || { bad "gVisor pod did not finish"; return; }
  if grep -q "Starting gVisor" <<<"$out"; then ok "gVisor: $(grep -m1 'Starting gVisor' <<<"$out" | sed 's/^\[[^]]*\] //')"; else bad "no 'Starting gVisor' in dmesg: $out"; fi
  out=$(pod runc-version "" "" 'cat /proc/version' | run_to_end runc-version) || { bad "runc pod did not finish"; return; }
  ok "runc (default handler) kernel: ${out:0:60}"
}

check_seccomp() {
  local out
  out=$(pod seccomp-gvisor gvisor coderun-test/deny-mkdir.json 'mkdir /tmp/x && echo MKDIR-OK; echo rc=$?' |
    run_to_end seccomp-gvisor) || { bad "seccomp pod did not finish"; return; }
  if grep -q "Operation not permitted" <<<"$out" && ! grep -q MKDIR-OK <<<"$out"; then
    ok "runsc + Localhost profile denying mkdir: $(head -n1 <<<"$out")"
  else
    bad "mkdir was not denied under runsc (is oci-seccomp on?): $out"
  fi
  out=$(pod noseccomp-gvisor gvisor "" 'mkdir /tmp/x && echo MKDIR-OK' | run_to_end noseccomp-gvisor) || true
  if grep -q MKDIR-OK <<<"$out"; then ok "runsc without the profile: mkdir works (control)"; else bad "control: mkdir failed without a profile: $out"; fi
}

check_sandbox_shape() {
  local prof="" out cmd
  [ -f "$KUBELET_ROOT/seccomp/coderun/sandbox.json" ] && prof=", seccompProfile: {type: Localhost, localhostProfile: coderun/sandbox.json}"
  # One line on stdin in, one line out: uid, a writable memory emptyDir, a read-only root (gVisor
  # answers EACCES before EROFS for a non-root writer, so read /proc/mounts), then the addresses.
  cmd='read line; w=$(touch /work/f && echo work-rw); r=$(grep -q "^[^ ]* / [^ ]* ro[, ]" /proc/mounts && echo root-ro)
echo "got:$line uid:$(id -u) $w $r"; echo "inet-addrs:$(ip addr | grep -c "inet ")"'
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: sandbox-shape, namespace: $NS}
spec:
  runtimeClassName: gvisor
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext: {runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true$prof}
  containers:
  - name: main
    image: $BUSYBOX_IMAGE
    imagePullPolicy: Never
    stdin: true
    stdinOnce: true
    command: ["/bin/sh", "-c", $(jq -cn --arg c "$cmd" '$c')]
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: work, mountPath: /work}, {name: tmp, mountPath: /tmp}]
  volumes:
  - {name: work, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
  - {name: tmp, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
EOF
  kc -n "$NS" wait --for=condition=Ready pod/sandbox-shape --timeout=90s >/dev/null || { bad "sandbox-shape pod not Ready"; return; }
  out=$(echo hello | timeout 60 "$K8S_BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" -n "$NS" attach -i -q sandbox-shape 2>&1) || true
  if grep -q "got:hello uid:65534 work-rw root-ro" <<<"$out"; then
    ok "sandbox shape + attach: $(head -n1 <<<"$out")${prof:+ (with coderun/sandbox.json)}"
  else
    bad "sandbox shape/attach (expected 'got:hello uid:65534 work-rw root-ro'): $out"
  fi
  # runsc.toml sets network = "none": the sandbox sees loopback only, although CNI gave the pod an IP.
  if grep -q "inet-addrs:1" <<<"$out"; then ok "sandbox network: loopback only (pod IP $(kc -n "$NS" get pod sandbox-shape -o jsonpath='{.status.podIP}') unused)"; else bad "sandbox network: expected only loopback: $out"; fi
}

measure_latency() {
  local i t0 ready done_ readys=() dones=()
  for ((i = 1; i <= N; i++)); do
    t0=$(now_ms)
    pod "lat-$i" gvisor "" 'sleep 1' | kc apply -f - >/dev/null
    kc -n "$NS" wait --for=condition=Ready "pod/lat-$i" --timeout=90s >/dev/null || { bad "lat-$i never Ready"; continue; }
    ready=$(($(now_ms) - t0))
    kc -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/lat-$i" --timeout=90s >/dev/null || { bad "lat-$i never Succeeded"; continue; }
    done_=$(($(now_ms) - t0))
    readys+=("$ready") dones+=("$done_")
    kc -n "$NS" delete pod "lat-$i" --wait=false >/dev/null
  done
  [ ${#readys[@]} -gt 0 ] || return 0
  stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min %d ms, median %d ms, max %d ms (n=%d)", a[1], a[int((NR+1)/2)], a[NR], NR}'; }
  ok "runsc pod create->Ready:      $(stats "${readys[@]}")"
  ok "runsc pod create->Succeeded:  $(stats "${dones[@]}") (container runs 'sleep 1')"
}

main() {
  setup
  check_gvisor
  check_seccomp
  check_sandbox_shape
  measure_latency
  kc delete namespace "$NS" --wait=false >/dev/null
  rm -rf "$PROFILE_DIR"
  [ "$failures" -eq 0 ] || die "$failures smoke check(s) failed"
  echo "all smoke checks passed"
}

main "$@"
