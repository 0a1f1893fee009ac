# shellcheck shell=bash
# The command line of a script that writes a generated, committed file. The caller defines `render`
# (prints the content), `die`, and `repo`; then calls: generated_file_main OUT "make target" "$@".
#   (no option)  write OUT        --stdout  print it        --check  fail if OUT is out of date
generated_file_main() {
  local out=$1 target=$2
  shift 2
  case ${1:-} in
    "") render >"$out.tmp" && mv -f "$out.tmp" "$out" && echo "${out#"$repo"/}" ;;
    --stdout) render ;;
    --check)
      local fresh
      fresh=$(mktemp)
      # shellcheck disable=SC2064 # expand now: the local is gone when the trap runs
      trap "rm -f '$fresh'" EXIT
      render >"$fresh"
      diff -u "$out" "$fresh" >&2 || die "${out#"$repo"/} is out of date: run $target"
      ;;
    *) die "unknown option '$1' (--stdout, --check)" ;;
  esac
}
