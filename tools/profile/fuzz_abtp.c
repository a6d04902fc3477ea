// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the profile reader. `make fuzz-profile` builds and
 * runs it.
 *
 * abtp_open() validates a whole file so that abtp_next() can decode
 * without checks: the property fuzzed here is that nothing the validator
 * accepts makes abtp_next() read outside the body (ASan), return other
 * than info->nevents events with the kinds, sizes and icount order the
 * trailer and the format promise, or disagree with a second pass.
 *
 * Input byte 0 picks what the rest is: bit 0 set, a whole file (as a real
 * reader sees it); clear, a decompressed body, which the target puts
 * behind a valid header and compresses, so mutations reach the body
 * parser instead of dying in inflate. Each input is read twice: as is,
 * and with CRC checks off (abtp.c built with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "abtp.h"

extern int abtp_fuzz_ignore_crc;

static void check(const uint8_t *data, size_t size)
{
	char err[ABTP_ERR_LEN] = "";
	struct abtp_reader *r = abtp_open_mem(data, size, err, sizeof(err));
	const struct abtp_info *in;
	struct abtp_event ev;
	uint64_t n[5], last, pass;
	uint32_t i;

	if (!r) {
		if (!err[0])
			abort();	/* an error must say what */
		return;
	}
	in = abtp_info(r);
	for (i = 1; i < in->npages; i++)
		if (abtp_pages(r)[i].ea <= abtp_pages(r)[i - 1].ea)
			abort();
	for (pass = 0; pass < 2; pass++) {
		memset(n, 0, sizeof(n));
		last = 0;
		while (abtp_next(r, &ev)) {
			if (ev.kind < ABTP_EV_EXEC || ev.kind > ABTP_EV_TLB1)
				abort();
			if ((ev.kind == ABTP_EV_LOAD ||
			     ev.kind == ABTP_EV_STORE) &&
			    ev.size != 1 && ev.size != 2 && ev.size != 4 &&
			    ev.size != 8)
				abort();
			if (ev.kind == ABTP_EV_TLB1 && (ev.word >> 28 & 3) != 1)
				abort();
			if (n[0] && ev.icount < last)
				abort();
			last = ev.icount;
			n[0]++;
			n[ev.kind]++;
			if (n[0] > in->nevents)
				abort();
		}
		if (n[0] != in->nevents || n[1] != in->nexec ||
		    n[2] != in->nload || n[3] != in->nstore ||
		    n[4] != in->ntlb1 || (n[0] && in->icount_end < last))
			abort();
		abtp_rewind(r);
	}
	abtp_close(r);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void read_both(const uint8_t *data, size_t size)
{
	abtp_fuzz_ignore_crc = 0;
	check(data, size);
	abtp_fuzz_ignore_crc = 1;
	check(data, size);
	abtp_fuzz_ignore_crc = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f;
	uLongf zl;

	if (!size)
		return 0;
	if (data[0] & 1) {
		read_both(data + 1, size - 1);
		return 0;
	}
	/* header: "ABTPROF", v1, flags 0, HL 6, three empty strings, CRC */
	zl = compressBound(size - 1);
	f = malloc(26 + zl);
	if (!f)
		return 0;
	memcpy(f, "ABTPROF", 8);
	f[8] = 0;
	f[9] = 1;
	f[10] = 0;
	f[11] = 0;
	put32(f + 12, 6);
	memset(f + 16, 0, 6);
	put32(f + 22, (uint32_t)crc32(crc32(0L, Z_NULL, 0), f, 22));
	if (compress2(f + 26, &zl, data + 1, size - 1, 1) == Z_OK)
		read_both(f, 26 + zl);
	free(f);
	return 0;
}
