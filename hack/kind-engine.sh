#!/usr/bin/env bash
# The Docker engine for kind on a machine that has none (hack/kind.sh; `make kind-up`, `make kind-down`):
# Debian's docker.io (DOCKER_DEBIAN_VERSION in hack/versions.env) with the containerd, runc and tini it
# depends on, unpacked from their .deb files into $CODERUN_CACHE/docker-<version>/ (nothing is installed
# into the system, no service is enabled) and run as a private daemon:
#   hack/kind-engine.sh install   fetch and unpack the packages (once); prints the directory
#   hack/kind-engine.sh start     start the daemon (idempotent); prints DOCKER_HOST=...
#   hack/kind-engine.sh stop      stop it and remove its runtime state (its images stay for the next start)
#   hack/kind-engine.sh purge     stop, then remove its data directory too
#   hack/kind-engine.sh status    exit 0 when it answers
# Its socket is $ENGINE_SOCK, not /var/run/docker.sock, so no other `docker` user on the machine is
# moved onto it; hack/kind.sh sets DOCKER_HOST for kind and docker.
#
# The host's firewall is left alone: "iptables": false, "ip6tables": false, "ip-forward": false and
# "ip-masq": false, so dockerd adds no chains, changes no FORWARD policy and no sysctl (Docker's defaults
# set FORWARD to DROP and insert DOCKER-USER/DOCKER-ISOLATION chains ahead of everyone's rules, which
# would cut the local cluster's CNI bridge off on the same host). kind's port mapping
# (127.0.0.1:9385 -> the node) is then served by docker-proxy, the userland proxy, which listens on the
# host and connects to the node's address on the kind bridge; the node gets no NAT to the outside, which
# kind does not need when its images are loaded, not pulled. No default bridge (docker0) is created;
# kind makes its own network. Starting and stopping the engine runs under the lock the local cluster
# uses ($CLUSTER_LOCK), so it never happens in the middle of someone's cluster test.
set -euo pipefail
# shellcheck source=lib/dev.sh
. "$(dirname "$0")/lib/dev.sh"

ENGINE_DIR=$CACHE/docker-$DOCKER_DEBIAN_VERSION
ENGINE_PACKAGES=(docker.io containerd runc tini)
RUN_DIR=/run/coderun-kind
# Images and containers; kept in the cache when the engine stops (its node image need not be imported again).
DATA_DIR=${KIND_ENGINE_DATA:-$CACHE/docker-data}
ENGINE_CONFIG=$RUN_DIR/daemon.json
PIDFILE=$RUN_DIR/dockerd.pid
ENGINE_LOG=$DEV_LOGS/dockerd.log

engine_path() { echo "$ENGINE_DIR/usr/bin:$ENGINE_DIR/usr/sbin:$PATH"; }

install() {
  if [ -f "$ENGINE_DIR/.complete" ]; then echo "$ENGINE_DIR"; return; fi
  local work
  work=$(mktemp -d)
  chmod 755 "$work" # apt-get download fetches as _apt
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  log "fetching Debian's docker.io $DOCKER_DEBIAN_VERSION and its engine dependencies (${ENGINE_PACKAGES[*]:1})"
  (cd "$work" && apt-get download "docker.io=$DOCKER_DEBIAN_VERSION" "${ENGINE_PACKAGES[@]:1}" >&2) ||
    { apt-get update -qq >&2 && (cd "$work" && apt-get download "docker.io=$DOCKER_DEBIAN_VERSION" "${ENGINE_PACKAGES[@]:1}" >&2); } ||
    die "apt-get download docker.io=$DOCKER_DEBIAN_VERSION ${ENGINE_PACKAGES[*]:1} failed (is the version still in the archive? apt-cache policy docker.io; then update DOCKER_DEBIAN_VERSION in hack/versions.env)"
  rm -rf "$ENGINE_DIR" && mkdir -p "$ENGINE_DIR"
  local deb
  for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$ENGINE_DIR"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$ENGINE_DIR/.packages"
  done
  # dockerd's own dependencies (libdevmapper, libsystemd) come with Debian 12 itself.
  PATH=$(engine_path) ldd "$ENGINE_DIR/usr/sbin/dockerd" | grep -q 'not found' &&
    die "dockerd needs libraries this host lacks: $(ldd "$ENGINE_DIR/usr/sbin/dockerd" | grep 'not found' | paste -sd' ')"
  touch "$ENGINE_DIR/.complete"
  echo "$ENGINE_DIR"
}

