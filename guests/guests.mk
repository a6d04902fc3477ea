# Reference guests for golden traces: an unmodified Linux 6.1 and U-Boot,
# run under QEMU's e500v2 model (see guests/README.md).
#
#   make guests            build/check both (installs missing Debian packages)
#   make guest-linux       build/guests/linux/{vmlinux,initramfs.cpio.gz}
#   make guest-linux-pv    build/guests/linux-pv/vmlinux: the same kernel as
#                          a KVM paravirtual guest (guests/linux/pv.config,
#                          guests/linux/pv/*.patch), for the comparison runs
#   make guest-uboot       check Debian's U-Boot for qemu-ppce500 is there
#   make guest-busybox     build/guests/linux-smp-preempt/vmlinux (SMP,
#                          PREEMPT, guests/linux/smp-preempt.config) and
#                          build/guests/busybox/initramfs.cpio.gz (Debian's
#                          busybox, static, guests/busybox/init.sh as /init):
#                          the e2e smp2-busybox guest
#   make guest-run-linux   boot Linux + workload under QEMU, print the console
#   make guest-run-linux-pv  the same with the PV kernel
#   make guest-run-uboot   boot U-Boot under QEMU, drive its prompt
#
# Outputs are cached by content: the kernel is rebuilt only when
# guests/linux/ppce500-min.config, guests/linux/build-kernel.sh or the
# linux-source-6.1 package version change (the PV kernel also when
# guests/linux/pv.config or guests/linux/pv/*.patch change); the initramfs
# only when guests/init/init.c (or the cross compiler) changes. Timestamps
# do not matter.
#
# Guests always build in build/guests (not $(BUILD), which SAN=1 moves).

GUEST_BUILD    ?= build/guests
GUEST_CROSS    ?= $(CROSS)
GUEST_QEMU     ?= qemu-system-ppc
GUEST_TIMEOUT  ?= 300
GUEST_DEB_PKGS := qemu-system-ppc u-boot-qemu linux-source-6.1 \
		  gcc-powerpc-linux-gnu libc6-dev-powerpc-cross \
		  binutils-powerpc-linux-gnu bc bison flex xz-utils gzip

