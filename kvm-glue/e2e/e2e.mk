# kvm-glue/e2e/e2e.mk: `make e2e`, the nested end-to-end comparison of
# stock KVM + unmodified guest, stock KVM + paravirtual guest and abt +
# unmodified guest (kvm-glue/e2e/README.md).
#
#   make e2e        build (cached) level 1 and both guests, boot level 1 once
#                   in qemu-system-ppc and run the guest four ways under it,
#                   then write docs/results.md and docs/results.png
#
# One level-1 boot holds every run, so all ratios come from one run of the
# same machine. The runs, in /e2e.runs of the level-1 initramfs (stock, pv
# and abt E2E_REPEAT times each, interleaved, then count):
#   stock  unmodified guest, abt off
#   pv     the CONFIG_KVM_GUEST build with the /hypervisor node, abt off
#   abt    unmodified guest, abt on (profile linux, TC and mirror region in
#          the 1 MiB the guest device tree reserves at 31 MiB)
#   count  unmodified guest, abt counting exits per rule but never patching:
#          tells which of the stock run's exits abt could remove (untimed)
#   smp    the SMP build of the guest on two vcpus (abt-vmm --smp 2), abt
#          on: boots, runs the workload, same checksum before and after
#   huge-stock, huge
#          guest RAM in level-1 huge pages (abt-vmm --hugetlb), abt off
#          and on: KVM shadows the guest's 64 MiB kernel mapping with 4 MiB
#          entries, which abt's page resizing splits around patched pages
#   steal  abt on as in abt but with no TC region (abt_tc_size=0): stubs go
#          to space stolen from the guest's __ex_table (E2E_STEAL)
#   smp2-busybox.N
#          a guest the project did not write, on two vcpus, abt on as in
#          abt: the SMP PREEMPT kernel (make guest-busybox) running
#          Debian's busybox under a fork-heavy script; E2E_BUSYBOX_REPEAT
#          times (default 10). A run that times out is a hang; the report
#          counts them (`smp2-busybox: hangs N of M`)

E2E_OUT       := build/e2e
E2E_DIR       := kvm-glue/e2e
# Seconds of level-1 time one guest run may take (abt-vmm -t); under
# -icount that is instruction time, and a run takes 1-8 s of it.
E2E_TIMEOUT   ?= 120
E2E_DOCS      ?= docs
# smp2-busybox: repetitions, and seconds of level-1 time each may take.
E2E_BUSYBOX_REPEAT ?= 10
E2E_BUSYBOX_TIMEOUT ?= 400
# Guest-physical 31 MiB, reserved by /memreserve/ in ppce500-guest.dts,
# is EA 0xc1f00000 in Linux's linear map: within branch reach of its text.
# Its first 768 KiB are the TC, the last 256 KiB the data mirror region.
E2E_TC_BASE   ?= 0xc1f00000
E2E_TC_SIZE   ?= 0xc0000
E2E_MIRROR_BASE ?= 0xc1fc0000
E2E_MIRROR_SIZE ?= 0x40000
# kvm.abt_features: 1 data mirroring, 2 page resizing, 4 TC stealing.
E2E_FEATURES  ?= 7
# Level-1 huge pages (4 MiB) reserved before the huge-page runs (l1-init
# writes /proc/sys/vm/nr_hugepages): 128 MiB of guest RAM.
E2E_HUGEPAGES ?= 34
E2E_PROFILE   ?= linux
# kvm.abt_threshold (0: the profile's) and kvm.abt_read_burst for abt runs.
E2E_THRESHOLD ?= 0
E2E_READ_BURST ?= 8
# Extra abt runs for experiments, not in the report's rows: words
# NAME:PARAM=VALUE,PARAM=VALUE (e.g. t4:abt_threshold=4), after the rest.
E2E_EXTRA     ?=
# The abt runs are configured per VM through KVM_CAP_PPC_ABT (abt-vmm
# --abt-*), with the profile blob rulesc compiles here, after the level-1
# kernel was built: no profile is taken from the host. The TC and mirror
# EAs are in Linux's linear map, so the RAM behind them is EA - 0xc0000000.
E2E_TC_GPA     = $$(printf '0x%x' $$(( $(E2E_TC_BASE) - 0xc0000000 )))
E2E_MIRROR_GPA = $$(printf '0x%x' $$(( $(E2E_MIRROR_BASE) - 0xc0000000 )))
E2E_ABT_VMM    = --abt-profile /guest/profile.abtb \
		 --abt-mirror $(E2E_MIRROR_BASE)+$(E2E_MIRROR_SIZE)@$(E2E_MIRROR_GPA) \
		 --abt-features $(E2E_FEATURES) --abt-read-burst $(E2E_READ_BURST) \
		 $(if $(filter-out 0,$(E2E_THRESHOLD)),--abt-threshold $(E2E_THRESHOLD))
