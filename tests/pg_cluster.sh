#!/bin/bash
# Starts or stops a throwaway PostgreSQL cluster for the tests, as a non-root user, on a free
# loopback port, in a temporary folder.
#   tests/pg_cluster.sh start DIR   writes the admin URL to DIR/url
#   tests/pg_cluster.sh standby DIR PRIMARY_DIR   a hot standby streaming from PRIMARY_DIR's
#                                   cluster (pg_basebackup -R), its URL in DIR/url
#   tests/pg_cluster.sh stop DIR    stops the cluster and removes DIR
#   tests/pg_cluster.sh resume DIR  starts the cluster DIR already holds (a kept benchmark
#                                   database) on a free port, its URL in DIR/url
#   tests/pg_cluster.sh halt DIR    stops the cluster and keeps DIR
# LINLI_PG_SETTINGS adds server settings ("-c shared_buffers=4GB -c max_wal_size=8GB"), which
# bench/run uses to size the cluster for a district or a city.
set -euo pipefail
cmd=$1
dir=$2
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ]; then echo "PostgreSQL server binaries not found; install the postgresql package" >&2; exit 1; fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# In $port a free loopback port (nothing answers on it).
free_port() {
  while :; do
    port=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
}

# An empty DIR the postgres user owns, and a free port.
fresh_dir_and_port() {
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  free_port
}

# Starts the server of $dir/data on $port and writes its URL to $dir/url. A standby needs
# max_connections at least its primary's, so both use the same settings.
start_server() {
  as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB ${LINLI_PG_SETTINGS:-}" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://linli@127.0.0.1:$port/postgres" > "$dir/url"
  chmod 644 "$dir/url"
}

case "$cmd" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$pgbin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true; fi
    fresh_dir_and_port
    as_owner "$pgbin/initdb" -D "$dir/data" -U linli --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    start_server
    echo "PostgreSQL test cluster on port $port"
    ;;
  standby)
    primary_url=$(cat "$3/url")
    primary_port=${primary_url##*:}
    primary_port=${primary_port%%/*}
    fresh_dir_and_port
    # -c fast: a checkpoint now rather than at the next spread one; -R writes standby.signal and
    # primary_conninfo.
    as_owner "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U linli -D "$dir/data" -R -X stream -c fast \
      >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    start_server
    echo "PostgreSQL hot standby on port $port"
    ;;
  resume)
    [ -f "$dir/data/PG_VERSION" ] || { echo "no cluster in $dir" >&2; exit 1; }
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$pgbin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true; fi
    free_port
    start_server
    echo "PostgreSQL cluster of $dir on port $port"
    ;;
  halt)
    if [ -d "$dir/data" ]; then as_owner "$pgbin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true; fi
    ;;
  stop)
    if [ -d "$dir/data" ]; then as_owner "$pgbin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop|resume|halt DIR, or standby DIR PRIMARY_DIR" >&2; exit 2 ;;
esac
