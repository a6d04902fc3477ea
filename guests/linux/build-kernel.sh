#!/bin/sh
# Build an abt reference guest kernel: Debian's linux-source-6.1, configured
# with `allnoconfig` + guests/linux/ppce500-min.config, `make vmlinux`.
#
#   guests/linux/build-kernel.sh GUEST_BUILD CROSS [VARIANT [BASE]]
#
# Without VARIANT: the unmodified reference guest, left in
# GUEST_BUILD/linux/{vmlinux,System.map,config}.
#
# With VARIANT (e.g. pv): guests/linux/VARIANT.config is applied on top of
# ppce500-min.config (its values win), the patches guests/linux/VARIANT/*.patch
# are applied with `patch -p1 --fuzz=0` to a separate copy of the source, and
# the result goes to GUEST_BUILD/linux-VARIANT/{vmlinux,System.map,config}.
# The unmodified guest's source tree is never patched. BASE `none`: the
# variant's config is a whole configuration, not applied on top of
# ppce500-min.config (smp-preempt).
#
# Called by guests/guests.mk, which decides (by content key) whether to call
# it at all. A source tree is unpacked once per package version (and patch
# set), and built out of tree in <output dir>/kbuild, so a config change
# rebuilds incrementally.
set -eu

GB=${1:?guest build dir}
CROSS=${2:-powerpc-linux-gnu-}
VARIANT=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
BASE_FRAG=$HERE/ppce500-min.config
[ "${4:-}" != none ] || BASE_FRAG=
[ -n "$BASE_FRAG" ] || [ -n "$VARIANT" ] ||
	{ echo "guests: BASE none needs a VARIANT" >&2; exit 2; }
TARBALL=/usr/src/linux-source-6.1.tar.xz

mkdir -p "$GB"
GB=$(cd "$GB" && pwd)
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)

if [ -z "$VARIANT" ]; then
	NAME=guests
	DEST=$GB/linux
	UNPACK=$GB
	PATCHES=
else
	NAME=guests/$VARIANT
	DEST=$GB/linux-$VARIANT
	UNPACK=$DEST
	test -f "$HERE/$VARIANT.config" || {
		echo "$NAME: no fragment $HERE/$VARIANT.config" >&2
		exit 1
	}
	PATCHES=$(ls "$HERE/$VARIANT"/*.patch 2>/dev/null || true)
fi
SRC=$UNPACK/linux-source-6.1
OUT=$DEST/kbuild
mkdir -p "$DEST"

# What the source tree must be: the package version, plus the patch set.
want=$ver
if [ -n "$PATCHES" ]; then
	want="$ver patches $(cat $PATCHES | sha256sum | cut -c1-32)"
fi
have=$(cat "$SRC/.abt-unpacked" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	echo "$NAME: unpacking linux-source-6.1 $ver into $UNPACK"
	rm -rf "$SRC"
	# Another package version: its old build goes too.
	[ "${have%% *}" = "$ver" ] || rm -rf "$OUT"
	tar -C "$UNPACK" -xf "$TARBALL"
	for p in $PATCHES; do
		echo "$NAME: applying $(basename "$p")"
		if ! patch -d "$SRC" -p1 --fuzz=0 --no-backup-if-mismatch \
		     -s < "$p"; then
			echo "$NAME: $(basename "$p") does not apply" >&2
			rm -rf "$SRC"
			exit 1
		fi
	done
	# Files patched now or by the previous patch set get a new time, so
	# the kept kbuild tree recompiles them (tar restores old times).
	new=$(for p in $PATCHES; do sed -n 's|^+++ b/||p' "$p"; done)
	for f in $new $(cat "$DEST/patched-files" 2>/dev/null || true); do
		[ ! -f "$SRC/$f" ] || touch "$SRC/$f"
	done
	for f in $new; do echo "$f"; done | sort -u > "$DEST/patched-files"
	echo "$want" > "$SRC/.abt-unpacked"
fi

mkdir -p "$OUT"
# Fixed build identity: the banner (and so vmlinux) does not depend on when,
# where or how often it was built.
export KBUILD_BUILD_TIMESTAMP='Mon Jan  1 00:00:00 UTC 2024'
export KBUILD_BUILD_USER=abt KBUILD_BUILD_HOST=abt KBUILD_BUILD_VERSION=1
kmake() {
	make -C "$SRC" O="$OUT" ARCH=powerpc CROSS_COMPILE="$CROSS" "$@"
}

# The fragment Kconfig gets: the base one, and for a variant its own lines
# with every symbol they set removed from the base first (so the variant's
# "CONFIG_X=y" replaces the base's "# CONFIG_X is not set").
FRAG=$OUT/fragment.config
if [ -z "$VARIANT" ]; then
	cp "$BASE_FRAG" "$FRAG"
elif [ -z "$BASE_FRAG" ]; then
	cp "$HERE/$VARIANT.config" "$FRAG"
else
	awk 'function sym(l) {
		if (l ~ /^CONFIG_[A-Za-z0-9_]+=/) { sub(/=.*/, "", l); return l }
		if (l ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) {
			split(l, w, " "); return w[2]
		}
		return ""
	}
	NR == FNR { s = sym($0); if (s != "") over[s] = 1; next }
	{ s = sym($0); if (s == "" || !(s in over)) print }' \
		"$HERE/$VARIANT.config" "$BASE_FRAG" > "$FRAG"
	cat "$HERE/$VARIANT.config" >> "$FRAG"
fi

# allnoconfig with the fragment's values forced (KCONFIG_ALLCONFIG), the same
# result as allnoconfig + scripts/kconfig/merge_config.sh + olddefconfig.
echo "$NAME: configuring (allnoconfig${BASE_FRAG:+ + $(basename "$BASE_FRAG")}${VARIANT:+ + $VARIANT.config})"
kmake -s KCONFIG_ALLCONFIG="$FRAG" allnoconfig >/dev/null

# Every value the fragment asks for must have survived Kconfig.
sh "$HERE/../../tools/kconfig-check.sh" "$NAME" "$FRAG" "$OUT/.config" || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
echo "$NAME: make -j$jobs vmlinux (log: $OUT/build.log)"
start=$(date +%s)
if ! kmake -j"$jobs" vmlinux > "$OUT/build.log" 2>&1; then
	tail -40 "$OUT/build.log" >&2
	exit 1
fi
echo "$NAME: vmlinux built in $(( $(date +%s) - start )) s"

cp "$OUT/vmlinux" "$DEST/vmlinux"
cp "$OUT/System.map" "$DEST/System.map"
cp "$OUT/.config" "$DEST/config"
