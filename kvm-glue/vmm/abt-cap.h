/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM_CAP_PPC_ABT as the abt series defines it (kvm-glue/linux, patch
 * "per-VM configuration through KVM_CAP_PPC_ABT": include/uapi/linux/kvm.h
 * and arch/powerpc/include/uapi/asm/kvm.h), for building against a C
 * library's kernel headers that predate it. tests/vmm-cap-uapi.sh checks
 * that these match the patch.
 */
#ifndef ABT_VMM_CAP_H
#define ABT_VMM_CAP_H

#include <stdint.h>

#ifndef KVM_CAP_PPC_ABT
#define KVM_CAP_PPC_ABT 239

struct kvm_ppc_abt_range {
	uint32_t ea;
	uint32_t size;
};

struct kvm_ppc_abt_config {
	uint32_t version;
	uint32_t flags;
	uint64_t profile_addr;
	uint32_t profile_len;
	uint32_t threshold;
	uint32_t read_burst;
	uint32_t nsteal;
	uint32_t tc_ea, tc_size, tc_gpa;
	uint32_t mirror_ea, mirror_size, mirror_gpa;
	struct kvm_ppc_abt_range steal[8];
	uint32_t reserved[8];
};

#define KVM_PPC_ABT_VERSION		1
#define KVM_PPC_ABT_F_MIRROR		0x001
#define KVM_PPC_ABT_F_RESIZE		0x002
#define KVM_PPC_ABT_F_STEAL		0x004
#define KVM_PPC_ABT_F_COUNT_ONLY	0x100
#endif

_Static_assert(sizeof(struct kvm_ppc_abt_config) == 152,
	       "struct kvm_ppc_abt_config is 152 bytes in the uapi");

#endif
