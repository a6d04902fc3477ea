#!/bin/sh
# The QEMU plugin, loaded for real: U-Boot boots under build/abt-prof.so
# for a few seconds (QEMU ends on SIGTERM, which runs the plugin's exit
# callback), then the profile must read back with privileged executions,
# site-page loads and pages. Usage: profile-plugin-smoke.sh PLUGIN DUMP
set -e
plugin=$1
dump=$2
uboot=/usr/lib/u-boot/qemu-ppce500/uboot.elf
if ! command -v qemu-system-ppc >/dev/null || [ ! -f "$uboot" ]; then
	echo "profile-plugin-smoke: skipped (no qemu-system-ppc or U-Boot; make guest-uboot)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abtp-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
timeout -s TERM 4 qemu-system-ppc -M ppce500 -cpu e500v2 -display none \
	-serial null -monitor none -bios "$uboot" -m 128 -net none \
	-no-reboot -icount shift=4,sleep=off \
	-plugin "$plugin,out=$tmp/u.abtp,guest=u-boot" </dev/null \
	2>"$tmp/err" || true
if [ ! -f "$tmp/u.abtp" ]; then
	cat "$tmp/err"
	echo "profile-plugin-smoke: no profile written"
	exit 1
fi
"$dump" -q "$tmp/u.abtp" >"$tmp/out"
cat "$tmp/out"
exec=$(sed -n 's/^events .*EXEC \([0-9]*\), LOAD \([0-9]*\).*/\1 \2/p' "$tmp/out")
pages=$(sed -n 's/^pages *\([0-9]*\).*/\1/p' "$tmp/out")
set -- $exec
[ "${1:-0}" -gt 10000 ] && [ "${2:-0}" -gt 0 ] && [ "${pages:-0}" -gt 0 ] || {
	echo "profile-plugin-smoke: implausible profile (EXEC ${1:-?}, LOAD ${2:-?}, pages ${pages:-?})"
	exit 1
}
echo "profile-plugin-smoke: ok"
