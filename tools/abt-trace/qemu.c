// SPDX-License-Identifier: GPL-2.0
/*
 * The QEMU process: started paused with its gdb stub on a free loopback
 * port, its stdin/stdout (the guest console) and stderr on pipes, killed
 * at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abt-trace.h"

int qemu_alive(void *arg)
{
	struct cap *c = arg;
	int st;

	if (c->qemu_reaped)
		return 0;
	if (waitpid(c->qemu, &st, WNOHANG) == c->qemu) {
		c->qemu_reaped = 1;
		c->qemu_status = st;
		return 0;
	}
	return 1;
}

const char *status_text(int st)
{
	static char buf[64];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, sizeof(buf), "status 0x%x", st);
	return buf;
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		die("finding a free loopback port: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void qemu_version(struct cap *c)
{
	char cmd[PATH_MAX + 32], line[256];
	FILE *p;

	snprintf(c->qemu_version, sizeof(c->qemu_version), "unknown");
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", c->o->qemu);
	if (strchr(c->o->qemu, '\''))
		die("--qemu: path with a quote");
	p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(c->qemu_version, sizeof(c->qemu_version), "%.*s",
			 (int)sizeof(c->qemu_version) - 1, line);
	}
	if (pclose(p) != 0)
		die("cannot run '%s --version': is qemu-system-ppc installed (apt-get install qemu-system-ppc)?",
		    c->o->qemu);
}

void spawn_qemu(struct cap *c)
{
	int in[2], out[2], err[2];
	char port_arg[64];
	char **argv;
	int i, n = 0;
	size_t len = 0;

	c->port = free_port();
	snprintf(port_arg, sizeof(port_arg), "tcp:127.0.0.1:%d", c->port);
	argv = calloc((size_t)c->o->nqargs + 20, sizeof(*argv));
	if (!argv)
		die("out of memory");
	argv[n++] = (char *)c->o->qemu;
	argv[n++] = "-M";
	argv[n++] = "ppce500";
	argv[n++] = "-cpu";
	argv[n++] = "e500v2";
	argv[n++] = "-nographic";
	argv[n++] = "-S";
	argv[n++] = "-gdb";
	argv[n++] = port_arg;
	for (i = 0; i < c->npre_args; i++)
		argv[n++] = c->pre_args[i];
	for (i = 0; i < c->o->nqargs; i++)
		argv[n++] = c->o->qargs[i];
	argv[n] = NULL;

	free(c->qemu_cmdline);
	for (i = 0; i < n; i++)
		len += strlen(argv[i]) + 1;
	c->qemu_cmdline = malloc(len + 1);
	if (!c->qemu_cmdline)
		die("out of memory");
	c->qemu_cmdline[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(c->qemu_cmdline, argv[i]);
		if (i + 1 < n)
			strcat(c->qemu_cmdline, " ");
	}

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	c->qemu = fork();
	if (c->qemu < 0)
		die("fork: %s", strerror(errno));
	if (c->qemu == 0) {
		/* own process group: a terminal ^C reaches us, not QEMU,
		 * so we can end the trace cleanly; die with us */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "abt-trace: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->qemu_in = in[1];
	c->qemu_out = out[0];
	c->qemu_err = err[0];
	fcntl(c->qemu_in, F_SETFL, fcntl(c->qemu_in, F_GETFL) | O_NONBLOCK);
	fcntl(c->qemu_out, F_SETFL, fcntl(c->qemu_out, F_GETFL) | O_NONBLOCK);
	fcntl(c->qemu_err, F_SETFL, fcntl(c->qemu_err, F_GETFL) | O_NONBLOCK);
	c->qemu_reaped = 0;
	free(argv);
}

/* QEMU's own messages: keep the last bytes, show them on errors. */
void drain_qemu_err(struct cap *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->qemu_err, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)n, keep = sizeof(c->errtail) - 1;

		if (k >= keep) {
			memcpy(c->errtail, buf + k - keep, keep);
			c->errtaillen = keep;
		} else {
			if (c->errtaillen + k > keep) {
				size_t drop = c->errtaillen + k - keep;

				memmove(c->errtail, c->errtail + drop,
					c->errtaillen - drop);
				c->errtaillen -= drop;
			}
			memcpy(c->errtail + c->errtaillen, buf, k);
			c->errtaillen += k;
		}
		c->errtail[c->errtaillen] = '\0';
		if (c->clog)
			fwrite(buf, 1, k, c->clog);
	}
}

void show_qemu_err(struct cap *c)
{
	drain_qemu_err(c);
	if (c->errtaillen)
		fprintf(stderr, "abt-trace: QEMU said:\n%s%s", c->errtail,
			c->errtail[c->errtaillen - 1] == '\n' ? "" : "\n");
}

void qemu_write(struct cap *c, const char *s, size_t len)
{
	if (!len)
		return;
	if (c->pendlen + len > c->pendcap) {
		c->pendcap = (c->pendlen + len) * 2 + 256;
		c->pend = realloc(c->pend, c->pendcap);
		if (!c->pend)
			die("out of memory");
	}
	memcpy(c->pend + c->pendlen, s, len);
	c->pendlen += len;
}

void flush_qemu_in(struct cap *c)
{
	while (c->pendlen) {
		ssize_t n = write(c->qemu_in, c->pend, c->pendlen);

		if (n <= 0)
			return;	/* EAGAIN: poll tells; EPIPE: QEMU gone */
		memmove(c->pend, c->pend + n, c->pendlen - (size_t)n);
		c->pendlen -= (size_t)n;
	}
}

/* Kill QEMU: 'k' over gdb, then signals to the pid we started. */
void stop_qemu(struct cap *c, int stopped)
{
	int64_t deadline;
	int st, sent_term = 0;

	if (c->qemu <= 0 || c->qemu_reaped)
		return;
	if (c->rsp.fd >= 0 && stopped) {
		rsp_queue(&c->rsp, "k", 1);
		rsp_flush(&c->rsp, 1000);
	}
	deadline = rsp_now_ms() + 3000;
	for (;;) {
		pid_t r = waitpid(c->qemu, &st, WNOHANG);

		if (r == c->qemu) {
			c->qemu_reaped = 1;
			c->qemu_status = st;
			return;
		}
		if (r < 0)
			return;
		if (rsp_now_ms() >= deadline) {
			if (sent_term) {
				kill(c->qemu, SIGKILL);
				waitpid(c->qemu, &st, 0);
				c->qemu_reaped = 1;
				c->qemu_status = st;
				return;
			}
			kill(c->qemu, SIGTERM);
			sent_term = 1;
			deadline = rsp_now_ms() + 2000;
		}
		usleep(10000);
	}
}
