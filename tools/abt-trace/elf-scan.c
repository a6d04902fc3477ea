// SPDX-License-Identifier: GPL-2.0
/*
 * --elf: every word of an image's executable sections (or segments) that
 * abt_decode() names a rule for becomes a site.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abt-trace.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory reading %s", path);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static unsigned int scan_range(struct sites *s, const uint8_t *img,
			       uint32_t vaddr, uint32_t size, uint32_t bias,
			       int elf)
{
	unsigned int added = 0;
	uint32_t i, skip = (4 - (vaddr & 3)) & 3;

	for (i = skip; i + 4 <= size; i += 4) {
		struct abt_fields f;
		uint32_t w = be32(img + i);
		int rule = abt_decode(w, &f);

		if (rule != ABT_RULE_NONE)
			added += (unsigned int)site_add(s, vaddr + i + bias,
							w, rule, elf);
	}
	return added;
}

/*
 * Scan one big-endian ELF32 PowerPC image. Executable sections
 * (SHF_ALLOC|SHF_EXECINSTR, with file contents) when the file has
 * section headers: they exclude the data that shares a PT_LOAD segment
 * with the code. Otherwise every PF_X PT_LOAD segment.
 */
void scan_elf(struct sites *s, struct elf_arg *e, int idx)
{
	size_t len, i;
	uint8_t *img = read_file(e->path, &len);
	uint32_t phoff, shoff;
	unsigned int phnum, phentsize, shnum, shentsize, nsec = 0;

	if (!img)
		die("--elf %s: %s", e->path, strerror(errno));
	if (len < sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG))
		die("--elf %s: not an ELF file", e->path);
	if (img[EI_CLASS] != ELFCLASS32 || img[EI_DATA] != ELFDATA2MSB)
		die("--elf %s: not a 32-bit big-endian ELF", e->path);
	if (be16(img + 18) != EM_PPC)
		die("--elf %s: not a PowerPC ELF (e_machine %u)", e->path,
		    be16(img + 18));
	phoff = be32(img + 28);
	shoff = be32(img + 32);
	phentsize = be16(img + 42);
	phnum = be16(img + 44);
	shentsize = be16(img + 46);
	shnum = be16(img + 48);

	if (shoff && shnum && shentsize >= sizeof(Elf32_Shdr) &&
	    shoff <= len && (size_t)shnum * shentsize <= len - shoff) {
		for (i = 0; i < shnum; i++) {
			const uint8_t *sh = img + shoff + i * shentsize;
			uint32_t type = be32(sh + 4), flags = be32(sh + 8);
			uint32_t addr = be32(sh + 12), off = be32(sh + 16);
			uint32_t size = be32(sh + 20);

			if (type != SHT_PROGBITS ||
			    (flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
			    (SHF_ALLOC | SHF_EXECINSTR))
				continue;
			if (off > len || size > len - off)
				die("--elf %s: section %zu runs past the end of the file",
				    e->path, i);
			e->nsites += scan_range(s, img + off, addr, size,
						e->bias, idx);
			nsec++;
		}
	}
	if (nsec) {
		e->method = "exec-sections";
		free(img);
		return;
	}
	if (!phoff || phentsize < sizeof(Elf32_Phdr) || phoff > len ||
	    (size_t)phnum * phentsize > len - phoff)
		die("--elf %s: no program headers", e->path);
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * phentsize;
		uint32_t off = be32(ph + 4), vaddr = be32(ph + 8);
		uint32_t filesz = be32(ph + 16), flags = be32(ph + 24);

		if (be32(ph) != PT_LOAD || !(flags & PF_X))
			continue;
		if (off > len || filesz > len - off)
			die("--elf %s: segment %zu runs past the end of the file",
			    e->path, i);
		e->nsites += scan_range(s, img + off, vaddr, filesz, e->bias,
					idx);
		nsec++;
	}
	if (!nsec)
		die("--elf %s: no executable PT_LOAD segment", e->path);
	e->method = "exec-segments";
	free(img);
}
