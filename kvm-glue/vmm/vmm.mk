# kvm-glue/vmm/vmm.mk: abt-vmm, the minimal KVM VMM for e500v2 guests, the
# guest device tree, and the level-1 initramfs for nested runs inside
# qemu-system-ppc (kvm-glue/vmm/README.md).
#
#   make vmm                  $(BUILD)/vmm/{abt-vmm,l1-init,guest.dtb,
#                             guest-pv.dtb}
#   make vmm-check            --help, bad inputs and the DTB edits, run
#                             under qemu-user (no KVM needed)
#   make vmm-l1-initramfs     $(BUILD)/vmm/l1-initramfs.cpio.gz: l1-init,
#                             abt-vmm, the guest Linux + initramfs + dtb
#   make vmm-run-nested [VMM_L1_KERNEL=vmlinux]
#                             boot a level-1 kernel with KVM_E500V2 (default
#                             build/kvm-host/vmlinux) in QEMU with that
#                             initramfs; the guest runs nested under KVM
#   make vmm-run-nested-pv    the same with the paravirtual guest
#                             (VMM_GUEST=linux-pv: build/guests/linux-pv
#                             and guest-pv.dtb)
#
# abt-vmm and l1-init run on the e500v2 (level 1): static, soft-float.

VMM_DIR      := kvm-glue/vmm
VMM_OUT      := $(BUILD)/vmm
VMM_DEB_PKGS := gcc-powerpc-linux-gnu libc6-dev-powerpc-cross \
		linux-libc-dev-powerpc-cross binutils-powerpc-linux-gnu \
		device-tree-compiler
# -mno-gnu-attribute: gcc tags an object that defines an extern variadic
# function (err, info) soft-float, and ld will not link that with Debian's
# hard-float libc.a. No FP is used: only the tag goes (the code is the same).
VMM_CFLAGS   := -std=gnu99 -static -mcpu=8540 -msoft-float -mno-gnu-attribute \
		-O2 -Wall -Wextra -Wno-unused-parameter -pthread
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
VMM_GUEST_APPEND ?= console=ttyS0,115200 abt_out=kmsg printk.devkmsg=on
VMM_GUEST_ARGS   ?= -k /guest/vmlinux -i /guest/initramfs.cpio.gz \
		    -d /guest/guest.dtb -t $(VMM_TIMEOUT)
# Which guest kernel: linux (the unmodified reference guest, guest.dtb) or
# linux-pv (the paravirtual comparison build, guest-pv.dtb); both use
# build/guests/linux/initramfs.cpio.gz.
VMM_GUEST        ?= linux
VMM_GUEST_DIR    := $(GUEST_BUILD)/$(VMM_GUEST)
VMM_GUEST_DTB    := $(VMM_OUT)/$(if $(filter linux-pv,$(VMM_GUEST)),guest-pv,guest).dtb
VMM_GUEST_TAG    := $(patsubst linux%,%,$(VMM_GUEST))
VMM_CONSOLE      := $(VMM_OUT)/nested-console$(VMM_GUEST_TAG).log
# With 1, the guest command line also gets abt_text=0xSTART+0xLEN, the
# guest-physical kernel text (_stext.._etext of the guest's System.map):
# its /init checksums it before and after the workload (guests/README.md),
# and the run fails unless the two agree.
VMM_TEXT_CHECK   ?= 1

.PHONY: vmm vmm-deps vmm-check vmm-l1-initramfs vmm-run-nested \
	vmm-run-nested-pv vmm-guest

vmm: $(VMM_OUT)/abt-vmm $(VMM_OUT)/l1-init $(VMM_OUT)/guest.dtb \
	$(VMM_OUT)/guest-pv.dtb $(VMM_OUT)/guest-smp.dtb

vmm-deps:
	$(call install_missing,$(VMM_DEB_PKGS))

