#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Benchmarks against a running kpassd (doc/PERFORMANCE.md): a scratch
# database and keys under $KP_BENCH_DIR (default /tmp/kpass-bench), the
# sample directory and citizens, a partner "bench", kpassd on 127.0.0.1,
# then one of:
#
#   tests/bench/run_daemon.sh link      enquire_link pairs/s and latency
#                                       against kpassd, then enquire_link and
#                                       submit_sm against the npm smpp
#                                       package's server on the same machine
#                                       (tests/peers/bench_server.js), the
#                                       reference
#   tests/bench/run_daemon.sh ussd      USSD hops/s at full load, then p99 at
#                                       half of it, and the daemon's RSS
#                                       (idle, and sampled every second
#                                       over at least 1,000,000 hops); the
#                                       full-load line is followed by
#                                       kpassd's CPU time per hop (utime +
#                                       stime from /proc/<pid>/stat)
#
# Everything is loopback and bounded in time.  Knobs: KP_BENCH_SECONDS
# (default 10), KP_BENCH_BINDS (4), KP_BENCH_SESSIONS (256), KP_BENCH_PORT,
# KP_BENCH_RSS (1; 0 leaves out the long RSS run, as compare.sh does),
# KP_BENCH_CLIENT (the kpass program that generates the load; default the
# one in KP_BUILD: compare.sh loads two builds with the same generator),
# KP_BENCH_DSN and KP_BENCH_PASSFILE (the store on PostgreSQL: an empty
# database, e.g. from tests/bench/pg_server.sh; default SQLite).
set -eu

MODE=${1:-ussd}
BUILD=${KP_BUILD:-build}
TOP=$(pwd)
DIR=${KP_BENCH_DIR:-/tmp/kpass-bench}
PORT=${KP_BENCH_PORT:-27750}
HPORT=$((PORT + 1))
SECONDS_=${KP_BENCH_SECONDS:-10}
BINDS=${KP_BENCH_BINDS:-4}
SESSIONS=${KP_BENCH_SESSIONS:-256}
KPASS="$TOP/$BUILD/kpass -c $DIR/kpassd.conf"
CLIENT="${KP_BENCH_CLIENT:-$TOP/$BUILD/kpass} -c $DIR/kpassd.conf"
RSS=${KP_BENCH_RSS:-1}

rm -rf "$DIR"
mkdir -p "$DIR"
sed -e "s|^database = .*|database = $DIR/kpass.db|" \
    -e "s|^keys = .*|keys = $DIR/keys|" \
    -e "s|^listen = 127.0.0.1:2775|listen = 127.0.0.1:$PORT|" \
    -e "s|^menus = .*|menus = $TOP/menus|" \
    -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$HPORT|" \
    -e "s|^log_level = .*|log_level = info|" \
    "$TOP/etc/kpassd.conf" > "$DIR/kpassd.conf"
if [ -n "${KP_BENCH_DSN:-}" ]; then
    printf '\n[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\n' "$KP_BENCH_DSN" \
        "$KP_BENCH_PASSFILE" >> "$DIR/kpassd.conf"
fi
$KPASS init >/dev/null
$KPASS import seed "$TOP/etc/seed" >/dev/null
$KPASS import citizens "$TOP/etc/seed/citizens.csv" >/dev/null
printf 'bench123\n' > "$DIR/bench.pw"
$KPASS partner add bench --password-file "$DIR/bench.pw" --max-binds 64 >/dev/null

"$TOP/$BUILD/kpassd" -c "$DIR/kpassd.conf" 2> "$DIR/kpassd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT INT TERM
i=0
until $KPASS phone --system-id bench --password-file "$DIR/bench.pw" --port "$PORT" \
        --listen 0 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || { cat "$DIR/kpassd.log"; exit 1; }
    sleep 0.1
