#!/usr/bin/env bash
# `make down`: stops exactly the processes `make up` started, by their PIDs.
set -euo pipefail
cd "$(dirname "$0")/.."
for name in api controller control-plane; do
  pidfile=.dev/$name.pid
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
done
