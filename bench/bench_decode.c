// SPDX-License-Identifier: GPL-2.0
/*
 * bench_decode: the generated decoder against capstone on real code.
 *
 * The word stream is the .text of a PowerPC (32-bit big-endian) ELF file,
 * by default Debian's libc6-powerpc-cross libc. abt_decode runs over the
 * stream repeated to at least 10 M words; capstone (cs_disasm_iter, detail
 * off, one reused cs_insn) over the same stream, repeated until it has run
 * for a while. Prints words per second for both, their ratio, and how many
 * words the decoder matched (privileged sites, by rule).
 *
 * usage: bench_decode [ELF [MIN_WORDS]]
 */
#include <capstone/capstone.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abt_gen.h"

#define DEFAULT_ELF "/usr/powerpc-linux-gnu/lib/libc.so.6"
#define TARGET_RATIO 100.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static u32 be32(const unsigned char *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u32 be16(const unsigned char *p)
{
	return (u32)p[0] << 8 | p[1];
}

/* The .text of an ELF32 big-endian PowerPC file, as raw bytes. */
static unsigned char *load_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *img = NULL, *text;
	long size;

	if (!f) {
		perror(path);
		fprintf(stderr, "bench_decode: the default input is Debian's "
			"libc6-powerpc-cross (apt-get install "
			"libc6-powerpc-cross), or give a PowerPC ELF file\n");
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 52 ||
	    fseek(f, 0, SEEK_SET))
		goto bad;
	img = malloc(size);
	if (!img || fread(img, 1, size, f) != (size_t)size)
		goto bad;
	fclose(f);
	f = NULL;
	if (memcmp(img, "\177ELF", 4) || img[4] != 1 /* ELFCLASS32 */ ||
	    img[5] != 2 /* ELFDATA2MSB */ || be16(img + 18) != 20 /* EM_PPC */) {
		fprintf(stderr, "bench_decode: %s is not a 32-bit big-endian "
			"PowerPC ELF file\n", path);
		free(img);
		return NULL;
	}
	u32 shoff = be32(img + 32), shentsize = be16(img + 46);
	u32 shnum = be16(img + 48), shstrndx = be16(img + 50);

	if (shentsize < 40 || shstrndx >= shnum ||
	    shoff + (uint64_t)shnum * shentsize > (uint64_t)size)
		goto bad;
	const unsigned char *strsh = img + shoff + shstrndx * shentsize;
	u32 stroff = be32(strsh + 16), strsize = be32(strsh + 20);

	if (stroff + (uint64_t)strsize > (uint64_t)size)
		goto bad;
	for (u32 i = 0; i < shnum; i++) {
		const unsigned char *sh = img + shoff + i * shentsize;
		u32 name = be32(sh), off = be32(sh + 16), sz = be32(sh + 20);

		if (name >= strsize || strncmp((char *)img + stroff + name,
					      ".text", 6))
			continue;
		if (off + (uint64_t)sz > (uint64_t)size || sz < 4)
			goto bad;
		sz &= ~3u;
		text = malloc(sz);
		if (!text)
			goto bad;
		memcpy(text, img + off, sz);
		free(img);
		*len = sz;
		return text;
	}
	fprintf(stderr, "bench_decode: %s has no .text section\n", path);
	free(img);
	return NULL;
bad:
	fprintf(stderr, "bench_decode: cannot read the ELF file %s\n", path);
	if (f)
		fclose(f);
	free(img);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : DEFAULT_ELF;
	size_t min_words = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000000;
	size_t len, nw;
	unsigned char *text = load_text(path, &len);

	if (!text)
		return 1;
	nw = len / 4;

	/* the stream as host words, decoded once from big-endian */
	u32 *w = malloc(nw * sizeof(u32));

	if (!w)
		return 1;
	for (size_t i = 0; i < nw; i++)
		w[i] = be32(text + 4 * i);

	/* ---- abt_decode ---- */
	unsigned long long hits[ABT_RULE_COUNT] = { 0 };
	size_t passes = (min_words + nw - 1) / nw, done = 0;
	struct abt_fields f;
	u32 sink = 0;
	double t0 = now();

	for (size_t p = 0; p < passes; p++)
		for (size_t i = 0; i < nw; i++) {
			enum abt_rule r = abt_decode(w[i], &f);

			hits[r]++;
			sink += r;
		}
	double t_abt = now() - t0;

	done = passes * nw;

	/* ---- capstone, detail off ---- */
	csh h;

	if (cs_open(CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN, &h) != CS_ERR_OK) {
		fprintf(stderr, "bench_decode: cs_open failed\n");
		return 1;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_OFF);
	cs_insn *in = cs_malloc(h);
	size_t cs_words = 0, cs_bad = 0;
	double t_cs;

	t0 = now();
	do {
		const uint8_t *code = text;
		size_t size = len;
		uint64_t addr = 0x10000;

		while (size >= 4) {
			if (cs_disasm_iter(h, &code, &size, &addr, in)) {
				sink += in->id;
			} else {	/* not an instruction: skip the word */
				code += 4;
				size -= 4;
				addr += 4;
				cs_bad++;
			}
			cs_words++;
		}
		t_cs = now() - t0;
	} while (t_cs < 0.5);
	cs_free(in, 1);
	cs_close(&h);

	double r_abt = done / t_abt, r_cs = cs_words / t_cs;
	double ratio = r_abt / r_cs;
	unsigned long long matched = 0;

	for (int r = 1; r < ABT_RULE_COUNT; r++)
		matched += hits[r];
	printf("input: %s .text, %zu words; abt %zu words (%zu passes), "
	       "capstone %zu words (%zu not instructions)\n", path, nw, done,
	       passes, cs_words, cs_bad);
	printf("decode: abt %.1f Mw/s, capstone %.2f Mw/s, ratio %.0fx "
	       "(target >= %.0fx)%s\n", r_abt / 1e6, r_cs / 1e6, ratio,
	       TARGET_RATIO, ratio >= TARGET_RATIO ? "" : "  BELOW TARGET");
	printf("privileged sites: %llu of %zu words match a rule",
	       matched / passes, nw);
	for (int r = 1; r < ABT_RULE_COUNT; r++)
		if (hits[r])
			printf(", %s %llu", abt_rules[r].name, hits[r] / passes);
	printf("\n");
	if (sink == 0xdeadbeef)	/* keep the loops */
		printf(" \n");
	free(w);
	free(text);
	return 0;
}
