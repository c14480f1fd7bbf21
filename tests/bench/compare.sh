#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/bench/compare.sh OLD_REV NEW_REV [ROUNDS]
#
# Builds two revisions of kpass in temporary git worktrees and runs the USSD
# benchmark (tests/bench/run_daemon.sh ussd, this checkout's copy) against
# each in turn, A B A B ..., ROUNDS times (default 3), on the same machine,
# so that drift in the machine's load falls on both alike.  With node and
# tests/peers/node_modules at hand, each round also runs the same load
# against the npm `smpp` package's server answering from an in-memory menu
# (tests/peers/bench_server.js --ussd), the reference of issue 14.
#
# Per run it prints full-load hops/s, the p99 at half of that load and
# kpassd's CPU microseconds per hop; then the medians and the ratios
# NEW/OLD (hops/s, CPU per hop, p99) and NEW/npm (hops/s); SQL statements
# per hop where the build logs its count (0 otherwise).  The load comes
# from NEW's kpass bench for every target, so only the daemon differs.
#
# Knobs: KP_BENCH_SECONDS (default 10 here) and the other KP_BENCH_*
# knobs of run_daemon.sh; KP_COMPARE_DIR for the worktrees and logs
# (default a fresh directory under /tmp, removed at the end unless
# KP_COMPARE_KEEP=1); KP_COMPARE_NPM=0 leaves the npm peer out.
# Unattended, bounded: about ROUNDS x (2 or 3) x 2 x KP_BENCH_SECONDS plus
# the two builds.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 OLD_REV NEW_REV [ROUNDS]" >&2; exit 2; }
OLD=$1
NEW=$2
ROUNDS=${3:-3}
case $ROUNDS in '' | *[!0-9]*) echo "$0: ROUNDS must be a number" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] || ROUNDS=1

SRC=$(git rev-parse --show-toplevel)
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=$HERE/run_daemon.sh
PEERS=$SRC/tests/peers
export KP_BENCH_SECONDS=${KP_BENCH_SECONDS:-10}
export KP_BENCH_RSS=0
TMP=${KP_COMPARE_DIR:-$(mktemp -d /tmp/kpass-compare.XXXXXX)}
mkdir -p "$TMP"
NPM=${KP_COMPARE_NPM:-1}
npid=""

