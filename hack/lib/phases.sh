# shellcheck shell=bash
# Phase timing for the long-running scripts: `phase NAME` starts a phase (ending the previous one) and
# logs it with the caller's `log`; `phases_done` prints every phase's duration and the total on stderr.
_PHASES=() _PHASE="" _PHASE_T0=0 _T0=$(date +%s%N)
phase() {
  local now
  now=$(date +%s%N)
  [ -z "$_PHASE" ] || _PHASES+=("$(printf '  %-24s %6.1fs' "$_PHASE" "$(((now - _PHASE_T0) / 1000000))e-3")")
  _PHASE=$1 _PHASE_T0=$now
  [ -z "$1" ] || log "$1"
}
phases_done() {
  phase ""
  printf '%s\n' "${_PHASES[@]}" >&2
  printf '  %-24s %6.1fs\n' total "$((($(date +%s%N) - _T0) / 1000000))e-3" >&2
}
