// SPDX-License-Identifier: GPL-2.0
/*
 * KVM set-up: guest RAM, the VM with its in-kernel MPIC, the vcpus and
 * their SW TLB (KVM_CAP_SW_TLB), the boot vcpu's ePAPR entry state; and
 * the cleanup of it all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abt-vmm.h"

/*
 * --hugetlb: guest RAM in the host's default huge pages, so that KVM can
 * shadow the guest's huge TLB1 entries with huge host entries.
 */
int alloc_ram(struct vmm *v)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (v->opt.hugetlb)
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	v->ram = mmap(NULL, v->ram_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (v->ram == MAP_FAILED) {
		v->ram = NULL;
		if (v->opt.hugetlb)
			err("cannot map %zu MiB of guest RAM in huge pages: %s "
			    "(reserve them: hugepages=N on the host's command "
			    "line or /proc/sys/vm/nr_hugepages)",
			    v->ram_size / MIB, strerror(errno));
		else
			err("cannot map %zu MiB of guest RAM: %s",
			    v->ram_size / MIB, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_cap(struct vmm *v, int fd, int cap, const char *name)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0) {
		err("ioctl KVM_CHECK_EXTENSION(%s) failed: %s (errno %d)",
		    name, strerror(errno), errno);
		return -1;
	}
	info(v, "%s: %d", name, r);
	return r;
}

int setup_vm(struct vmm *v)
{
	struct kvm_userspace_memory_region mem = { 0 };
	struct kvm_create_device dev = { 0 };
	uint64_t base = MPIC_BASE;
	struct kvm_device_attr attr = { 0 };
	int r;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0) {
		err("cannot open /dev/kvm: %s%s", strerror(errno),
		    errno == ENOENT ? " (is devtmpfs mounted and KVM built "
		    "in? CONFIG_KVM_E500V2)" : "");
		return -1;
	}
	r = KVM_IOCTL(v->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return -1;
	if (r != KVM_API_VERSION) {
		err("KVM_GET_API_VERSION: %d, expected %d", r,
		    KVM_API_VERSION);
		return -1;
	}
	v->vm_fd = KVM_IOCTL(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0)
		return -1;
	if (check_cap(v, v->vm_fd, KVM_CAP_USER_MEMORY,
		      "KVM_CAP_USER_MEMORY") <= 0) {
		err("KVM_CAP_USER_MEMORY missing");
		return -1;
	}
	if (v->opt.sw_tlb && check_cap(v, v->vm_fd, KVM_CAP_SW_TLB,
				       "KVM_CAP_SW_TLB") <= 0) {
		err("KVM_CAP_SW_TLB missing (try --no-sw-tlb on a kernel "
		    "whose own initial TLB1 entry works)");
		return -1;
	}
	if (check_cap(v, v->vm_fd, KVM_CAP_IRQ_MPIC, "KVM_CAP_IRQ_MPIC") <= 0) {
		err("KVM_CAP_IRQ_MPIC missing (CONFIG_KVM_MPIC)");
		return -1;
	}

	mem.slot = 0;
	mem.guest_phys_addr = 0;
	mem.memory_size = v->ram_size;
	mem.userspace_addr = (uintptr_t)v->ram;
	if (KVM_IOCTL(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		return -1;

	dev.type = KVM_DEV_TYPE_FSL_MPIC_20;
	if (KVM_IOCTL(v->vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return -1;
	v->mpic_fd = (int)dev.fd;
	attr.group = KVM_DEV_MPIC_GRP_MISC;
	attr.attr = KVM_DEV_MPIC_BASE_ADDR;
	attr.addr = (uintptr_t)&base;
	if (KVM_IOCTL(v->mpic_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return -1;
	return 0;
}

/*
 * TLB1[0]: EA 0 -> PA pa, INITIAL_MAP_SIZE, IPROT, all permissions (QEMU;
 * pa is 0 for the boot cpu, the released address's 64 MiB block for a
 * secondary one).
 */
int setup_sw_tlb(struct vmm *v, int fd,
		 struct kvm_book3e_206_tlb_entry **tlbp, uint64_t pa)
{
	struct kvm_book3e_206_tlb_params params = { 0 };
	struct kvm_config_tlb cfg = { 0 };
	struct kvm_enable_cap cap = { 0 };
	struct kvm_dirty_tlb dirty = { 0 };
	static uint8_t bitmap[(TLB_ENTRIES + 7) / 8];
	struct kvm_book3e_206_tlb_entry *e;
	size_t bytes = TLB_ENTRIES * sizeof(*v->tlb);
	unsigned int tsize = 0;
	void *p;

	if (posix_memalign(&p, 4096, bytes)) {
		err("out of memory for the guest TLB");
		return -1;
	}
	*tlbp = p;
	memset(p, 0, bytes);
	while ((1024ull << tsize) < INITIAL_MAP_SIZE)
		tsize++;
	e = &(*tlbp)[TLB0_ENTRIES + 0];
	e->mas1 = MAS1_VALID | MAS1_IPROT | tsize << MAS1_TSIZE_SHIFT;
	e->mas2 = 0;
	e->mas7_3 = pa | MAS3_UR | MAS3_UW | MAS3_UX | MAS3_SR | MAS3_SW |
		    MAS3_SX;

	params.tlb_sizes[0] = TLB0_ENTRIES;
	params.tlb_ways[0] = TLB0_WAYS;
	params.tlb_sizes[1] = TLB1_ENTRIES;
	params.tlb_ways[1] = TLB1_ENTRIES;
	cfg.params = (uintptr_t)&params;
	cfg.array = (uintptr_t)*tlbp;
	cfg.mmu_type = KVM_MMU_FSL_BOOKE_NOHV;
	cfg.array_len = (uint32_t)bytes;
	cap.cap = KVM_CAP_SW_TLB;
	cap.args[0] = (uintptr_t)&cfg;
	if (KVM_IOCTL(fd, KVM_ENABLE_CAP, &cap) < 0)
		return -1;

	memset(bitmap, 0xff, sizeof(bitmap));
	dirty.bitmap = (uintptr_t)bitmap;
	dirty.num_dirty = TLB_ENTRIES;
	if (KVM_IOCTL(fd, KVM_DIRTY_TLB, &dirty) < 0)
		return -1;
	info(v, "SW TLB: TLB0 %d x %d-way, TLB1 %d; TLB1[0] EA 0 -> PA 0x%"
	     PRIx64 ", %u MiB (MAS1 0x%08" PRIx32 ")", TLB0_ENTRIES, TLB0_WAYS,
	     TLB1_ENTRIES, pa, INITIAL_MAP_SIZE / MIB, e->mas1);
	return 0;
}

int setup_vcpu(struct vmm *v)
{
	struct kvm_enable_cap cap = { 0 };
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int sz;

	v->vcpu_fd = KVM_IOCTL(v->vm_fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu_fd < 0)
		return -1;
	sz = KVM_IOCTL(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return -1;
	if ((size_t)sz < sizeof(struct kvm_run)) {
		err("KVM_GET_VCPU_MMAP_SIZE: %d is smaller than struct "
		    "kvm_run", sz);
		return -1;
	}
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		err("cannot mmap the vcpu's kvm_run: %s", strerror(errno));
		return -1;
	}
	if (v->opt.sw_tlb && setup_sw_tlb(v, v->vcpu_fd, &v->tlb, 0) < 0)
		return -1;

	cap.cap = KVM_CAP_IRQ_MPIC;
	cap.args[0] = (uint64_t)v->mpic_fd;
	cap.args[1] = 0;	/* vcpu id */
	if (KVM_IOCTL(v->vcpu_fd, KVM_ENABLE_CAP, &cap) < 0)
		return -1;

	/* secondaries: created and on the MPIC now, started when released */
	for (unsigned int n = 1; n < v->opt.nvcpus; n++) {
		struct secondary *c = &v->sec[n];

		c->id = (int)n;
		c->spin[1] = 1;		/* addr_l 1: spinning */
		c->spin[5] = n;		/* pir */
		c->fd = KVM_IOCTL(v->vm_fd, KVM_CREATE_VCPU, n);
		if (c->fd < 0)
			return -1;
		c->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			err("cannot mmap vcpu %u's kvm_run: %s", n,
			    strerror(errno));
			return -1;
		}
		cap.args[1] = n;
		if (KVM_IOCTL(c->fd, KVM_ENABLE_CAP, &cap) < 0)
			return -1;
	}

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	info(v, "vcpu PVR 0x%08" PRIx32, sregs.pvr);

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	memset(regs.gpr, 0, sizeof(regs.gpr));
	regs.pc = v->entry;
	regs.msr = 0;
	regs.gpr[1] = STACK_TOP;
	regs.gpr[3] = DTB_ADDR;
	regs.gpr[6] = EPAPR_MAGIC;
	regs.gpr[7] = INITIAL_MAP_SIZE;
	if (KVM_IOCTL(v->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	return 0;
}

void cleanup(struct vmm *v)
{
	for (unsigned int n = 1; n < MAX_VCPUS; n++) {
		struct secondary *c = &v->sec[n];

		if (c->run)
			munmap(c->run, v->run_size);
		if (c->fd > 0)
			close(c->fd);
		free(c->tlb);
	}
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->vcpu_fd >= 0)
		close(v->vcpu_fd);
	if (v->mpic_fd >= 0)
		close(v->mpic_fd);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
	if (v->ram)
		munmap(v->ram, v->ram_size);
	free(v->tlb);
}
