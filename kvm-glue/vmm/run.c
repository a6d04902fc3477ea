// SPDX-License-Identifier: GPL-2.0
/*
 * Running the vcpus: the boot vcpu's KVM_RUN loop in the main thread, one
 * thread a secondary vcpu once the guest releases it, and stopping them all
 * when one ends the run (power-off, --until, a signal, a guest error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abt-vmm.h"

/* the VM, for the secondary vcpus' threads (main sets it) */
struct vmm *the_vmm;
static volatile sig_atomic_t got_signal;
/* each vcpu thread's kvm_run: a signal makes its KVM_RUN return */
static __thread struct kvm_run *volatile signal_run;

const char *exit_name(uint32_t r)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
		[KVM_EXIT_S390_RESET] = "S390_RESET",
		[KVM_EXIT_DCR] = "DCR",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_OSI] = "OSI",
		[KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
		[KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
		[KVM_EXIT_WATCHDOG] = "WATCHDOG",
		[KVM_EXIT_S390_TSCH] = "S390_TSCH",
		[KVM_EXIT_EPR] = "EPR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_S390_STSI] = "S390_STSI",
		[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV",
	};

	if (r < sizeof(names) / sizeof(*names) && names[r])
		return names[r];
	return "?";
}

static void dump_regs(struct vmm *v)
{
	struct kvm_regs r;

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return;
	err("guest state: pc 0x%08" PRIx64 " msr 0x%08" PRIx64 " lr 0x%08"
	    PRIx64 " srr0 0x%08" PRIx64 " srr1 0x%08" PRIx64 " r1 0x%08"
	    PRIx64 " r3 0x%08" PRIx64, r.pc, r.msr, r.lr, r.srr0, r.srr1,
	    r.gpr[1], r.gpr[3]);
}

void on_signal(int sig)
{
	if (sig != SIGUSR1)	/* SIGUSR1: another vcpu ended the run */
		got_signal = sig;
	if (signal_run)
		signal_run->immediate_exit = 1;
}

/* This vcpu ends the run with rc: the others leave KVM_RUN too. */
void stop_all(struct vmm *v, int rc)
{
	pthread_mutex_lock(&v->lock);
	if (!v->stop) {
		v->stop = 1;
		v->stop_rc = rc;
	}
	pthread_cond_broadcast(&v->kick);
	pthread_mutex_unlock(&v->lock);
	if (!pthread_equal(pthread_self(), v->main_thread))
		pthread_kill(v->main_thread, SIGUSR1);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++)
		if (v->sec[n].thread &&
		    !pthread_equal(pthread_self(), v->sec[n].th))
			pthread_kill(v->sec[n].th, SIGUSR1);
}

/*
 * A secondary vcpu's thread: wait for its release, start it as QEMU's
 * spin table does (TLB1[0] maps the 64 MiB block of the address at EA 0,
 * pc = address within it, r3 from the entry, r7 = map size), then run
 * until the VM stops. Only MMIO is expected from it.
 */
void *secondary_main(void *arg)
{
	struct secondary *c = arg;
	struct vmm *v = the_vmm;
	struct kvm_regs regs;
	uint64_t addr;
	int rc = RC_GUEST;

	signal_run = c->run;
	pthread_mutex_lock(&v->lock);
	while (!c->kicked && !v->stop)
		pthread_cond_wait(&v->kick, &v->lock);
	addr = (uint64_t)c->spin[0] << 32 | c->spin[1];
	pthread_mutex_unlock(&v->lock);
	if (v->stop)
		return NULL;
	if (setup_sw_tlb(v, c->fd, &c->tlb, addr & ~(uint64_t)(INITIAL_MAP_SIZE - 1)) < 0 ||
	    KVM_IOCTL(c->fd, KVM_GET_REGS, &regs) < 0)
		goto out;
	memset(regs.gpr, 0, sizeof(regs.gpr));
	regs.pc = addr & (INITIAL_MAP_SIZE - 1);
	regs.msr = 0;
	regs.gpr[3] = c->spin[3];
	regs.gpr[7] = INITIAL_MAP_SIZE;
	if (KVM_IOCTL(c->fd, KVM_SET_REGS, &regs) < 0)
		goto out;
	while (!v->stop) {
		int r = KVM_IOCTL(c->fd, KVM_RUN, 0);

		if (r < 0 && errno == EINTR) {
			c->run->immediate_exit = 0;
			continue;
		}
		if (r < 0)
			goto out;
		pthread_mutex_lock(&v->lock);
		v->st.runs++;
		v->st.reason[c->run->exit_reason < MAX_EXIT_REASON ?
			     c->run->exit_reason : MAX_EXIT_REASON]++;
		if (c->run->exit_reason == KVM_EXIT_MMIO) {
			enum mmio_result m = handle_mmio(v, c->run);

			pthread_mutex_unlock(&v->lock);
			if (m != MMIO_DONE) {
				fflush(stdout);
				err(m == MMIO_POWEROFF ?
				    "guest powered off (GPIO pin 0 driven high, cpu %d)" :
				    "console marker seen (cpu %d)", c->id);
				rc = RC_OK;
				goto out;
			}
			continue;
		}
		pthread_mutex_unlock(&v->lock);
		if (c->run->exit_reason == KVM_EXIT_INTR)
			continue;
		err("cpu %d: unexpected exit reason %" PRIu32 " (%s), hardware "
		    "reason 0x%" PRIx64, c->id, c->run->exit_reason,
		    exit_name(c->run->exit_reason),
		    (uint64_t)c->run->hw.hardware_exit_reason);
		goto out;
	}
	return NULL;
out:
	stop_all(v, rc);
	return NULL;
}

