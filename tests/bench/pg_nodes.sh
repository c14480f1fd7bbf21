#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Three kpassd nodes ([store] nodes = several) on one local PostgreSQL 15
# (tests/bench/pg_server.sh, fsync on): USSD load through one node alone,
# then through all three at once (one `kpass bench` per node), and where
# the CPU went: kpassd's and the postgres processes' utime + stime from
# /proc (doc/PERFORMANCE.md, "Issue 12").
#
#   sh tests/bench/pg_nodes.sh
#
# Knobs: KP_BENCH_SECONDS (8), KP_BENCH_NODES (3), KP_BENCH_SESSIONS (128
# per node), KP_BENCH_BINDS (2 per node), KP_BUILD.
set -eu
TOP=$(pwd)
BUILD=${KP_BUILD:-build}
SECS=${KP_BENCH_SECONDS:-8}
N=${KP_BENCH_NODES:-3}
SESSIONS=${KP_BENCH_SESSIONS:-128}
BINDS=${KP_BENCH_BINDS:-2}
OUT=$(mktemp -d /tmp/kpass-bench-nodes.XXXXXX)
chmod 755 "$OUT" # the server runs as postgres when we are root
PGDIR=$OUT/pg
eval "$(sh "$TOP/tests/bench/pg_server.sh" start "$PGDIR")"
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    sh "$TOP/tests/bench/pg_server.sh" stop "$PGDIR"
    rm -rf "$OUT"
}
trap cleanup EXIT INT TERM
HZ=$(getconf CLK_TCK)
ticks_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
# The postgres processes: the postmaster and its children.
pg_ticks() {
    pm=$(head -1 "$PGDIR/data/postmaster.pid")
    t=$(ticks_of "$pm")
    for s in /proc/[0-9]*/stat; do
        set -- $(sed 's/.*) //' "$s" 2>/dev/null || echo x 0)
        if [ "${2:-0}" = "$pm" ]; then t=$((t + ${12} + ${13})); fi
    done
    echo "$t"
}
kpassd_ticks() {
    t=0
    for p in $PIDS; do
        x=$(ticks_of "$p")
        t=$((t + ${x:-0}))
    done
    echo "$t"
}
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

i=1
while [ "$i" -le "$N" ]; do
    d=$OUT/n$i
    mkdir -p "$d"
    sed -e "s|^database = .*|database = $d/kpass.db|" \
        -e "s|^keys = .*|keys = $OUT/n1/keys|" \
        -e "/^\[daemon\]/a node = bench$i" \
        -e "s|^listen = 127.0.0.1:2775|listen = 127.0.0.1:$((28000 + i * 10))|" \
        -e "s|^menus = .*|menus = $TOP/menus|" \
        -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$((28001 + i * 10))|" \
        -e "s|^log_level = .*|log_level = info|" \
        "$TOP/etc/kpassd.conf" > "$d/kpassd.conf"
    printf '\n[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\nnodes = several\n' \
        "$KP_BENCH_DSN" "$KP_BENCH_PASSFILE" >> "$d/kpassd.conf"
    i=$((i + 1))
done
KPASS="$TOP/$BUILD/kpass -c $OUT/n1/kpassd.conf"
$KPASS init >/dev/null
$KPASS import seed "$TOP/etc/seed" >/dev/null
$KPASS import citizens "$TOP/etc/seed/citizens.csv" >/dev/null
printf 'bench123\n' > "$OUT/bench.pw"
$KPASS partner add bench --password-file "$OUT/bench.pw" --max-binds 64 >/dev/null
i=1
while [ "$i" -le "$N" ]; do
    "$TOP/$BUILD/kpassd" -c "$OUT/n$i/kpassd.conf" 2> "$OUT/n$i/kpassd.log" &
    PIDS="$PIDS $!"
    j=0
    until $KPASS phone --system-id bench --password-file "$OUT/bench.pw" \
            --port $((28000 + i * 10)) --listen 0 >/dev/null 2>&1; do
        j=$((j + 1)); [ $j -lt 100 ] || { cat "$OUT/n$i/kpassd.log"; exit 1; }
        sleep 0.1
    done
    i=$((i + 1))
done
bench() { # node, output file
    $KPASS bench --port $((28000 + $1 * 10)) --system-id bench --password-file "$OUT/bench.pw" \
        --binds "$BINDS" --mode ussd --sessions "$SESSIONS" --inputs 1,2,00 --seconds "$SECS" \
        --msisdn-base $(($1 * 1000000)) \
        > "$2" 2>&1
}
# One step: the load through nodes 1..$1 at once, and the CPU it took.
step() {
    k0=$(kpassd_ticks); p0=$(pg_ticks); w0=$(date +%s.%N)
    i=1
    bpids=""
    while [ "$i" -le "$1" ]; do bench "$i" "$OUT/b$1.$i" & bpids="$bpids $!"; i=$((i + 1)); done
    for p in $bpids; do wait "$p" || true; done
    k1=$(kpassd_ticks); p1=$(pg_ticks); w1=$(date +%s.%N)
    total=0
    i=1
    while [ "$i" -le "$1" ]; do
        h=$(tail -1 "$OUT/b$1.$i" | field hops_per_s)
        p99=$(tail -1 "$OUT/b$1.$i" | field p99_ms)
        echo "  node $i: ${h:-?} hops/s, p99 ${p99:-?} ms"
        [ -n "$h" ] || { echo "  node $i's load generator:"; tail -3 "$OUT/b$1.$i"; h=0; }
        total=$((total + ${h%.*}))
        i=$((i + 1))
    done
    awk -v n="$1" -v tot="$total" -v k=$((k1 - k0)) -v p=$((p1 - p0)) -v hz="$HZ" \
        -v w0="$w0" -v w1="$w1" 'BEGIN {
        w = w1 - w0; kc = k / hz; pc = p / hz
        share = kc + pc > 0 ? 100 * pc / (kc + pc) : 0
        fmt = "%d node(s): %d hops/s in all; over %.1f s wall: kpassd %.1f CPU-s, postgres %.1f CPU-s (%.0f%% of the two), %.2f cores busy with them\n"
        printf fmt, n, tot, w, kc, pc, share, (kc + pc) / w }'
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "one node alone (the others idle):"
step 1
echo "all $N nodes at once:"
step "$N"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
i=1
for p in $PIDS; do
    kill -0 "$p" 2>/dev/null || { echo "node $i died:"; tail -5 "$OUT/n$i/kpassd.log"; }
    i=$((i + 1))
done
