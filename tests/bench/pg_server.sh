#!/bin/sh
# SPDX-License-Identifier: ISC
#
# A throw-away PostgreSQL 15 for benchmarks (doc/PERFORMANCE.md), the
# shell twin of the tests' tests/pgtest.c:
#
#   tests/bench/pg_server.sh start DIR   initdb into DIR, postgres on
#                                        127.0.0.1 at a free port, a role
#                                        kpass with a random password in
#                                        DIR/passfile (0600), a database
#                                        kpass; prints KP_BENCH_DSN=... and
#                                        KP_BENCH_PASSFILE=... for eval
#   tests/bench/pg_server.sh stop DIR    stop it and remove DIR
#
# fsync stays on unless KP_PG_FSYNC=off: a benchmark measures what an
# installation would pay.  As root the server runs as `postgres`.
set -eu
BIN=${KP_PG_BINDIR:-/usr/lib/postgresql/15/bin}
CMD=${1:-}
DIR=${2:-}
[ -n "$CMD" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case $CMD in
start)
    [ -x "$BIN/initdb" ] || { echo "$0: PostgreSQL 15 missing (make deps)" >&2; exit 1; }
    mkdir -m 700 "$DIR"
    mkdir -m 700 "$DIR/sock"
    [ "$(id -u)" != 0 ] || chown postgres: "$DIR" "$DIR/sock"
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C --auth-local=trust \
        --auth-host=scram-sha-256 > "$DIR/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$BIN/pg_ctl" start -w -D "$DIR/data" -l "$DIR/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$DIR/sock -c fsync=${KP_PG_FSYNC:-on}" \
        > /dev/null
    pw=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077; echo "$pw" > "$DIR/passfile")
    as_pg "$BIN/psql" -q -h "$DIR/sock" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE kpass LOGIN PASSWORD '$pw'" \
        -c "CREATE DATABASE kpass OWNER kpass TEMPLATE template0" > /dev/null
    echo "KP_BENCH_DSN='host=127.0.0.1 port=$port user=kpass dbname=kpass'"
    echo "KP_BENCH_PASSFILE='$DIR/passfile'"
    ;;
stop)
    as_pg "$BIN/pg_ctl" stop -m fast -D "$DIR/data" > /dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2; exit 2
    ;;
esac
