#!/usr/bin/env bash
# Packs a root filesystem directory into a single-layer OCI image-layout tarball, with no daemon
# and no registry. Import it with `ctr -n k8s.io images import <out.tar>` (test/cluster/up.sh
# imports every *.tar under $CODERUN_CACHE/images/ automatically).
#
#   hack/oci-image.sh [options] <rootfs-dir> <image-name> <out.tar>
#
# Options (each may come before or after the positional arguments):
#   --entrypoint ARGV   JSON array ('["/usr/bin/python3","-u"]') or one plain word ('/pause')
#   --cmd ARGV          same forms as --entrypoint
#   --user USER         e.g. 65534 or 65534:65534 (numeric avoids needing /etc/passwd)
#   --env KEY=VALUE     repeatable; PATH defaults to the usual Debian PATH unless given
#   --workdir DIR       working directory
#   --label KEY=VALUE   repeatable; image config label
#   --exclude PATTERN   repeatable; GNU tar --exclude pattern, relative to the rootfs ('./dev/*')
#   --arch ARCH         OCI architecture (default: from `uname -m`, e.g. amd64)
#   --created TIME      RFC 3339 creation time (default: 1970-01-01T00:00:00Z, for reproducible digests)
#
# The image name is normalised exactly as containerd's CRI does (github.com/distribution/reference
# ParseDockerRef): a name without a registry domain gets the default domain prepended ("library/"
# too for a single path component) and ":latest" when it has no tag. The kubelet asks the CRI for
# the name in the Pod spec, CRI normalises it and looks up that normalised name, so the tarball
# must carry the normalised form (annotation io.containerd.image.name) or the Pod never finds the
# image. `ctr` stores OCI-layout names verbatim, it does not normalise. A tiny Go helper does the
# normalisation (built once into $CODERUN_CACHE/tools/).
#
# File ownership, modes, mtimes and hard links are kept as they are in the rootfs (run as root for
# a debootstrap tree); mtimes are kept because Python's .pyc files are validated against them.
# The tar also carries a Docker-style manifest.json, so other loaders accept it too.
# Prints the normalised image name on stdout.
set -euo pipefail

CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
DISTREF_VERSION=v0.6.0 # github.com/distribution/reference, the version containerd v2.3 uses

# shellcheck source=lib/log.sh
. "$(dirname "$0")/lib/log.sh"

# argv_json WORDS: a JSON array as given, or a one-element array from a plain word.
argv_json() {
  if [[ $1 == \[* ]]; then
    jq -ce 'if type == "array" and all(type == "string") then . else error("not an array of strings") end' <<<"$1" ||
      die "not a JSON array of strings: $1"
  else
    jq -cn --arg a "$1" '[$a]'
  fi
}

# normalise NAME: print the reference CRI looks up for NAME.
normalise() {
  local dir="$CACHE/tools/refnorm-$DISTREF_VERSION"
  if [ ! -x "$dir/refnorm" ]; then
    mkdir -p "$dir/src"
    cat >"$dir/src/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"

	"github.com/distribution/reference"
)

func main() {
	r, err := reference.ParseDockerRef(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(r.String())
}
EOF
    printf 'module local/refnorm\n\ngo 1.22\n\nrequire github.com/distribution/reference %s\n' "$DISTREF_VERSION" >"$dir/src/go.mod"
    (cd "$dir/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o ../refnorm . ) >&2 ||
      die "could not build the name normaliser in $dir/src (needs Go and the module proxy or a warm module cache)"
  fi
  "$dir/refnorm" "$1" || die "invalid image name: $1"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

entrypoint=null cmd=null user="" workdir="" created=1970-01-01T00:00:00Z
arch=$(uname -m)
case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
envs=() labels=() excludes=() pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --entrypoint) entrypoint=$(argv_json "${2?}"); shift 2 ;;
    --cmd) cmd=$(argv_json "${2?}"); shift 2 ;;
    --user) user=${2?}; shift 2 ;;
    --env) [[ ${2?} == *=* ]] || die "--env wants KEY=VALUE, got '$2'"; envs+=("$2"); shift 2 ;;
    --workdir) workdir=${2?}; shift 2 ;;
    --label) [[ ${2?} == *=* ]] || die "--label wants KEY=VALUE, got '$2'"; labels+=("$2"); shift 2 ;;
    --exclude) excludes+=("--exclude=${2?}"); shift 2 ;;
    --arch) arch=${2?}; shift 2 ;;
    --created) created=${2?}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    --*) die "unknown option $1 (see --help)" ;;
    *) pos+=("$1"); shift ;;
  esac