# abt-vmm: every .c of the directory but l1-init.c (abt-vmm.h lists them).
VMM_SRCS := $(filter-out $(VMM_DIR)/l1-init.c,$(wildcard $(VMM_DIR)/*.c))
VMM_OBJS := $(patsubst $(VMM_DIR)/%.c,$(VMM_OUT)/obj/%.o,$(VMM_SRCS))

$(VMM_OBJS): $(VMM_OUT)/obj/%.o: $(VMM_DIR)/%.c | vmm-deps
	@mkdir -p $(@D)
	$(CROSS)gcc $(VMM_CFLAGS) -MMD -MP -c $< -o $@

$(VMM_OUT)/abt-vmm: $(VMM_OBJS)
	$(CROSS)gcc $(VMM_CFLAGS) -o $@ $(VMM_OBJS)

-include $(VMM_OBJS:.o=.d)

$(VMM_OUT)/l1-init: $(VMM_DIR)/l1-init.c | vmm-deps
	@mkdir -p $(@D)
	$(CROSS)gcc $(VMM_CFLAGS) -o $@ $<

$(VMM_OUT)/guest.dtb: $(VMM_DIR)/ppce500-guest.dts | vmm-deps
	@mkdir -p $(@D)
	$(VMM_DTC) -I dts -O dtb -o $@ $<

# The PV guest's tree: the same plus /hypervisor (it /include/s the first).
$(VMM_OUT)/guest-pv.dtb: $(VMM_DIR)/ppce500-guest-pv.dts \
			 $(VMM_DIR)/ppce500-guest.dts | vmm-deps
	@mkdir -p $(@D)
	$(VMM_DTC) -I dts -O dtb -o $@ $<

# The two-vCPU guest's tree: the same plus cpu@1 in the spin table.
$(VMM_OUT)/guest-smp.dtb: $(VMM_DIR)/ppce500-guest-smp.dts \
			  $(VMM_DIR)/ppce500-guest.dts | vmm-deps
	@mkdir -p $(@D)
	$(VMM_DTC) -I dts -O dtb -o $@ $<

# The guest kernel VMM_GUEST names (guests/guests.mk), and the initramfs.
vmm-guest:
	@case "$(VMM_GUEST)" in \
	linux) $(MAKE) --no-print-directory guest-linux ;; \
	linux-pv) $(MAKE) --no-print-directory guest-linux-pv ;; \
	*) echo "vmm: VMM_GUEST=$(VMM_GUEST): want linux or linux-pv" >&2; exit 1 ;; \
	esac

# No KVM here: option errors, bad files, and the device tree abt-vmm would
# hand the guest (--dump-dtb), under qemu-user.
vmm-check: vmm guest-linux
	$(call install_missing,qemu-user)
	@sh $(VMM_DIR)/vmm-check.sh $(VMM_OUT) $(GUEST_LINUX)

# Level-1 initramfs, packed with the kernel's gen_init_cpio (built by
# guest-initramfs) like the guest's own: reproducible, owned by root.
vmm-l1-initramfs: vmm vmm-guest
	@set -e; d=$(VMM_OUT)/l1; rm -rf $$d; mkdir -p $$d; \
	$(CROSS)strip -o $$d/vmlinux $(VMM_GUEST_DIR)/vmlinux; \
	: > $$d/abt-vmm.args; \
	for a in $(VMM_GUEST_ARGS); do echo "$$a" >> $$d/abt-vmm.args; done; \
	append='$(VMM_GUEST_APPEND)'; \
	if [ "$(VMM_TEXT_CHECK)" = 1 ]; then \
	  s=$$(awk '$$3 == "_stext" { print $$1 }' $(VMM_GUEST_DIR)/System.map); \
	  e=$$(awk '$$3 == "_etext" { print $$1 }' $(VMM_GUEST_DIR)/System.map); \
	  test -n "$$s" && test -n "$$e"; \
	  append="$$append $$(printf 'abt_text=0x%x+0x%x' \
	    $$(( 0x$$s - 0xc0000000 )) $$(( 0x$$e - 0x$$s )))"; \
	fi; \
	printf '%s\n%s\n' -a "$$append" >> $$d/abt-vmm.args; \
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	  'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /guest 0755 0 0' \
	  'file /init $(VMM_OUT)/l1-init 0755 0 0' \
	  'file /abt-vmm $(VMM_OUT)/abt-vmm 0755 0 0' \
	  "file /abt-vmm.args $$d/abt-vmm.args 0644 0 0" \
	  "file /guest/vmlinux $$d/vmlinux 0644 0 0" \
	  'file /guest/initramfs.cpio.gz $(GUEST_INITRD) 0644 0 0' \
	  'file /guest/guest.dtb $(VMM_GUEST_DTB) 0644 0 0' \
	  > $$d/initramfs.list; \
	$(GUEST_LINUX)/gen_init_cpio -t 0 $$d/initramfs.list | gzip -n -9 \
	  > $(VMM_OUT)/l1-initramfs.cpio.gz; \
	echo "vmm: built $(VMM_OUT)/l1-initramfs.cpio.gz ($(VMM_GUEST_DIR)/vmlinux, $(notdir $(VMM_GUEST_DTB)))"; \
	sed 's/^/vmm:   abt-vmm.args: /' $$d/abt-vmm.args

# Succeeds only when abt-vmm exits 0 (guest powered off or --until seen):
# l1-init prints ABT-L1-DONE status=N, then powers level 1 off. Then the
# console must hold no "abt-init: FAILED", a matching text checksum (with
# VMM_TEXT_CHECK=1), and for the PV guest Linux's "Live patching ... worked"
# and no "KVM: No more space".
vmm-run-nested: vmm-l1-initramfs $(GUEST_DRIVE)
	@test -f "$(VMM_L1_KERNEL)" || { echo "vmm: no $(VMM_L1_KERNEL): run make kvm-host or set VMM_L1_KERNEL to a level-1 vmlinux with KVM_E500V2" >&2; exit 1; }
	$(GUEST_DRIVE) -t $$(( $(VMM_TIMEOUT) + 300 )) \
	  -l $(VMM_CONSOLE) 'expect:ABT-L1-DONE status=0' \
	  'exit:60' -- $(VMM_QEMU_L1) -kernel $(VMM_L1_KERNEL) \
	  -initrd $(VMM_OUT)/l1-initramfs.cpio.gz -append "console=ttyS0,115200"
	@log=$(VMM_CONSOLE); bad=0; \
	if grep -aq 'abt-init: FAILED' $$log; then \
	  echo "vmm: $$log: $$(grep -a -m1 'abt-init: FAILED' $$log)" >&2; bad=1; fi; \
	if [ "$(VMM_TEXT_CHECK)" = 1 ] && \
	   ! grep -aq 'abt-init: text-checksum before=.* match' $$log; then \
	  echo "vmm: $$log: no matching text checksum" >&2; bad=1; fi; \
	if [ "$(VMM_GUEST)" = linux-pv ]; then \
	  grep -aq 'KVM: Live patching for a fast VM worked' $$log || { \
	    echo "vmm: $$log: PV guest did not patch itself" >&2; bad=1; }; \
	  ! grep -aq 'KVM: No more space' $$log || { \
	    echo "vmm: $$log: PV guest ran out of patch space" >&2; bad=1; }; \
	fi; \
	[ $$bad = 0 ] && echo "vmm: $(VMM_GUEST) nested run passed ($$log)"

vmm-run-nested-pv:
	$(MAKE) --no-print-directory vmm-run-nested VMM_GUEST=linux-pv