status() { [ -S "$ENGINE_SOCK" ] && DOCKER_HOST=unix://$ENGINE_SOCK timeout 10 "$ENGINE_DIR/usr/bin/docker" info >/dev/null 2>&1; }

# The capabilities of this process's bounding set, as OCI names (CAP_CHOWN ...).
bounding_caps() {
  local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
    NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
    SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
    AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
    PERFMON BPF CHECKPOINT_RESTORE)
  local mask i
  mask=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
  for ((i = 0; i < ${#names[@]}; i++)); do
    if (((mask >> i) & 1)); then echo "CAP_${names[i]}"; fi
  done
}

# Docker 20.10 gives a --privileged container (every kind node is one) every capability it knows, and runc
# fails with "unable to apply caps: operation not permitted" when one is outside the bounding set, as
# CAP_SYS_RESOURCE is for root on our test machines. The engine's runtime is therefore runc behind a
# wrapper that first drops, from the bundle's config.json, the capabilities the bounding set lacks (the
# node could never hold them anyway); where nothing is missing it changes nothing.
write_runtime() {
  local keep
  keep=$(bounding_caps | jq -Rsc 'split("\n") | map(select(. != ""))')
  cat >"$RUN_DIR/runc-bounded" <<EOF
#!/bin/bash
# Written by hack/kind-engine.sh: runc, minus the capabilities outside the bounding set.
# create/run: the bundle's config.json (.process.capabilities); exec: the --process file (.capabilities).
bundle=""
process=""
prev=""
for a in "\$@"; do
  case "\$prev" in --bundle | -b) bundle=\$a ;; --process | -p) process=\$a ;; esac
  case "\$a" in --bundle=*) bundle=\${a#--bundle=} ;; --process=*) process=\${a#--process=} ;; esac
  prev=\$a
done
bound() { # FILE PATH-TO-CAPABILITIES
  jq -c --argjson keep '$keep' "if \$2 then \$2 |= with_entries(.value |= map(select(. as \\\$c | \\\$keep | index(\\\$c)))) else . end" \\
    "\$1" >"\$1.bounded" && mv -f "\$1.bounded" "\$1"
}
if [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ]; then bound "\$bundle/config.json" .process.capabilities; fi
if [ -n "\$process" ] && [ -f "\$process" ]; then bound "\$process" .capabilities; fi
exec "$ENGINE_DIR/usr/sbin/runc" "\$@"
EOF
  chmod 755 "$RUN_DIR/runc-bounded"
}

write_config() {
  mkdir -p "$RUN_DIR" "$DATA_DIR"
  write_runtime
  jq -n --arg sock "unix://$ENGINE_SOCK" --arg data "$DATA_DIR" --arg exec "$RUN_DIR/exec" --arg pid "$PIDFILE" \
    --arg proxy "$ENGINE_DIR/usr/sbin/docker-proxy" --arg runtime "$RUN_DIR/runc-bounded" '{
      hosts: [$sock], "data-root": $data, "exec-root": $exec, pidfile: $pid,
      iptables: false, ip6tables: false, "ip-forward": false, "ip-masq": false,
      bridge: "none", "userland-proxy": true, "userland-proxy-path": $proxy,
      "storage-driver": "overlay2", "log-driver": "json-file",
      "exec-opts": ["native.cgroupdriver=cgroupfs"], "cgroup-parent": "/coderun-kind",
      features: {buildkit: false},
      runtimes: {"runc-bounded": {path: $runtime}}, "default-runtime": "runc-bounded"
    }' >"$ENGINE_CONFIG"
}

start_locked() {
  status && return 0
  write_config
  mkdir -p "$DEV_LOGS"
  log "starting dockerd ($ENGINE_DIR, socket $ENGINE_SOCK, log $ENGINE_LOG)"
  PATH=$(engine_path) setsid "$ENGINE_DIR/usr/sbin/dockerd" --config-file "$ENGINE_CONFIG" </dev/null >>"$ENGINE_LOG" 2>&1 &
  local i
  for ((i = 0; i < 120; i++)); do
    status && { log "dockerd is up (pid $(cat "$PIDFILE"))"; return 0; }
    sleep 0.5
  done
  tail -n 20 "$ENGINE_LOG" >&2
  die "dockerd did not answer within 60 s (log: $ENGINE_LOG)"
}

start() {
  install >/dev/null
  status || with_cluster_lock "$0" start-locked
  echo "DOCKER_HOST=unix://$ENGINE_SOCK"
}

# Stops dockerd (which stops its containers and its managed containerd) and checks that nothing of it is
# left: no process, no mount below its directories, no bridge of its networks (dockerd keeps a network's
# bridge when it stops; `docker network prune` while it runs removes kind's network and its bridge).
stop_locked() {
  local pid i bridges=() id
  if status; then
    for id in $(DOCKER_HOST=unix://$ENGINE_SOCK "$ENGINE_DIR/usr/bin/docker" network ls -q --no-trunc --filter driver=bridge); do
      bridges+=("br-${id:0:12}")
    done
    DOCKER_HOST=unix://$ENGINE_SOCK "$ENGINE_DIR/usr/bin/docker" network prune -f >/dev/null 2>&1 || true
  fi
  if pid_alive "$PIDFILE"; then
    pid=$(cat "$PIDFILE")
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd did not stop in 30 s; killing it"; kill -KILL "$pid"; }
  fi
  # Its managed containerd and shims, if dockerd died without taking them along.
  local leftover
  leftover=$(pgrep -f "$RUN_DIR/exec" || true)
  if [ -n "$leftover" ]; then
    log "stopping leftover engine processes: $(paste -sd' ' <<<"$leftover")"
    # shellcheck disable=SC2086 # one pid a word
    kill -TERM $leftover 2>/dev/null || true
    sleep 2
    # shellcheck disable=SC2086
    kill -KILL $leftover 2>/dev/null || true
  fi
  local m
  for m in $(awk -v a="$RUN_DIR" -v b="$DATA_DIR" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for id in "${bridges[@]}"; do
    ip link show "$id" >/dev/null 2>&1 && ip link delete "$id" && log "removed bridge $id"
  done
  rm -rf "$RUN_DIR"
}

stop() { with_cluster_lock "$0" stop-locked; }

purge() {
  stop
  rm -rf "$DATA_DIR"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  start-locked) start_locked ;;
  stop) stop ;;
  stop-locked) stop_locked ;;
  purge) purge ;;
  status) status ;;
  *) die "usage: hack/kind-engine.sh install|start|stop|purge|status" ;;
esac
