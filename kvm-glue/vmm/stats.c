// SPDX-License-Identifier: GPL-2.0
/*
 * The exit statistics printed at the end: KVM_RUN returns by exit reason,
 * MMIO and console counts, the timebase, and from debugfs KVM's per-vcpu
 * exit timing, its VM counters and abt's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abt-vmm.h"

static void copy_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("(%s: %s)\n", path, strerror(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

/* VM-wide counters KVM keeps in debugfs (one number per file). */
static void print_debugfs_counters(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int shown = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[512], buf[64];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (strspn(buf, "0123456789") != strlen(buf) ||
		    !strcmp(buf, "0"))
			continue;
		if (!shown++)
			printf("KVM debugfs counters (%s, nonzero):\n", dir);
		printf("  %-28s %s\n", de->d_name, buf);
	}
	closedir(d);
}

/*
 * abt's VM statistics as KVM publishes them (KVM_GET_STATS_FD, binary
 * stats of Documentation/virt/kvm/api.rst): every VM descriptor whose name
 * starts with abt_, one "  name value" line each.
 */
static void print_stats_fd(struct vmm *v)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dlen;
	int fd, shown = 0;

	fd = ioctl(v->vm_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.name_size > 256) {
		close(fd);
		return;
	}
	dlen = sizeof(*d) + h.name_size;
	d = malloc(dlen);
	for (uint32_t i = 0; d && i < h.num_desc; i++) {
		uint64_t val;

		if (pread(fd, d, dlen, h.desc_offset + i * dlen) != (ssize_t)dlen)
			break;
		d->name[h.name_size - 1] = 0;
		if (strncmp(d->name, "abt_", 4) || d->size != 1 ||
		    pread(fd, &val, sizeof(val), h.data_offset + d->offset) !=
		    sizeof(val))
			continue;
		if (!shown++)
			printf("KVM stats (KVM_GET_STATS_FD, VM):\n");
		printf("  %-28s %" PRIu64 "\n", d->name, val);
	}
	free(d);
	close(fd);
}

void print_stats(struct vmm *v)
{
	/* integer arithmetic only: no FP in a -msoft-float static binary */
	int64_t ms = (int64_t)(v->st.end.tv_sec - v->st.start.tv_sec) * 1000 +
		     (v->st.end.tv_nsec - v->st.start.tv_nsec) / 1000000;
	char dir[128], path[160];
	struct stat sb;

	if (console_mid_line)
		putchar('\n');
	printf("\n== abt-vmm: exit statistics\n");
	printf("KVM_RUN calls: %" PRIu64 " (EINTR %" PRIu64 "), %" PRId64
	       ".%03" PRId64 " s wall\n", v->st.runs, v->st.eintr, ms / 1000,
	       ms % 1000);
	printf("KVM_RUN returns by exit reason:\n");
	for (unsigned int i = 0; i <= MAX_EXIT_REASON; i++) {
		if (!v->st.reason[i])
			continue;
		if (i == MAX_EXIT_REASON)
			printf("  %-20s %" PRIu64 "\n", "(reason >= 64)",
			       v->st.reason[i]);
		else
			printf("  %-20s %" PRIu64 "\n", exit_name(i),
			       v->st.reason[i]);
	}
	printf("MMIO: uart %" PRIu64 " writes %" PRIu64 " reads, gpio %"
	       PRIu64 " writes %" PRIu64 " reads, unhandled %" PRIu64 "\n",
	       v->st.uart_write, v->st.uart_read, v->st.gpio_write,
	       v->st.gpio_read, v->st.mmio_unhandled);
	printf("console bytes: %" PRIu64 "\n", v->st.console_bytes);
	printf("timebase: first KVM_RUN %" PRIu64 ", last exit %" PRIu64
	       ", run %" PRIu64 " ticks\n", v->st.tb_start, v->st.tb_end,
	       v->st.tb_end - v->st.tb_start);

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d",
		 (int)getpid(), v->vm_fd);
	for (unsigned int n = 0; n < v->opt.nvcpus; n++) {
		snprintf(path, sizeof(path), "%s/vcpu%u/timing", dir, n);
		if (stat(path, &sb) == 0) {
			printf("KVM exit timing (%s, durations in us):\n",
			       path);
			copy_file(path);
		} else {
			printf("(no KVM exit timing: %s: %s)\n", path,
			       strerror(errno));
		}
	}
	print_debugfs_counters(dir);
	/* abt's counters, when the KVM has abt on for this VM */
	snprintf(path, sizeof(path), "%s/abt", dir);
	if (stat(path, &sb) == 0) {
		printf("abt (%s):\n", path);
		copy_file(path);
	}
	print_stats_fd(v);
	fflush(stdout);
}
