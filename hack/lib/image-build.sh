# shellcheck shell=bash
# The set-up both local image builds (build-sandbox-images.sh, build-operator-image.sh) start with:
# versions.env, log and die, cached_node, the debootstrap base (rootfs.sh) and the one base tree both
# images start from. The caller sets `here` (its hack/ directory) first. Source it, don't run it.
# shellcheck source=../versions.env
. "$here/versions.env"
# shellcheck source=log.sh
. "$here/lib/log.sh"
# shellcheck source=node.sh
. "$here/lib/node.sh"
# shellcheck source=rootfs.sh
. "$here/lib/rootfs.sh"
CACHE=${CODERUN_CACHE:-$HOME/.cache/coderun}
ROOTFS=$CACHE/rootfs # the debootstrap base, shared by every build
# The stand-in for node:24-bookworm-slim: one suite, variant and package list, so one cache key and one
# debootstrap for both images.
SUITE=bookworm
BASE_PACKAGES=ca-certificates
