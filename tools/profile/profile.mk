# tools/profile/profile.mk: exit and access profiles (docs/profile-format.md).
#
# $(BUILD)/libabtp.a    the .abtp writer and validating reader (link -lz)
# build/abt-prof.so     the QEMU 7.2 TCG plugin that records a guest run;
#                       always an ordinary -fPIC build (QEMU loads it, so no
#                       sanitizers even under SAN=1), with gen's decoder in
# $(BUILD)/abt-prof-merge  plugin profile + abt-trace tlbwe trace -> profile
# $(BUILD)/abt-prof-dump   header, counts, top sites, events of a profile
#
# `make profiles` regenerates tests/profiles/{linux,uboot}.abtp from the
# guests and workloads of `make golden` (tests/golden/golden.mk); it is not
# part of `make check`, which reads the committed profiles back.

PROF_DIR     := tools/profile
PROF_OBJS    := $(BUILD)/$(PROF_DIR)/abtp.o
PROF_LIBS    := $(BUILD)/libabtp.a -lz
PLUGIN       := build/abt-prof.so
PLUGIN_OBJ   := build/pic
PLUGIN_CFLAGS := -O2 -g -std=gnu99 $(WARN) -fPIC -fvisibility=hidden \
		 -Igen -I$(PROF_DIR)

