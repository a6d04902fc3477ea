// SPDX-License-Identifier: GPL-2.0
/*
 * abt for this VM through KVM_CAP_PPC_ABT: the profile blob that rulesc
 * --profile-blob compiled (--abt-profile), the TC, mirror and steal ranges
 * and features from the command line, enabled after the VM and its RAM
 * exist and before its vcpus do. --abt-cap-check first tries, on the same
 * VM, each configuration KVM must refuse, and after the real one a second
 * enable and an enable on a VM that has a vcpu.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abt-vmm.h"
#include "abt-cap.h"

#define BLOB_HDR	16		/* docs/profile-blob.md */
#define BLOB_MAGIC_EA	(BLOB_HDR + 64)
#define BLOB_MAX	16384

int load_abt_profile(struct vmm *v)
{
	struct stat st;
	int fd;

	if (!v->opt.abt_profile)
		return 0;
	fd = open(v->opt.abt_profile, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err("--abt-profile %s: %s", v->opt.abt_profile,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size < BLOB_HDR || st.st_size > BLOB_MAX) {
		err("--abt-profile %s: %lld bytes, not a profile blob (%d..%d)",
		    v->opt.abt_profile, (long long)st.st_size, BLOB_HDR,
		    BLOB_MAX);
		close(fd);
		return -1;
	}
	v->abt_blob = malloc(st.st_size);
	if (!v->abt_blob ||
	    read(fd, v->abt_blob, st.st_size) != st.st_size) {
		err("--abt-profile %s: cannot read it", v->opt.abt_profile);
		close(fd);
		return -1;
	}
	close(fd);
	v->abt_blob_len = st.st_size;
	return 0;
}

static void abt_config(const struct vmm *v, struct kvm_ppc_abt_config *c,
		       const uint8_t *blob, uint32_t len)
{
	const struct options *o = &v->opt;

	memset(c, 0, sizeof(*c));
	c->version = KVM_PPC_ABT_VERSION;
	c->flags = o->abt_features | (o->abt_count_only ?
				      KVM_PPC_ABT_F_COUNT_ONLY : 0);
	c->profile_addr = (uintptr_t)blob;
	c->profile_len = len;
	c->threshold = o->abt_threshold;
	c->read_burst = o->abt_read_burst;
	c->tc_ea = o->abt_tc.ea;
	c->tc_size = o->abt_tc.size;
	c->tc_gpa = o->abt_tc.gpa;
	c->mirror_ea = o->abt_mirror.ea;
	c->mirror_size = o->abt_mirror.size;
	c->mirror_gpa = o->abt_mirror.gpa;
	c->nsteal = o->abt_nsteal;
	for (unsigned int i = 0; i < o->abt_nsteal; i++) {
		c->steal[i].ea = o->abt_steal[i].ea;
		c->steal[i].size = o->abt_steal[i].size;
	}
}

static int enable_cap(int vm_fd, const struct kvm_ppc_abt_config *c,
		      uint64_t arg1)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_PPC_ABT;
	cap.args[0] = (uintptr_t)c;
	cap.args[1] = arg1;
	return ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

/* CRC-32 (IEEE 802.3) of a blob's body, for the damaged-blob cases */
static uint32_t crc32_ieee(const uint8_t *b, uint32_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *b++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static void reseal(uint8_t *b, uint32_t len)
{
	put_be32(b + 12, crc32_ieee(b + BLOB_HDR, len - BLOB_HDR));
}

/* One configuration KVM must refuse with -EINVAL; 0 if it did. */
static int expect_einval(struct vmm *v, const char *what,
			 const struct kvm_ppc_abt_config *c, uint64_t arg1)
{
	int r = enable_cap(v->vm_fd, c, arg1);

	printf("abt-cap-check: %-40s %s\n", what,
	       r == -EINVAL ? "refused (EINVAL)" : strerror(-r));
	if (r != -EINVAL) {
		err("KVM_CAP_PPC_ABT with %s: %s, expected EINVAL", what,
		    r ? strerror(-r) : "accepted");
		return -1;
	}
	return 0;
}

static int cap_check_before(struct vmm *v)
{
	uint32_t len = v->abt_blob_len;
	uint8_t *b = malloc(len);
	struct kvm_ppc_abt_config c;
	int bad = 0;

	if (!b) {
		err("out of memory");
		return -1;
	}
#define CASE(what, arg1, edit) do { \
		memcpy(b, v->abt_blob, len); \
		abt_config(v, &c, b, len); \
		edit; \
		bad |= expect_einval(v, what, &c, arg1); \
	} while (0)
	CASE("truncated blob", 0, c.profile_len = len - 1);
	CASE("blob of another version", 0, b[5] = 2);
	CASE("blob with a bad checksum", 0, b[BLOB_HDR + 70] ^= 1);
	CASE("magic page out of d(0) reach", 0,
	     (put_be32(b + BLOB_MAGIC_EA, 0x10000000u), reseal(b, len)));
	CASE("config version 2", 0, c.version = 2);
	CASE("unknown flag", 0, c.flags |= 0x8);
	CASE("reserved field set", 0, c.reserved[3] = 1);
	CASE("args[1] set", 1, (void)0);
	CASE("TC overlapping the mirror region", 0,
	     (c.mirror_ea = c.tc_ea, c.mirror_gpa = c.tc_gpa,
	      c.mirror_size = c.mirror_size ? c.mirror_size : 0x1000,
	      c.tc_size = c.tc_size ? c.tc_size : 0x1000));
	CASE("TC outside guest RAM", 0,
	     (c.tc_gpa = (uint32_t)v->ram_size,
	      c.tc_size = c.tc_size ? c.tc_size : 0x1000));
	CASE("steal range not in whole pages", 0,
	     (c.nsteal = 1, c.steal[0].ea = 0xc0001000u,
	      c.steal[0].size = 0x800));
#undef CASE
	free(b);
	return bad ? -1 : 0;
}

/* After the real enable: a second one, and one on a VM with a vcpu. */
static int cap_check_after(struct vmm *v)
{
	struct kvm_ppc_abt_config c;
	int vm, vcpu, r, bad;

	abt_config(v, &c, v->abt_blob, v->abt_blob_len);
	bad = expect_einval(v, "a second enable", &c, 0);
	vm = KVM_IOCTL(v->kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		return -1;
	vcpu = KVM_IOCTL(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		close(vm);
		return -1;
	}
	r = enable_cap(vm, &c, 0);
	printf("abt-cap-check: %-40s %s\n", "an enable after a vcpu exists",
	       r == -EINVAL ? "refused (EINVAL)" : strerror(-r));
	if (r != -EINVAL) {
		err("KVM_CAP_PPC_ABT after KVM_CREATE_VCPU: %s, expected EINVAL",
		    r ? strerror(-r) : "accepted");
		bad = -1;
	}
	close(vcpu);
	close(vm);
	return bad;
}

int setup_abt(struct vmm *v)
{
	struct kvm_ppc_abt_config c;
	int r;

	if (!v->abt_blob)
		return 0;
	r = ioctl(v->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PPC_ABT);
	if (r <= 0) {
		err("KVM_CAP_PPC_ABT missing (a kernel with the abt series, CONFIG_KVM_E500V2_ABT)");
		return -1;
	}
	if (v->opt.abt_cap_check && cap_check_before(v) < 0)
		return -1;
	abt_config(v, &c, v->abt_blob, v->abt_blob_len);
	r = enable_cap(v->vm_fd, &c, 0);
	if (r) {
		err("KVM_CAP_PPC_ABT with --abt-profile %s: %s (the kernel log says why)",
		    v->opt.abt_profile, strerror(-r));
		return -1;
	}
	/* one line the e2e report reads (its steal table names the ranges) */
	fprintf(stderr, "abt-vmm: KVM_CAP_PPC_ABT: profile %s tc 0x%x+0x%x mirror 0x%x+0x%x features %u steal=",
		v->opt.abt_profile, c.tc_ea, c.tc_size, c.mirror_ea,
		c.mirror_size, c.flags & 7);
	for (unsigned int i = 0; i < c.nsteal; i++)
		fprintf(stderr, "%s0x%x+0x%x", i ? "," : "", c.steal[i].ea,
			c.steal[i].size);
	fprintf(stderr, "%s\n", c.nsteal ? "" : "-");
	if (v->opt.abt_cap_check && cap_check_after(v) < 0)
		return -1;
	return 0;
}
