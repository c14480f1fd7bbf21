#!/bin/sh
# SPDX-License-Identifier: ISC
#
# make fuzz-long SECONDS=N [JOBS=J] [TARGETS="a b"]: run every libFuzzer
# target (built by `make fuzz` under build/fuzz) for N seconds each, J at a
# time, starting from its checked-in corpus (tests/fuzz/corpus/<name>/,
# which is read, never written: new inputs go to build/fuzz/long/<name>/).
# Prints one line per target and a total; crashes are kept in
# build/fuzz/crashes/<name>/ and make the script exit 1.
set -u
secs=${1:?usage: long.sh SECONDS [JOBS] [TARGETS...]}
jobs=${2:-1}
shift 2 2>/dev/null || shift $#
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/fuzz/long
case $secs in ''|*[!0-9]*) echo "fuzz-long: SECONDS must be a number" >&2; exit 2 ;; esac
if [ $# -eq 0 ]; then
	set -- $(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
mkdir -p "$out"
# Crashes of this run only: artifacts newer than this stamp.
touch "$out/.start"

one() {
	name=$1
	bin=$top/build/fuzz/fuzz_$name
	[ -x "$bin" ] || { echo "fuzz-long: $bin is not built (make fuzz)" >&2; return 1; }
	mkdir -p "$out/$name" "$top/build/fuzz/crashes/$name"
	# Quiet ASan/UBSan reports still count: halt on the first one.
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$top/build/fuzz/crashes/$name/" \
		"$out/$name" "$top/tests/fuzz/corpus/$name" >"$out/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -n 1)
	crashes=$(find "$top/build/fuzz/crashes/$name" -type f -newer "$out/.start" | wc -l)
	printf '%-14s execs %12s  crashes %d  exit %d\n' "$name" "${execs:-0}" "$crashes" "$rc"
}

# J at a time: a simple pool of background jobs, each writing its line.
i=0
for t in "$@"; do
	one "$t" >"$out/$t.line" &
	i=$((i + 1))
	if [ $((i % jobs)) -eq 0 ]; then wait; fi
done
wait
total=0 crashes=0 fails=0
for t in "$@"; do
	cat "$out/$t.line"
	e=$(awk '{print $3}' "$out/$t.line"); c=$(awk '{print $5}' "$out/$t.line")
	x=$(awk '{print $7}' "$out/$t.line")
	total=$((total + ${e:-0})); crashes=$((crashes + ${c:-0}))
	[ "${x:-1}" = 0 ] || fails=$((fails + 1))
done
echo "fuzz-long: $# targets, $secs s each: $total executions, $crashes crashes, $fails abnormal exits"
[ "$crashes" -eq 0 ] && [ "$fails" -eq 0 ]
