#!/bin/sh
# The VMM's copy of the KVM_CAP_PPC_ABT uapi (kvm-glue/vmm/abt-cap.h)
# against the patch that defines it: the same capability number, flag
# values and struct fields in the same order and types.
#   tests/vmm-cap-uapi.sh [SERIES_DIR [HEADER]]
set -eu
dir=${1:-kvm-glue/linux}
hdr=${2:-kvm-glue/vmm/abt-cap.h}
patch=$(grep -l '^+#define KVM_CAP_PPC_ABT ' "$dir"/0*.patch | head -n 1)
[ -n "$patch" ] || { echo "vmm-cap-uapi: no patch in $dir defines KVM_CAP_PPC_ABT"; echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
check() {
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1: patch '$2', header '$3'"; fi
}
defs() { sed -n 's/^+\{0,1\}#define \(KVM_CAP_PPC_ABT\|KVM_PPC_ABT_[A-Z_]*\)[ \t]\{1,\}\([0-9a-fx]*\).*/\1 \2/p' "$1" | sort; }
# struct fields: "type name" per member, __u32 read as uint32_t
fields() {
	awk -v s="$2" '
		$0 ~ "^\\+?struct " s " \\{" { on = 1; next }
		on && /^\+?\};/ { exit }
		on { sub(/^\+/, ""); sub(/\/\*.*/, ""); gsub(/__u/, "uint"); gsub(/uint([0-9]+)/, "uint&_t");
		     gsub(/uintuint/, "uint"); gsub(/_t_t/, "_t"); gsub(/[ \t]+/, " "); sub(/^ /, ""); sub(/ $/, "");
		     if ($0 != "") print }' "$1"
}
check "capability number and flags" "$(defs "$patch")" "$(defs "$hdr")"
check "struct kvm_ppc_abt_range" "$(fields "$patch" kvm_ppc_abt_range)" "$(fields "$hdr" kvm_ppc_abt_range)"
check "struct kvm_ppc_abt_config" "$(fields "$patch" kvm_ppc_abt_config)" "$(fields "$hdr" kvm_ppc_abt_config)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