E2E_ABT_TC     = --abt-tc $(E2E_TC_BASE)+$(E2E_TC_SIZE)@$(E2E_TC_GPA)
# Module parameters (global defaults) for the E2E_EXTRA experiment runs.
E2E_ABT       := abt_profile=$(E2E_PROFILE) abt_tc_base=$(E2E_TC_BASE) \
		 abt_steal= \
		 abt_tc_size=$(E2E_TC_SIZE) abt_threshold=$(E2E_THRESHOLD) \
		 abt_read_burst=$(E2E_READ_BURST) \
		 abt_mirror_base=$(E2E_MIRROR_BASE) \
		 abt_mirror_size=$(E2E_MIRROR_SIZE) abt_features=$(E2E_FEATURES)
# kvm.abt_steal for the steal run: the whole pages of the guest's
# __ex_table, a read-only section of its read-only kernel mapping (read
# only when a kernel access to user memory faults), from its System.map.
# E2E_STEAL=0xEA+0xSIZE[,...] overrides.
E2E_STEAL     ?=
e2e_steal = $$(s=$$(awk '$$3 == "__start___ex_table" { print $$1 }' $(1)); \
	e=$$(awk '$$3 == "__stop___ex_table" { print $$1 }' $(1)); \
	[ -n "$$s" ] && [ -n "$$e" ] || { echo "e2e: no __ex_table in $(1)" >&2; exit 1; }; \
	s=$$(( (0x$$s + 4095) & ~4095 )); e=$$(( 0x$$e & ~4095 )); \
	[ $$e -gt $$s ] || { echo "e2e: __ex_table in $(1) holds no whole page" >&2; exit 1; }; \
	printf '0x%x+0x%x' $$s $$((e - s)))
# Each guest runs this many times, interleaved; timed rows take the best.
E2E_REPEAT    ?= 3
# Level 1 runs with a fixed instruction-count clock: the guest timebase then
# advances 2^shift ns per level-1 instruction and not with host wall time,
# so a busy or shared host does not move the figures (sleep=off: idle time
# jumps to the next timer). E2E_ICOUNT= runs on the wall clock instead.
E2E_ICOUNT    ?= -icount shift=1,sleep=off
# printk.devkmsg=on: init reports through /dev/kmsg, whose default rate
# limit (10 lines in 5 s) would drop its last lines in a fast run.
E2E_APPEND    := console=ttyS0,115200 abt_out=kmsg printk.devkmsg=on
GUEST_LINUX_PV ?= $(GUEST_BUILD)/linux-pv

.PHONY: e2e e2e-initramfs e2e-report

# abt_text=0xSTART+0xLEN: the guest-physical range of the kernel's text,
# from its System.map, for init's before/after checksum.
e2e_text = $$(s=$$(awk '$$3 == "_stext" { print $$1 }' $(1)); \
	e=$$(awk '$$3 == "_etext" { print $$1 }' $(1)); \
	printf '0x%x+0x%x' $$((0x$$s - 0xc0000000)) $$((0x$$e - 0x$$s)))

