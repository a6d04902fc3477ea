#!/bin/sh
# e2e-report-check.sh: kvm-glue/e2e/e2e-report.sh on a real `make e2e`
# console log (tests/e2e/console.log.gz, trimmed to the lines the report
# reads) and on broken copies of it. A `make check` suite: prints
# "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
report=$here/../kvm-glue/e2e/e2e-report.sh
fixture=$here/e2e/console.log.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

gzip -dc "$fixture" > "$tmp/log" || { echo "cannot read $fixture"; echo "0 passed, 1 failed"; exit 1; }

# 1. The real log: the exit status expect.txt names (0: every target
#    met, 1: some missed) and the figures are the log's.
want=$(sed -n 's/^exit=//p' "$here/e2e/expect.txt")
sh "$report" "$tmp/log" "$tmp/out" > "$tmp/stdout" 2>&1
rc=$?
if [ "$rc" = "${want:-0}" ]; then
	ok "real log: exit $rc"
else
	bad "real log: exit $rc, want ${want:-0} ($(tail -3 "$tmp/stdout"))"
fi
while IFS='|' read -r what pattern; do
	case $what in ''|exit=*) continue ;; esac
	if grep -qF -- "$pattern" "$tmp/out/results.md"; then
		ok "real log: $what"
	else
		bad "real log: $what: no '$pattern' in results.md"
	fi
done < "$here/e2e/expect.txt"
[ -s "$tmp/out/results.dat" ] && ok "real log: results.dat" || bad "real log: no results.dat"

# 2. A run that failed: exit 2 and nothing written.
sed 's/^ABT-E2E-END name=abt.1 status=0/ABT-E2E-END name=abt.1 status=3/' "$tmp/log" > "$tmp/failed"
sh "$report" "$tmp/failed" "$tmp/out2" > "$tmp/stdout2" 2>&1
rc=$?
if [ $rc = 2 ] && [ ! -e "$tmp/out2/results.md" ] && grep -q "run 'abt.1' failed" "$tmp/stdout2"; then
	ok "failed run: exit 2, nothing written"
else
	bad "failed run: exit $rc, results.md $( [ -e "$tmp/out2/results.md" ] && echo written || echo absent)"
fi

# 3. abt slower than PV on the getppid row of every repetition: exit 1,
#    the target says which row.
awk '/ABT-E2E-RUN name=abt/ { a = 1 } /ABT-E2E-END/ { a = 0 }
     a && /abt-init: getppid / { sub(/ticks=[0-9]+/, "ticks=99999999999") } { print }' \
	"$tmp/log" > "$tmp/slow"
sh "$report" "$tmp/slow" "$tmp/out3" > "$tmp/stdout3" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "slower on: getppid" "$tmp/out3/results.md"; then
	ok "slow abt row: exit 1, row named"
else
	bad "slow abt row: exit $rc"
fi

# 4. A checksum that differs in one abt run: the target is missed.
awk '/ABT-E2E-RUN name=abt.2/ { a = 1 } /ABT-E2E-END/ { a = 0 }
     a && /text-checksum/ { sub(/after=0x[0-9a-f]+/, "after=0x12345678") } { print }' \
	"$tmp/log" > "$tmp/csum"
sh "$report" "$tmp/csum" "$tmp/out4" > "$tmp/stdout4" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "kernel text checksum identical .*missed" "$tmp/out4/results.md"; then
	ok "checksum mismatch: target missed"
else
	bad "checksum mismatch: exit $rc"
fi

# 5. A level-1 kernel without debugfs removable.RULE lines: no bound.
grep -v '^removable\.' "$tmp/log" > "$tmp/norem"
sh "$report" "$tmp/norem" "$tmp/out6" > "$tmp/stdout6" 2>&1
rc=$?
if [ $rc = 2 ] && [ ! -e "$tmp/out6/results.md" ] && grep -q "removable.RULE" "$tmp/stdout6"; then
	ok "no removable.RULE counters: exit 2"
else
	bad "no removable.RULE counters: exit $rc"
fi

# 6. A log from before the steal run (its frame cut out): the same
#    verdict, no stealing table.
awk '/ABT-E2E-RUN name=steal\r?$/ { skip = 1 } !skip { print } /ABT-E2E-END name=steal / { skip = 0 }' \
	"$tmp/log" > "$tmp/nosteal"
sh "$report" "$tmp/nosteal" "$tmp/out7" > /dev/null 2>&1
rc=$?
if [ "$rc" = "${want:-0}" ] && grep -q '| whole run (first KVM_RUN' "$tmp/out7/results.md" &&
   ! grep -q 'TC placement by stealing' "$tmp/out7/results.md"; then
	ok "no steal run: no stealing table"
else
	bad "no steal run: exit $rc or a stealing table"
fi

# 7. Not a log at all.
echo "hello" > "$tmp/junk"
sh "$report" "$tmp/junk" "$tmp/out5" > /dev/null 2>&1
rc=$?
[ $rc = 2 ] && [ ! -e "$tmp/out5/results.md" ] && ok "junk input: exit 2" || bad "junk input: exit $rc"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
