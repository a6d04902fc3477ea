// SPDX-License-Identifier: GPL-2.0
/*
 * The GDB remote serial protocol client of abt-trace (tools/abt-trace/
 * rsp.c) against a fake stub on a socketpair: framing, checksums,
 * escapes, run-length decoding, acks, timeouts, EOF, qXfer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "rsp.h"

struct pair {
	struct rsp r;
	int peer;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->r.fd = sv[0];
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	p->peer = sv[1];
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	rsp_close(&p->r);
	close(p->peer);
	free(p);
	return 0;
}

static void peer_write(struct pair *p, const char *s)
{
	assert_int_equal(write(p->peer, s, strlen(s)), (ssize_t)strlen(s));
}

static size_t peer_read(struct pair *p, char *buf, size_t cap)
{
	ssize_t n = read(p->peer, buf, cap - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	return (size_t)n;
}

static void test_framing(void **state)
{
	struct pair *p = *state;
	char buf[256];

	assert_int_equal(rsp_queue(&p->r, "g", 1), 0);
	assert_int_equal(rsp_queuef(&p->r, "Z0,%x,4", 0xf00004u), 0);
	assert_int_equal(rsp_flush(&p->r, 1000), 0);
	peer_read(p, buf, sizeof(buf));
	/* 'g' = 0x67; "Z0,f00004,4" sums to 0x70 */
	assert_string_equal(buf, "$g#67$Z0,f00004,4#70");
}

static void test_escapes_out(void **state)
{
	struct pair *p = *state;
	char buf[256];

	/* $ # } * go out as } followed by the byte ^ 0x20 */
	assert_int_equal(rsp_queue(&p->r, "a#b$c}d*", 8), 0);
	assert_int_equal(rsp_flush(&p->r, 1000), 0);
	peer_read(p, buf, sizeof(buf));
	assert_memory_equal(buf, "$a}\x03" "b}\x04" "c}]d}\x0a#", 14);
}

static void test_reply_and_acks(void **state)
{
	struct pair *p = *state;
	char out[64], buf[64];

	peer_write(p, "+$OK#9a$T05thread:p01.01;#06");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), 2);
	assert_string_equal(out, "OK");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), 17);
	assert_string_equal(out, "T05thread:p01.01;");
	/* acks are owed, written together before the next request */
	assert_int_equal(p->r.acks, 2);
	assert_int_equal(rsp_queue(&p->r, "c", 1), 0);
	assert_int_equal(rsp_flush(&p->r, 1000), 0);
	peer_read(p, buf, sizeof(buf));
	assert_string_equal(buf, "++$c#63");
	assert_int_equal(p->r.acks, 0);
}

static void test_run_length(void **state)
{
	struct pair *p = *state;
	char out[64];

	/* "0* " = '0' then ' ' - 29 = 3 more: 0000; "}]" = '}' */
	peer_write(p, "$0* 1}]#85");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), 6);
	assert_string_equal(out, "00001}");
}

static void test_bad_checksum(void **state)
{
	struct pair *p = *state;
	char out[64];

	peer_write(p, "$OK#00");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), RSP_ERROR);
	assert_non_null(strstr(p->r.err, "checksum"));
}

static void test_partial_then_complete(void **state)
{
	struct pair *p = *state;
	char out[64];

	peer_write(p, "$O");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 50), RSP_TIMEOUT);
	peer_write(p, "K#9");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 50), RSP_TIMEOUT);
	peer_write(p, "a");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), 2);
	assert_string_equal(out, "OK");
}

static void test_nack_is_an_error(void **state)
{
	struct pair *p = *state;
	char out[64];

	peer_write(p, "-");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), RSP_ERROR);
}

static void test_eof(void **state)
{
	struct pair *p = *state;
	char out[64];

	peer_write(p, "$W00#b7");
	shutdown(p->peer, SHUT_WR);
	/* the packet before the end is still delivered */
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), 3);
	assert_string_equal(out, "W00");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), RSP_EOF);
}

static void test_too_long(void **state)
{
	struct pair *p = *state;
	char out[4];

	peer_write(p, "$12345#ff");
	assert_int_equal(rsp_recv(&p->r, out, sizeof(out), 1000), RSP_ERROR);
}

static void test_hex(void **state)
{
	uint32_t v;

	assert_int_equal(rsp_hex_be32("7c2004a6", &v), 0);
	assert_int_equal(v, 0x7c2004a6);
	assert_int_equal(rsp_hex_be32("DEADbeef", &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(rsp_hex_be32("E14", &v), -1);
	assert_int_equal(rsp_hexval('g'), -1);
}

/* A fake stub in a child: answers qXfer reads of a 10000-byte object
 * in chunks of at most the requested length. */
static void fake_xfer_stub(int fd)
{
	static char obj[10000];
	char buf[512], reply[8192];
	size_t len = 0, i;

	for (i = 0; i < sizeof(obj); i++)
		obj[i] = (char)('a' + i % 26);
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		char *hash, *start;
		unsigned long off, cnt;
		unsigned int sum = 0;
		size_t rl;

		if (n <= 0)
			_exit(0);
		len += (size_t)n;
		buf[len] = '\0';
		start = strchr(buf, '$');
		hash = start ? strchr(start, '#') : NULL;
		if (!hash || hash + 2 >= buf + len)
			continue;
		if (sscanf(start, "$qXfer:features:read:target.xml:%lx,%lx",
			   &off, &cnt) != 2)
			_exit(1);
		if (off > sizeof(obj))
			off = sizeof(obj);
		if (cnt > sizeof(obj) - off)
			cnt = sizeof(obj) - off;
		reply[0] = off + cnt < sizeof(obj) ? 'm' : 'l';
		memcpy(reply + 1, obj + off, cnt);
		rl = cnt + 1;
		for (i = 0; i < rl; i++)
			sum += (unsigned char)reply[i];
		if (write(fd, "+$", 2) != 2 || write(fd, reply, rl) != (ssize_t)rl)
			_exit(1);
		n = snprintf(buf, sizeof(buf), "#%02x", sum & 0xff);
		if (write(fd, buf, (size_t)n) != n)
			_exit(1);
		len = 0;
	}
}

static void test_xfer(void **state)
{
	struct pair *p = *state;
	char *obj = NULL;
	pid_t pid = fork();
	long n;
	int st, i;

	assert_true(pid >= 0);
	if (pid == 0) {
		close(p->r.fd);
		fake_xfer_stub(p->peer);
	}
	n = rsp_xfer_read(&p->r, "features", "target.xml", &obj, 2000);
	assert_int_equal(n, 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(obj[i], 'a' + i % 26);
	assert_int_equal(obj[10000], '\0');
	free(obj);
	shutdown(p->r.fd, SHUT_WR);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reply_and_acks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_run_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_then_complete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nack_is_an_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup,
						teardown),
		cmocka_unit_test(test_hex),
		cmocka_unit_test_setup_teardown(test_xfer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
