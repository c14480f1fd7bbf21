#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `kpass import citizens` speed (doc/PERFORMANCE.md): a registry extract of
# N generated citizens (default 1,000,000; unique CNICs and numbers) into a
# fresh database under $KP_BENCH_DIR (default /tmp/kpass-import-bench),
# then the same file again (every row unchanged: the idempotent path).
#
#   tests/bench/run_import.sh [N]
set -eu

N=${1:-1000000}
BUILD=${KP_BUILD:-build}
TOP=$(pwd)
DIR=${KP_BENCH_DIR:-/tmp/kpass-import-bench}
KPASS="$TOP/$BUILD/kpass -c $DIR/kpassd.conf"

rm -rf "$DIR"
mkdir -p "$DIR"
sed -e "s|^database = .*|database = $DIR/kpass.db|" \
    -e "s|^keys = .*|keys = $DIR/keys|" \
    -e "s|^menus = .*|menus = $TOP/menus|" \
    "$TOP/etc/kpassd.conf" > "$DIR/kpassd.conf"
$KPASS init >/dev/null
$KPASS import seed "$TOP/etc/seed" >/dev/null
awk -v n="$N" 'BEGIN {
    print "cnic,name_en,name_ur,district,msisdn,status"
    for (i = 1; i <= n; i++)
        printf "17301-%07d-%d,Bench Citizen %d,شہری,PSH,+92345%07d,active\n", i, i % 10, i, i
}' > "$DIR/citizens.csv"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
for pass in first again; do
    t0=$(date +%s.%N)
    $KPASS import citizens "$DIR/citizens.csv" | tail -1
    t1=$(date +%s.%N)
    echo "$pass: $N rows in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
done
echo "database: $(du -k "$DIR/kpass.db" | cut -f1) kB"
