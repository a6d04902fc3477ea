/*
 * kvm-host-smoke: /init of the level-1 host (build/kvm-host/vmlinux under
 * qemu-system-ppc -M ppce500 -cpu e500v2). A VMM of the smallest kind: one
 * vcpu, 16 MiB at guest-physical 0, no KVM_CAP_SW_TLB, guest code from
 * guest.S. Prints "KVM-SMOKE: PASS" or "KVM-SMOKE: FAIL ...", then the
 * host's KVM exit counters, and powers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/kvm.h>

extern const char smoke_guest[], smoke_guest_end[];

#define NSTORES 6
static const uint32_t want[NSTORES] = { 0x1235, 0x100, 0x66, 0x77, 0x24, 0 };
static const char *const what[NSTORES] = {
	"r3 (0x1234 + 1 by the guest's sc handler)", "r4", "r6", "r7",
	"SRR0 seen by the sc handler", "MSR from mfmsr",
};

static void counter(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		printf("KVM-SMOKE: %s %s", name, buf);
	}
}

static void finish(void)
{
	counter("emulated_inst_exits");
	counter("syscall_exits");
	counter("itlb_real_miss_exits");
	counter("itlb_virt_miss_exits");
	counter("mmio_exits");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void fail(const char *what_failed)
{
	printf("KVM-SMOKE: FAIL %s: %s\n", what_failed, strerror(errno));
	finish();
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_run *run;
	struct kvm_regs regs;
	uint32_t got[NSTORES];
	int kvm, vm, vcpu, size, i, n = 0, ok = 1;
	void *mem;

	setvbuf(stdout, NULL, _IONBF, 0);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	printf("KVM-SMOKE: start\n");

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		fail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail("KVM_CREATE_VM");
	mem = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap guest memory");
	memcpy(mem, smoke_guest, smoke_guest_end - smoke_guest);
	region.memory_size = 16 << 20;
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap kvm_run");

	/* A guest that never gets to its stores is stopped by SIGALRM. */
	sigaction(SIGALRM, &sa, NULL);
	alarm(20);
	while (n < NSTORES) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			int e = errno;

			ioctl(vcpu, KVM_GET_REGS, &regs);
			printf("KVM-SMOKE: guest PC 0x%llx after %d MMIO exits\n",
			       (unsigned long long)regs.pc, n);
			errno = e;
			fail("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
		    run->mmio.len != 4 ||
		    run->mmio.phys_addr != 0xe0004000ULL + 4 * n) {
			printf("KVM-SMOKE: FAIL unexpected exit %u (addr 0x%llx)\n",
			       run->exit_reason,
			       (unsigned long long)run->mmio.phys_addr);
			finish();
		}
		got[n++] = (uint32_t)run->mmio.data[0] << 24 |
			   (uint32_t)run->mmio.data[1] << 16 |
			   (uint32_t)run->mmio.data[2] << 8 | run->mmio.data[3];
	}
	for (i = 0; i < NSTORES; i++) {
		printf("KVM-SMOKE: %s: 0x%x%s\n", what[i], got[i],
		       got[i] == want[i] ? "" : " (WRONG)");
		ok &= got[i] == want[i];
	}
	printf("KVM-SMOKE: %s\n", ok ? "PASS" : "FAIL wrong guest values");
	finish();
	return 0;
}
