// SPDX-License-Identifier: GPL-2.0
/*
 * Writes a few small valid golden traces into DIR: the seed corpus of the
 * fuzz target (`make fuzz-trace`). Deterministic.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "abtt.h"

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8 ^ seed << 13;
}

static int seed_file(const char *dir, const char *name, unsigned int nspr,
		     unsigned int nrec, unsigned int pct, int compress,
		     int complete, const char *reason)
{
	static const uint16_t sprs[] = { 26, 27, 58, 59, 61, 62, 63, 48,
					 272, 273, 340, 336, 22, 1008 };
	struct abtt_header h;
	struct abtt_writer *w;
	char path[4096], err[ABTT_ERR_LEN];
	unsigned int i, j;

	memset(&h, 0, sizeof(h));
	strcpy(h.guest, "linux-6.1.192");
	strcpy(h.qemu, "QEMU emulator version 7.2.15");
	strcpy(h.cpu, "e500v2");
	strcpy(h.options, "K=8");
	h.nspr = nspr;
	for (i = 0; i < nspr; i++) {
		h.spr[i] = i < sizeof(sprs) / sizeof(sprs[0]) ? sprs[i] :
			   600 + i;
		snprintf(h.spr_name[i], sizeof(h.spr_name[i]), "spr%u",
			 h.spr[i]);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	w = abtt_create(path, &h, compress, err, sizeof(err));
	if (!w)
		goto fail;
	for (i = 0; i < nrec; i++) {
		struct abtt_record rec;
		uint32_t *pre = (uint32_t *)&rec.pre;

		memset(&rec, 0, sizeof(rec));
		rec.pc = 0xc0000000u + 4 * (rnd() % 4096);
		rec.word = 0x7c0000a6u | (rnd() % 32) << 21;
		rec.hit = i;
		/* gpr[], pc..ctr, spr[] are consecutive uint32_t */
		for (j = 0; j < 38 + nspr; j++)
			pre[j] = rnd() % 3 ? rnd() : 0;
		rec.post = rec.pre;
		for (j = 0; j < 38 + nspr; j++)
			if (rnd() % 100 < pct)
				((uint32_t *)&rec.post)[j] ^= rnd() | 1;
		if (abtt_write(w, &rec)) {
			snprintf(err, sizeof(err), "%s",
				 abtt_writer_error(w));
			abtt_abort(w);
			goto fail;
		}
	}
	if (abtt_finish(w, complete, reason, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "abtt_seeds: %s\n", err);
	return 1;
}

int main(int argc, char **argv)
{
	const char *d;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: abtt_seeds DIR\n");
		return 2;
	}
	d = argv[1];
	bad |= seed_file(d, "empty.abtt", 0, 0, 0, 0, 1, NULL);
	bad |= seed_file(d, "empty-z.abtt", 0, 0, 0, 1, 1, NULL);
	bad |= seed_file(d, "one.abtt", 2, 1, 10, 0, 1, NULL);
	bad |= seed_file(d, "few.abtt", 6, 3, 5, 0, 1, NULL);
	bad |= seed_file(d, "few-z.abtt", 6, 3, 5, 1, 1, NULL);
	bad |= seed_file(d, "all-changed.abtt", 1, 2, 100, 0, 1, NULL);
	bad |= seed_file(d, "cut.abtt", 3, 2, 20, 0, 0, "qemu exited");
	bad |= seed_file(d, "cut-z.abtt", 3, 2, 20, 1, 0, "timeout");
	bad |= seed_file(d, "spr14.abtt", 14, 4, 8, 0, 1, NULL);
	return bad;
}
