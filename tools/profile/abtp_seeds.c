// SPDX-License-Identifier: GPL-2.0
/*
 * Seed corpus for fuzz_abtp: small valid profiles (every event kind,
 * blocks of one and of several events, pages), each written twice: as a
 * file (mode byte 1) and as its decompressed body (mode byte 0).
 * Usage: abtp_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "abtp.h"

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int write_seed(const char *path, uint8_t mode, const uint8_t *p,
		      size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fputc(mode, f) == EOF || fwrite(p, 1, n, f) != n) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	static const unsigned int nev[] = { 0, 1, 4, 9, 40, 4100 };
	char path[4096], out[4096], err[ABTP_ERR_LEN];
	unsigned int s;

	if (argc != 2) {
		fprintf(stderr, "usage: abtp_seeds DIR\n");
		return 2;
	}
	for (s = 0; s < sizeof(nev) / sizeof(nev[0]); s++) {
		struct abtp_writer *w;
		struct abtp_page pg;
		uint64_t ic = 0;
		unsigned int i;
		uint8_t *buf, *body;
		uLongf blen = 1 << 24;
		size_t len, hl;
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%u.abtp", argv[1], s);
		w = abtp_create(path, "g", "q", "seed", err, sizeof(err));
		if (!w) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (i = 0; i < nev[s]; i++) {
			struct abtp_event ev = { 0 };

			ic += rnd() % 50;
			ev.icount = ic;
			ev.kind = (uint8_t)(1 + rnd() % 4);
			ev.pc = 0xc0000000u + (rnd() % 64) * 4;
			ev.word = ev.kind == ABTP_EV_TLB1 ? 0x10000000u :
				  0x7c0000a6u;
			ev.ea = rnd();
			ev.mas1 = rnd();
			ev.mas3 = rnd();
			ev.size = (uint8_t)(1u << (rnd() % 4));
			abtp_add_event(w, &ev);
		}
		for (i = 0; i < s % 3; i++) {
			memset(&pg, 0, sizeof(pg));
			pg.ea = 0xc0000000u + 0x1000u * i;
			abtp_page_set(&pg, i, 0x7c0000a6u);
			abtp_page_set(&pg, 100 + i, rnd());
			abtp_add_page(w, &pg);
		}
		if (abtp_finish(w, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		f = fopen(path, "rb");
		buf = malloc(1 << 24);
		body = malloc(1 << 24);
		if (!f || !buf || !body)
			return 1;
		len = fread(buf, 1, 1 << 24, f);
		fclose(f);
		remove(path);
		hl = (size_t)buf[12] << 24 | buf[13] << 16 | buf[14] << 8 |
		     buf[15];
		if (uncompress(body, &blen, buf + 16 + hl + 4,
			       len - 16 - hl - 4) != Z_OK)
			return 1;
		snprintf(out, sizeof(out), "%s/file-%u", argv[1], s);
		if (write_seed(out, 1, buf, len))
			return 1;
		snprintf(out, sizeof(out), "%s/body-%u", argv[1], s);
		if (write_seed(out, 0, body, blen))
			return 1;
		free(buf);
		free(body);
	}
	return 0;
}
