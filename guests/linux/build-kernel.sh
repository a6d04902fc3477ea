#!/bin/sh
# Build the abt reference guest kernel: Debian's linux-source-6.1, configured
# with `allnoconfig` + guests/linux/ppce500-min.config, `make vmlinux`.
#
#   guests/linux/build-kernel.sh GUEST_BUILD CROSS
#
# Leaves GUEST_BUILD/linux/{vmlinux,System.map,config}. Called by
# guests/guests.mk, which decides (by content key) whether to call it at all.
# The tree is unpacked once into GUEST_BUILD/linux-source-6.1 and built out of
# tree in GUEST_BUILD/linux/kbuild, so a config change rebuilds incrementally.
set -eu

GB=${1:?guest build dir}
CROSS=${2:-powerpc-linux-gnu-}
HERE=$(cd "$(dirname "$0")" && pwd)
FRAG=$HERE/ppce500-min.config
TARBALL=/usr/src/linux-source-6.1.tar.xz

mkdir -p "$GB/linux"
GB=$(cd "$GB" && pwd)
SRC=$GB/linux-source-6.1
OUT=$GB/linux/kbuild

ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
if [ "$(cat "$SRC/.abt-unpacked" 2>/dev/null)" != "$ver" ]; then
	echo "guests: unpacking linux-source-6.1 $ver"
	rm -rf "$SRC" "$OUT"
	tar -C "$GB" -xf "$TARBALL"
	echo "$ver" > "$SRC/.abt-unpacked"
fi

mkdir -p "$OUT"
# Fixed build identity: the banner (and so vmlinux) does not depend on when,
# where or how often it was built.
export KBUILD_BUILD_TIMESTAMP='Mon Jan  1 00:00:00 UTC 2024'
export KBUILD_BUILD_USER=abt KBUILD_BUILD_HOST=abt KBUILD_BUILD_VERSION=1
kmake() {
	make -C "$SRC" O="$OUT" ARCH=powerpc CROSS_COMPILE="$CROSS" "$@"
}

# allnoconfig with the fragment's values forced (KCONFIG_ALLCONFIG), the same
# result as allnoconfig + scripts/kconfig/merge_config.sh + olddefconfig.
echo "guests: configuring (allnoconfig + $(basename "$FRAG"))"
kmake -s KCONFIG_ALLCONFIG="$FRAG" allnoconfig >/dev/null

# Every value the fragment asks for must have survived Kconfig.
sh "$HERE/../../tools/kconfig-check.sh" guests "$FRAG" "$OUT/.config" || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
echo "guests: make -j$jobs vmlinux (log: $OUT/build.log)"
start=$(date +%s)
if ! kmake -j"$jobs" vmlinux > "$OUT/build.log" 2>&1; then
	tail -40 "$OUT/build.log" >&2
	exit 1
fi
echo "guests: vmlinux built in $(( $(date +%s) - start )) s"

cp "$OUT/vmlinux" "$GB/linux/vmlinux"
cp "$OUT/System.map" "$GB/linux/System.map"
cp "$OUT/.config" "$GB/linux/config"
