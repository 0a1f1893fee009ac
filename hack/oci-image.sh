#!/usr/bin/env bash
# Packs a root filesystem directory into a single-layer OCI image-layout tarball, with no daemon
# and no registry. Import it with `ctr -n k8s.io images import <out.tar>` (hack/cluster/up.sh
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
# image. `ctr` stores OCI-layout names verbatim, it does not normalise.
#
# This script makes the layer (tar and gzip, here); the name, the image config, the manifest, the
# index and their digests are hack/lib/oci-layout.ts's (hack/lib/image-reference.ts normalises),
# run with the Node.js of the tool cache (hack/lib/node.sh).
#
# File ownership, modes, mtimes and hard links are kept as they are in the rootfs (run as root for
# a debootstrap tree); mtimes are kept because Python's .pyc files are validated against them.
# The tar also carries a Docker-style manifest.json, so other loaders accept it too.
# Prints the normalised image name on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.env
. "$here/versions.env"
# shellcheck source=lib/log.sh
. "$here/lib/log.sh"
# shellcheck source=lib/node.sh
. "$here/lib/node.sh"

arch=$(uname -m)
case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
# The image options go to oci-layout.ts as they are, after the default architecture (a later one wins).
image_args=(--arch "$arch") excludes=() pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --exclude) excludes+=("--exclude=${2?}"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    --*) image_args+=("$1" "${2?$1 needs a value}"); shift 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
[ ${#pos[@]} -eq 3 ] || die "usage: oci-image.sh [options] <rootfs-dir> <image-name> <out.tar> (see --help)"
rootfs=${pos[0]} name=${pos[1]} out=${pos[2]}
[ -d "$rootfs" ] || die "rootfs '$rootfs' is not a directory"
node=$(cached_node) || exit 1
layout=$here/lib/oci-layout.ts
# The name and options are checked before the tar, which may take a while.
problem=$("$node" "$layout" check "$name" "${image_args[@]}" 2>&1) || die "$problem"

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The layer: the tar of the tree (its digest is the diff ID) and the gzip of it (the blob).
tar --create --file="$work/layer.tar" --directory="$rootfs" --sort=name --numeric-owner \
  "${excludes[@]}" . || die "tar of $rootfs failed"
gzip -n -6 <"$work/layer.tar" >"$work/layer.tar.gz" || die "gzip of the layer failed"
full=$("$node" "$layout" write "$work" "$name" "${image_args[@]}") || die "could not write the OCI layout of $name"

mkdir -p "$(dirname "$out")"
tar --create --file="$out.tmp" --directory="$work" --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime=@0 oci-layout index.json manifest.json blobs
mv -f "$out.tmp" "$out"
echo "$full"
