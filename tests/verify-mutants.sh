#!/bin/sh
# Mutation tests for abt-verify: three deliberately wrong rule sets must
# each be caught on the committed golden traces.
#   1. wrong slot:   mfmsr loads SRR1 instead of MSR
#   2. wrong field:  the SPR number's halves not swapped (%spr 16:5 11:5),
#                    so mfspr/mtspr decode to other SPRs
#   3. forgets CR:   the generated metadata of wrteei1 says it does not
#                    use CR, so the composer neither saves nor restores it
# usage: verify-mutants.sh ABT_VERIFY RULESC TRACE...
set -u
verify=$1
rulesc=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

expect_caught() {
	name=$1
	shift
	if "$verify" --quiet "$@" >"$tmp/out" 2>&1; then
		echo "mutant '$name' was NOT caught"
		bad=1
	elif grep -Eq '[1-9][0-9]* mismatches|[1-9][0-9]* unknown' "$tmp/out"; then
		echo "mutant '$name' caught: $(grep -E 'records,' "$tmp/out")"
	else
		echo "mutant '$name': abt-verify failed for another reason:"
		cat "$tmp/out"
		bad=1
	fi
}

sed 's/emit    lwz rD, @msr(0)/emit    lwz rD, @srr1(0)/' rules/booke.rule >"$tmp/slot.rule"
cmp -s rules/booke.rule "$tmp/slot.rule" && { echo "mutation 1 did not apply"; exit 1; }
expect_caught wrong-slot --rules "$tmp/slot.rule" rules/linux.rule rules/u-boot.rule "$@"

sed 's/^%spr    11:5 16:5/%spr    16:5 11:5/' rules/booke.rule >"$tmp/field.rule"
cmp -s rules/booke.rule "$tmp/field.rule" && { echo "mutation 2 did not apply"; exit 1; }
expect_caught wrong-field --rules "$tmp/field.rule" rules/linux.rule rules/u-boot.rule "$@"

mkdir "$tmp/gen"
"$rulesc" -o "$tmp/gen" rules/booke.rule rules/linux.rule rules/u-boot.rule || exit 1
# [ABT_RULE_wrteei1] = { name, file, line, shape, nwords, ntemps, uses_cr, ...
sed -i 's/^\(	\[ABT_RULE_wrteei1\] = { [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, \)1,/\10,/' "$tmp/gen/abt_tables.c"
cmp -s gen/abt_tables.c "$tmp/gen/abt_tables.c" && { echo "mutation 3 did not apply"; exit 1; }
expect_caught forgets-cr --gen "$tmp/gen" "$@"

exit $bad
