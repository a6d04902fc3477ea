/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small GDB remote serial protocol client, enough to drive QEMU's gdb
 * stub: packet framing with checksums and acks, run-length decoding,
 * timeouts on every read, and pipelining (several requests written at
 * once, replies read back in order: QEMU's system-mode stub answers
 * packets one after the other and never waits for our ack).
 */
#ifndef ABT_RSP_H
#define ABT_RSP_H

#include <stddef.h>
#include <stdint.h>

#define RSP_ERR_LEN	256

enum {
	RSP_OK = 0,
	RSP_ERROR = -1,		/* protocol or I/O error: see r->err */
	RSP_TIMEOUT = -2,	/* no complete packet within the timeout */
	RSP_EOF = -3,		/* the stub closed the connection */
};

struct rsp {
	int fd;
	int noack;		/* QStartNoAckMode accepted */
	size_t acks;		/* acks owed to the stub, not yet written */
	/* receive buffer: raw bytes from the socket */
	char *rx;
	size_t rxlen, rxcap;
	/* transmit queue: framed packets not yet written */
	char *tx;
	size_t txlen, txcap;
	/* statistics */
	uint64_t npackets_out, npackets_in, nbytes_out, nbytes_in;
	char err[RSP_ERR_LEN];
};

/* Connect to host:port, retrying for up to timeout_ms. alive(arg) is polled between tries: when it returns 0 the
 * peer is gone and connecting stops. Returns 0 or -1 (r->err). */
int rsp_connect(struct rsp *r, const char *host, int port, int timeout_ms,
		int (*alive)(void *arg), void *arg);
void rsp_close(struct rsp *r);

/* Monotonic milliseconds. */
int64_t rsp_now_ms(void);

/* Append one framed packet to the transmit queue. */
int rsp_queue(struct rsp *r, const char *payload, size_t len);
int rsp_queuef(struct rsp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write out the queue (blocking, bounded by timeout_ms). */
int rsp_flush(struct rsp *r, int timeout_ms);
/* Write the acks owed for packets taken so far. */
int rsp_flush_acks(struct rsp *r);
/* Write one raw byte (0x03 to interrupt a running target). */
int rsp_send_break(struct rsp *r);

/* Read bytes already waiting on the socket without blocking (call when
 * poll() says the fd is readable). Returns bytes read, 0, or RSP_EOF /
 * RSP_ERROR. */
int rsp_fill(struct rsp *r);
/* Take one complete packet from the receive buffer if there is one:
 * returns its decoded length (payload NUL-terminated in out), or
 * RSP_TIMEOUT when none is complete yet, RSP_ERROR on a bad packet.
 * Owes the stub an ack for it (rsp_flush_acks). Never blocks. */
int rsp_take(struct rsp *r, char *out, size_t cap);
/* Wait up to timeout_ms for one packet. */
int rsp_recv(struct rsp *r, char *out, size_t cap, int timeout_ms);
/* Send one packet and wait for its reply. */
int rsp_transact(struct rsp *r, const char *payload, char *out, size_t cap,
		 int timeout_ms);

/* Read a qXfer object (e.g. "features", "target.xml") whole. *out is
 * malloc'ed and NUL-terminated. Returns its length or -1. */
long rsp_xfer_read(struct rsp *r, const char *object, const char *annex,
		   char **out, int timeout_ms);

/* Hex helpers. */
int rsp_hexval(int c);
/* Parse n bytes of hex as a big-endian-in-memory value of n bytes
 * (gdb sends target byte order; e500 is big-endian). -1 if malformed. */
int rsp_hex_be32(const char *s, uint32_t *v);

#endif
