# Golden traces: what every privileged instruction the bundled guests
# execute does on QEMU's e500v2. `make golden` builds the guests (cached
# under build/guests) and captures both traces into tests/golden/, where
# they are committed; `make check` verifies them with abt-verify.
#
# -icount makes the prepass and the capture see the same execution, so
# the prepass arms every site the capture reaches.

GOLDEN_DIR   := tests/golden
GOLDEN       := $(GOLDEN_DIR)/linux.abtt $(GOLDEN_DIR)/uboot.abtt
GOLDEN_QEMU  := -m 128 -net none -no-reboot -icount shift=4,sleep=off
UBOOT_ELF    := /usr/lib/u-boot/qemu-ppce500/uboot.elf
UBOOT_RELOC  := 0x07090000
LINUX_DIR    := build/guests/linux

.PHONY: golden golden-linux golden-uboot
golden: golden-uboot golden-linux
	@ls -l $(GOLDEN)
	@$(BUILD)/abt-verify --quiet $(GOLDEN)

golden-uboot: guest-uboot $(BUILD)/abt-trace
	$(BUILD)/abt-trace -z -o $(GOLDEN_DIR)/uboot.abtt --prepass \
		--guest u-boot-2023.01 --elf $(UBOOT_ELF) \
		--elf $(UBOOT_ELF)@$(UBOOT_RELOC) -t 300 \
		--console-script tools/abt-trace/uboot.script \
		-- -bios $(UBOOT_ELF) $(GOLDEN_QEMU)

golden-linux: guest-linux $(BUILD)/abt-trace
	$(BUILD)/abt-trace -z -o $(GOLDEN_DIR)/linux.abtt --prepass \
		--guest linux-$$(dpkg-query -W -f='$${Version}' linux-source-6.1 | cut -d- -f1) \
		--elf $(LINUX_DIR)/vmlinux --elf $(LINUX_DIR)/vmlinux@-0xc0000000 \
		-t 1200 -- -kernel $(LINUX_DIR)/vmlinux \
		-initrd $(LINUX_DIR)/initramfs.cpio.gz \
		-append console=ttyS0,115200 $(GOLDEN_QEMU)
