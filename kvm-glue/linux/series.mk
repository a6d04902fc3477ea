# The abt Linux KVM patch series for e500v2 hosts (kvm-glue/linux/README.md):
# kvm-glue/linux/0*.patch on Debian's linux-source-6.1.
#
#   make kvm-series-apply       fresh copy of the unpacked tree + the series
#                               (fails naming the patch that does not apply)
#   make kvm-series-checkpatch  the tree's scripts/checkpatch.pl --strict on
#                               each patch: 0 errors, 0 warnings, 0 checks
#   make kvm-series-build       apply (if the series changed), configure with
#                               kvm-host.config, make prepare, build
#                               arch/powerpc/kvm/ only; prints its times
#   make kvm-host               the whole level-1 host vmlinux (for a
#                               background build: log in kbuild/build.log)
#   make kvm-host-smoke         boot that kernel in QEMU with a tiny VMM as
#                               /init (smoke/): one guest run that needs all
#                               four patches; prints KVM-SMOKE: PASS
#   make kvm-series-git         build/kvm-host/linux: git tree to edit the series
#   make kvm-abt-sync KSRC=DIR  copy abt's runtime/ + gen/ into DIR's
#                               arch/powerpc/kvm/abt/ (patch 0006 builds them)
#   make kvm-host-clean
#
# Everything lives in build/kvm-host (not $(BUILD), which SAN=1 moves): the
# tarball is unpacked once per package version, the patched tree is
# re-made only when a patch changes, objects are kept (O=kbuild), so a
# repeated kvm-series-build only re-checks. kvm-host is cached by a key of
# the fragment, the patches, series.sh, the package version and $(CROSS).

KVM_HOST_BUILD    ?= build/kvm-host
KVM_HOST_CROSS    ?= $(CROSS)
KVM_SERIES_SH     := kvm-glue/linux/series.sh
KVM_SERIES        := $(sort $(wildcard kvm-glue/linux/0*.patch))
KVM_HOST_FRAG     := kvm-glue/linux/kvm-host.config
KVM_HOST_VMLINUX  := $(KVM_HOST_BUILD)/vmlinux
# Built into the host kernel by 0006 (series.sh copies them into the tree).
KVM_ABT_SRCS      = $(sort $(wildcard runtime/*.c runtime/*.h runtime/include/*.h \
		     gen/*.c gen/*.h))
KVM_HOST_DEB_PKGS := linux-source-6.1 gcc-powerpc-linux-gnu \
		     binutils-powerpc-linux-gnu bc bison flex xz-utils patch perl
KVM_SMOKE_OUT     := $(KVM_HOST_BUILD)/smoke
KVM_SMOKE_PKGS    := qemu-system-ppc libc6-dev-powerpc-cross \
		     linux-libc-dev-powerpc-cross
KVM_SMOKE_CFLAGS  := -std=gnu99 -static -mcpu=8540 -msoft-float -O2 -Wall -Wextra
KVM_SMOKE_TIMEOUT ?= 180

.PHONY: kvm-series-deps kvm-series-apply kvm-series-checkpatch \
	kvm-series-build kvm-host kvm-host-smoke kvm-series-git kvm-host-clean \
	kvm-abt-sync

kvm-abt-sync:
	@test -n "$(KSRC)" || { echo "kvm-series: set KSRC to a Linux tree with the series applied" >&2; exit 1; }
	@sh $(KVM_SERIES_SH) sync $(KSRC)

kvm-series-deps:
	$(call install_missing,$(KVM_HOST_DEB_PKGS))

kvm-series-apply: kvm-series-deps
	@sh $(KVM_SERIES_SH) apply $(KVM_HOST_BUILD) $(KVM_HOST_CROSS)

kvm-series-checkpatch: kvm-series-deps
	@sh $(KVM_SERIES_SH) checkpatch $(KVM_HOST_BUILD) $(KVM_HOST_CROSS)

kvm-series-build: kvm-series-deps
	@sh $(KVM_SERIES_SH) build $(KVM_HOST_BUILD) $(KVM_HOST_CROSS)

kvm-host: kvm-series-deps
	@key=$$( { cat $(KVM_HOST_FRAG) $(KVM_SERIES) $(KVM_SERIES_SH) $(KVM_ABT_SRCS); \
		   dpkg-query -W -f='$${Version}' linux-source-6.1; echo "$(KVM_HOST_CROSS)"; } \
		 | sha256sum | cut -c1-32); \
	if [ -f $(KVM_HOST_VMLINUX) ] && [ "$$(cat $(KVM_HOST_BUILD)/vmlinux.key 2>/dev/null)" = "$$key" ]; then \
	  echo "kvm-series: $(KVM_HOST_VMLINUX) up to date"; \
	else \
	  rm -f $(KVM_HOST_BUILD)/vmlinux.key && \
	  sh $(KVM_SERIES_SH) kernel $(KVM_HOST_BUILD) $(KVM_HOST_CROSS) && \
	  echo "$$key" > $(KVM_HOST_BUILD)/vmlinux.key; \
	fi

# The level-1 /init is static (e500v2, soft-float); the initramfs is packed
# by the kernel build's own gen_init_cpio. QEMU powers off when /init is
# done; the verdict is the console line.
kvm-host-smoke: kvm-host
	$(call install_missing,$(KVM_SMOKE_PKGS))
	@set -e; mkdir -p $(KVM_SMOKE_OUT); \
	$(KVM_HOST_CROSS)gcc $(KVM_SMOKE_CFLAGS) -o $(KVM_SMOKE_OUT)/init \
	  kvm-glue/linux/smoke/smoke.c kvm-glue/linux/smoke/guest.S; \
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
	  'dir /proc 0755 0 0' 'dir /sys 0755 0 0' \
	  'file /init $(KVM_SMOKE_OUT)/init 0755 0 0' > $(KVM_SMOKE_OUT)/initramfs.list; \
	$(KVM_HOST_BUILD)/kbuild/usr/gen_init_cpio -t 0 $(KVM_SMOKE_OUT)/initramfs.list | \
	  gzip -n -9 > $(KVM_SMOKE_OUT)/initramfs.cpio.gz; \
	echo "kvm-series: booting $(KVM_HOST_VMLINUX) (log: $(KVM_SMOKE_OUT)/console.log)"; \
	timeout $(KVM_SMOKE_TIMEOUT) qemu-system-ppc -M ppce500 -cpu e500v2 -m 256 \
	  -nographic -net none -no-reboot -kernel $(KVM_HOST_VMLINUX) \
	  -initrd $(KVM_SMOKE_OUT)/initramfs.cpio.gz -append "console=ttyS0,115200" \
	  < /dev/null > $(KVM_SMOKE_OUT)/console.log 2>&1 || true; \
	grep -a 'KVM-SMOKE\|BUG\|exit_nr' $(KVM_SMOKE_OUT)/console.log || true; \
	grep -aq 'KVM-SMOKE: PASS' $(KVM_SMOKE_OUT)/console.log

kvm-series-git: kvm-series-deps
	@sh $(KVM_SERIES_SH) git $(KVM_HOST_BUILD) $(KVM_HOST_CROSS)

kvm-host-clean:
	rm -rf $(KVM_HOST_BUILD)
