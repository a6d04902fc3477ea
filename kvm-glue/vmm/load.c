// SPDX-License-Identifier: GPL-2.0
/*
 * The guest images into guest RAM, all checked against the file and the
 * layout: the ELF kernel at p_paddr, the initrd at INITRD_ADDR, the device
 * tree (its /memory and /chosen set here) at DTB_ADDR; --dump-dtb.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abt-vmm.h"

/* ---- files -------------------------------------------------------------- */

/* Whole file into a new buffer; refuses files larger than max. */
static int read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat sb;
	uint8_t *b;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		err("cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		err("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)sb.st_size > max) {
		err("%s: too large (%lld bytes, at most %zu)", path,
		    (long long)sb.st_size, max);
		close(fd);
		return -1;
	}
	b = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!b) {
		err("%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, b + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err("cannot read %s: %s", path,
			    r < 0 ? strerror(errno) : "unexpected end of file");
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

/* [addr, addr+len) lies in guest RAM */
static bool in_ram(const struct vmm *v, uint64_t addr, uint64_t len)
{
	return addr <= v->ram_size && len <= v->ram_size - addr;
}

/* ---- ELF kernel --------------------------------------------------------- */

#define EI_CLASS	4
#define EI_DATA		5
#define ELFCLASS32	1
#define ELFDATA2MSB	2
#define EM_PPC		20
#define PT_LOAD		1
#define EHDR_SIZE	52
#define PHDR_SIZE	32

static int load_elf(struct vmm *v, const char *path)
{
	uint8_t *f;
	size_t len;
	uint32_t entry, phoff;
	uint16_t phentsize, phnum;
	bool have_entry = false;
	int nload = 0;

	if (read_file(path, 512u * MIB, &f, &len) < 0)
		return -1;
	if (len < EHDR_SIZE || memcmp(f, "\177ELF", 4) != 0) {
		err("%s: not an ELF file", path);
		goto fail;
	}
	if (f[EI_CLASS] != ELFCLASS32 || f[EI_DATA] != ELFDATA2MSB ||
	    be16(f + 18) != EM_PPC) {
		err("%s: not a 32-bit big-endian PowerPC ELF", path);
		goto fail;
	}
	entry = be32(f + 24);
	phoff = be32(f + 28);
	phentsize = be16(f + 42);
	phnum = be16(f + 44);
	if (phentsize < PHDR_SIZE || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff) {
		err("%s: program headers outside the file", path);
		goto fail;
	}
	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + (size_t)i * phentsize;
		uint32_t off = be32(ph + 4), vaddr = be32(ph + 8);
		uint32_t paddr = be32(ph + 12), filesz = be32(ph + 16);
		uint32_t memsz = be32(ph + 20);

		if (be32(ph) != PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz || off > len || filesz > len - off) {
			err("%s: segment %u: file range 0x%" PRIx32 "+0x%" PRIx32
			    " outside the file (or filesz > memsz)",
			    path, i, off, filesz);
			goto fail;
		}
		if (!in_ram(v, paddr, memsz)) {
			err("%s: segment %u: paddr 0x%" PRIx32 "+0x%" PRIx32
			    " outside guest RAM (%zu MiB)", path, i, paddr,
			    memsz, v->ram_size / MIB);
			goto fail;
		}
		memcpy(v->ram + paddr, f + off, filesz);
		memset(v->ram + paddr + filesz, 0, memsz - filesz);
		if ((uint64_t)paddr + memsz > v->kernel_end)
			v->kernel_end = (uint64_t)paddr + memsz;
		if (entry >= vaddr && entry - vaddr < memsz) {
			v->entry = (uint64_t)entry - vaddr + paddr;
			have_entry = true;
		}
		info(v, "kernel segment %u: vaddr 0x%08" PRIx32 " paddr 0x%08"
		     PRIx32 " filesz 0x%" PRIx32 " memsz 0x%" PRIx32, i, vaddr,
		     paddr, filesz, memsz);
		nload++;
	}
	if (nload == 0) {
		err("%s: no PT_LOAD segment", path);
		goto fail;
	}
	if (!have_entry) {
		err("%s: entry point 0x%" PRIx32 " is in no PT_LOAD segment",
		    path, entry);
		goto fail;
	}
	free(f);
	return 0;
fail:
	free(f);
	return -1;
}

static int load_dtb(struct vmm *v, const char *path)
{
	uint8_t *b, cell[16];
	size_t len, total;
	struct fdt t;
	int r = -1;

	if (read_file(path, DTB_MAX, &b, &len) < 0)
		return -1;
	if (fdt_parse(&t, b, len, path) < 0) {
		free(b);
		return -1;
	}
	free(b);

	/* /memory reg = <0 0 size-hi size-lo> (#address-cells = 2, size 2) */
	put_be64(cell, 0);
	put_be64(cell + 8, v->ram_size);
	if (fdt_setprop(&t, "/memory", "reg", cell, 16) < 0)
		goto out;
	if (v->opt.initrd) {
		put_be64(cell, v->initrd_start);
		if (fdt_setprop(&t, "/chosen", "linux,initrd-start", cell,
				8) < 0)
			goto out;
		put_be64(cell, v->initrd_end);
		if (fdt_setprop(&t, "/chosen", "linux,initrd-end", cell,
				8) < 0)
			goto out;
	}
	if (v->opt.append &&
	    fdt_setprop(&t, "/chosen", "bootargs", v->opt.append,
			(uint32_t)strlen(v->opt.append) + 1) < 0)
		goto out;
	if (!in_ram(v, DTB_ADDR, DTB_MAX)) {
		err("no room for the device tree at 0x%x", DTB_ADDR);
		goto out;
	}
	total = fdt_pack(&t, v->ram + DTB_ADDR, DTB_MAX);
	if (!total) {
		err("%s: device tree larger than %u bytes after edits", path,
		    DTB_MAX);
		goto out;
	}
	v->dtb_size = (uint32_t)total;
	r = 0;
out:
	fdt_free(&t);
	return r;
}

static int load_initrd(struct vmm *v, const char *path)
{
	uint8_t *b;
	size_t len;

	if (read_file(path, DTB_ADDR - INITRD_ADDR, &b, &len) < 0)
		return -1;
	if (!in_ram(v, INITRD_ADDR, len)) {
		err("%s: does not fit in guest RAM at 0x%x", path, INITRD_ADDR);
		free(b);
		return -1;
	}
	memcpy(v->ram + INITRD_ADDR, b, len);
	free(b);
	v->initrd_start = INITRD_ADDR;
	v->initrd_end = INITRD_ADDR + len;
	return 0;
}

/* Kernel, initrd and device tree into guest RAM, all checked. */
int load_images(struct vmm *v)
{
	if (load_elf(v, v->opt.kernel) < 0)
		return -1;
	if (v->kernel_end > (v->opt.initrd ? INITRD_ADDR : DTB_ADDR)) {
		err("%s: kernel image ends at 0x%" PRIx64 ", over the %s at "
		    "0x%x", v->opt.kernel, v->kernel_end,
		    v->opt.initrd ? "initrd" : "device tree",
		    v->opt.initrd ? INITRD_ADDR : DTB_ADDR);
		return -1;
	}
	if (v->opt.initrd && load_initrd(v, v->opt.initrd) < 0)
		return -1;
	return load_dtb(v, v->opt.dtb);
}

int write_dtb(const struct vmm *v, const char *path)
{
	size_t done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	while (done < v->dtb_size) {
		ssize_t w = write(fd, v->ram + DTB_ADDR + done,
				  v->dtb_size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err("cannot write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0) {
		err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
