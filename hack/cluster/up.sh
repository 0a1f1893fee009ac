#!/usr/bin/env bash
# Starts the local single-node cluster (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, containerd + runsc, kubelet, kube-proxy) from the binaries hack/cluster/build.sh
# put in $CODERUN_CACHE. Idempotent: when every daemon from the PID files is alive and /readyz
# answers, it reuses the running cluster (still syncing images, the seccomp profile and the
# RuntimeClass, and restarting only a daemon whose flags or config file changed since it started).
# A half-running cluster is torn down with down.sh first.
# Prints the admin kubeconfig path on stdout; progress and phase timings go to stderr.
#   up.sh --restart DAEMON   start one daemon of DAEMONS again after it died, through the start function
#                            a full up.sh uses, leaving the others as they are (the fault campaign,
#                            test/chaos, kills daemons with kill -9 and brings them back so)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------------------------------------
# Checks

check_prereqs() {
  need_root
  local b
  for b in "$ETCD_BIN/etcd" "$K8S_BIN"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl} \
    "$CONTAINERD_BIN"/{containerd,ctr,containerd-shim-runc-v2} "$GVISOR_BIN"/{runsc,containerd-shim-runsc-v1} \
    "$CLUSTER_IMAGES/pause-$PAUSE_TAG.tar"; do
    [ -e "$b" ] || die "$b is missing: run 'make cluster-build' (hack/cluster/build.sh) first"
  done
  for b in "${APT_PACKAGES[@]}"; do
    dpkg -s "$b" >/dev/null 2>&1 || die "Debian package $b is missing: run 'make cluster-build' first"
  done
}

apiserver_ready() { [ -f "$ADMIN_KUBECONFIG" ] && kc get --raw /readyz >/dev/null 2>&1; }

# running: 0 = all daemons alive and healthy, 1 = nothing running, 2 = partly running
cluster_state() {
  local d alive=0
  for d in "${DAEMONS[@]}"; do pid_alive "$d" && alive=$((alive + 1)); done
  if [ "$alive" -eq "${#DAEMONS[@]}" ] && apiserver_ready; then return 0; fi
  [ "$alive" -eq 0 ] && return 1
  return 2
}

# ---------------------------------------------------------------------------------------------
# Host preparation (all undone by down.sh)

# Kernel settings that we, the kubelet or kube-proxy change (kube-proxy sets route_localnet for NodePorts
# on loopback); down.sh restores the values saved here.
SAVED_SYSCTLS=(net.ipv4.ip_forward kernel.panic kernel.panic_on_oops vm.overcommit_memory
  net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.route_localnet)

# Saves each setting once, before anything changes it; a key added to the list later is saved on the
# next up.sh, before the daemon that changes it is (re)started.
save_sysctls() {
  local key
  mkdir -p "$STATE"
  touch "$STATE/sysctl.saved"
  for key in "${SAVED_SYSCTLS[@]}"; do
    grep -q "^$key=" "$STATE/sysctl.saved" && continue
    sysctl -e "$key" | sed 's/ = /=/' >>"$STATE/sysctl.saved"
  done
}

prepare_host() {
  mkdir -p "$STATE" "$RUN" "$PIDS" "$LOGS" "$ETC"
  save_sysctls
  # Routing from the pod bridge back into it (pod -> Service -> pod) needs forwarding on (it is
  # 0 here). bridge-nf-call-iptables makes bridged pod traffic see kube-proxy's rules.
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter ||
    die "net.bridge.bridge-nf-call-iptables missing and 'modprobe br_netfilter' failed"
  sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  # Our own address for the node and the apiserver: reachable from pods (10.96.0.1 is DNATed to
  # it), not the machine's real interface, so nothing listens on an address we don't own.
  # This kernel has no dummy driver (CONFIG_DUMMY unset, no modules), so fall back to a bridge
  # with no ports: its address is just as local, and nothing is ever sent out of it.
  if ! ip link show "$IFACE" >/dev/null 2>&1; then
    ip link add "$IFACE" type dummy 2>/dev/null || ip link add "$IFACE" type bridge ||
      die "could not create interface $IFACE (neither dummy nor bridge)"
    sysctl -q -w "net.ipv6.conf.$IFACE.disable_ipv6=1" || true
    ip addr add "$NODE_IP/32" dev "$IFACE" || die "could not add $NODE_IP to $IFACE"
  fi
  ip link set "$IFACE" up
  # Pods may talk to each other and to this host, never beyond it: forwarding is on now, so drop
  # anything from the pod bridge that would be routed out of it (egress guard; bridge CNI has no
  # NetworkPolicy). Its own chain, so down.sh removes exactly this.
  if ! iptables -w -L CODERUN-EGRESS -n >/dev/null 2>&1; then
    iptables -w -N CODERUN-EGRESS
    iptables -w -A CODERUN-EGRESS -i "$CNI_BRIDGE" -o "$CNI_BRIDGE" -j RETURN
    iptables -w -A CODERUN-EGRESS -i "$CNI_BRIDGE" -j DROP
  fi
  iptables -w -C FORWARD -j CODERUN-EGRESS 2>/dev/null || iptables -w -I FORWARD 1 -j CODERUN-EGRESS
  # We do NOT `mount --make-rshared /`: that would also flip mounts that are not ours. The kubelet
  # makes its own root dir rshared (bind mount on itself), which is all mount propagation needs
  # for the volumes our pods use (emptyDir, including medium: Memory).
}

