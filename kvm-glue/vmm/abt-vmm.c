// SPDX-License-Identifier: GPL-2.0
/*
 * abt-vmm: a minimal KVM VMM for e500v2 (PowerPC Book E, KVM_E500V2).
 *
 * Boots an unmodified Linux guest the way QEMU's ppce500 board starts it
 * with -kernel (see kvm-glue/vmm/README.md and shared/notes/nested-kvm.md):
 *
 *   - guest RAM at guest-physical 0 (default 128 MiB);
 *   - the guest TLB in this process (KVM_CAP_SW_TLB): TLB0 512 entries
 *     4-way and TLB1 16 entries, as on e500v2, with TLB1[0] mapping
 *     EA 0..64 MiB to PA 0 (IPROT), pushed with KVM_DIRTY_TLB;
 *   - the ELF kernel's PT_LOAD segments at p_paddr, the initrd at 32 MiB,
 *     the device tree at 48 MiB (its /chosen and /memory filled in here);
 *   - ePAPR entry state: pc = physical entry, MSR = 0, r1 = 16 MiB - 8,
 *     r3 = DTB, r6 = 0x45504150, r7 = 64 MiB (the initial mapping);
 *   - the in-kernel MPIC (KVM_DEV_TYPE_FSL_MPIC_20) at 0xf_e004_0000;
 *   - a polled 16550 at 0xf_e000_4500 (THR to stdout, LSR = 0x60) and the
 *     QorIQ GPIO block at 0xf_e00f_f000, whose pin 0 is the board's
 *     gpio-poweroff line: the guest powers off by driving it high.
 *
 * At the end it prints how many KVM_RUN returns there were per exit reason
 * and copies KVM's per-vcpu exit timing from debugfs when it is there.
 *
 * Build: powerpc-linux-gnu-gcc -static -mcpu=8540 -msoft-float -O2, every
 * .c here but l1-init.c (vmm.mk); abt-vmm.h lists the files.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abt-vmm.h"

int main(int argc, char **argv)
{
	static struct vmm vm;
	struct vmm *v = &vm;
	struct sigaction sa;
	int rc;

	the_vmm = v;
	v->kvm_fd = v->vm_fd = v->vcpu_fd = v->mpic_fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->kick, NULL);
	v->main_thread = pthread_self();
	if (parse_options(v, argc, argv) < 0)
		return RC_SETUP;
	v->ram_size = (size_t)v->opt.ram_mib * MIB;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: KVM_RUN returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	/* inputs first: a bad file never gets as far as /dev/kvm */
	if (alloc_ram(v) < 0 || load_images(v) < 0 || load_abt_profile(v) < 0) {
		cleanup(v);
		return RC_SETUP;
	}
	if (v->opt.dump_dtb) {
		rc = write_dtb(v, v->opt.dump_dtb) < 0 ? RC_SETUP : RC_OK;
		cleanup(v);
		return rc;
	}
	/* abt after the VM's RAM exists and before its vcpus do */
	if (setup_vm(v) < 0 || setup_abt(v) < 0 || setup_vcpu(v) < 0) {
		cleanup(v);
		return RC_SETUP;
	}
	fprintf(stderr, "abt-vmm: %u MiB RAM; kernel %s entry 0x%" PRIx64
		" (image ends 0x%" PRIx64 ")", v->opt.ram_mib, v->opt.kernel,
		v->entry, v->kernel_end);
	if (v->opt.initrd)
		fprintf(stderr, "; initrd 0x%" PRIx64 "-0x%" PRIx64,
			v->initrd_start, v->initrd_end);
	fprintf(stderr, "; dtb 0x%x (%" PRIu32 " bytes); %s\n", DTB_ADDR,
		v->dtb_size, v->opt.sw_tlb ? "SW TLB" : "kernel's TLB");

	if (v->opt.timeout)
		alarm(v->opt.timeout);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++) {
		if (pthread_create(&v->sec[n].th, NULL, secondary_main,
				   &v->sec[n])) {
			err("cannot start the thread of vcpu %u", n);
			stop_all(v, RC_SETUP);
			break;
		}
		v->sec[n].thread = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &v->st.start);
	rc = run_loop(v);
	clock_gettime(CLOCK_MONOTONIC, &v->st.end);
	stop_all(v, rc);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++)
		if (v->sec[n].thread)
			pthread_join(v->sec[n].th, NULL);
	alarm(0);
	print_stats(v);
	cleanup(v);
	return rc;
}
