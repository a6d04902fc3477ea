// SPDX-License-Identifier: GPL-2.0
/*
 * ELF32 big-endian PowerPC loader for the simulated vCPU: PT_LOAD segments
 * and .symtab lookups, every offset and size checked against the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define EI_NIDENT	16
#define ELFCLASS32	1
#define ELFDATA2MSB	2
#define EM_PPC		20
#define PT_LOAD		1
#define SHT_SYMTAB	2
#define ELF_EHDR_SIZE	52
#define ELF_PHDR_SIZE	32
#define ELF_SHDR_SIZE	40
#define ELF_SYM_SIZE	16
#define SIM_ELF_MAX	(256u << 20)

static u32 rd32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/* [off, off+len) inside the image */
static bool in_file(const struct sim_elf *elf, u64 off, u64 len)
{
	return off <= elf->len && len <= elf->len - off;
}

static int check_header(const struct sim_elf *elf, char *err, size_t errlen)
{
	const u8 *h = elf->data;

	if (elf->len < ELF_EHDR_SIZE || memcmp(h, "\177ELF", 4)) {
		snprintf(err, errlen, "not an ELF file");
		return -1;
	}
	if (h[4] != ELFCLASS32 || h[5] != ELFDATA2MSB) {
		snprintf(err, errlen, "not a 32-bit big-endian ELF file");
		return -1;
	}
	if (rd16(h + 18) != EM_PPC) {
		snprintf(err, errlen, "ELF machine %u is not PowerPC (20)",
			 rd16(h + 18));
		return -1;
	}
	if (rd16(h + 42) != ELF_PHDR_SIZE && rd16(h + 44)) {
		snprintf(err, errlen, "bad program header size %u",
			 rd16(h + 42));
		return -1;
	}
	if (!in_file(elf, rd32(h + 28), (u64)rd16(h + 44) * ELF_PHDR_SIZE)) {
		snprintf(err, errlen, "program headers lie outside the file");
		return -1;
	}
	return 0;
}

int sim_elf_read(const char *path, struct sim_elf *elf, char *err,
		 size_t errlen)
{
	FILE *f;
	long n;

	memset(elf, 0, sizeof(*elf));
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot get its size", path);
		fclose(f);
		return -1;
	}
	if ((unsigned long)n > SIM_ELF_MAX) {
		snprintf(err, errlen, "%s: too large (%ld bytes)", path, n);
		fclose(f);
		return -1;
	}
	elf->data = malloc(n ? n : 1);
	if (!elf->data) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	elf->len = n;
	if (fread(elf->data, 1, n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		sim_elf_free(elf);
		return -1;
	}
	fclose(f);
	if (check_header(elf, err, errlen)) {
		size_t l = strlen(err);

		/* prefix the path */
		if (l + strlen(path) + 3 < errlen) {
			memmove(err + strlen(path) + 2, err, l + 1);
			memcpy(err, path, strlen(path));
			memcpy(err + strlen(path), ": ", 2);
		}
		sim_elf_free(elf);
		return -1;
	}
	elf->entry = rd32(elf->data + 24);
	return 0;
}

void sim_elf_free(struct sim_elf *elf)
{
	if (!elf)
		return;
	free(elf->data);
	elf->data = NULL;
	elf->len = 0;
}

int sim_elf_load(struct sim *s, const struct sim_elf *elf)
{
	const u8 *h;
	u32 phoff, i, phnum, nload = 0;
	static const u8 zero[4096];

	if (!s || !elf || !elf->data)
		return -1;
	if (check_header(elf, s->err, sizeof(s->err)))
		return -1;
	h = elf->data;
	phoff = rd32(h + 28);
	phnum = rd16(h + 44);
	for (i = 0; i < phnum; i++) {
		const u8 *ph = h + phoff + i * ELF_PHDR_SIZE;
		u32 off = rd32(ph + 4), va = rd32(ph + 8);
		u32 filesz = rd32(ph + 16), memsz = rd32(ph + 20), z;

		if (rd32(ph) != PT_LOAD || !memsz)
			continue;
		if (filesz > memsz || !in_file(elf, off, filesz)) {
			snprintf(s->err, sizeof(s->err),
				 "segment %u: file range 0x%x+0x%x is outside the file or larger than memsz 0x%x",
				 i, off, filesz, memsz);
			return -1;
		}
		if ((u64)va + memsz > 0x100000000ull) {
			snprintf(s->err, sizeof(s->err),
				 "segment %u: 0x%08x+0x%x wraps around 4 GiB",
				 i, va, memsz);
			return -1;
		}
		if (sim_write(s, va, h + off, filesz)) {
			snprintf(s->err, sizeof(s->err),
				 "segment %u (0x%08x+0x%x) is not inside the simulated RAM",
				 i, va, memsz);
			return -1;
		}
		for (z = filesz; z < memsz;) {
			u32 n = memsz - z < sizeof(zero) ? memsz - z : sizeof(zero);

			if (sim_write(s, va + z, zero, n)) {
				snprintf(s->err, sizeof(s->err),
					 "segment %u (0x%08x+0x%x) is not inside the simulated RAM",
					 i, va, memsz);
				return -1;
			}
			z += n;
		}
		sim_flush_icache(s, va, memsz);
		nload++;
	}
	if (!nload) {
		snprintf(s->err, sizeof(s->err), "no PT_LOAD segment");
		return -1;
	}
	return 0;
}

int sim_elf_symbol(const struct sim_elf *elf, const char *name, u32 *value)
{
	const u8 *h;
	u32 shoff, shnum, shentsize, i;

	if (!elf || !elf->data || elf->len < ELF_EHDR_SIZE || !name)
		return -1;
	h = elf->data;
	shoff = rd32(h + 32);
	shentsize = rd16(h + 46);
	shnum = rd16(h + 48);
	if (!shnum || shentsize != ELF_SHDR_SIZE ||
	    !in_file(elf, shoff, (u64)shnum * ELF_SHDR_SIZE))
		return -1;
	for (i = 0; i < shnum; i++) {
		const u8 *sh = h + shoff + i * ELF_SHDR_SIZE;
		u32 off, size, link, j;
		const u8 *str;
		u32 stroff, strsize;

		if (rd32(sh + 4) != SHT_SYMTAB)
			continue;
		off = rd32(sh + 16);
		size = rd32(sh + 20);
		link = rd32(sh + 24);
		if (!in_file(elf, off, size) || link >= shnum)
			return -1;
		stroff = rd32(h + shoff + link * ELF_SHDR_SIZE + 16);
		strsize = rd32(h + shoff + link * ELF_SHDR_SIZE + 20);
		if (!in_file(elf, stroff, strsize) || !strsize)
			return -1;
		str = h + stroff;
		for (j = 0; j + ELF_SYM_SIZE <= size; j += ELF_SYM_SIZE) {
			const u8 *sym = h + off + j;
			u32 nm = rd32(sym);
			size_t k;

			if (nm >= strsize)
				continue;
			/* the name must be NUL-terminated inside strtab */
			for (k = nm; k < strsize && str[k]; k++)
				;
			if (k >= strsize)
				continue;
			if (!strcmp((const char *)str + nm, name)) {
				*value = rd32(sym + 4);
				return 0;
			}
		}
	}
	return -1;
}
