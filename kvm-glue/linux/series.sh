#!/bin/sh
# The abt Linux KVM patch series (kvm-glue/linux/0*.patch) on Debian's
# linux-source-6.1: apply it, checkpatch it, build the KVM directory or a
# whole level-1 host kernel. Called by kvm-glue/linux/series.mk.
#
#   series.sh apply      [KH [CROSS]]   fresh copy of the pristine tree + series
#   series.sh checkpatch [KH [CROSS]]   scripts/checkpatch.pl --strict, must be clean
#   series.sh build      [KH [CROSS]]   configure, make prepare, make arch/powerpc/kvm/
#   series.sh kernel     [KH [CROSS]]   configure, make vmlinux
#   series.sh git        [KH [CROSS]]   KH/linux: git repo, pristine commit + git am
#   series.sh sync       KSRC           copy abt's runtime/ + gen/ into
#                                       KSRC/arch/powerpc/kvm/abt/
#
# KH (default build/kvm-host) holds:
#   pristine/linux-source-6.1   the tarball unpacked once per package version
#   src/                        pristine + series (recreated by `apply`)
#   kbuild/                     out-of-tree objects (O=), kept across applies
#   vmlinux, System.map, config the last `kernel` result
#   linux/                      `git` only: a git tree for editing the series
#
# `build` and `kernel` re-apply only when the series changed (key in
# src/.abt-series); `apply` always starts from a fresh copy. Copies keep the
# tarball's file times and every file a patch touches (this series or the
# previous one) is touched, so kbuild rebuilds exactly what changed.
set -eu

cmd=${1:?usage: series.sh apply|checkpatch|build|kernel|git [KH [CROSS]]}
KH=${2:-build/kvm-host}
CROSS=${3:-powerpc-linux-gnu-}
HERE=$(cd "$(dirname "$0")" && pwd)
FRAG=$HERE/kvm-host.config
TARBALL=/usr/src/linux-source-6.1.tar.xz

say() { echo "kvm-series: $*"; }

