// SPDX-License-Identifier: GPL-2.0
/*
 * GDB remote serial protocol client (see rsp.h).
 *
 * Framing: $payload#cc, cc = sum of payload bytes mod 256 in hex. The
 * receiver acks each packet with '+' (or '-' to ask for a resend) unless
 * no-ack mode was negotiated. Replies may use '}' escapes (byte ^ 0x20)
 * and run-length encoding ("x*N" repeats x N-29 more times).
 */
#define _GNU_SOURCE
#include "rsp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RSP_MAX_PAYLOAD	(1 << 20)

int64_t rsp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rsp_fail(struct rsp *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rsp_fail(struct rsp *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return code;
}

int rsp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rsp_hex_be32(const char *s, uint32_t *v)
{
	uint32_t x = 0;
	int i, d;

	for (i = 0; i < 8; i++) {
		d = rsp_hexval((unsigned char)s[i]);
		if (d < 0)
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

int rsp_connect(struct rsp *r, const char *host, int port, int timeout_ms,
		int (*alive)(void *arg), void *arg)
{
	int64_t deadline = rsp_now_ms() + timeout_ms;
	struct sockaddr_in sa;
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return rsp_fail(r, -1, "bad address %s", host);

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return rsp_fail(r, -1, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			r->fd = fd;
			return 0;
		}
		close(fd);
		if (errno != ECONNREFUSED && errno != EINTR)
			return rsp_fail(r, -1, "connect %s:%d: %s", host, port,
					strerror(errno));
		if (alive && !alive(arg))
			return rsp_fail(r, -1,
					"QEMU exited before its gdb stub accepted a connection on %s:%d",
					host, port);
		if (rsp_now_ms() >= deadline)
			return rsp_fail(r, -1,
					"no gdb stub listening on %s:%d after %d ms",
					host, port, timeout_ms);
		usleep(20000);
	}
}

void rsp_close(struct rsp *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->rx);
	free(r->tx);
	r->rx = r->tx = NULL;
	r->rxlen = r->rxcap = r->txlen = r->txcap = 0;
}

int rsp_queue(struct rsp *r, const char *payload, size_t len)
{
	unsigned int sum = 0;
	size_t i;
	char *p;

	/* worst case every byte escaped, plus $ # cc */
	if (grow(&r->tx, &r->txcap, r->txlen + 2 * len + 4))
		return rsp_fail(r, RSP_ERROR, "out of memory");
	p = r->tx + r->txlen;
	*p++ = '$';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)payload[i];

		if (c == '$' || c == '#' || c == '}' || c == '*') {
			*p++ = '}';
			sum += '}';
			c ^= 0x20;
		}
		*p++ = (char)c;
		sum += c;
	}
	*p++ = '#';
	p += sprintf(p, "%02x", sum & 0xff);
	r->txlen = (size_t)(p - r->tx);
	r->npackets_out++;
	return 0;
}

int rsp_queuef(struct rsp *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return rsp_fail(r, RSP_ERROR, "packet too long");
	return rsp_queue(r, buf, (size_t)n);
}

static int write_all(struct rsp *r, const char *buf, size_t len,
		     int timeout_ms)
{
	int64_t deadline = rsp_now_ms() + timeout_ms;

	while (len) {
		ssize_t n = send(r->fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			r->nbytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLOUT };
			int left = (int)(deadline - rsp_now_ms());

			if (left <= 0)
				return rsp_fail(r, RSP_TIMEOUT,
						"timed out writing to the gdb stub");
			/* keep draining its replies so it never blocks on us */
			if (rsp_fill(r) == RSP_EOF)
				return RSP_EOF;
			poll(&pfd, 1, left < 100 ? left : 100);
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return rsp_fail(r, RSP_EOF,
					"gdb stub closed the connection");
		return rsp_fail(r, RSP_ERROR, "write to gdb stub: %s",
				strerror(errno));
	}
	return 0;
}

int rsp_flush_acks(struct rsp *r)
{
	char acks[256];
	int ret = 0;

	while (r->acks && !ret) {
		size_t n = r->acks < sizeof(acks) ? r->acks : sizeof(acks);

		memset(acks, '+', n);
		r->acks -= n;
		ret = write_all(r, acks, n, 1000);
	}
	return ret;
}

int rsp_flush(struct rsp *r, int timeout_ms)
{
	int ret = rsp_flush_acks(r);

	if (ret || !r->txlen)
		return ret;
	ret = write_all(r, r->tx, r->txlen, timeout_ms);
	r->txlen = 0;
	return ret;
}

int rsp_send_break(struct rsp *r)
{
	return write_all(r, "\x03", 1, 1000);
}

int rsp_fill(struct rsp *r)
{
	int total = 0;

	for (;;) {
		ssize_t n;

		if (grow(&r->rx, &r->rxcap, r->rxlen + 65536))
			return rsp_fail(r, RSP_ERROR, "out of memory");
		n = recv(r->fd, r->rx + r->rxlen, r->rxcap - r->rxlen, 0);
		if (n > 0) {
			r->rxlen += (size_t)n;
			r->nbytes_in += (uint64_t)n;
			total += (int)n;
			if (r->rxlen > RSP_MAX_PAYLOAD * 2)
				return rsp_fail(r, RSP_ERROR,
						"gdb stub sent an oversized packet");
			continue;
		}
		if (n == 0)
			return total ? total :
				rsp_fail(r, RSP_EOF,
					 "gdb stub closed the connection");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return total;
		if (errno == ECONNRESET)
			return rsp_fail(r, RSP_EOF,
					"gdb stub reset the connection");
		return rsp_fail(r, RSP_ERROR, "read from gdb stub: %s",
				strerror(errno));
	}
}

