#!/bin/bash
# SPDX-License-Identifier: ISC
#
# A local highly available PostgreSQL cluster for tests and for operators
# trying the architecture of doc/cluster.md: one etcd, two PostgreSQL 15
# nodes managed by Patroni with synchronous replication, all on 127.0.0.1,
# all files in DIR.
#
#   cluster.sh start DIR           start what is not running (the first time:
#                                  choose free ports, write the configuration,
#                                  bootstrap); wait for a primary with a
#                                  synchronous standby; write DIR/dsn and
#                                  DIR/passfile
#   cluster.sh stop DIR            stop everything this script started in DIR
#   cluster.sh status DIR          one line per member: name role state
#                                  timeline host port lag (Patroni's /cluster)
#   cluster.sh primary DIR         the primary now: name host port
#   cluster.sh wait-primary DIR [SECONDS]
#                                  wait for a node that is primary (Patroni's
#                                  GET /primary answers 200 and PostgreSQL
#                                  has left recovery), print it
#   cluster.sh wait-sync DIR [SECONDS]
#                                  wait for a primary with a streaming
#                                  synchronous standby and every started node
#                                  up, print the primary
#   cluster.sh kill-primary DIR    kill -9 the primary's whole node (Patroni
#                                  and PostgreSQL: a machine dying), print it
#   cluster.sh kill-node DIR NAME  the same for node1 or node2
#   cluster.sh freeze-node DIR NAME
#   cluster.sh thaw-node DIR NAME  SIGSTOP / SIGCONT of a whole node: a
#                                  machine that hangs or is cut off without
#                                  closing its connections
#
# Run as root, PostgreSQL, Patroni and etcd run as the user `postgres`
# (PostgreSQL refuses to run as root); otherwise as the caller.  Nothing
# listens beyond 127.0.0.1.  Timings come from the environment:
# KP_CLUSTER_TTL (10), KP_CLUSTER_LOOP_WAIT (1), KP_CLUSTER_RETRY_TIMEOUT
# (4), read when DIR is first created.  Every wait is bounded (start:
# KP_CLUSTER_WAIT, 120 s).
set -eu

ADDR=127.0.0.1
NODES="node1 node2"
HERE=$(cd "$(dirname "$0")" && pwd -P)
PG_BIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3
ETCD=/usr/bin/etcd
PATRONI=/usr/bin/patroni

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '/^#   cluster.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The user the servers run as, and how to become it: setpriv execs (no
# PAM session, no parent left waiting as runuser or su leave), so the pid
# recorded is the server's own.
if [ "$(id -u)" = 0 ]; then
	RUNAS=postgres
	AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
else
	RUNAS=$(id -un)
	AS=()
fi

