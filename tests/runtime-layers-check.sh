#!/bin/sh
# The layer check of the runtime's call graph (tools/runtime-layers.sh) on
# the runtime's objects, and proof that it catches what it is for: the
# layer order turned upside down (calls up), a file left out of it, and
# two files of one layer calling each other (a cycle).
# usage: runtime-layers-check.sh CC OBJ...
set -u
cc=$1
shift
check=tools/runtime-layers.sh
layers=runtime/layers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

sh $check "$layers" "$@" || bad=1

# expect_caught NAME WHAT LAYERS OBJ...: the check must fail saying WHAT
expect_caught() {
	name=$1
	what=$2
	shift 2
	if sh $check "$@" > "$tmp/out" 2>&1; then
		echo "runtime-layers-check: $name was NOT caught"
		bad=1
	elif grep -q "$what" "$tmp/out"; then
		echo "runtime-layers-check: $name caught: $(grep -m1 "$what" "$tmp/out")"
	else
		echo "runtime-layers-check: $name failed for another reason:"
		cat "$tmp/out"
		bad=1
	fi
}

grep -v '^#' "$layers" | awk 'NF' | sed -n '1!G;h;$p' > "$tmp/upside-down"
expect_caught "upside-down order" " calls .* (layer " "$tmp/upside-down" "$@"

grep -v '^#' "$layers" | sed '1s/^[a-z_]* *//' > "$tmp/left-out"
expect_caught "a file left out" "has no layer" "$tmp/left-out" "$@"

printf 'void abt_b(void);\nvoid abt_a(void) { abt_b(); }\n' > "$tmp/a.c"
printf 'void abt_a(void);\nvoid abt_b(void) { abt_a(); }\n' > "$tmp/b.c"
$cc -c -o "$tmp/a.o" "$tmp/a.c" && $cc -c -o "$tmp/b.o" "$tmp/b.c" || exit 1
echo 'a b' > "$tmp/one-layer"
expect_caught "a cycle in one layer" "cycle" "$tmp/one-layer" "$tmp/a.o" "$tmp/b.o"

exit $bad
