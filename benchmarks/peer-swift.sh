#!/usr/bin/env bash
# The reference peer for benchmarks/object_store.py: a real OpenStack Swift (PyPI
# `swift`) on 127.0.0.1 — proxy with tempauth (user admin:admin, key admin) and
# memcached, one account, container and object server, one-replica rings, storage
# in a plain directory (mount_check = false).  Nothing here is committed: the venv,
# configuration and data live under $PEER_DIR.
#
#   benchmarks/peer-swift.sh start     install if needed, build rings, start, wait
#   benchmarks/peer-swift.sh stop      stop what `start` started (by recorded pid)
#   benchmarks/peer-swift.sh status    is the proxy answering?
#   benchmarks/peer-swift.sh env       the auth URL and credentials, as shell vars
#
# Environment: PEER_DIR (default /tmp/peers/swift; the venv is $PEER_DIR, the rest
# $PEER_DIR-run), SWIFT_PROXY_PORT (8380; the others use 8300-8302 and memcached
# 11311), SWIFT_WORKERS (1 per server).  The object server needs user xattrs on its
# filesystem: /tmp is checked and, failing that, a directory under /var/tmp.
set -euo pipefail

PEER_DIR=${PEER_DIR:-/tmp/peers/swift}
RUN=${PEER_RUN_DIR:-$PEER_DIR-run}
PROXY_PORT=${SWIFT_PROXY_PORT:-8380}
OBJ_PORT=8300 CONT_PORT=8301 ACCT_PORT=8302 MC_PORT=11311
WORKERS=${SWIFT_WORKERS:-1}
PY=${PYTHON:-python3}

xattr_ok() {  # does the filesystem holding $1 keep user xattrs?
  mkdir -p "$1"
  "$PY" - "$1" <<'EOF'
import os, sys, tempfile
with tempfile.NamedTemporaryFile(dir=sys.argv[1]) as f:
    os.setxattr(f.name, "user.swift.test", b"1")
    assert os.getxattr(f.name, "user.swift.test") == b"1"
EOF
}

install() {
  if [[ ! -x $PEER_DIR/bin/swift-proxy-server ]]; then
    echo "peer-swift: installing swift into $PEER_DIR" >&2
    "$PY" -m venv "$PEER_DIR"
    "$PEER_DIR/bin/pip" install -q swift 2>&1 | grep -v '^WARNING: Location' >&2 || true
  fi
  if ! command -v memcached >/dev/null; then
    echo "peer-swift: installing memcached (tempauth keeps its tokens there)" >&2
    if [[ $(id -u) == 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >&2
    else
      echo "peer-swift: memcached missing and not root" >&2; exit 1
    fi
  fi
}

configure() {
  if xattr_ok "$RUN" 2>/dev/null; then
    :
  else
    echo "peer-swift: $RUN has no user xattrs; using /var/tmp/onestack-peer-swift" >&2
    RUN=/var/tmp/onestack-peer-swift
    xattr_ok "$RUN"
  fi
  local etc=$RUN/etc node=$RUN/srv/node
  mkdir -p "$etc" "$node/d1" "$RUN/cache" "$RUN/log"
  cat >"$etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = onestack-bench
swift_hash_path_prefix = onestack-bench
[storage-policy:0]
name = Policy-0
default = yes
EOF
  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = $WORKERS
devices = $node
mount_check = false
swift_dir = $etc
user = $(id -un)
log_level = WARNING
log_address = /nonexistent
"
  cat >"$etc/proxy-server.conf" <<EOF
$common
bind_port = $PROXY_PORT
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC_PORT
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF
  local kind port
  for kind in account container object; do
    case $kind in account) port=$ACCT_PORT ;; container) port=$CONT_PORT ;; object) port=$OBJ_PORT ;; esac
    cat >"$etc/$kind-server.conf" <<EOF
$common
bind_port = $port
[pipeline:main]
pipeline = $kind-server
[app:$kind-server]
use = egg:swift#$kind
EOF
    if [[ ! -f $etc/$kind.ring.gz ]]; then
      (cd "$etc" && "$PEER_DIR/bin/swift-ring-builder" $kind.builder create 10 1 1 >/dev/null \
        && "$PEER_DIR/bin/swift-ring-builder" $kind.builder add r1z1-127.0.0.1:$port/d1 100 >/dev/null \
        && "$PEER_DIR/bin/swift-ring-builder" $kind.builder rebalance >/dev/null) || {
        echo "peer-swift: ring $kind failed" >&2; exit 1; }
    fi
  done
  echo "$RUN" >"$PEER_DIR.rundir"
}

rundir() { cat "$PEER_DIR.rundir" 2>/dev/null || echo "$RUN"; }

answering() {
  curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/healthcheck" 2>/dev/null
}

start() {
  install
  configure
  if answering; then echo "peer-swift: already running on $PROXY_PORT" >&2; return 0; fi
  : >"$RUN/pids"
  memcached -u nobody -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 >"$RUN/log/memcached.log" 2>&1 &
  echo $! >>"$RUN/pids"
  local kind
  for kind in account container object proxy; do
    "$PEER_DIR/bin/swift-$kind-server" "$RUN/etc/$kind-server.conf" >"$RUN/log/$kind.log" 2>&1 &
    echo $! >>"$RUN/pids"
  done
  for _ in $(seq 100); do
    if answering; then
      echo "peer-swift: proxy on http://127.0.0.1:$PROXY_PORT (auth/v1.0, admin:admin / admin)" >&2
      return 0
    fi
    sleep 0.2
  done
  echo "peer-swift: the proxy did not answer; logs in $RUN/log" >&2
  tail -n 20 "$RUN"/log/*.log >&2
  exit 1
}

stop() {
  local run pid
  run=$(rundir)
  [[ -f $run/pids ]] || return 0
  while read -r pid; do
    kill "$pid" 2>/dev/null || true
  done <"$run/pids"
  sleep 0.5
  while read -r pid; do
    kill -9 "$pid" 2>/dev/null || true
  done <"$run/pids"
  rm -f "$run/pids"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  status) answering && echo running || { echo stopped; exit 1; } ;;
  env)
    echo "SWIFT_AUTH_URL=http://127.0.0.1:$PROXY_PORT/auth/v1.0"
    echo "SWIFT_USER=admin:admin"
    echo "SWIFT_KEY=admin"
    echo "SWIFT_DATA=$(rundir)/srv/node/d1"
    ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