$(PROF_OBJS): $(BUILD)/$(PROF_DIR)/%.o: $(PROF_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(PROF_DIR) -MMD -MP -c $< -o $@

$(BUILD)/libabtp.a: $(PROF_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The plugin: its own objects, position-independent, gen's decoder linked in.
PLUGIN_SRCS := $(PROF_DIR)/abt-prof-plugin.c $(PROF_DIR)/abtp.c \
	       gen/abt_decode.c gen/abt_tables.c
PLUGIN_OBJS := $(patsubst %.c,$(PLUGIN_OBJ)/%.o,$(PLUGIN_SRCS))

$(PLUGIN_OBJS): $(PLUGIN_OBJ)/%.o: %.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c $< -o $@

$(PLUGIN): $(PLUGIN_OBJS)
	$(CC) -shared -o $@ $(PLUGIN_OBJS) -lz

$(BUILD)/$(PROF_DIR)/abt-prof-merge.o $(BUILD)/$(PROF_DIR)/abt-prof-dump.o: \
		$(BUILD)/$(PROF_DIR)/%.o: $(PROF_DIR)/%.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(PROF_DIR) -Itools/trace -MMD -MP -c $< -o $@

$(BUILD)/abt-prof-merge: $(BUILD)/$(PROF_DIR)/abt-prof-merge.o \
			 $(BUILD)/libabtp.a $(BUILD)/libabtt.a $(BUILD)/libabt.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libabtp.a $(BUILD)/libabtt.a \
		$(BUILD)/libabt.a -lz

$(BUILD)/abt-prof-dump: $(BUILD)/$(PROF_DIR)/abt-prof-dump.o \
			$(BUILD)/libabtp.a $(BUILD)/libabt.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libabtp.a $(BUILD)/libabt.a -lz

all: $(BUILD)/libabtp.a $(PLUGIN) $(BUILD)/abt-prof-merge $(BUILD)/abt-prof-dump

-include $(PROF_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) \
	 $(BUILD)/$(PROF_DIR)/abt-prof-merge.d $(BUILD)/$(PROF_DIR)/abt-prof-dump.d

# ---- make profiles ----
# One QEMU run per guest, watched by abt-trace (breakpoints on the tlbwe
# sites only, never retired: MAS0-3 of every TLB write) with the plugin
# loaded (everything else); abt-prof-merge puts the two together and caps
# the size. Same guests, workloads and -icount as `make golden`, so each
# run is the same every time: the profiles regenerate byte for byte.
#
# U-Boot's run ends after console input (commands typed at its prompt),
# which QEMU takes in at icounts that depend on host timing: the event
# stream is the same from run to run (the commands execute no privileged
# instruction; timer interrupts come at fixed icounts) but its end is not.
# So its profile ends at a fixed instruction, UBOOT_PROFILE_ICOUNT, which
# every run passes (they end at 138.8-139.0 M): byte-identical again.
#
# Size cap, recorded in each profile's options string: the first
# PROFILE_MAX_EVENTS events of the run, and at most PROFILE_MAX_BYTES
# bytes (abt-prof-merge writes again with fewer events if the file comes
# out larger). Neither is reached today: the Linux profile is ~0.2 byte
# an event.
PROFILES_DIR       := tests/profiles
PROFILES           := $(PROFILES_DIR)/linux.abtp $(PROFILES_DIR)/uboot.abtp
PROFILE_WORK       := build/profiles
PROFILE_MAX_EVENTS ?= 16000000
PROFILE_MAX_BYTES  ?= 8388608
UBOOT_PROFILE_ICOUNT ?= 130000000
PROFILE_TOOLS      := $(BUILD)/abt-trace $(PLUGIN) $(BUILD)/abt-prof-merge \
		      $(BUILD)/abt-prof-dump

.PHONY: profiles profile-uboot profile-linux
profiles: profile-uboot profile-linux
	@ls -l $(PROFILES)
	@$(BUILD)/abt-prof-dump -q $(PROFILES)

profile-uboot: guest-uboot $(PROFILE_TOOLS)
	@mkdir -p $(PROFILE_WORK)
	@rm -f $(PROFILE_WORK)/uboot-tlb.abtt $(PROFILE_WORK)/uboot-raw.abtp
	$(BUILD)/abt-trace -z -o $(PROFILE_WORK)/uboot-tlb.abtt --rule tlbwe \
		-k 1000000 --guest u-boot-2023.01 --elf $(UBOOT_ELF) \
		--elf $(UBOOT_ELF)@$(UBOOT_RELOC) -t 600 \
		--console-script tools/abt-trace/uboot.script \
		-- -bios $(UBOOT_ELF) $(GOLDEN_QEMU) \
		-plugin $(PLUGIN),out=$(PROFILE_WORK)/uboot-raw.abtp
	$(BUILD)/abt-prof-merge --max-events $(PROFILE_MAX_EVENTS) \
		--max-bytes $(PROFILE_MAX_BYTES) \
		--max-icount $(UBOOT_PROFILE_ICOUNT) \
		-o $(PROFILES_DIR)/uboot.abtp \
		--tlb $(PROFILE_WORK)/uboot-tlb.abtt $(PROFILE_WORK)/uboot-raw.abtp

# kernel=0xc0000000: the supervisor rule (docs/profile-format.md).
#
# sleep=on, unlike `make golden`: with sleep=off QEMU 7.2 moves the virtual
# clock to the next timer deadline at each of the ~6,000 abt-trace stops
# (tlbwe in the TLB miss handlers), so nearly every stop is followed by a
# timer interrupt the guest would not have had: +22% instructions and
# events, the init workload's fork phase 2.6e9 timebase ticks instead of
# 3.6e7. With sleep=on a stop costs the guest the real time QEMU takes to
# resume (~140 us): the run is within 1% of one without abt-trace (79.5 M
# instructions, 877 k events, against 78.9 M and 871 k). QEMU's icount is
# not deterministic for this guest anyway (two plugin-only sleep=off runs
# part at ~48 M instructions), so nothing is lost: see
# docs/profile-format.md, "Reproducibility".
PROFILE_LINUX_QEMU := -m 128 -net none -no-reboot -icount shift=4,sleep=on

profile-linux: guest-linux $(PROFILE_TOOLS)
	@mkdir -p $(PROFILE_WORK)
	@rm -f $(PROFILE_WORK)/linux-tlb.abtt $(PROFILE_WORK)/linux-raw.abtp
	$(BUILD)/abt-trace -z -o $(PROFILE_WORK)/linux-tlb.abtt --rule tlbwe \
		-k 1000000 \
		--guest linux-$$(dpkg-query -W -f='$${Version}' linux-source-6.1 | cut -d- -f1) \
		--elf $(LINUX_DIR)/vmlinux --elf $(LINUX_DIR)/vmlinux@-0xc0000000 \
		-t 3000 -- -kernel $(LINUX_DIR)/vmlinux \
		-initrd $(LINUX_DIR)/initramfs.cpio.gz \
		-append console=ttyS0,115200 $(PROFILE_LINUX_QEMU) \
		-plugin $(PLUGIN),out=$(PROFILE_WORK)/linux-raw.abtp,kernel=0xc0000000
	$(BUILD)/abt-prof-merge --max-events $(PROFILE_MAX_EVENTS) \
		--max-bytes $(PROFILE_MAX_BYTES) \
		-o $(PROFILES_DIR)/linux.abtp --tlb $(PROFILE_WORK)/linux-tlb.abtt \
		$(PROFILE_WORK)/linux-raw.abtp

# ---- make fuzz-profile [FUZZ_TIME=60] ----
# libFuzzer on the reader (tools/profile/fuzz_abtp.c): clang, ASan+UBSan,
# CRC bypass; FUZZ_CC, FUZZ_TIME, FUZZ_DIR, fuzz-deps from trace.mk.
PROF_FUZZ_CFLAGS := -g -O1 -std=gnu99 $(WARN) \
		    -fsanitize=fuzzer,address,undefined \
		    -fno-sanitize-recover=undefined \
		    -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -I$(PROF_DIR)

$(FUZZ_DIR)/fuzz_abtp: $(PROF_DIR)/fuzz_abtp.c $(PROF_DIR)/abtp.c \
		       $(PROF_DIR)/abtp.h $(PROF_DIR)/profile.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(PROF_FUZZ_CFLAGS) $(filter %.c,$^) -lz -o $@

$(FUZZ_DIR)/abtp_seeds: $(PROF_DIR)/abtp_seeds.c $(PROF_DIR)/abtp.c \
			$(PROF_DIR)/abtp.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=gnu99 $(WARN) -I$(PROF_DIR) \
		$(filter %.c,$^) -lz -o $@

.PHONY: fuzz-profile
fuzz-profile: fuzz-deps $(FUZZ_DIR)/fuzz_abtp $(FUZZ_DIR)/abtp_seeds
	@rm -rf $(FUZZ_DIR)/profile-seeds
	@mkdir -p $(FUZZ_DIR)/profile-seeds $(FUZZ_DIR)/profile-corpus \
		  $(FUZZ_DIR)/profile-artifacts
	$(FUZZ_DIR)/abtp_seeds $(FUZZ_DIR)/profile-seeds
	$(FUZZ_DIR)/fuzz_abtp -max_total_time=$(FUZZ_TIME) \
		-max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=$(FUZZ_DIR)/profile-artifacts/ \
		$(FUZZ_DIR)/profile-corpus $(FUZZ_DIR)/profile-seeds