cleanup() {
    [ -z "$npid" ] || { kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null || true; }
    for w in a b; do
        [ -d "$TMP/$w" ] && git -C "$SRC" worktree remove --force "$TMP/$w" 2>/dev/null || true
    done
    [ "${KP_COMPARE_KEEP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The revisions as commits, before anything is built.
A=$(git -C "$SRC" rev-parse --verify "$OLD^{commit}")
B=$(git -C "$SRC" rev-parse --verify "$NEW^{commit}")

for w in a b; do
    rev=$A
    [ $w = a ] || rev=$B
    echo "building $w = $(git -C "$SRC" log -1 --format='%h %s' "$rev")"
    git -C "$SRC" worktree add --detach "$TMP/$w" "$rev" >/dev/null 2>&1
    make -C "$TMP/$w" -j2 all >"$TMP/build-$w.log" 2>&1 ||
        { tail -20 "$TMP/build-$w.log"; echo "$0: build of $w failed" >&2; exit 1; }
done

if [ "$NPM" = 1 ]; then
    if ! command -v node >/dev/null 2>&1; then
        echo "node not found: no npm reference"
        NPM=0
    elif [ ! -d "$PEERS/node_modules/smpp" ]; then
        (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1 ||
            { echo "npm ci failed (see $TMP/npm.log): no npm reference"; NPM=0; }
    fi
    grep -q -- '--ussd' "$PEERS/bench_server.js" 2>/dev/null ||
        { echo "this checkout's bench_server.js has no --ussd: no npm reference"; NPM=0; }
fi

# One run of run_daemon.sh ussd on worktree $1; the three figures to $2.
run_kpass() {
    out=$TMP/run-$1-$r.txt
    (cd "$TMP/$1" && KP_BUILD=build KP_BENCH_CLIENT="$TMP/b/build/kpass" \
        KP_BENCH_DIR="$TMP/db" sh "$RUN" ussd) >"$out" 2>&1 ||
        { cat "$out"; echo "$0: run $1 $r failed" >&2; exit 1; }
    hops=$(sed -n 's/^full load:.*"hops_per_s":\([0-9]*\).*/\1/p' "$out")
    p99=$(sed -n 's/^half load.*"p99_ms":\([0-9.]*\).*/\1/p' "$out")
    cpu=$(sed -n 's/^kpassd CPU: .*, \([0-9.]*\) us per hop/\1/p' "$out")
    sql=$(sed -n 's/^kpassd SQL: \([0-9.]*\) statements per hop.*/\1/p' "$out")
    printf '%s %s %s %s\n' "${hops:-0}" "${p99:-0}" "${cpu:-0}" "${sql:-0}" >>"$2"
    printf 'round %s %s: %8s hops/s  p99 at half load %7s ms  CPU %6s us/hop  SQL %s/hop\n' \
        "$r" "$1" "${hops:-?}" "${p99:-?}" "${cpu:-?}" "${sql:-?}"
}

# The same load against bench_server.js --ussd (full load only).
run_npm() {
    port=$((${KP_BENCH_PORT:-27750} + 10))
    log=$TMP/npm-server-$r.txt
    node "$PEERS/bench_server.js" --port "$port" --no-stdin --ussd --max-time 600000 >"$log" 2>&1 &
    npid=$!
    i=0
    until grep -q listening "$log" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || { cat "$log"; echo "$0: bench_server.js did not start" >&2; exit 1; }
        sleep 0.1
    done
    printf 'x\n' >"$TMP/npm.pw"
    out=$("$TMP/b/build/kpass" bench --port "$port" --system-id bench \
        --password-file "$TMP/npm.pw" --binds "${KP_BENCH_BINDS:-4}" --mode ussd \
        --sessions "${KP_BENCH_SESSIONS:-256}" --inputs 1,2,00 \
        --seconds "$KP_BENCH_SECONDS" 2>&1 | tail -1) || true
    kill "$npid" 2>/dev/null || true
    wait "$npid" 2>/dev/null || true
    npid=""
    hops=$(echo "$out" | sed -n 's/.*"hops_per_s":\([0-9]*\).*/\1/p')
    echo "${hops:-0}" >>"$TMP/npm.txt"
    printf 'round %s npm: %8s hops/s\n' "$r" "${hops:-?}"
}

: >"$TMP/a.txt"
: >"$TMP/b.txt"
: >"$TMP/npm.txt"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$ROUNDS rounds of ${KP_BENCH_SECONDS} s per load; a = $OLD, b = $NEW"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    run_kpass a "$TMP/a.txt"
    run_kpass b "$TMP/b.txt"
    [ "$NPM" != 1 ] || run_npm
    r=$((r + 1))
done

# Median of column $2 of file $1.
median() {
    cut -d' ' -f"$2" "$1" | sort -g | awk '{v[NR] = $1}
        END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

ah=$(median "$TMP/a.txt" 1) ap=$(median "$TMP/a.txt" 2) ac=$(median "$TMP/a.txt" 3)
bh=$(median "$TMP/b.txt" 1) bp=$(median "$TMP/b.txt" 2) bc=$(median "$TMP/b.txt" 3)
aq=$(median "$TMP/a.txt" 4) bq=$(median "$TMP/b.txt" 4)
echo "median a ($OLD): $ah hops/s, p99 at half load $ap ms, CPU $ac us/hop, SQL $aq/hop"
echo "median b ($NEW): $bh hops/s, p99 at half load $bp ms, CPU $bc us/hop, SQL $bq/hop"
echo "ratio hops/s b/a: $(ratio "$bh" "$ah")"
echo "ratio CPU per hop b/a: $(ratio "$bc" "$ac")"
echo "ratio p99 at half load b/a: $(ratio "$bp" "$ap")"
if [ "$NPM" = 1 ]; then
    nh=$(median "$TMP/npm.txt" 1)
    echo "median npm smpp (bench_server.js --ussd): $nh hops/s"
    echo "ratio hops/s b/npm: $(ratio "$bh" "$nh")"
    echo "ratio hops/s a/npm: $(ratio "$ah" "$nh")"
fi