# ---------------------------------------------------------------------------------------------
# PKI: one CA, ECDSA P-256 keys (fast to make), ten-year certs. Kept across down/up.

gen_key() { [ -f "$1" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

# sign NAME SUBJECT EXTKEYUSAGE [SANS]
sign() {
  local name=$1 subj=$2 eku=$3 sans=${4:-}
  [ -f "$PKI/$name.crt" ] && return 0
  gen_key "$PKI/$name.key"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" 2>/dev/null |
    openssl x509 -req -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null ||
    die "openssl could not sign $name"
  rm -f "$PKI/$name.ext"
}

make_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    gen_key "$PKI/ca.key"
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=coderun-cluster-ca" -days 3650 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$PKI/ca.crt" 2>/dev/null || die "openssl could not make the CA"
  fi
  sign apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$SERVICE_IP"
  # The apiserver's client cert towards kubelets (logs, exec, attach): system:masters passes the
  # kubelet's Webhook authorization.
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  sign admin "/O=system:masters/CN=coderun-admin" clientAuth
  sign kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign kube-scheduler "/CN=system:kube-scheduler" clientAuth
  sign kube-proxy "/CN=system:kube-proxy" clientAuth # bound to system:node-proxier by default RBAC
  sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth # the Node authorizer's form
  # The kubelet's serving cert, signed by our CA so the apiserver can verify it.
  sign kubelet-serving "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$NODE_IP"
  # Service-account token signing key (ES256).
  gen_key "$PKI/sa.key"
  [ -f "$PKI/sa.pub" ] || openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local u
  for u in admin kube-controller-manager kube-scheduler kube-proxy kubelet; do
    write_kubeconfig "$u"
  done
  cp "$ETC/admin.kubeconfig" "$ADMIN_KUBECONFIG"
}

write_kubeconfig() {
  local u=$1
  cat >"$ETC/$u.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: coderun
  cluster:
    server: $APISERVER
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $u
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$u.crt")
    client-key-data: $(base64 -w0 "$PKI/$u.key")
contexts:
- name: coderun
  context: {cluster: coderun, user: $u}
current-context: coderun
EOF
  chmod 600 "$ETC/$u.kubeconfig"
}

# ---------------------------------------------------------------------------------------------
# Config files (rendered on every run; a file is only written when its content changes, because
# kube-proxy exits when its config file is written to, and a changed file restarts its daemon)

# put FILE: stdin into FILE, unless FILE already holds exactly that.
put() {
  cat >"$1.tmp"
  if cmp -s "$1.tmp" "$1"; then rm -f "$1.tmp"; else mv -f "$1.tmp" "$1"; fi
}

write_configs() {
  mkdir -p "$ETC/cni" "$(dirname "$RUNSC_CONFIG")" "$KUBELET_ROOT/seccomp"
  install -m 644 "$CLUSTER_DIR/runsc.toml" "$RUNSC_CONFIG"

  # containerd 2.x, config version 3. The runsc handler is containerd-runsc.toml, appended verbatim.
  {
    cat <<EOF
version = 3
# Note: containerd 2.3 always also imports /etc/containerd/conf.d/*.toml (an "imports" list here is
# appended to that default, not replacing it); nothing is there on our machines.
root = '$STATE/containerd'
state = '$RUN/containerd'

[grpc]
  address = '$CONTAINERD_SOCK'

[plugins.'io.containerd.internal.v1.opt']
  path = '$STATE/containerd-opt'

# NRI would listen on /var/run/nri/nri.sock, outside our roots; nothing here uses it.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    # Imported by up.sh from a locally built tarball; no registry is reachable, nothing is pulled.
    sandbox = '$PAUSE_IMAGE'

[plugins.'io.containerd.cri.v1.runtime']
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj below 0; the
  # kubelet asks -998 for every pod sandbox and -997 for Guaranteed containers, which runc and
  # runsc then fail to apply. Clamp them to containerd's own score (0) instead.
  restrict_oom_score_adj = true
  # Pod network namespaces under containerd's state dir ($RUN/containerd/...) instead of /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '/usr/sbin/runc'
        Root = '$RUN/runc'            # default /run/containerd/runc, outside our roots
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = '$ETC/cni'

# ---- hack/cluster/containerd-runsc.toml (verbatim) ----
EOF
    cat "$CLUSTER_DIR/containerd-runsc.toml"
  } | put "$ETC/containerd.toml"

  # CNI: one bridge, host-local IPAM in our state dir. containerd adds loopback itself.
  put "$ETC/cni/10-coderun.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "coderun",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "dataDir": "$STATE/cni-ipam",
               "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  put "$ETC/kube-scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $ETC/kube-scheduler.kubeconfig
leaderElection:
  leaderElect: false
EOF

  put "$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This host is cgroup v1 (hybrid); kubelet >= 1.35 refuses v1 unless told otherwise (KEP-5573).
failCgroupV1: false
cgroupDriver: cgroupfs          # no systemd here; containerd's runc handler uses cgroupfs too
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
imageServiceEndpoint: unix://$CONTAINERD_SOCK
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: $NODE_IP
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
# No cluster DNS, and pods must not inherit the host's resolver: empty resolv.conf in pods.
resolvConf: ""
# Nothing can be re-pulled, so the kubelet must never garbage-collect images: GC only starts at
# 100 % disk use, and eviction (which also deletes images) only at 1 % free.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
  imagefs.inodesFree: "1%"
serializeImagePulls: false
maxPods: 110
oomScoreAdj: 0                  # default -999 needs CAP_SYS_RESOURCE, which root lacks here
# Localhost seccomp profiles resolve under <root-dir>/seccomp = /var/lib/kubelet/seccomp.
seccompDefault: false
EOF

  put "$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: $ETC/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: $NODE_IP:10256
metricsBindAddress: $NODE_IP:10249
# NodePorts on loopback only, never on the machine's real interface: 127.0.0.1:<nodePort> of this
# machine reaches the Service (make up serves the API on 127.0.0.1:9385 so).
nodePortAddresses: ["127.0.0.0/8"]
oomScoreAdj: 0                  # default -999 needs CAP_SYS_RESOURCE, which root lacks here
iptables:
  # Loopback NodePorts need net.ipv4.conf.all.route_localnet=1, which kube-proxy sets (down.sh restores
  # it); kube-proxy's KUBE-FIREWALL rule then drops packets for 127.0.0.0/8 that come from elsewhere.
  localhostNodePorts: true
conntrack:                      # 0 = leave the host's conntrack sysctls alone
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# ---------------------------------------------------------------------------------------------
# Daemons

start_etcd() {
  mkdir -p "$STATE/etcd"
  chmod 700 "$STATE/etcd"
  start etcd "$ETCD_BIN/etcd" --name coderun --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "coderun=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  wait_for 30 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health" ||
    fail_with etcd "etcd did not become healthy on 127.0.0.1:$ETCD_PORT"
}

start_apiserver() {
  # Pod deletes only (audit-policy.yaml): the fault campaign reads who deleted a sandbox Pod mid-run.
  cp "$CLUSTER_DIR/audit-policy.yaml" "$ETC/audit-policy.yaml"
  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range "$NODE_PORT_RANGE" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --audit-policy-file "$ETC/audit-policy.yaml" --audit-log-path "$AUDIT_LOG" \
    --audit-log-maxsize 20 --audit-log-maxbackup 1 \
    --allow-privileged=true --profiling=false --v=1
  wait_for 90 apiserver apiserver_ready ||
    fail_with kube-apiserver "kube-apiserver did not report /readyz on $APISERVER"
}

start_controllers() {
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$ETC/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$ETC/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$ETC/kube-controller-manager.kubeconfig" \
    --bind-address "$NODE_IP" --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials --service-cluster-ip-range "$SERVICE_CIDR" \
    --resource-quota-sync-period "${QUOTA_SYNC_SECONDS}s" \
    --profiling=false --v=1
  start kube-scheduler "$K8S_BIN/kube-scheduler" --config "$ETC/kube-scheduler.yaml" \
    --authentication-kubeconfig "$ETC/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$ETC/kube-scheduler.kubeconfig" \
    --bind-address "$NODE_IP" --profiling=false --v=1
}

start_containerd() {
  # down.sh: shim sockets newer than this are ours (kept when containerd is only restarted).
  [ -f "$RUN/containerd.started" ] || touch "$RUN/containerd.started"
  start containerd "$CONTAINERD_BIN/containerd" --config "$ETC/containerd.toml"
  wait_for 30 containerd ctr_ version || fail_with containerd "containerd did not answer on $CONTAINERD_SOCK"
}

start_node() {
  start kubelet "$K8S_BIN/kubelet" --config "$ETC/kubelet.yaml" --kubeconfig "$ETC/kubelet.kubeconfig" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=2
  start kube-proxy "$K8S_BIN/kube-proxy" --config "$ETC/kube-proxy.yaml" --v=1
}

# ---------------------------------------------------------------------------------------------
# Cluster contents

# Imports every OCI/Docker image tarball into containerd's k8s.io namespace (the CRI's), skipping a
# tarball whose exact image was imported before (hack/lib/image-key.sh).
import_images() {
  local stamps=$STATE/image-stamps t key n=0
  mkdir -p "$stamps"
  shopt -s nullglob
  for t in "$CLUSTER_IMAGES"/*.tar "$USER_IMAGES"/*.tar; do
    key=$(image_key "$t")
    if [ "$(cat "$stamps/$(basename "$t")" 2>/dev/null)" = "$key" ]; then continue; fi
    ctr_ -n k8s.io images import "$t" >"$LOGS/image-import.log" 2>&1 ||
      { cat "$LOGS/image-import.log" >&2; die "ctr images import $t failed (log: $LOGS/image-import.log)"; }
    echo "$key" >"$stamps/$(basename "$t")"
    n=$((n + 1))
  done
  shopt -u nullglob
  [ "$n" -eq 0 ] || log "imported $n image tarball(s)"
}

install_seccomp() {
  mkdir -p "$KUBELET_ROOT/seccomp/coderun"
  if [ -f "$REPO/seccomp/sandbox.json" ]; then
    install -m 644 "$REPO/seccomp/sandbox.json" "$KUBELET_ROOT/seccomp/coderun/sandbox.json"
  fi
}

apply_runtimeclass() {
  kc apply -f - >/dev/null <<EOF || die "could not apply RuntimeClass gvisor"
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: gvisor
handler: runsc
EOF
}

node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

wait_ready() {
  wait_for 120 node node_ready || fail_with kubelet "node $NODE_NAME did not become Ready"
  wait_for 30 runtimeclass kc get runtimeclass gvisor || die "RuntimeClass gvisor not found"
  # Pods need the namespace's default ServiceAccount, which kube-controller-manager creates.
  wait_for 60 serviceaccount kc -n default get serviceaccount default ||
    fail_with kube-controller-manager "default ServiceAccount never appeared"
}

# ---------------------------------------------------------------------------------------------

# restart_daemon NAME: the start function that starts NAME (a no-op for the daemons it starts that run).
restart_daemon() {
  case ${1:-} in
    etcd) start_etcd ;;
    kube-apiserver) start_apiserver ;;
    kube-controller-manager | kube-scheduler) start_controllers ;;
    containerd) start_containerd ;;
    kubelet | kube-proxy) start_node ;;
    *) die "up.sh --restart: no daemon '${1:-}' (one of: ${DAEMONS[*]})" ;;
  esac
}

main() {
  check_prereqs
  if [ "${1:-}" = --restart ]; then
    restart_daemon "${2:-}"
    return
  fi
  local state=0
  cluster_state || state=$?
  if [ "$state" -eq 0 ]; then
    log "cluster already running; reusing it"
    phase "configs";       save_sysctls; record_fingerprints; write_configs
    # Each start is a no-op unless that daemon's flags or config file changed.
    phase "daemons";       start_etcd; start_apiserver; start_controllers; start_containerd; start_node
    phase "images";        import_images
    phase "seccomp";       install_seccomp
    phase "runtimeclass";  apply_runtimeclass
    phase "ready";         wait_ready
  else
    if [ "$state" -eq 2 ]; then
      log "cluster is only partly running; tearing it down first"
      "$CLUSTER_DIR/down.sh"
    elif [ -d "$RUN" ]; then
      log "leftovers of a cluster that was not stopped with down.sh; cleaning them first"
      "$CLUSTER_DIR/down.sh"
    fi
    phase "host prep";     prepare_host
    phase "pki+configs";   make_pki; write_configs
    phase "etcd";          start_etcd
    phase "kube-apiserver"; start_apiserver
    phase "controllers";   start_controllers
    phase "containerd";    start_containerd
    phase "images";        import_images
    phase "seccomp";       install_seccomp
    phase "kubelet+proxy"; start_node
    phase "runtimeclass";  apply_runtimeclass
    phase "node ready";    wait_ready
  fi
  phases_done
  log "cluster ready; logs in $LOGS"
  log "export KUBECONFIG=$ADMIN_KUBECONFIG"
  echo "$ADMIN_KUBECONFIG"
}

main "$@"
