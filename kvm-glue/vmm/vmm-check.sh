#!/bin/sh
# kvm-glue/vmm/vmm-check.sh VMM_OUT GUEST_LINUX: what can be checked of
# abt-vmm without KVM, running the static e500v2 binary under qemu-user:
# options, refusal of bad files (exit status 1, never a crash), and the
# device tree it would give the guest (--dump-dtb, decompiled with dtc).
set -u
OUT=${1:?vmm build dir}
GL=${2:?guest linux build dir}
# -cpu e500mc: abt-vmm is built for the e500v2 (isel, which qemu-ppc's
# default CPU lacks) and links Debian's hard-float libc (its setjmp saves
# FPRs, which an e500v2 without the kernel's FP emulation traps on); the
# e500mc has both.
VMM="qemu-ppc -cpu e500mc $OUT/abt-vmm"
T=$(mktemp -d /tmp/abt-vmm-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "vmm-check: FAIL: $*" >&2; }

# expect STATUS NAME -- command...: exit status and stderr kept in $T/err
expect() {
	want=$1 name=$2
	shift 3
	"$@" > "$T/out" 2> "$T/err"
	got=$?
	if [ "$got" = "$want" ]; then ok; else
		bad "$name: exit status $got, wanted $want: $(head -c 300 "$T/err")"
	fi
}

expect 0 help -- $VMM --help
grep -q '^usage: abt-vmm' "$T/out" || bad "help: no usage line"
expect 1 no-args -- $VMM
expect 1 bad-option -- $VMM --no-such-option
expect 1 bad-mem -- $VMM -k x -d y -m 7
expect 1 missing-kernel -- $VMM -k "$T/none" -d "$OUT/guest.dtb" --dump-dtb "$T/o"
expect 1 dtb-as-kernel -- $VMM -k "$OUT/guest.dtb" -d "$OUT/guest.dtb" --dump-dtb "$T/o"
grep -q 'not an ELF file' "$T/err" || bad "dtb-as-kernel: message: $(cat "$T/err")"
expect 1 kernel-as-dtb -- $VMM -k "$GL/vmlinux" -d "$GL/initramfs.cpio.gz" --dump-dtb "$T/o"
head -c 17000000 /dev/zero > "$T/big"
expect 1 initrd-too-big -- $VMM -k "$GL/vmlinux" -d "$OUT/guest.dtb" -i "$T/big" --dump-dtb "$T/o"

# the device tree the guest gets
expect 0 dump-dtb -- $VMM -k "$GL/vmlinux" -d "$OUT/guest.dtb" \
	-i "$GL/initramfs.cpio.gz" -m 256 -a "console=ttyS0 abt_out=kmsg" \
	--dump-dtb "$T/o.dtb"
dtc -I dtb -O dts "$T/o.dtb" > "$T/o.dts" 2>/dev/null || bad "dump-dtb: dtc cannot read it"
end=$(printf '0x%x' $((0x2000000 + $(stat -c %s "$GL/initramfs.cpio.gz"))))
grep -q 'linux,initrd-start = <0x00 0x2000000>;' "$T/o.dts" || bad "dump-dtb: initrd-start"
grep -q "linux,initrd-end = <0x00 $end>;" "$T/o.dts" || bad "dump-dtb: initrd-end (want $end)"
grep -q 'bootargs = "console=ttyS0 abt_out=kmsg";' "$T/o.dts" || bad "dump-dtb: bootargs"
grep -q 'reg = <0x00 0x00 0x00 0x10000000>;' "$T/o.dts" || bad "dump-dtb: memory reg"
grep -q 'compatible = "gpio-poweroff";' "$T/o.dts" || bad "dump-dtb: power-off node lost"
# abt's translation cache: 1 MiB at 31 MiB, kept in the reservation block
grep -q '^/memreserve/[[:space:]]*0x0*1f00000 0x0*100000;' "$T/o.dts" ||
	bad "dump-dtb: /memreserve/ 0x1f00000 0x100000 lost"
grep -q 'hypervisor' "$T/o.dts" && bad "dump-dtb: /hypervisor in the unmodified guest's tree"

# the paravirtual guest's tree: the same plus /hypervisor
expect 0 dump-dtb-pv -- $VMM -k "$GL/vmlinux" -d "$OUT/guest-pv.dtb" \
	-i "$GL/initramfs.cpio.gz" -a "console=ttyS0 abt_out=kmsg" \
	--dump-dtb "$T/pv.dtb"
dtc -I dtb -O dts "$T/pv.dtb" > "$T/pv.dts" 2>/dev/null || bad "dump-dtb-pv: dtc cannot read it"
grep -q '^/memreserve/[[:space:]]*0x0*1f00000 0x0*100000;' "$T/pv.dts" ||
	bad "dump-dtb-pv: /memreserve/ lost"
grep -A3 '^[[:space:]]*hypervisor {' "$T/pv.dts" > "$T/hv" || bad "dump-dtb-pv: no /hypervisor"
grep -q 'compatible = "linux,kvm";' "$T/hv" || bad "dump-dtb-pv: /hypervisor compatible"
grep -q 'hcall-instructions = <0x3c004b56 0x60004d21 0x44000002 0x60000000>;' "$T/hv" ||
	bad "dump-dtb-pv: hcall-instructions"
grep -q 'bootargs = "console=ttyS0 abt_out=kmsg";' "$T/pv.dts" || bad "dump-dtb-pv: bootargs"

# corrupted device trees and kernels: refused or accepted, never a crash
i=0
while [ $i -lt 40 ]; do
	cp "$OUT/guest.dtb" "$T/f.dtb"
	size=$(stat -c %s "$T/f.dtb")
	off=$(( (i * 7919) % size ))
	printf "\\$(printf %o $(( (i * 37 + 11) % 256 )))" |
		dd of="$T/f.dtb" bs=1 seek=$off conv=notrunc 2>/dev/null
	[ $((i % 4)) = 0 ] && head -c $(( (i * 131) % size )) "$OUT/guest.dtb" > "$T/f.dtb"
	$VMM -k "$GL/vmlinux" -d "$T/f.dtb" -a "x y" --dump-dtb "$T/o" > /dev/null 2>&1
	st=$?
	[ $st -le 1 ] || bad "corrupt dtb $i (offset $off): exit status $st"
	i=$((i + 1))
done
ok
i=0
while [ $i -lt 20 ]; do
	head -c 200000 "$GL/vmlinux" > "$T/f.elf"
	printf "\\$(printf %o $(( (i * 53 + 7) % 256 )))" |
		dd of="$T/f.elf" bs=1 seek=$(( 24 + (i * 13) % 150 )) conv=notrunc 2>/dev/null
	$VMM -k "$T/f.elf" -d "$OUT/guest.dtb" --dump-dtb "$T/o" > /dev/null 2>&1
	st=$?
	[ $st -le 1 ] || bad "corrupt elf $i: exit status $st"
	i=$((i + 1))
done
ok

echo "vmm-check: $pass passed, $fail failed"
[ $fail = 0 ]
