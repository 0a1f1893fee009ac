# shellcheck shell=bash
# log and die for every script under hack/ (hack/cluster/ too), stated once: "[hh:mm:ss] <script>: message"
# on stderr; die adds "ERROR:" and exits 1. Source it, don't run it.
LOG_NAME=${LOG_NAME:-${0##*/}}
log() { printf '[%s] %s: %s\n' "$(date +%T)" "$LOG_NAME" "$*" >&2; }
die() {
  printf '[%s] %s: ERROR: %s\n' "$(date +%T)" "$LOG_NAME" "$*" >&2
  exit 1
}
