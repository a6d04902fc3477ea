#!/bin/sh
# The userland of the smp2-busybox guest: Debian's busybox source package,
# configured with guests/busybox/busybox.config (Debian's static config,
# cross prefix powerpc-linux-gnu-), built static; packed with
# guests/busybox/init.sh as /init into an initramfs.
#
#   guests/busybox/build-busybox.sh GUEST_BUILD GEN_INIT_CPIO
#
# Leaves GUEST_BUILD/busybox/{busybox,initramfs.cpio.gz}. The source comes
# from Debian's archive through `apt-get source` with a private apt state
# under GUEST_BUILD/busybox/apt (the machine's sources and caches stay as
# they are). Called by guests/guests.mk, which decides by content key
# whether to call it at all.
set -eu

GB=${1:?guest build dir}
GEN=${2:?gen_init_cpio}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$GB/busybox"
D=$(cd "$GB/busybox" && pwd)
A=$D/apt
say() { echo "guests/busybox: $*"; }

# A private apt state with the deb-src line of the archive the machine's
# own sources name (Debian's deb822 or one-line lists).
mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v security | head -n 1)
[ -n "$uri" ] || uri=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' \
	/etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1)
[ -n "$uri" ] || { echo "guests/busybox: no Debian archive in the apt sources" >&2; exit 1; }
. /etc/os-release
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $VERSION_CODENAME main" \
	> "$A/sources.list"
apt_priv() {
	apt-get -q -o Dir::Etc::SourceList="$A/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$A/lists" \
		-o Dir::Cache="$A/cache" -o APT::Sandbox::User=root "$@"
}

if [ ! -f "$D/src/.abt-unpacked" ]; then
	say "fetching Debian's busybox source ($uri $VERSION_CODENAME)"
	apt_priv update > "$D/apt.log" 2>&1 ||
		{ tail -5 "$D/apt.log" >&2; exit 1; }
	rm -rf "$D/dl" "$D/src"
	mkdir -p "$D/dl"
	(cd "$D/dl" && apt_priv source --download-only busybox) >> "$D/apt.log" 2>&1 ||
		{ tail -5 "$D/apt.log" >&2; exit 1; }
	dpkg-source -x "$D"/dl/busybox_*.dsc "$D/src" >> "$D/apt.log" 2>&1 ||
		{ tail -5 "$D/apt.log" >&2; exit 1; }
	basename "$D"/dl/busybox_*.dsc .dsc > "$D/src/.abt-unpacked"
fi
say "building $(cat "$D/src/.abt-unpacked") static (log: $D/build.log)"
start=$(date +%s)
cp "$HERE/busybox.config" "$D/src/.config"
if ! { yes '' | make -C "$D/src" oldconfig &&
       make -C "$D/src" -j"$(nproc 2>/dev/null || echo 2)" busybox; } \
     > "$D/build.log" 2>&1; then
	tail -30 "$D/build.log" >&2
	exit 1
fi
cp "$D/src/busybox" "$D/busybox.new" && mv "$D/busybox.new" "$D/busybox"
say "busybox built in $(( $(date +%s) - start )) s"

cp "$HERE/init.sh" "$D/init"
chmod 755 "$D/init"
touch -d @0 "$D/init" "$D/busybox"
printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /bin 0755 0 0' \
	'dir /tmp 01777 0 0' "file /bin/busybox $D/busybox 0755 0 0" \
	'slink /bin/sh busybox 0777 0 0' "file /init $D/init 0755 0 0" \
	> "$D/initramfs.list"
"$GEN" -t 0 "$D/initramfs.list" | gzip -n -9 > "$D/initramfs.cpio.gz.tmp"
mv "$D/initramfs.cpio.gz.tmp" "$D/initramfs.cpio.gz"
say "built $D/initramfs.cpio.gz"
