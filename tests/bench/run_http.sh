#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The desk HTTP API under load (doc/PERFORMANCE.md), with build/bench/bench_http:
#
#   tests/bench/run_http.sh [scan|full|both]      (default both)
#
#   scan   POST /v1/verifications with valid KP1 tokens, answered 201, over
#          C keep-alive connections of one signed-in desk session
#   full   complete verifications: scan, send the code, read the code SMS on
#          an SMPP transceiver bind, confirm -> verified; each citizen once
#
# Setup, once, under $KP_BENCH_DIR (default /tmp/kpass-httpbench): a scratch
# database and keys, the seed directory, N generated citizens (a CSV in the
# `kpass import citizens` format, unique CNICs and numbers), a credential for
# each (bench_http issue: signed and recorded as `kpass qr issue` does, in
# one transaction; one token is checked with `kpass qr verify`), one desk
# and one staff member at office PSHEX1, a partner "sms" carrying SMS.  The
# configuration raises the HTTP rate limits ([http] rate_per_address,
# burst_per_address, rate_per_desk, burst_per_desk = 100000); everything
# else, [otp] included, keeps its defaults: issue_gap 1 minute per citizen
# is why the full mode uses each citizen once.
#
# Each run starts kpassd afresh on a copy of the database as it was after
# the setup (so every run sees the same state and all N citizens), on
# loopback ports, and stops it after.  A run takes about W + S + 3 s.
# Knobs: KP_BENCH_SECONDS (S, 10), KP_BENCH_WARMUP (W, 1), KP_BENCH_CONNS
# (C, 32), KP_BENCH_BINDS (SMPP binds, 1), KP_BENCH_CITIZENS (N, 30000),
# KP_BENCH_RUNS (3: the median ops/s is printed), KP_BENCH_PORT (SMPP,
# 27760; HTTP is the next port), KP_BENCH_REUSE=1 (keep the setup that
# $KP_BENCH_DIR already holds, for a series of runs with other knobs).
set -eu

MODE=${1:-both}
BUILD=${KP_BUILD:-build}
TOP=$(pwd)
DIR=${KP_BENCH_DIR:-/tmp/kpass-httpbench}
PORT=${KP_BENCH_PORT:-27760}
HPORT=$((PORT + 1))
SECS=${KP_BENCH_SECONDS:-10}
WARMUP=${KP_BENCH_WARMUP:-1}
CONNS=${KP_BENCH_CONNS:-32}
BINDS=${KP_BENCH_BINDS:-1}
N=${KP_BENCH_CITIZENS:-30000}
RUNS=${KP_BENCH_RUNS:-3}
KPASS="$TOP/$BUILD/kpass -c $DIR/kpassd.conf"
BENCH="$TOP/$BUILD/bench/bench_http"

case $MODE in scan|full|both) ;; *) echo "usage: $0 [scan|full|both]" >&2; exit 2 ;; esac
[ -x "$BENCH" ] || { echo "$BENCH: run make bench first" >&2; exit 1; }
[ "$SECS" -le 26 ] || { echo "KP_BENCH_SECONDS: at most 26 (a run stays within 30 s)" >&2; exit 2; }

