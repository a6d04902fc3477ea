# kvm-glue/vmm/vmm.mk: abt-vmm, the minimal KVM VMM for e500v2 guests, the
# guest device tree, and the level-1 initramfs for nested runs inside
# qemu-system-ppc (kvm-glue/vmm/README.md).
#
#   make vmm                  $(BUILD)/vmm/{abt-vmm,l1-init,guest.dtb}
#   make vmm-check            --help, bad inputs and the DTB edits, run
#                             under qemu-user (no KVM needed)
#   make vmm-l1-initramfs     $(BUILD)/vmm/l1-initramfs.cpio.gz: l1-init,
#                             abt-vmm, the guest Linux + initramfs + dtb
#   make vmm-run-nested [VMM_L1_KERNEL=vmlinux]
#                             boot a level-1 kernel with KVM_E500V2 (default
#                             build/kvm-host/vmlinux) in QEMU with that
#                             initramfs; the guest runs nested under KVM
#
# abt-vmm and l1-init run on the e500v2 (level 1): static, soft-float.

VMM_DIR      := kvm-glue/vmm
VMM_OUT      := $(BUILD)/vmm
VMM_DEB_PKGS := gcc-powerpc-linux-gnu libc6-dev-powerpc-cross \
		linux-libc-dev-powerpc-cross binutils-powerpc-linux-gnu \
		device-tree-compiler
VMM_CFLAGS   := -std=gnu99 -static -mcpu=8540 -msoft-float -O2 \
		-Wall -Wextra -Wno-unused-parameter
# QEMU's own node names: /memory has no unit address, power-off no reg.
VMM_DTC      := dtc -W no-unit_address_vs_reg -W no-simple_bus_reg

# Nested runs: level 1 gets 512 MiB (the guest takes 128 of it). The
# level-1 kernel defaults to kvm-glue/linux's `make kvm-host` result.
VMM_L1_KERNEL ?= $(or $(KVM_HOST_VMLINUX),build/kvm-host/vmlinux)
VMM_L1_MEM    ?= 512
VMM_TIMEOUT   ?= 1800
VMM_QEMU_L1   := qemu-system-ppc -M ppce500 -cpu e500v2 -m $(VMM_L1_MEM) \
		 -nographic -net none -no-reboot
# One abt-vmm argument per line (l1-init reads /abt-vmm.args).
VMM_GUEST_APPEND ?= console=ttyS0,115200 abt_out=kmsg
VMM_GUEST_ARGS   ?= -k /guest/vmlinux -i /guest/initramfs.cpio.gz \
		    -d /guest/guest.dtb -t $(VMM_TIMEOUT)

.PHONY: vmm vmm-deps vmm-check vmm-l1-initramfs vmm-run-nested

vmm: $(VMM_OUT)/abt-vmm $(VMM_OUT)/l1-init $(VMM_OUT)/guest.dtb

vmm-deps:
	$(call install_missing,$(VMM_DEB_PKGS))

$(VMM_OUT)/abt-vmm: $(VMM_DIR)/abt-vmm.c | vmm-deps
	@mkdir -p $(@D)
	$(CROSS)gcc $(VMM_CFLAGS) -o $@ $<

$(VMM_OUT)/l1-init: $(VMM_DIR)/l1-init.c | vmm-deps
	@mkdir -p $(@D)
	$(CROSS)gcc $(VMM_CFLAGS) -o $@ $<

$(VMM_OUT)/guest.dtb: $(VMM_DIR)/ppce500-guest.dts | vmm-deps
	@mkdir -p $(@D)
	$(VMM_DTC) -I dts -O dtb -o $@ $<

# No KVM here: option errors, bad files, and the device tree abt-vmm would
# hand the guest (--dump-dtb), under qemu-user.
vmm-check: vmm guest-linux
	$(call install_missing,qemu-user)
	@sh $(VMM_DIR)/vmm-check.sh $(VMM_OUT) $(GUEST_LINUX)

# Level-1 initramfs, packed with the kernel's gen_init_cpio (built by
# guest-initramfs) like the guest's own: reproducible, owned by root.
vmm-l1-initramfs: vmm guest-linux
	@set -e; d=$(VMM_OUT)/l1; rm -rf $$d; mkdir -p $$d; \
	$(CROSS)strip -o $$d/vmlinux $(GUEST_VMLINUX); \
	: > $$d/abt-vmm.args; \
	for a in $(VMM_GUEST_ARGS); do echo "$$a" >> $$d/abt-vmm.args; done; \
	printf '%s\n%s\n' -a '$(VMM_GUEST_APPEND)' >> $$d/abt-vmm.args; \
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	  'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /guest 0755 0 0' \
	  'file /init $(VMM_OUT)/l1-init 0755 0 0' \
	  'file /abt-vmm $(VMM_OUT)/abt-vmm 0755 0 0' \
	  "file /abt-vmm.args $$d/abt-vmm.args 0644 0 0" \
	  "file /guest/vmlinux $$d/vmlinux 0644 0 0" \
	  'file /guest/initramfs.cpio.gz $(GUEST_INITRD) 0644 0 0' \
	  'file /guest/guest.dtb $(VMM_OUT)/guest.dtb 0644 0 0' \
	  > $$d/initramfs.list; \
	$(GUEST_LINUX)/gen_init_cpio -t 0 $$d/initramfs.list | gzip -n -9 \
	  > $(VMM_OUT)/l1-initramfs.cpio.gz; \
	echo "vmm: built $(VMM_OUT)/l1-initramfs.cpio.gz"; \
	sed 's/^/vmm:   abt-vmm.args: /' $$d/abt-vmm.args

# Succeeds only when abt-vmm exits 0 (guest powered off or --until seen):
# l1-init prints ABT-L1-DONE status=N, then powers level 1 off.
vmm-run-nested: vmm-l1-initramfs $(GUEST_DRIVE)
	@test -f "$(VMM_L1_KERNEL)" || { echo "vmm: no $(VMM_L1_KERNEL): run make kvm-host or set VMM_L1_KERNEL to a level-1 vmlinux with KVM_E500V2" >&2; exit 1; }
	$(GUEST_DRIVE) -t $$(( $(VMM_TIMEOUT) + 300 )) \
	  -l $(VMM_OUT)/nested-console.log 'expect:ABT-L1-DONE status=0' \
	  'exit:60' -- $(VMM_QEMU_L1) -kernel $(VMM_L1_KERNEL) \
	  -initrd $(VMM_OUT)/l1-initramfs.cpio.gz -append "console=ttyS0,115200"
