#!/bin/sh
# SPDX-License-Identifier: ISC
#
# One kpassd, the same USSD load (tests/bench/run_daemon.sh ussd), the
# store on SQLite (A) and on a local PostgreSQL 15 (B, tests/bench/pg_server.sh,
# fsync on, loopback TCP), alternating A B A B ... in one run so that the
# load other programs put on the machine falls on both alike
# (doc/PERFORMANCE.md, "Issue 12").  Each B run gets a new, empty schema.
#
#   sh tests/bench/pg_compare.sh
#
# Knobs: KP_BENCH_ROUNDS (2: A B A B), KP_BENCH_SECONDS (5 per load step),
# KP_BUILD, KP_BENCH_PGOPTS (session settings for the B runs, e.g.
# "-c synchronous_commit=off": what waiting for the COMMIT's WAL flush
# costs).  Prints one line per run (hops/s at full load, p99 at half of
# it, kpassd CPU per hop and, on PostgreSQL, the server's, round trips
# per hop, the loop's time in COMMIT) and the medians.
set -eu
TOP=$(pwd)
ROUNDS=${KP_BENCH_ROUNDS:-2}
SECS=${KP_BENCH_SECONDS:-5}
PGBIN=${KP_PG_BINDIR:-/usr/lib/postgresql/15/bin}
OUT=$(mktemp -d /tmp/kpass-bench-cmp.XXXXXX)
PGDIR=$OUT/pg
chmod 755 "$OUT" # the server runs as postgres when we are root
eval "$(sh "$TOP/tests/bench/pg_server.sh" start "$PGDIR")"
DSN=$KP_BENCH_DSN
PASSFILE=$KP_BENCH_PASSFILE
unset KP_BENCH_DSN KP_BENCH_PASSFILE
trap 'sh "$TOP/tests/bench/pg_server.sh" stop "$PGDIR"; rm -rf "$OUT"' EXIT INT TERM

pgsql() { PGPASSWORD=$(head -1 "$PASSFILE") "$PGBIN/psql" -qAt -d "$DSN" -c "$1"; }
# "name": the number after "name": in the line
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

# One run: $1 = A or B, $2 = round; one result line.
run() {
    dir=$OUT/$1$2
    if [ "$1" = B ]; then
        pgsql "CREATE SCHEMA r$2"
        opts="-c search_path=r$2${KP_BENCH_PGOPTS:+ $KP_BENCH_PGOPTS}"
        KP_BENCH_PGPID=$(head -1 "$PGDIR/data/postmaster.pid") \
            KP_BENCH_DSN="$DSN options='$opts'" KP_BENCH_PASSFILE=$PASSFILE \
            KP_BENCH_DIR=$dir KP_BENCH_SECONDS=$SECS KP_BENCH_RSS=0 KP_BENCH_PORT=$((27900 + $2 * 10)) \
            sh "$TOP/tests/bench/run_daemon.sh" ussd > "$OUT/$1$2.log" 2>&1
    else
        KP_BENCH_DIR=$dir KP_BENCH_SECONDS=$SECS KP_BENCH_RSS=0 KP_BENCH_PORT=$((27800 + $2 * 10)) \
            sh "$TOP/tests/bench/run_daemon.sh" ussd > "$OUT/$1$2.log" 2>&1
    fi
    hops=$(grep '^full load' "$OUT/$1$2.log" | field hops_per_s)
    p99=$(grep '^half load' "$OUT/$1$2.log" | field p99_ms)
    cpu=$(sed -n 's/^kpassd CPU: .*, \([0-9.]*\) us per hop/\1/p' "$OUT/$1$2.log")
    pg=$(sed -n 's/^postgres CPU: .*, \([0-9.]*\) us per hop/\1/p' "$OUT/$1$2.log")
    cw=$(sed -n 's/^commit wait: .*(\([0-9]*%\)), .*, \([0-9]*\) us each/\1 \2/p' "$OUT/$1$2.log")
    rt=$(sed -n 's/.* \([0-9.]*\) round trips per hop.*/\1/p' "$OUT/$1$2.log")
    echo "$1 round $2: ${hops:-?} hops/s, p99 ${p99:-?} ms at half load, ${cpu:-?} us CPU/hop" \
        "${pg:+(postgres $pg) }${rt:-?} round trips/hop${cw:+, in COMMIT ${cw%% *} of the time (${cw#* } us each)}, load $(cut -d' ' -f1 /proc/loadavg)"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
i=1
while [ $i -le "$ROUNDS" ]; do
    run A $i | tee -a "$OUT/results"
    run B $i | tee -a "$OUT/results"
    i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for k in A B; do
    h=$(grep "^$k " "$OUT/results" | sed -n 's/.*: \([0-9]*\) hops\/s.*/\1/p' | median)
    p=$(grep "^$k " "$OUT/results" | sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' | median)
    echo "median $k ($( [ $k = A ] && echo SQLite || echo PostgreSQL )): $h hops/s, p99 $p ms"
done