# A pid file's process, if it is still the program named (a pid may have
# been reused since).
alive() {
	local pidfile=$1 what=$2 pid
	[ -s "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -r "/proc/$pid/cmdline" ] || return 1
	{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$what"
}

# The process ids of PIDS and of all their descendants.
tree() {
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
		{ parent[$1] = $2 }
		END {
			do {
				grew = 0
				for (p in parent)
					if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 }
			} while (grew)
			for (p in keep) if (p in parent) print p
		}'
}

# The postmaster of a node, from its postmaster.pid (Patroni starts it
# detached, so it is not Patroni's child).
postmaster_pid() {
	local pf="$DIR/$1/data/postmaster.pid" pid
	# The file goes away when PostgreSQL stops: no noise if it just did.
	pid=$(head -n 1 "$pf" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
	{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$DIR/$1/data" && echo "$pid"
	return 0
}

# Every process of a node: Patroni, the postmaster, and their children.
node_pids() {
	local roots=""
	alive "$DIR/$1/patroni.pid" "$DIR/$1/patroni.yml" && roots=$(cat "$DIR/$1/patroni.pid")
	roots="$roots $(postmaster_pid "$1")"
	[ -n "${roots// /}" ] && tree $roots
	return 0
}

# Seconds since the epoch with a fraction, for bounded waits.
now() { date +%s.%N; }
before() { awk -v d="$1" -v n="$(now)" 'BEGIN { exit !(n < d) }'; }
deadline() { awk -v s="$1" -v n="$(now)" 'BEGIN { printf "%.3f", n + s }'; }

free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

render() {
	sed -e "s|@SCOPE@|$SCOPE|g" -e "s|@NAME@|${2:-}|g" -e "s|@ADDR@|$ADDR|g" \
		-e "s|@REST_PORT@|${3:-}|g" -e "s|@PG_PORT@|${4:-}|g" -e "s|@DATA@|$DIR/${2:-}/data|g" \
		-e "s|@RUN@|$DIR/${2:-}/run|g" -e "s|@ETCD_HOSTS@|$ADDR:$ETCD_CLIENT|g" \
		-e "s|@ETCD_SCHEME@|http|g" -e "s|@TTL@|$TTL|g" -e "s|@LOOP_WAIT@|$LOOP_WAIT|g" \
		-e "s|@RETRY_TIMEOUT@|$RETRY_TIMEOUT|g" -e "s|@POST_BOOTSTRAP@|$DIR/post-bootstrap.sh|g" \
		-e "s|@SHARED_BUFFERS@|16MB|g" -e "s|@CLIENT_NET@|$ADDR/32|g" \
		-e "s|@ETCD_NAME@|e1|g" -e "s|@ETCD_DATA@|$DIR/etcd/data|g" \
		-e "s|@ETCD_ADDR@|$ADDR|g" -e "s|@ETCD_CLIENT_PORT@|$ETCD_CLIENT|g" \
		-e "s|@ETCD_PEER_PORT@|$ETCD_PEER|g" \
		-e "s|@ETCD_INITIAL_CLUSTER@|e1=http://$ADDR:$ETCD_PEER|g" \
		-e "s|@ETCD_TOKEN@|$SCOPE|g" "$1"
}

# The first start: ports, passwords, configuration files.
init_dir() {
	local p
	mkdir -p "$DIR"
	# The servers' user must reach DIR (mkdtemp makes it 0700).
	chmod 711 "$DIR"
	"${AS[@]}" test -x "$DIR" || die "$RUNAS cannot reach $DIR (a parent folder is closed)"
	set -- $(free_ports 6)
	cat >"$DIR/ports.tmp" <<EOF
ETCD_CLIENT=$1
ETCD_PEER=$2
REST_node1=$3
PG_node1=$4
REST_node2=$5
PG_node2=$6
TTL=${KP_CLUSTER_TTL:-10}
LOOP_WAIT=${KP_CLUSTER_LOOP_WAIT:-1}
RETRY_TIMEOUT=${KP_CLUSTER_RETRY_TIMEOUT:-4}
SCOPE=kpass-$(secret | cut -c1-8)
EOF
	. "$DIR/ports.tmp"
	(
		umask 077
		printf 'PATRONI_SUPERUSER_PASSWORD=%s\nPATRONI_REPLICATION_PASSWORD=%s\n' \
			"$(secret)" "$(secret)" >"$DIR/secrets.env"
		secret >"$DIR/kpass.password"
	)
	# A copy the servers' user can reach wherever the source tree lives.
	install -m 755 "$HERE/post-bootstrap.sh" "$DIR/post-bootstrap.sh"
	mkdir -p "$DIR/etcd/data"
	render "$HERE/etcd.yml.in" >"$DIR/etcd/etcd.yml"
	for n in $NODES; do
		mkdir -p "$DIR/$n/run"
		eval "render \"$HERE/patroni.yml.in\" $n \$REST_$n \$PG_$n" >"$DIR/$n/patroni.yml"
		chmod 700 "$DIR/$n" "$DIR/$n/run"
	done
	chmod 700 "$DIR/etcd" "$DIR/etcd/data"
	chmod 600 "$DIR/kpass.password"
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres:postgres "$DIR/etcd" $(for n in $NODES; do echo "$DIR/$n"; done) \
			"$DIR/kpass.password"
	fi
	# The client's side: the multi-host DSN and a libpq password file.
	p="host=$ADDR,$ADDR port=$PG_node1,$PG_node2 dbname=kpass user=kpass"
	echo "$p target_session_attrs=read-write connect_timeout=2" >"$DIR/dsn"
	(
		umask 077
		for n in $NODES; do
			eval "echo \"$ADDR:\$PG_$n:kpass:kpass:\$(cat \"$DIR/kpass.password\")\""
		done >"$DIR/passfile"
	)
	mv "$DIR/ports.tmp" "$DIR/ports"
}

load() {
	[ -d "$1" ] || die "$1: no such folder"
	DIR=$(cd "$1" && pwd -P)
	[ -r "$DIR/ports" ] || die "$DIR is not a cluster folder (no ports file; run start)"
	. "$DIR/ports"
}

start_etcd() {
	alive "$DIR/etcd/etcd.pid" "$DIR/etcd/etcd.yml" && return 0
	(
		cd "$DIR/etcd"
		"${AS[@]}" env -i PATH=/usr/bin:/bin HOME="$DIR/etcd" \
			setsid "$ETCD" --config-file "$DIR/etcd/etcd.yml" \
			</dev/null >>"$DIR/etcd/etcd.log" 2>&1 &
		echo $! >"$DIR/etcd/etcd.pid"
	)
}

wait_etcd() {
	local until
	until=$(deadline "${1:-30}")
	while before "$until"; do
		curl -fsS -m 2 "http://$ADDR:$ETCD_CLIENT/health" 2>/dev/null | grep -q '"health":"true"' &&
			return 0
		alive "$DIR/etcd/etcd.pid" "$DIR/etcd/etcd.yml" || die "etcd exited (see $DIR/etcd/etcd.log)"
		sleep 0.2
	done
	die "etcd not healthy within ${1:-30} s (see $DIR/etcd/etcd.log)"
}

start_node() {
	local n=$1
	alive "$DIR/$n/patroni.pid" "$DIR/$n/patroni.yml" && return 0
	[ -z "$(postmaster_pid "$n")" ] || die "$n: a postmaster runs without its Patroni (stop first)"
	(
		set -a
		. "$DIR/secrets.env"
		set +a
		cd "$DIR/$n"
		"${AS[@]}" env -i PATH="$PG_BIN:/usr/bin:/bin" HOME="$DIR/$n" LANG=C.UTF-8 \
			PATRONI_SUPERUSER_PASSWORD="$PATRONI_SUPERUSER_PASSWORD" \
			PATRONI_REPLICATION_PASSWORD="$PATRONI_REPLICATION_PASSWORD" \
			KPASS_DB_PASSWORD_FILE="$DIR/kpass.password" \
			setsid "$PATRONI" "$DIR/$n/patroni.yml" \
			</dev/null >>"$DIR/$n/patroni.log" 2>&1 &
		echo $! >"$DIR/$n/patroni.pid"
	)
}

# Patroni's /cluster from the first node whose REST API answers, as lines:
# name role state timeline host port lag.
members() {
	local n port
	for n in $NODES; do
		eval "port=\$REST_$n"
		alive "$DIR/$n/patroni.pid" "$DIR/$n/patroni.yml" || continue
		curl -fsS -m 2 "http://$ADDR:$port/cluster" 2>/dev/null | "$PY" -c '
import json, sys
for m in json.load(sys.stdin).get("members", []):
    lag = m.get("lag", 0)
    print(m.get("name"), m.get("role"), m.get("state"), m.get("timeline", "-"),
          m.get("host"), m.get("port"), lag if lag != "" else "-")
' 2>/dev/null && return 0
	done
	return 1
}

# The node answering 200 on GET /primary (it holds the leader key) whose
# PostgreSQL has left recovery: Patroni answers 200 a moment before the
# promotion is done, and "primary" here means "takes writes".
primary() {
	local n port pg
	for n in $NODES; do
		eval "port=\$REST_$n pg=\$PG_$n"
		curl -fs -o /dev/null -m 2 "http://$ADDR:$port/primary" 2>/dev/null || continue
		[ "$(PGPASSFILE="$DIR/passfile" PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -A -t -q \
			-h "$ADDR" -p "$pg" -U kpass -d kpass -c 'SELECT pg_is_in_recovery()' \
			2>/dev/null)" = f ] || continue
		echo "$n $ADDR $pg"
		return 0
	done
	return 1
}

wait_primary() {
	local until
	until=$(deadline "${1:-60}")
	while before "$until"; do
		primary && return 0
		sleep 0.1
	done
	die "no primary within ${1:-60} s (see $DIR/node*/patroni.log)"
}

# Healthy: a primary, a synchronous standby that streams, and every node
# whose Patroni runs listed as running or streaming.
healthy() {
	local m want=0 n
	m=$(members) || return 1
	for n in $NODES; do
		alive "$DIR/$n/patroni.pid" "$DIR/$n/patroni.yml" && want=$((want + 1))
	done
	echo "$m" | awk -v want="$want" '
		$2 == "leader" && $3 == "running" { leader++ }
		$2 == "sync_standby" && ($3 == "streaming" || $3 == "running") { sync++ }
		$3 == "running" || $3 == "streaming" { up++ }
		END { exit !(leader == 1 && (want < 2 || sync >= 1) && up == want) }' || return 1
	primary >/dev/null
}

wait_sync() {
	local until
	until=$(deadline "${1:-90}")
	while before "$until"; do
		healthy && { primary; return 0; }
		sleep 0.2
	done
	members >&2 || true
	die "no primary with a synchronous standby within ${1:-90} s (see $DIR/node*/patroni.log;" \
		"cluster.sh stop $DIR stops what runs)"
}

# Freeze the whole node, then kill it: nothing it does after the moment of
# death (no last WAL flush, no key release) can soften the test.
kill_node() {
	local pids
	pids=$(node_pids "$1")
	[ -n "$pids" ] || die "$1 does not run"
	kill -STOP $pids 2>/dev/null || true
	kill -KILL $pids 2>/dev/null || true
	rm -f "$DIR/$1/patroni.pid"
	echo "$1"
}

signal_node() {
	local pids
	pids=$(node_pids "$2")
	[ -n "$pids" ] || die "$2 does not run"
	kill "-$1" $pids 2>/dev/null || true
	echo "$2"
}

# Patroni first (a TERM stops its PostgreSQL cleanly), replicas before the
# primary (so that the standby does not take over during the stop), then
# etcd; whatever is left after the bounded wait is killed.
stop_all() {
	local lead n pids until
	lead=$(primary 2>/dev/null | cut -d' ' -f1) || true
	for n in $NODES; do
		[ "$n" = "$lead" ] || stop_node "$n"
	done
	[ -z "$lead" ] || stop_node "$lead"
	if alive "$DIR/etcd/etcd.pid" "$DIR/etcd/etcd.yml"; then
		pids=$(tree "$(cat "$DIR/etcd/etcd.pid")")
		kill -TERM $pids 2>/dev/null || true
		until=$(deadline 10)
		while before "$until" && alive "$DIR/etcd/etcd.pid" "$DIR/etcd/etcd.yml"; do sleep 0.1; done
		kill -KILL $pids 2>/dev/null || true
	fi
	rm -f "$DIR/etcd/etcd.pid"
}

stop_node() {
	local pids until
	pids=$(node_pids "$1")
	[ -n "$pids" ] || return 0
	alive "$DIR/$1/patroni.pid" "$DIR/$1/patroni.yml" && kill -TERM "$(cat "$DIR/$1/patroni.pid")"
	until=$(deadline 20)
	while before "$until"; do
		pids=$(node_pids "$1")
		[ -n "$pids" ] || break
		sleep 0.1
	done
	pids=$(node_pids "$1")
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	rm -f "$DIR/$1/patroni.pid"
}

[ $# -ge 2 ] || usage
cmd=$1
case $cmd in
start)
	[ -r "$2/ports" ] || {
		mkdir -p "$2"
		DIR=$(cd "$2" && pwd -P)
		init_dir
	}
	load "$2"
	start_etcd
	wait_etcd 30
	for n in $NODES; do start_node "$n"; done
	wait_sync "${KP_CLUSTER_WAIT:-120}" >/dev/null
	;;
stop)
	load "$2"
	stop_all
	;;
status)
	load "$2"
	members || die "no member answers"
	;;
primary)
	load "$2"
	primary || die "no primary now"
	;;
wait-primary)
	load "$2"
	wait_primary "${3:-60}"
	;;
wait-sync)
	load "$2"
	wait_sync "${3:-90}"
	;;
kill-primary)
	load "$2"
	lead=$(primary) || die "no primary now"
	kill_node "${lead%% *}"
	;;
kill-node)
	load "$2"
	case ${3:-} in node1 | node2) ;; *) usage ;; esac
	kill_node "$3"
	;;
freeze-node | thaw-node)
	load "$2"
	case ${3:-} in node1 | node2) ;; *) usage ;; esac
	if [ "$cmd" = freeze-node ]; then signal_node STOP "$3"; else signal_node CONT "$3"; fi
	;;
*)
	usage
	;;
esac
