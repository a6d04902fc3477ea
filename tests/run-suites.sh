#!/bin/sh
# Run every test suite given on the command line and sum the results.
# A suite is either a cmocka binary (its "[  PASSED  ] N" and
# "[  FAILED  ] N" lines are counted) or "check:NAME:COMMAND", a shell
# command counted as one test that passes when it exits 0.
# The last line is "N passed, N failed"; exit status 1 if anything failed.
passed=0
failed=0
log=${TMPDIR:-/tmp}/abt-suite.$$
trap 'rm -f "$log"' EXIT

for s in "$@"; do
	case "$s" in
	check:*)
		rest=${s#check:}
		name=${rest%%:*}
		cmd=${rest#*:}
		if sh -c "$cmd" >"$log" 2>&1; then
			passed=$((passed + 1))
			echo "suite $name: 1 passed, 0 failed"
		else
			failed=$((failed + 1))
			cat "$log"
			echo "suite $name: 0 passed, 1 failed"
		fi
		;;
	*)
		name=$(basename "$s")
		"$s" >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# crashed or failed outside cmocka's accounting
			f=1
		fi
		if [ "$f" -ne 0 ]; then
			cat "$log"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		echo "suite $name: $p passed, $f failed"
		;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