GUEST_LINUX    := $(GUEST_BUILD)/linux
GUEST_VMLINUX  := $(GUEST_LINUX)/vmlinux
GUEST_INITRD   := $(GUEST_LINUX)/initramfs.cpio.gz
GUEST_LINUX_PV := $(GUEST_BUILD)/linux-pv
GUEST_VMLINUX_PV := $(GUEST_LINUX_PV)/vmlinux
GUEST_LINUX_SMP := $(GUEST_BUILD)/linux-smp
GUEST_LINUX_SMPP := $(GUEST_BUILD)/linux-smp-preempt
GUEST_BUSYBOX  := $(GUEST_BUILD)/busybox
GUEST_PV_PATCHES := $(sort $(wildcard guests/linux/pv/*.patch))
GUEST_UBOOT    := /usr/lib/u-boot/qemu-ppce500/uboot.elf
GUEST_DRIVE    := $(GUEST_BUILD)/qemu-drive

# The QEMU command lines abt-trace uses (also in guests/README.md).
GUEST_QEMU_COMMON := $(GUEST_QEMU) -M ppce500 -cpu e500v2 -m 128 \
		     -nographic -net none -no-reboot
GUEST_QEMU_LINUX  := $(GUEST_QEMU_COMMON) -kernel $(GUEST_VMLINUX) \
		     -initrd $(GUEST_INITRD) -append "console=ttyS0,115200"
GUEST_QEMU_LINUX_PV := $(GUEST_QEMU_COMMON) -kernel $(GUEST_VMLINUX_PV) \
		     -initrd $(GUEST_INITRD) -append "console=ttyS0,115200"
GUEST_QEMU_UBOOT  := $(GUEST_QEMU_COMMON) -bios $(GUEST_UBOOT)

# The U-Boot session: wait for each prompt ("\n=> ": a bare "=> " also
# matches crc32's output "==> "), type a command; `poweroff` makes QEMU exit.
GUEST_UBOOT_SCRIPT := 'expect:\n=> ' \
	'send:md 0x10000 0x20\r'       'expect:\n=> ' \
	'send:crc32 0x10000 0x10000\r' 'expect:\n=> ' \
	'send:sleep 1\r'               'expect:\n=> ' \
	'send:poweroff\r'              'exit:10'
GUEST_LINUX_SCRIPT := 'expect:ABT-WORKLOAD-DONE' 'exit:30'

.PHONY: guests guest-deps guest-linux guest-kernel guest-initramfs \
	guest-linux-pv guest-kernel-pv guest-run-linux-pv guest-kernel-smp \
	guest-kernel-smp-preempt guest-busybox \
	guest-uboot guest-run-linux guest-run-uboot guest-clean

guests: guest-linux guest-uboot

guest-deps:
	$(call install_missing,$(GUEST_DEB_PKGS))

guest-linux: guest-kernel guest-initramfs

# The same kernel built as a KVM paravirtual guest (stock / PV / abt
# comparison); same initramfs.
guest-linux-pv: guest-kernel-pv guest-initramfs

# Kernel: key = fragments + patches + build script + source package version
# + cross prefix. $(call guest_kernel,OUTDIR,KEY FILES,VARIANT)
guest_kernel = @key=$$( { cat $(2) guests/linux/build-kernel.sh; \
		   dpkg-query -W -f='$${Version}' linux-source-6.1; echo "$(GUEST_CROSS)"; } \
		 | sha256sum | cut -c1-32); \
	if [ -f $(1)/vmlinux ] && [ "$$(cat $(1)/vmlinux.key 2>/dev/null)" = "$$key" ]; then \
	  echo "guests: $(1)/vmlinux up to date"; \
	else \
	  rm -f $(1)/vmlinux.key && \
	  sh guests/linux/build-kernel.sh $(GUEST_BUILD) $(GUEST_CROSS) $(3) && \
	  echo "$$key" > $(1)/vmlinux.key; \
	fi

guest-kernel: guest-deps
	$(call guest_kernel,$(GUEST_LINUX),guests/linux/ppce500-min.config,)

# The paravirtual comparison build: pv.config on top, guests/linux/pv/*.patch
# applied to its own copy of the source.
# Two-vCPU variant (SMP on, nothing else changed): the abt SMP boot check.
guest-kernel-smp: guest-deps
	$(call guest_kernel,$(GUEST_LINUX_SMP),guests/linux/ppce500-min.config \
	  guests/linux/smp.config,smp)

# A configuration the project did not write (mpc85xx_smp_defconfig with
# PREEMPT and KVM_GUEST, drivers trimmed): a whole config, no base fragment.
guest-kernel-smp-preempt: guest-deps
	$(call guest_kernel,$(GUEST_LINUX_SMPP),guests/linux/smp-preempt.config,smp-preempt none)

# Debian's busybox from its source package, static, with a fork-heavy
# shell script as /init. Key: config, init script, build script, cross gcc.
guest-busybox: guest-kernel-smp-preempt guest-initramfs
	@key=$$( { cat guests/busybox/busybox.config guests/busybox/init.sh \
		   guests/busybox/build-busybox.sh; $(GUEST_CROSS)gcc --version | head -1; } \
		 | sha256sum | cut -c1-32); \
	if [ -f $(GUEST_BUSYBOX)/initramfs.cpio.gz ] && \
	   [ "$$(cat $(GUEST_BUSYBOX)/initramfs.key 2>/dev/null)" = "$$key" ]; then \
	  echo "guests: $(GUEST_BUSYBOX)/initramfs.cpio.gz up to date"; \
	else \
	  rm -f $(GUEST_BUSYBOX)/initramfs.key && \
	  sh guests/busybox/build-busybox.sh $(GUEST_BUILD) $(GUEST_LINUX)/gen_init_cpio && \
	  echo "$$key" > $(GUEST_BUSYBOX)/initramfs.key; \
	fi

guest-kernel-pv: guest-deps
	$(call guest_kernel,$(GUEST_LINUX_PV),guests/linux/ppce500-min.config \
	  guests/linux/pv.config $(GUEST_PV_PATCHES),pv)

# Initramfs: /init (static, e500v2 soft-float) plus /dev/console, packed by
# the kernel's own gen_init_cpio with all times 0, so it is reproducible.
# Key = init.c + this recipe's flags + cross compiler version.
GUEST_INIT_CFLAGS := -static -mcpu=8540 -msoft-float -O2 -Wall -Wextra
guest-initramfs: guest-deps
	@key=$$( { cat guests/init/init.c; echo "$(GUEST_INIT_CFLAGS)"; \
		   $(GUEST_CROSS)gcc --version | head -1; } | sha256sum | cut -c1-32); \
	if [ -f $(GUEST_INITRD) ] && [ "$$(cat $(GUEST_LINUX)/initramfs.key 2>/dev/null)" = "$$key" ]; then \
	  echo "guests: $(GUEST_INITRD) up to date"; \
	else \
	  set -e; mkdir -p $(GUEST_LINUX); rm -f $(GUEST_LINUX)/initramfs.key; \
	  $(GUEST_CROSS)gcc $(GUEST_INIT_CFLAGS) -o $(GUEST_LINUX)/init guests/init/init.c; \
	  touch -d @0 $(GUEST_LINUX)/init; \
	  if [ ! -x $(GUEST_LINUX)/gen_init_cpio ]; then \
	    src=$(GUEST_BUILD)/linux-source-6.1; \
	    if [ ! -f $$src/.abt-unpacked ]; then \
	      src=$(GUEST_LINUX)/gen_init_cpio-src/linux-source-6.1; mkdir -p $(GUEST_LINUX)/gen_init_cpio-src; \
	      tar -C $(GUEST_LINUX)/gen_init_cpio-src -xf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/usr/gen_init_cpio.c; \
	    fi; \
	    $(CC) -O2 -o $(GUEST_LINUX)/gen_init_cpio $$src/usr/gen_init_cpio.c; \
	  fi; \
	  printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	    'dir /proc 0755 0 0' 'dir /sys 0755 0 0' \
	    'file /init $(GUEST_LINUX)/init 0755 0 0' > $(GUEST_LINUX)/initramfs.list; \
	  $(GUEST_LINUX)/gen_init_cpio -t 0 $(GUEST_LINUX)/initramfs.list | gzip -n -9 > $(GUEST_INITRD).tmp; \
	  mv $(GUEST_INITRD).tmp $(GUEST_INITRD); \
	  echo "$$key" > $(GUEST_LINUX)/initramfs.key; \
	  echo "guests: built $(GUEST_INITRD)"; \
	fi

guest-uboot: guest-deps
	@test -f $(GUEST_UBOOT) || { echo "guests: $(GUEST_UBOOT) missing (package u-boot-qemu)" >&2; exit 1; }
	@echo "guests: $(GUEST_UBOOT) present (u-boot-qemu $$(dpkg-query -W -f='$${Version}' u-boot-qemu))"

$(GUEST_DRIVE): guests/qemu-drive.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $<

guest-run-linux: guest-linux $(GUEST_DRIVE)
	$(GUEST_DRIVE) -t $(GUEST_TIMEOUT) -l $(GUEST_LINUX)/console.log \
	  $(GUEST_LINUX_SCRIPT) -- $(GUEST_QEMU_LINUX)

# The PV build directly under QEMU (no hypervisor: its PV code stays off).
guest-run-linux-pv: guest-linux-pv $(GUEST_DRIVE)
	$(GUEST_DRIVE) -t $(GUEST_TIMEOUT) -l $(GUEST_LINUX_PV)/console.log \
	  $(GUEST_LINUX_SCRIPT) -- $(GUEST_QEMU_LINUX_PV)

guest-run-uboot: guest-uboot $(GUEST_DRIVE)
	$(GUEST_DRIVE) -t $(GUEST_TIMEOUT) -l $(GUEST_BUILD)/uboot-console.log \
	  $(GUEST_UBOOT_SCRIPT) -- $(GUEST_QEMU_UBOOT)

guest-clean:
	rm -rf $(GUEST_BUILD)