/* The guest stopped for good: say why, show its registers. */
static int guest_stop(struct vmm *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int guest_stop(struct vmm *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err("%s", msg);
	dump_regs(v);
	return RC_GUEST;
}

/* The e500 timebase, readable from user mode; KVM does not offset it. */
static uint64_t timebase(void)
{
	uint32_t hi, lo, hi2;

	do {
		__asm__ volatile("mftbu %0" : "=r"(hi));
		__asm__ volatile("mftb %0" : "=r"(lo));
		__asm__ volatile("mftbu %0" : "=r"(hi2));
	} while (hi != hi2);
	return (uint64_t)hi << 32 | lo;
}

int run_loop(struct vmm *v)
{
	signal_run = v->run;
	for (;;) {
		enum mmio_result mres;
		uint32_t reason;
		int r;

		if (got_signal) {
			guest_stop(v, "stopped by %s", got_signal == SIGALRM ?
				   "--timeout" : strsignal(got_signal));
			return RC_TIMEOUT;
		}
		if (v->stop)		/* a secondary vcpu ended the run */
			return v->stop_rc;
		pthread_mutex_lock(&v->lock);
		if (!v->st.runs++)
			v->st.tb_start = timebase();
		pthread_mutex_unlock(&v->lock);
		r = KVM_IOCTL(v->vcpu_fd, KVM_RUN, 0);
		v->st.tb_end = timebase();
		if (r < 0 && errno == EINTR) {
			v->st.eintr++;
			v->run->immediate_exit = 0;
			continue;
		}
		if (r < 0)
			return RC_GUEST;
		reason = v->run->exit_reason;
		pthread_mutex_lock(&v->lock);
		v->st.reason[reason < MAX_EXIT_REASON ? reason :
			     MAX_EXIT_REASON]++;
		mres = reason == KVM_EXIT_MMIO ? handle_mmio(v, v->run) :
		       MMIO_DONE;
		pthread_mutex_unlock(&v->lock);
		switch (reason) {
		case KVM_EXIT_MMIO:
			switch (mres) {
			case MMIO_POWEROFF:
				fflush(stdout);
				err("guest powered off (GPIO pin 0 driven "
				    "high)");
				return RC_OK;
			case MMIO_UNTIL:
				fflush(stdout);
				err("console marker \"%s\" seen",
				    v->opt.until);
				return RC_OK;
			case MMIO_DONE:
				break;
			}
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_DEBUG:
			return guest_stop(v, "KVM_EXIT_DEBUG at 0x%08" PRIx64
					  " (no guest debugging was requested)",
					  (uint64_t)v->run->debug.arch.address);
		case KVM_EXIT_SHUTDOWN:
			return guest_stop(v, "KVM_EXIT_SHUTDOWN: the guest shut down");
		case KVM_EXIT_SYSTEM_EVENT:
			return guest_stop(v, "KVM_EXIT_SYSTEM_EVENT type %" PRIu32,
			    v->run->system_event.type);
		case KVM_EXIT_WATCHDOG:
			return guest_stop(v, "KVM_EXIT_WATCHDOG: the guest's watchdog expired");
		case KVM_EXIT_INTERNAL_ERROR:
			return guest_stop(v, "KVM_EXIT_INTERNAL_ERROR, suberror %" PRIu32,
			    v->run->internal.suberror);
		case KVM_EXIT_FAIL_ENTRY:
			return guest_stop(v, "KVM_EXIT_FAIL_ENTRY, hardware reason 0x%" PRIx64,
			    (uint64_t)v->run->fail_entry
				.hardware_entry_failure_reason);
		case KVM_EXIT_UNKNOWN:
			return guest_stop(v, "KVM_EXIT_UNKNOWN, hardware reason 0x%" PRIx64,
			    (uint64_t)v->run->hw.hardware_exit_reason);
		default:
			return guest_stop(v, "unexpected exit reason %" PRIu32 " (%s)", reason,
			    exit_name(reason));
		}
	}
}