# The KVM_E500V2_ABT sources: abt's runtime and generated code, flat in
# arch/powerpc/kvm/abt/ (patch 0006 builds them from there). Copied, not
# carried in a patch, so the series never holds a stale copy of gen/.
ABT_ROOT=$(cd "$HERE/../.." && pwd)
abt_files() {
	ls "$ABT_ROOT"/runtime/*.c "$ABT_ROOT"/runtime/*.h \
	   "$ABT_ROOT"/runtime/include/*.h "$ABT_ROOT"/gen/*.c "$ABT_ROOT"/gen/*.h
}

# sync_abt TREE: copy only files whose content changed (kbuild then
# recompiles just those) and drop files abt no longer has.
sync_abt() {
	d=$1/arch/powerpc/kvm/abt
	[ -f "$1/arch/powerpc/kvm/Kconfig" ] ||
		{ echo "kvm-series: $1 is not a Linux tree" >&2; exit 1; }
	mkdir -p "$d"
	n=0
	for f in $(abt_files); do
		b=$(basename "$f")
		if ! cmp -s "$f" "$d/$b"; then
			cp "$f" "$d/$b.new" && mv "$d/$b.new" "$d/$b"
			n=$((n + 1))
		fi
	done
	for f in "$d"/*; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		abt_files | grep -q "/$b\$" || { rm -f "$f"; n=$((n + 1)); }
	done
	say "abt sources in $d: $(abt_files | wc -l) files, $n updated"
}
if [ "$cmd" = sync ]; then
	[ $# -ge 2 ] || { echo "usage: series.sh sync KSRC" >&2; exit 2; }
	sync_abt "$2"
	exit 0
fi

mkdir -p "$KH"
KH=$(cd "$KH" && pwd)
PRISTINE=$KH/pristine/linux-source-6.1
SRC=$KH/src
OUT=$KH/kbuild

series=$(ls "$HERE"/0*.patch 2>/dev/null | sort) || true
[ -n "$series" ] || { echo "kvm-series: no patches in $HERE" >&2; exit 1; }

now() { date +%s; }

# One series.sh at a time per KH: they share src/ and kbuild/.
exec 9> "$KH/.lock"
if ! flock -n 9; then
	say "waiting for another series.sh using $KH"
	flock 9
fi

ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
series_key=$( { echo "$ver"; cat $series; } | sha256sum | cut -c1-32)

unpack_pristine() {
	if [ "$(cat "$PRISTINE/.abt-unpacked" 2>/dev/null)" != "$ver" ]; then
		say "unpacking linux-source-6.1 $ver into $KH/pristine"
		rm -rf "$KH/pristine"
		mkdir -p "$KH/pristine"
		tar -C "$KH/pristine" -xf "$TARBALL"
		# Nothing may write here: the copies below must start pristine.
		echo "$ver" > "$PRISTINE/.abt-unpacked"
	fi
}

# Files a patch creates, changes or deletes (the b/ side, or a/ if deleted).
touched() {
	awk '/^--- a\//   { a = substr($2, 3) }
	     /^\+\+\+ /   { print ($2 == "/dev/null") ? a : substr($2, 3) }' "$@" | sort -u
}

do_apply() {
	unpack_pristine
	start=$(now)
	say "fresh copy of the pristine tree"
	rm -rf "$SRC.new"
	mkdir "$SRC.new"
	cp -a "$PRISTINE/." "$SRC.new/"
	rm -f "$SRC.new/.abt-unpacked"
	for p in $series; do
		say "applying $(basename "$p")"
		if ! patch -d "$SRC.new" -p1 --batch --forward --fuzz=0 \
			--no-backup-if-mismatch -s -i "$p"; then
			echo "kvm-series: $(basename "$p") does not apply to linux-source-6.1 $ver" >&2
			rm -rf "$SRC.new"
			exit 1
		fi
	done
	find "$SRC.new" -name '*.rej' -o -name '*.orig' | grep -q . &&
		{ echo "kvm-series: stray .rej/.orig files in $SRC.new" >&2; exit 1; }
	# Files this series or the previously applied one touch get a new time.
	{ touched $series; cat "$SRC/.abt-touched" 2>/dev/null || true; } | sort -u |
		while IFS= read -r f; do
			[ -e "$SRC.new/$f" ] && touch "$SRC.new/$f"
		done
	touched $series > "$SRC.new/.abt-touched"
	sync_abt "$SRC.new"
	echo "$series_key" > "$SRC.new/.abt-series"
	rm -rf "$SRC"
	mv "$SRC.new" "$SRC"
	say "$(echo "$series" | wc -l) patches applied in $(( $(now) - start )) s: $SRC"
}

ensure_applied() {
	if [ "$(cat "$SRC/.abt-series" 2>/dev/null)" = "$series_key" ]; then
		say "$SRC up to date with the series"
		sync_abt "$SRC"
	else
		do_apply
	fi
}

export KBUILD_BUILD_TIMESTAMP='Mon Jan  1 00:00:00 UTC 2024'
export KBUILD_BUILD_USER=abt KBUILD_BUILD_HOST=abt KBUILD_BUILD_VERSION=1
kmake() {
	make -C "$SRC" O="$OUT" ARCH=powerpc CROSS_COMPILE="$CROSS" "$@"
}

# allnoconfig with the fragment forced (as guests/linux/build-kernel.sh
# does), skipped when .config already came from this fragment.
configure() {
	cfg_key=$( { echo "$ver"; cat "$FRAG"; echo "$CROSS"; } | sha256sum | cut -c1-32)
	mkdir -p "$OUT"
	if [ -f "$OUT/.config" ] && [ "$(cat "$OUT/.abt-config" 2>/dev/null)" = "$cfg_key" ]; then
		say "config up to date ($(basename "$FRAG"))"
		return
	fi
	say "configuring (allnoconfig + $(basename "$FRAG"))"
	rm -f "$OUT/.abt-config"
	kmake -s KCONFIG_ALLCONFIG="$FRAG" allnoconfig >/dev/null
	sh "$HERE/../../tools/kconfig-check.sh" kvm-series "$FRAG" "$OUT/.config" || exit 1
	echo "$cfg_key" > "$OUT/.abt-config"
}

jobs=$(nproc 2>/dev/null || echo 2)

# run LOG TARGET...: kmake into a log; show its tail if it fails.
run() {
	log=$1; shift
	if ! kmake -j"$jobs" "$@" > "$log" 2>&1; then
		tail -40 "$log" >&2
		echo "kvm-series: make $* failed (log: $log)" >&2
		exit 1
	fi
}

case $cmd in
apply)
	do_apply
	;;
checkpatch)
	unpack_pristine
	bad=0
	for p in $series; do
		out=$(cd "$PRISTINE" && perl scripts/checkpatch.pl --strict "$p" 2>&1) || true
		total=$(echo "$out" | grep '^total:' || echo "total: (no summary)")
		echo "$(basename "$p"): $total"
		case $total in
		"total: 0 errors, 0 warnings, 0 checks,"*) ;;
		*) echo "$out"; bad=1 ;;
		esac
	done
	[ $bad = 0 ] || { echo "kvm-series: checkpatch --strict is not clean" >&2; exit 1; }
	say "checkpatch --strict: $(echo "$series" | wc -l) patches clean"
	;;
build)
	t0=$(now)
	ensure_applied
	t1=$(now)
	configure
	say "make prepare (log: $OUT/prepare.log)"
	run "$OUT/prepare.log" prepare
	t2=$(now)
	say "make arch/powerpc/kvm/ (log: $OUT/kvm.log)"
	run "$OUT/kvm.log" arch/powerpc/kvm/
	t3=$(now)
	n=$("${CROSS}ar" t "$OUT/arch/powerpc/kvm/built-in.a" | wc -l)
	[ -f "$OUT/arch/powerpc/kvm/built-in.a" ] ||
		{ echo "kvm-series: no arch/powerpc/kvm/built-in.a" >&2; exit 1; }
	if grep -i 'warning:' "$OUT/kvm.log" >&2; then
		# Drop the objects so that the next run compiles (and warns) again.
		rm -rf "$OUT/arch/powerpc/kvm" "$OUT/virt/kvm"
		echo "kvm-series: arch/powerpc/kvm/ built with warnings" >&2
		exit 1
	fi
	say "arch/powerpc/kvm/ built: $n objects, no warnings;" \
	    "apply $((t1 - t0)) s, configure+prepare $((t2 - t1)) s, kvm $((t3 - t2)) s, total $((t3 - t0)) s"
	;;
kernel)
	t0=$(now)
	ensure_applied
	configure
	say "make -j$jobs vmlinux (log: $OUT/build.log)"
	run "$OUT/build.log" vmlinux
	cp "$OUT/vmlinux" "$KH/vmlinux"
	cp "$OUT/System.map" "$KH/System.map"
	cp "$OUT/.config" "$KH/config"
	say "$KH/vmlinux built in $(( $(now) - t0 )) s"
	;;
git)
	unpack_pristine
	G=$KH/linux
	[ ! -e "$G" ] || { echo "kvm-series: $G exists; remove it first" >&2; exit 1; }
	say "copying the pristine tree to $G"
	mkdir -p "$G"
	cp -a "$PRISTINE/." "$G/"
	rm -f "$G/.abt-unpacked"
	cd "$G"
	git init -q
	git config user.name "abt developers"
	git config user.email dev@abt.invalid
	# Debian's .gitignore ignores the whole top level: add with -f.
	git add -f -A
	git commit -q -m "Linux 6.1 (Debian linux-source-6.1 $ver), pristine"
	git am -q $series
	git log --oneline | cat
	say "edit, commit, then: git format-patch -o $HERE HEAD~$(echo "$series" | wc -l)"
	;;
*)
	echo "series.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