done

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# kpassd's CPU time so far in clock ticks: utime + stime, fields 14 and 15
# of /proc/<pid>/stat (proc(5)), counted after the ")" that ends comm.
ticks() { sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }
HZ=$(getconf CLK_TCK)
# The PostgreSQL server's CPU so far in clock ticks (KP_BENCH_PGPID: its
# postmaster; its backends, kpassd's among them, are its children): how
# much of the machine the database takes per hop.  0 without it.
pgticks() {
    [ -n "${KP_BENCH_PGPID:-}" ] || { echo 0; return; }
    for f in /proc/[0-9]*/stat; do sed 's/.*) //' "$f" 2>/dev/null || true; done |
        awk -v pp="$KP_BENCH_PGPID" '$2 == pp { s += $12 + $13 } END { print s + 0 }'
}
# SQL statements per hop over the whole run: kpassd logs its count when it
# stops (not on /metrics, see doc/http-api.md); builds without it say so.
sql_per_hop() {
    hops=$(metric kpass_ussd_hops_total)
    kill -TERM $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    line=$(grep 'kpassd: stopped after' "$DIR/kpassd.log" | tail -1)
    q=$(echo "$line" | sed -n 's/.* after \([0-9]*\) SQL statements in \([0-9]*\) commits.*/\1/p')
    c=$(echo "$line" | sed -n 's/.* after \([0-9]*\) SQL statements in \([0-9]*\) commits.*/\2/p')
    r=$(echo "$line" | sed -n 's/.* commits, \([0-9]*\) database round trips.*/\1/p')
    if [ -n "$q" ] && [ -n "$hops" ]; then
        echo "kpassd SQL: $(awk -v q="$q" -v c="$c" -v h="$hops" -v r="${r:-0}" \
            'BEGIN { printf "%.2f statements per hop, %.1f hops per commit, %.2f round trips per hop (%d hops)\n", h ? q / h : 0, c ? h / c : 0, h ? r / h : 0, h }')"
        # Which statements (builds that log them: "kpassd: SQL N x TEXT"),
        # per hop and per commit (one commit a loop pass), most first.
        sed -n 's/.*kpassd: SQL \([0-9]*\) x \(.*\)/\1 \2/p' "$DIR/kpassd.log" | sort -rn |
            awk -v h="$hops" -v c="$c" '{ n = $1; $1 = ""
                printf "  %7.3f per hop %7.2f per pass %s\n", h ? n / h : 0, c ? n / c : 0, $0 }'
    else
        echo "kpassd SQL: not counted by this build"
    fi
}
# One counter from /metrics (empty when this build has no such counter).
metric() {
    curl -s "http://127.0.0.1:$HPORT/metrics" 2>/dev/null | awk -v m="$1" '$1 == m {print $2}'
}
BENCH="$CLIENT bench --port $PORT --system-id bench --password-file $DIR/bench.pw --binds $BINDS"

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "kpassd idle RSS: $(rss) kB"
case $MODE in
link)
    echo "kpassd, enquire_link: $($BENCH --mode link --window 64 --seconds "$SECONDS_" | tail -1)"
    # (kpassd is no SMSC: a submit_sm that is not USSD is refused, so its
    # submit_sm traffic is measured by the ussd mode.)
    # The reference: the npm smpp package's server on the same machine.
    node "$TOP/tests/peers/bench_server.js" --port $((PORT + 2)) --no-stdin --max-time 120000 \
        > "$DIR/bench_server.out" &
    npid=$!
    i=0
    until grep -q listening "$DIR/bench_server.out" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 50 ] || { echo "bench_server.js did not start" >&2; exit 1; }
        sleep 0.1
    done
    REF="$KPASS bench --port $((PORT + 2)) --system-id bench --password-file $DIR/bench.pw --binds $BINDS"
    echo "npm smpp, enquire_link: $($REF --mode link --window 64 --seconds "$SECONDS_" | tail -1)"
    echo "npm smpp, submit_sm:    $($REF --mode link --pdu submit_sm --window 64 --seconds "$SECONDS_" | tail -1)"
    kill $npid 2>/dev/null || true
    wait $npid 2>/dev/null || true
    ;;
ussd)
    t0=$(ticks)
    p0=$(pgticks)
    w0=$(metric kpass_db_commit_seconds_sum)
    n0=$(metric kpass_db_commit_seconds_count)
    full=$($BENCH --mode ussd --sessions "$SESSIONS" --inputs 1,2,00 --seconds "$SECONDS_" | tail -1)
    t1=$(ticks)
    p1=$(pgticks)
    w1=$(metric kpass_db_commit_seconds_sum)
    n1=$(metric kpass_db_commit_seconds_count)
    echo "full load: $full"
    rate=$(echo "$full" | sed -n 's/.*"hops_per_s":\([0-9]*\).*/\1/p')
    hops=$(echo "$full" | sed -n 's/.*"operations":\([0-9]*\).*/\1/p')
    # (includes the binds and the idle moments around the run: a few ms)
    echo "kpassd CPU: $(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="${hops:-0}" \
        'BEGIN { printf "%.0f ms, %.2f us per hop\n", t * 1000 / hz, n ? t * 1e6 / hz / n : 0 }')"
    [ -z "${KP_BENCH_PGPID:-}" ] ||
        echo "postgres CPU: $(awk -v t=$((p1 - p0)) -v hz="$HZ" -v n="${hops:-0}" \
            'BEGIN { printf "%.0f ms, %.2f us per hop\n", t * 1000 / hz, n ? t * 1e6 / hz / n : 0 }')"
    # The loop's time spent in COMMITs (blocking, one per pass): what an
    # asynchronous COMMIT could give back to the loop (doc/cluster.md 5.9).
    [ -z "$w1" ] || echo "commit wait: $(awk -v w0="${w0:-0}" -v w1="$w1" -v n0="${n0:-0}" \
        -v n1="${n1:-0}" -v s="$SECONDS_" 'BEGIN { n = n1 - n0; w = w1 - w0
            printf "%.2f s of the %d s run (%.0f%%), %d commits, %.0f us each\n", w, s,
                100 * w / s, n, n ? w * 1e6 / n : 0 }')"
    half=$((rate / 2))
    echo "half load ($half hops/s offered): $($BENCH --mode ussd --sessions "$SESSIONS" \
        --inputs 1,2,00 --seconds "$SECONDS_" --rate "$half" | tail -1)"
    [ "$RSS" = 1 ] || { sql_per_hop; exit 0; }
    # RSS over at least 1,000,000 hops at full load, sampled every second.
    secs=$((1000000 / (rate > 0 ? rate : 1) + 2))
    [ $secs -le 600 ] || secs=600
    echo "RSS over $secs s at full load (kB, one sample a second):"
    $BENCH --mode ussd --sessions "$SESSIONS" --inputs 1,2,00 --seconds "$secs" > "$DIR/long.json" &
    bpid=$!
    samples=""
    while kill -0 $bpid 2>/dev/null; do samples="$samples $(rss)"; sleep 1; done
    wait $bpid || true
    echo " $samples"
    echo "long run: $(tail -1 "$DIR/long.json")"
    echo "kpassd RSS after: $(rss) kB"
    sql_per_hop
    ;;
*)
    echo "usage: $0 link|ussd" >&2; exit 2
    ;;
esac
