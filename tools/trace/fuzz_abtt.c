// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: read an arbitrary buffer as a golden trace, to the end
 * or the first error. `make fuzz-trace` builds and runs it.
 *
 * Each input is read twice: as is (what a real reader does), and with CRC
 * checks off (abtt.c built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION),
 * so that mutations get past the CRCs into the parsing they guard.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abtt.h"

extern int abtt_fuzz_ignore_crc;

static void read_all(const uint8_t *data, size_t size)
{
	char err[ABTT_ERR_LEN];
	struct abtt_reader *r = abtt_open_mem(data, size, err, sizeof(err));
	struct abtt_record rec;
	uint64_t n = 0;
	int ret;

	if (!r) {
		if (!err[0])
			abort();	/* an error must say what */
		return;
	}
	if (abtt_get_header(r)->nspr > ABTT_MAX_SPR)
		abort();
	while ((ret = abtt_next(r, &rec)) == 1)
		n++;
	if (ret == 0) {
		const struct abtt_trailer *t = abtt_get_trailer(r);

		if (!t || t->nrecords != n || t->complete > 1 ||
		    strlen(t->reason) >= sizeof(t->reason))
			abort();
	} else if (ret != -1 || !abtt_error(r)[0] || abtt_get_trailer(r) ||
		   abtt_next(r, &rec) != -1) {
		abort();
	}
	if (abtt_record_count(r) != n)
		abort();
	abtt_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	abtt_fuzz_ignore_crc = 0;
	read_all(data, size);
	abtt_fuzz_ignore_crc = 1;
	read_all(data, size);
	abtt_fuzz_ignore_crc = 0;
	return 0;
}
