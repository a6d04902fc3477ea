#!/bin/sh
# runtime-layers.sh [--graph] LAYERS OBJ...: check the calls between the
# runtime's files against the layer order in LAYERS (runtime/layers).
#
# The calls are read from the objects, not from the sources: file A calls
# file B when A.o has an undefined abt_* symbol that B.o defines (nm).
# Fails when
#   - an object's file has no layer, or a layer names a file with no object,
#   - a symbol is defined by two files,
#   - a file calls a file in a higher layer,
#   - the calls form a cycle (files of one layer may call each other, but
#     not round in a circle).
# --graph prints each file's layer and the files it calls.
set -eu

graph=0
if [ "${1:-}" = --graph ]; then
	graph=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: runtime-layers.sh [--graph] LAYERS OBJ..." >&2; exit 2; }
layers=$1
shift
NM=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "file layer", layers numbered from 1 (lowest) in file order
awk '!/^#/ && NF { n++; for (i = 1; i <= NF; i++) print $i, n }' "$layers" \
	> "$tmp/layer"
for o in "$@"; do
	f=$(basename "$o" .o)
	echo "$f" >> "$tmp/files"
	$NM --defined-only -g "$o" |
		awk -v f="$f" 'NF == 3 && $3 ~ /^abt_/ { print $3, f }' >> "$tmp/defs"
	$NM -u "$o" | awk -v f="$f" '$NF ~ /^abt_/ { print f, $NF }' >> "$tmp/uses"
done
touch "$tmp/defs" "$tmp/uses"

bad=0
fail() {
	echo "runtime-layers: $*" >&2
	bad=1
}

# every file in a layer, every layer entry a file
for f in $(sort -u "$tmp/files"); do
	grep -q "^$f " "$tmp/layer" || fail "$f.o: $f has no layer in $layers"
done
for f in $(awk '{ print $1 }' "$tmp/layer"); do
	grep -qx "$f" "$tmp/files" || fail "$layers names $f, which has no object"
done
dups=$(awk '{ print $1 }' "$tmp/defs" | sort | uniq -d)
for s in $dups; do
	fail "$s is defined by $(awk -v s="$s" '$1 == s { print $2 }' "$tmp/defs" | tr '\n' ' ')"
done

# "caller callee symbol" for every call between two files
awk 'NR == FNR { def[$1] = $2; next }
     ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' \
	"$tmp/defs" "$tmp/uses" | sort -u > "$tmp/calls"

# calls up
awk 'NR == FNR { layer[$1] = $2; next }
     ($1 in layer) && ($2 in layer) && layer[$2] > layer[$1] {
	printf "%s (layer %d) calls %s (layer %d): %s\n",
	       $1, layer[$1], $2, layer[$2], $3 }' \
	"$tmp/layer" "$tmp/calls" > "$tmp/up"
if [ -s "$tmp/up" ]; then
	while IFS= read -r l; do
		fail "$l"
	done < "$tmp/up"
fi

# cycles: tsort of the file graph (each file also stands alone, so that a
# file without calls is still a node)
{ awk '{ print $1, $2 }' "$tmp/calls" | sort -u
  sort -u "$tmp/files" | awk '{ print $1, $1 }'; } > "$tmp/pairs"
if ! tsort "$tmp/pairs" > /dev/null 2> "$tmp/tsort"; then
	fail "the calls form a cycle through: $(grep -v 'input contains a loop' "$tmp/tsort" |
		sed 's/^tsort: //' | sort -u | tr '\n' ' ')"
fi

if [ $graph = 1 ]; then
	awk 'NR == FNR { layer[$1] = $2; next }
	     FILENAME ~ /calls$/ { calls[$1] = calls[$1] " " $2; next }
	     { files[$1] = 1 }
	     END { for (f in files) print layer[f], f ":" calls[f] }' \
		"$tmp/layer" "$tmp/calls" "$tmp/files" |
		awk '{ n = split($0, w, " "); delete seen; out = "";
		       for (i = 3; i <= n; i++) if (!(w[i] in seen)) {
			       seen[w[i]] = 1; out = out " " w[i] }
		       printf "layer %s  %-16s%s\n", $1, $2, out }' | sort -k2,2n -k3,3
fi

[ $bad = 0 ] || exit 1
echo "runtime-layers: $(sort -u "$tmp/files" | wc -l) files in" \
     "$(awk '{ print $2 }' "$tmp/layer" | sort -u | wc -l) layers," \
     "$(awk '{ print $1, $2 }' "$tmp/calls" | sort -u | wc -l) calling pairs:" \
     "none calls up, no cycle"