done
[ ${#pos[@]} -eq 3 ] || die "usage: oci-image.sh [options] <rootfs-dir> <image-name> <out.tar> (see --help)"
rootfs=${pos[0]} name=${pos[1]} out=${pos[2]}
[ -d "$rootfs" ] || die "rootfs '$rootfs' is not a directory"
printf '%s\n' "${envs[@]}" | grep -q '^PATH=' ||
  envs=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "${envs[@]}")

full=$(normalise "$name")
tag=${full##*/}; tag=${tag#*:} # org.opencontainers.image.ref.name: the tag alone, as the OCI spec suggests

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# Layer: diff_id is the digest of the uncompressed tar, the blob is the gzip of it.
tar --create --file="$work/layer.tar" --directory="$rootfs" --sort=name --numeric-owner \
  "${excludes[@]}" . || die "tar of $rootfs failed"
diff_id=$(sha "$work/layer.tar")
gzip -n -6 <"$work/layer.tar" >"$work/layer.tgz"
rm -f "$work/layer.tar"
layer=$(sha "$work/layer.tgz") layer_size=$(size "$work/layer.tgz")
mv "$work/layer.tgz" "$work/blobs/sha256/$layer"

json_map() { printf '%s\n' "$@" | jq -Rn '[inputs | select(length > 0) | split("=") | {(.[0]): (.[1:] | join("="))}] | add // {}'; }
env_json=$(printf '%s\n' "${envs[@]}" | jq -Rn '[inputs | select(length > 0)]')
label_json=$(json_map "${labels[@]}")

jq -cn --arg created "$created" --arg arch "$arch" --arg user "$user" --arg wd "$workdir" \
  --argjson ep "$entrypoint" --argjson cmd "$cmd" --argjson env "$env_json" --argjson labels "$label_json" \
  --arg diff "sha256:$diff_id" '{
    created: $created, architecture: $arch, os: "linux",
    config: ({Env: $env}
      + (if $ep != null then {Entrypoint: $ep} else {} end)
      + (if $cmd != null then {Cmd: $cmd} else {} end)
      + (if $user != "" then {User: $user} else {} end)
      + (if $wd != "" then {WorkingDir: $wd} else {} end)
      + (if $labels != {} then {Labels: $labels} else {} end)),
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created: $created, created_by: "hack/oci-image.sh"}]
  }' >"$work/config.json"
config=$(sha "$work/config.json") config_size=$(size "$work/config.json")
mv "$work/config.json" "$work/blobs/sha256/$config"

jq -cn --arg c "sha256:$config" --argjson cs "$config_size" --arg l "sha256:$layer" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]
  }' >"$work/manifest"
manifest=$(sha "$work/manifest") manifest_size=$(size "$work/manifest")
mv "$work/manifest" "$work/blobs/sha256/$manifest"

jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg arch "$arch" --arg full "$full" --arg tag "$tag" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
      platform: {architecture: $arch, os: "linux"},
      annotations: {"io.containerd.image.name": $full, "org.opencontainers.image.ref.name": $tag}}]
  }' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
jq -cn --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg name "$name" \
  '[{Config: $c, RepoTags: [$name], Layers: [$l]}]' >"$work/manifest.json"

mkdir -p "$(dirname "$out")"
tar --create --file="$out.tmp" --directory="$work" --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime=@0 oci-layout index.json manifest.json blobs
mv -f "$out.tmp" "$out"
echo "$full"