# ---- setup ----
setup() {
    rm -rf "$DIR"
    mkdir -p "$DIR/pristine"
    sed -e "s|^database = .*|database = $DIR/kpass.db|" \
        -e "s|^keys = .*|keys = $DIR/keys|" \
        -e "s|^listen = 127.0.0.1:2775|listen = 127.0.0.1:$PORT|" \
        -e "s|^menus = .*|menus = $TOP/menus|" \
        -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$HPORT|" \
        -e "s|^log_level = .*|log_level = warn|" \
        -e "s|^rate_per_address = .*|rate_per_address = 100000|" \
        -e "s|^burst_per_address = .*|burst_per_address = 100000|" \
        -e "s|^rate_per_desk = .*|rate_per_desk = 100000|" \
        -e "s|^burst_per_desk = .*|burst_per_desk = 100000|" \
        "$TOP/etc/kpassd.conf" > "$DIR/kpassd.conf"
    grep -q '^rate_per_desk = 100000' "$DIR/kpassd.conf" || { echo "config: rate limits not raised" >&2; exit 1; }
    t0=$(date +%s)
    $KPASS init >/dev/null
    $KPASS import seed "$TOP/etc/seed" >/dev/null
    # Fictitious citizens: CNICs 17301-0000001-1 ..., numbers +92345xxxxxxx.
    awk -v n="$N" 'BEGIN {
        print "cnic,name_en,name_ur,district,msisdn,status"
        for (i = 1; i <= n; i++)
            printf "17301-%07d-%d,Bench Citizen %d,شہری,PSH,+92345%07d,active\n", i, i % 10, i, i
    }' > "$DIR/citizens.csv"
    $KPASS import citizens "$DIR/citizens.csv" >/dev/null
    "$BENCH" issue "$DIR/kpassd.conf" "$DIR/citizens.csv" "$DIR/tokens.tsv"
    $KPASS qr verify "$(head -1 "$DIR/tokens.tsv" | cut -f2)" >/dev/null
    umask 077
    $KPASS desk add PSHEX1 | sed -n 's/^token: //p' > "$DIR/desk.token"
    printf '4821\n' > "$DIR/pin"
    $KPASS staff add PSHEX1 PSH-0042 --name "Bench Staff" < "$DIR/pin" >/dev/null
    printf 'smspw\n' > "$DIR/sms.pw"
    $KPASS partner add sms --sms --max-binds 8 --password-file "$DIR/sms.pw" >/dev/null
    cp "$DIR"/kpass.db* "$DIR/pristine/"
    echo "setup: $N citizens and credentials in $(( $(date +%s) - t0 )) s"
}

if [ "${KP_BENCH_REUSE:-0}" = 1 ] && [ -f "$DIR/pristine/kpass.db" ]; then
    N=$(wc -l < "$DIR/tokens.tsv")
    echo "setup: reusing $DIR ($N citizens and credentials)"
else
    setup
fi
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo);" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share the machine)"

# ---- one run: a fresh daemon on the pristine copy ----
pid=
stop_daemon() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
}
trap stop_daemon EXIT INT TERM

run() {
    rm -f "$DIR"/kpass.db*
    cp "$DIR"/pristine/kpass.db* "$DIR/"
    "$TOP/$BUILD/kpassd" -c "$DIR/kpassd.conf" 2>> "$DIR/kpassd.log" &
    pid=$!
    i=0
    until curl -sf "http://127.0.0.1:$HPORT/healthz" >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 50 ] || { tail "$DIR/kpassd.log"; exit 1; }
        sleep 0.1
    done
    "$BENCH" "$1" --port "$HPORT" --tokens "$DIR/tokens.tsv" --desk-token-file "$DIR/desk.token" \
        --staff PSH-0042 --pin-file "$DIR/pin" --conns "$CONNS" --seconds "$SECS" \
        --warmup "$WARMUP" --daemon-pid "$pid" \
        --smpp-port "$PORT" --system-id sms --password-file "$DIR/sms.pw" --binds "$BINDS" \
        > "$DIR/run.json"
    stop_daemon
}

median() {
    sed -n 's/.*"ops_per_s":\([0-9.]*\).*/\1/p' | sort -n | awk '{ v[NR] = $1 }
        END { if (NR) printf "%s (runs: %d; min %s, max %s)\n", v[int((NR + 1) / 2)], NR, v[1], v[NR] }'
}

for m in scan full; do
    [ "$MODE" = both ] || [ "$MODE" = "$m" ] || continue
    : > "$DIR/$m.jsonl"
    r=0
    while [ $r -lt "$RUNS" ]; do
        run "$m"
        cat "$DIR/run.json"
        cat "$DIR/run.json" >> "$DIR/$m.jsonl"
        r=$((r + 1))
    done
    echo "$m: median ops/s $(median < "$DIR/$m.jsonl")"
done