e2e-initramfs: vmm guest-linux guest-linux-pv guest-kernel-smp guest-busybox kvm-host \
	       $(RULESC)
	@set -e; d=$(E2E_OUT)/l1; rm -rf $$d; mkdir -p $$d; \
	$(CROSS)strip -o $$d/vmlinux $(GUEST_VMLINUX); \
	$(CROSS)strip -o $$d/vmlinux-pv $(GUEST_LINUX_PV)/vmlinux; \
	$(CROSS)strip -o $$d/vmlinux-smp $(GUEST_LINUX_SMP)/vmlinux; \
	$(CROSS)strip -o $$d/vmlinux-smpp $(GUEST_LINUX_SMPP)/vmlinux; \
	$(RULESC) --profile-blob $(E2E_PROFILE) -o $$d/profile.abtb $(RULES); \
	printf '%s\n' -k /guest/vmlinux-smpp -i /guest/busybox.cpio.gz \
	  -d /guest/guest-smp.dtb -t $(E2E_BUSYBOX_TIMEOUT) -s 2 \
	  -a "$(E2E_APPEND)" > $$d/args.busybox; \
	for v in unmod pv smp huge; do \
	  case $$v in \
	  pv) k=/guest/vmlinux-pv; dtb=/guest/guest-pv.dtb; map=$(GUEST_LINUX_PV)/System.map; smp= ;; \
	  smp) k=/guest/vmlinux-smp; dtb=/guest/guest-smp.dtb; map=$(GUEST_LINUX_SMP)/System.map; smp="-s 2" ;; \
	  huge) k=/guest/vmlinux; dtb=/guest/guest.dtb; map=$(GUEST_LINUX)/System.map; smp=--hugetlb ;; \
	  *) k=/guest/vmlinux; dtb=/guest/guest.dtb; map=$(GUEST_LINUX)/System.map; smp= ;; \
	  esac; \
	  text=$(call e2e_text,$$map); \
	  printf '%s\n' -k $$k -i /guest/initramfs.cpio.gz -d $$dtb -t $(E2E_TIMEOUT) $$smp \
	    -a "$(E2E_APPEND) abt_text=$$text" > $$d/args.$$v; \
	done; \
	steal="$(E2E_STEAL)"; [ -n "$$steal" ] || steal=$(call e2e_steal,$(GUEST_LINUX)/System.map); \
	abt_args() { cat $$d/args.$$1; shift; printf '%s\n' $(E2E_ABT_VMM) "$$@"; }; \
	abt_args unmod $(E2E_ABT_TC) > $$d/args.abt; \
	abt_args unmod $(E2E_ABT_TC) --abt-count-only > $$d/args.count; \
	abt_args unmod $(E2E_ABT_TC) --abt-cap-check > $$d/args.capcheck; \
	abt_args unmod --abt-steal $$steal > $$d/args.steal; \
	abt_args smp $(E2E_ABT_TC) > $$d/args.abt-smp; \
	abt_args huge $(E2E_ABT_TC) > $$d/args.abt-huge; \
	abt_args busybox $(E2E_ABT_TC) > $$d/args.abt-busybox; \
	: > $$d/e2e.runs; \
	for i in $$(seq 1 $(E2E_REPEAT)); do printf '%s\n' \
	  "stock.$$i /args.unmod abt_profile= abt_count_only=0" \
	  "pv.$$i /args.pv abt_profile= abt_count_only=0" \
	  "abt.$$i /args.abt abt_profile=" \
	  >> $$d/e2e.runs; done; \
	echo 'count /args.count abt_profile=' \
	  >> $$d/e2e.runs; \
	echo 'cap-check /args.capcheck abt_profile=' \
	  >> $$d/e2e.runs; \
	echo 'smp /args.abt-smp abt_profile=' \
	  >> $$d/e2e.runs; \
	echo 'huge-stock /args.huge nr_hugepages=$(E2E_HUGEPAGES) abt_profile= abt_count_only=0' \
	  >> $$d/e2e.runs; \
	echo 'huge /args.abt-huge nr_hugepages=$(E2E_HUGEPAGES) abt_profile=' \
	  >> $$d/e2e.runs; \
	echo "steal /args.steal abt_profile=" \
	  >> $$d/e2e.runs; \
	for i in $$(seq 1 $(E2E_BUSYBOX_REPEAT)); do \
	  echo "smp2-busybox.$$i /args.abt-busybox abt_profile=" \
	    >> $$d/e2e.runs; done; \
	for x in $(E2E_EXTRA); do \
	  echo "$${x%%:*} /args.unmod $(E2E_ABT) abt_count_only=0 $$(echo "$${x#*:}" | tr , ' ')" \
	    >> $$d/e2e.runs; done; \
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	  'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /guest 0755 0 0' \
	  'file /init $(VMM_OUT)/l1-init 0755 0 0' \
	  'file /abt-vmm $(VMM_OUT)/abt-vmm 0755 0 0' \
	  "file /e2e.runs $$d/e2e.runs 0644 0 0" \
	  "file /args.unmod $$d/args.unmod 0644 0 0" \
	  "file /args.pv $$d/args.pv 0644 0 0" \
	  "file /args.smp $$d/args.smp 0644 0 0" \
	  "file /args.huge $$d/args.huge 0644 0 0" \
	  "file /args.abt $$d/args.abt 0644 0 0" \
	  "file /args.count $$d/args.count 0644 0 0" \
	  "file /args.capcheck $$d/args.capcheck 0644 0 0" \
	  "file /args.steal $$d/args.steal 0644 0 0" \
	  "file /args.abt-smp $$d/args.abt-smp 0644 0 0" \
	  "file /args.abt-huge $$d/args.abt-huge 0644 0 0" \
	  "file /args.abt-busybox $$d/args.abt-busybox 0644 0 0" \
	  "file /guest/profile.abtb $$d/profile.abtb 0644 0 0" \
	  "file /guest/vmlinux-smpp $$d/vmlinux-smpp 0644 0 0" \
	  'file /guest/busybox.cpio.gz $(GUEST_BUSYBOX)/initramfs.cpio.gz 0644 0 0' \
	  "file /guest/vmlinux-smp $$d/vmlinux-smp 0644 0 0" \
	  'file /guest/guest-smp.dtb $(VMM_OUT)/guest-smp.dtb 0644 0 0' \
	  "file /guest/vmlinux $$d/vmlinux 0644 0 0" \
	  "file /guest/vmlinux-pv $$d/vmlinux-pv 0644 0 0" \
	  'file /guest/initramfs.cpio.gz $(GUEST_INITRD) 0644 0 0' \
	  'file /guest/guest.dtb $(VMM_OUT)/guest.dtb 0644 0 0' \
	  'file /guest/guest-pv.dtb $(VMM_OUT)/guest-pv.dtb 0644 0 0' \
	  > $$d/initramfs.list; \
	$(GUEST_LINUX)/gen_init_cpio -t 0 $$d/initramfs.list | gzip -n -9 \
	  > $(E2E_OUT)/l1-initramfs.cpio.gz; \
	echo "e2e: built $(E2E_OUT)/l1-initramfs.cpio.gz; runs:"; \
	sed 's/^/e2e:   /' $$d/e2e.runs

e2e: e2e-initramfs $(GUEST_DRIVE)
	$(call install_missing,gnuplot-nox)
	@set -e; t0=$$(date +%s); \
	echo "e2e: level 1 = $(KVM_HOST_VMLINUX); $$((3 * $(E2E_REPEAT) + 6 + $(E2E_BUSYBOX_REPEAT) + $(words $(E2E_EXTRA)))) guest runs, 10-60 s each, smp2-busybox longer (console: $(E2E_OUT)/console.log)"; \
	$(GUEST_DRIVE) -t $$(( (3 * $(E2E_REPEAT) + 6 + $(words $(E2E_EXTRA))) * $(E2E_TIMEOUT) + \
	    $(E2E_BUSYBOX_REPEAT) * $(E2E_BUSYBOX_TIMEOUT) * 3 + 300 )) \
	  -l $(E2E_OUT)/console.log 'expect:ABT-L1-DONE status=' 'exit:60' \
	  -- $(VMM_QEMU_L1) $(E2E_ICOUNT) -kernel $(KVM_HOST_VMLINUX) \
	  -initrd $(E2E_OUT)/l1-initramfs.cpio.gz -append "console=ttyS0,115200" \
	  > $(E2E_OUT)/drive.log 2>&1 || { tail -30 $(E2E_OUT)/console.log >&2; \
	  echo "e2e: level-1 run failed (log: $(E2E_OUT)/console.log)" >&2; exit 1; }; \
	t1=$$(date +%s); echo "e2e: level-1 run took $$((t1 - t0)) s"; \
	$(MAKE) -s --no-print-directory e2e-report E2E_WALL=$$((t1 - t0))

# Report from the last console log (also usable alone, after an e2e run).
e2e-report:
	@sh $(E2E_DIR)/e2e-report.sh $(E2E_OUT)/console.log $(E2E_OUT) \
	  "Produced by \`make e2e\` ($(if $(E2E_WALL),$(E2E_WALL) s of wall time for the level-1 boot and all guest runs,wall time not recorded: this report was parsed again by \`make e2e-report\`)) on $$(date -u +%Y-%m-%d). Level 1: \`$(VMM_QEMU_L1) $(E2E_ICOUNT) -kernel $(KVM_HOST_VMLINUX) -initrd $(E2E_OUT)/l1-initramfs.cpio.gz\` (Linux 6.1 + kvm-glue/linux series, abt built in); guests run by kvm-glue/vmm/abt-vmm from \`$(E2E_OUT)/l1/e2e.runs\`. Raw log: \`$(E2E_OUT)/console.log\`; parse again with \`make e2e-report\`.$(if $(E2E_ICOUNT), Level 1 runs on QEMU's instruction counter (\`$(E2E_ICOUNT)\`): the guest timebase and KVM's exit timing advance with level-1 instructions executed (2 ns each at shift=1) and not with host wall time, so the figures count work and do not drift with the host's load; \`make e2e E2E_ICOUNT=\` measures wall time instead.)" \
	  || rc=$$?; \
	[ "$${rc:-0}" -le 1 ] || exit $$rc; \
	mkdir -p $(E2E_DOCS); \
	cp $(E2E_OUT)/results.md $(E2E_DOCS)/results.md; \
	[ ! -f $(E2E_OUT)/results.png ] || cp $(E2E_OUT)/results.png $(E2E_DOCS)/results.png; \
	echo "e2e: wrote $(E2E_DOCS)/results.md"; exit $${rc:-0}
