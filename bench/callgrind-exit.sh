#!/bin/sh
# Instructions per abt_exit call on a warmed profiler, under callgrind:
# (Ir of a run with N + M exits - Ir of a run with N exits) / M, so that
# process start, abt_init and the warm-up cancel out. The measured loop's
# own few instructions per call (index step, two loads) are included.
# usage: callgrind-exit.sh BENCH_EXIT [N M]
set -e
prog=$1
n=${2:-10000}
m=${3:-100000}
target=150
ir() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$prog" "$1" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(ir "$n")
b=$(ir $((n + m)))
if [ -z "$a" ] || [ -z "$b" ]; then
	echo "callgrind-exit: no instruction counts from valgrind" >&2
	exit 1
fi
awk -v a="$a" -v b="$b" -v m="$m" -v t="$target" 'BEGIN {
	per = (b - a) / m
	printf "exit path: %.1f instructions per abt_exit (callgrind, warmed " \
	       "profiler, %d calls) (target <= %d)%s\n", per, m, t,
	       per <= t ? "" : "  ABOVE TARGET"
}'