static void consume(struct rsp *r, size_t n)
{
	memmove(r->rx, r->rx + n, r->rxlen - n);
	r->rxlen -= n;
}

int rsp_take(struct rsp *r, char *out, size_t cap)
{
	size_t i, start, end, o = 0;
	unsigned int sum = 0;
	int want, ret;

	/* skip acks and noise up to the next '$' */
	for (start = 0; start < r->rxlen && r->rx[start] != '$'; start++) {
		if (r->rx[start] == '-')
			return rsp_fail(r, RSP_ERROR,
					"gdb stub rejected a packet (bad checksum)");
	}
	if (start)
		consume(r, start);
	if (!r->rxlen)
		return RSP_TIMEOUT;
	for (end = 1; end < r->rxlen && r->rx[end] != '#'; end++)
		;
	if (end + 2 >= r->rxlen)
		return RSP_TIMEOUT;	/* incomplete */

	for (i = 1; i < end; i++)
		sum += (unsigned char)r->rx[i];
	want = rsp_hexval((unsigned char)r->rx[end + 1]) << 4 |
	       rsp_hexval((unsigned char)r->rx[end + 2]);
	if (want < 0 || (unsigned int)want != (sum & 0xff)) {
		/* Loopback TCP does not corrupt bytes: this is a framing
		 * bug, and asking for a resend while requests are
		 * pipelined would mix the replies up. */
		ret = rsp_fail(r, RSP_ERROR,
			       "bad checksum from gdb stub (got %02x, computed %02x)",
			       want & 0xff, sum & 0xff);
		consume(r, end + 3);
		return ret;
	}

	/* decode escapes and run-length encoding */
	ret = 0;
	for (i = 1; i < end; i++) {
		unsigned char c = (unsigned char)r->rx[i];

		if (c == '}' && i + 1 < end) {
			c = (unsigned char)r->rx[++i] ^ 0x20;
		} else if (c == '*' && i + 1 < end && o > 0) {
			int n = (unsigned char)r->rx[++i] - 29;

			while (n-- > 0) {
				if (o + 1 >= cap) {
					ret = RSP_ERROR;
					break;
				}
				out[o] = out[o - 1];
				o++;
			}
			continue;
		}
		if (o + 1 >= cap) {
			ret = RSP_ERROR;
			break;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	consume(r, end + 3);
	r->npackets_in++;
	if (!r->noack)
		r->acks++;	/* sent in one write by rsp_flush_acks */
	if (ret)
		return rsp_fail(r, RSP_ERROR,
				"reply longer than %zu bytes", cap);
	return (int)o;
}

int rsp_recv(struct rsp *r, char *out, size_t cap, int timeout_ms)
{
	int64_t deadline = rsp_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		int n = rsp_take(r, out, cap);
		int left;

		if (n != RSP_TIMEOUT)
			return n;
		n = rsp_flush_acks(r);
		if (n)
			return n;
		left = (int)(deadline - rsp_now_ms());
		if (left <= 0)
			return rsp_fail(r, RSP_TIMEOUT,
					"no reply from the gdb stub within %d ms",
					timeout_ms);
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR)
			return rsp_fail(r, RSP_ERROR, "poll: %s",
					strerror(errno));
		/* EINTR: a signal the caller looks at between requests */
		if (n > 0) {
			n = rsp_fill(r);
			if (n < 0)
				return n;
		}
	}
}

int rsp_transact(struct rsp *r, const char *payload, char *out, size_t cap,
		 int timeout_ms)
{
	int ret = rsp_queue(r, payload, strlen(payload));

	if (!ret)
		ret = rsp_flush(r, timeout_ms);
	if (ret)
		return ret;
	return rsp_recv(r, out, cap, timeout_ms);
}

long rsp_xfer_read(struct rsp *r, const char *object, const char *annex,
		   char **out, int timeout_ms)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *reply;
	const size_t chunk = 0xf00;	/* below QEMU's PacketSize=0x1000 */
	long ret = -1;

	reply = malloc(2 * chunk + 16);
	if (!reply) {
		rsp_fail(r, RSP_ERROR, "out of memory");
		return -1;
	}
	for (;;) {
		char req[256];
		int n;

		snprintf(req, sizeof(req), "qXfer:%s:read:%s:%zx,%zx", object,
			 annex, len, chunk);
		n = rsp_transact(r, req, reply, 2 * chunk + 16, timeout_ms);
		if (n < 0)
			goto out;
		if (n == 0 || (reply[0] != 'm' && reply[0] != 'l')) {
			rsp_fail(r, RSP_ERROR, "qXfer %s %s: reply \"%.40s\"",
				 object, annex, reply);
			goto out;
		}
		if (grow(&buf, &cap, len + (size_t)n + 1)) {
			rsp_fail(r, RSP_ERROR, "out of memory");
			goto out;
		}
		memcpy(buf + len, reply + 1, (size_t)n - 1);
		len += (size_t)n - 1;
		buf[len] = '\0';
		if (reply[0] == 'l')
			break;
		if (n == 1) {
			rsp_fail(r, RSP_ERROR, "qXfer %s %s: empty 'm' reply",
				 object, annex);
			goto out;
		}
	}
	*out = buf;
	buf = NULL;
	ret = (long)len;
out:
	free(buf);
	free(reply);
	return ret;
}
