#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Failover of the HA PostgreSQL cluster (doc/cluster.md, doc/PERFORMANCE.md):
# start the cluster of tests/cluster/cluster.sh in a scratch folder, then
# N times (KP_BENCH_FAILOVERS, default 5) in a row:
#
#   a client writes one row per 50 ms through the multi-host DSN, each
#   INSERT its own synchronous commit, reconnecting after any error
#   (build/tests/failover_probe); once 20 rows are acknowledged the
#   primary's whole node (Patroni and PostgreSQL) is killed with SIGKILL;
#   the client keeps writing until 20 more rows are acknowledged; every
#   acknowledged row is then looked for on the new primary;
#   the killed node is started again and rejoins as the synchronous standby
#   (cluster.sh start waits for it), so that each round starts from the
#   same shape.
#
# "Unavailability" is the longest time between two acknowledged commits the
# client saw.  Prints one JSON line per failover, then a Markdown table row
# with min/median/max for doc/PERFORMANCE.md.  Exits 1 if any acknowledged
# row was lost or a failover did not complete.  Run as root (PostgreSQL
# runs as postgres) or as a user who may run PostgreSQL.
#
#   make bench-failover           (builds the probe, then runs this)
#   sh tests/bench/failover.sh [BUILD]
#
# KP_BENCH_MODE=kpassd: the same N failovers as a kpassd node sees them
# (doc/cluster.md 5.7): build/tests/check_cluster with
# KP_CLUSTER_KPASSD_ROUNDS=N starts the cluster and, each round, three
# kpassd nodes on it (a schema of their own) under USSD dials and desk
# verifications through them, kills the primary, and measures the longest
# time between two operations acknowledged; the killed database node rejoins
# before the next round.  "lost" counts acknowledged verifications missing
# afterwards (and acknowledged dials whose dialog is missing fail the round).
#
#   KP_BENCH_MODE=kpassd make bench-failover
set -eu

BUILD=${1:-${KP_BUILD:-build}}
TOP=$(cd "$(dirname "$0")/../.." && pwd -P)
N=${KP_BENCH_FAILOVERS:-5}
PROBE="$TOP/$BUILD/tests/failover_probe"
CLUSTER="$TOP/tests/cluster/cluster.sh"
export KP_TOP="$TOP"

table() {
	echo "$1" | tr ' ' '\n' | grep . | sort -n | awk -v n="$2" -v lost="$3" -v what="$4" '
	{ v[NR] = $1 }
	END {
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "| failovers | unavailability (%s) min | median | max | acknowledged lost |\n", what
		printf "|---|---|---|---|---|\n"
		printf "| %d | %.2f s | %.2f s | %.2f s | %d |\n", n, v[1], med, v[NR], lost
	}'
}

if [ "${KP_BENCH_MODE:-}" = kpassd ]; then
	BIN="$TOP/$BUILD/tests/check_cluster"
	[ -x "$BIN" ] || { echo "failover.sh: $BIN missing (make cluster-bins)" >&2; exit 1; }
	LOG=$(mktemp /tmp/kpass-bench-failover-kpassd-XXXXXX)
	rc=0
	KP_BUILD="$BUILD" KP_CLUSTER_KPASSD_ROUNDS="$N" CK_DEFAULT_TIMEOUT=300 "$BIN" >"$LOG" 2>&1 || rc=$?
	grep '^kpassd_failover: ' "$LOG" | sed 's/^kpassd_failover: //' || true
	lines=$(grep -c '^kpassd_failover: ' "$LOG" || true)
	if [ "$rc" -ne 0 ] || [ "$lines" -ne "$N" ]; then
		echo "failover.sh: $lines of $N rounds completed; the run says:" >&2
		tail -20 "$LOG" >&2
		rm -f "$LOG"
		exit 1
	fi
	gaps=$(grep '^kpassd_failover: ' "$LOG" | sed 's/.*"gap_s":\([0-9.]*\).*/\1/')
	lost=$(grep '^kpassd_failover: ' "$LOG" | sed 's/.*"lost":\([0-9]*\).*/\1/' |
		awk '{ s += $1 } END { print s + 0 }')
	rm -f "$LOG"
	table "$gaps" "$N" "$lost" "USSD + desk through kpassd nodes"
	[ "$lost" -eq 0 ]
	exit
fi

[ -x "$PROBE" ] || { echo "failover.sh: $PROBE missing (make cluster-bins)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/kpass-bench-failover-XXXXXX)
cleanup() {
	"$CLUSTER" stop "$DIR" >/dev/null 2>&1 || true
	if [ -n "${KP_KEEP:-}" ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT INT TERM

t0=$(date +%s)
"$CLUSTER" start "$DIR"
echo "cluster up in $(($(date +%s) - t0)) s: $("$CLUSTER" primary "$DIR")" >&2

gaps=""
lost=0
i=1
while [ "$i" -le "$N" ]; do
	line=$("$PROBE" "$DIR") || { echo "failover $i: failed ($line)" >&2; exit 1; }
	echo "$line"
	gaps="$gaps $(echo "$line" | sed 's/.*"gap_s":\([0-9.]*\).*/\1/')"
	l=$(echo "$line" | sed 's/.*"lost":\([0-9]*\).*/\1/')
	lost=$((lost + l))
	t0=$(date +%s)
	"$CLUSTER" start "$DIR"
	echo "rejoined in $(($(date +%s) - t0)) s" >&2
	i=$((i + 1))
done

table "$gaps" "$N" "$lost" "libpq client"
[ "$lost" -eq 0 ]
