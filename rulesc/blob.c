// SPDX-License-Identifier: GPL-2.0
/*
 * rulesc --profile-blob: one guest profile, as the blob a host takes at
 * run time (docs/profile-blob.md, runtime/include/abt_blob.h). The blob
 * names its layout and carries the layout's slot offsets and every rule's
 * translate/trap choice by name, so a host built from other rule files
 * refuses it instead of misreading it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "ast.h"
#include "abt_blob.h"

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static int put_name(unsigned char *b, const char *s, const char *what)
{
	size_t n = strlen(s);

	if (n >= ABT_BLOB_NAME_LEN) {
		fprintf(stderr, "rulesc: %s name '%s' is longer than %u characters: it does not fit a profile blob\n",
			what, s, ABT_BLOB_NAME_LEN - 1);
		return -1;
	}
	memcpy(b, s, n);
	return 0;
}

/* Is path one of the input files (same device and inode)? */
static int is_input(const char *path, const char **inputs, int ninputs)
{
	struct stat out, in;

	if (stat(path, &out))
		return 0;
	for (int i = 0; i < ninputs; i++)
		if (!stat(inputs[i], &in) && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino)
			return 1;
	return 0;
}

static int write_whole(const char *path, const unsigned char *b, size_t n)
{
	size_t len = strlen(path) + 5;
	char *tmp = xcalloc(1, len);
	FILE *f;
	int ok;

	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f) {
		fprintf(stderr, "rulesc: cannot write %s: %s\n", tmp,
			strerror(errno));
		free(tmp);
		return -1;
	}
	ok = fwrite(b, 1, n, f) == n;
	ok = !fflush(f) && ok;
	ok = !fsync(fileno(f)) && ok;
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "rulesc: cannot write %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int profile_blob(const char *name, const char *path, const char **inputs,
		 int ninputs)
{
	const struct profile *pr = NULL;
	unsigned char *blob, *body, *e;
	uint32_t nslots = nslot_names, nrules = prog.nrules, len;
	int rc;

	for (int i = 0; i < prog.nprofiles; i++)
		if (!strcmp(prog.profiles[i].name, name))
			pr = &prog.profiles[i];
	if (!pr) {
		fprintf(stderr, "rulesc: --profile-blob: no profile '%s' in the rule files (profiles:",
			name);
		for (int i = 0; i < prog.nprofiles; i++)
			fprintf(stderr, " %s", prog.profiles[i].name);
		fprintf(stderr, "%s)\n", prog.nprofiles ? "" : " none");
		return -1;
	}
	if (is_input(path, inputs, ninputs)) {
		fprintf(stderr, "rulesc: --profile-blob: output %s is one of the input files\n",
			path);
		return -1;
	}
	if (nslots > ABT_BLOB_SLOTS_MAX || nrules > ABT_BLOB_RULES_MAX) {
		fprintf(stderr, "rulesc: --profile-blob: %u slots and %u rules; a blob holds at most %u and %u\n",
			nslots, nrules, ABT_BLOB_SLOTS_MAX, ABT_BLOB_RULES_MAX);
		return -1;
	}
	len = ABT_BLOB_HDR_LEN + ABT_BLOB_OFF_VAR +
	      (nslots + nrules) * ABT_BLOB_ENTRY_LEN;
	blob = xcalloc(1, len);
	body = blob + ABT_BLOB_HDR_LEN;
	rc = put_name(body + ABT_BLOB_OFF_NAME, pr->name, "profile") |
	     put_name(body + ABT_BLOB_OFF_LAYOUT,
		      prog.layouts[pr->layout_index].name, "layout");
	put32(body + ABT_BLOB_OFF_MAGIC_EA, pr->magic);
	put32(body + ABT_BLOB_OFF_THRESHOLD, pr->threshold);
	put32(body + ABT_BLOB_OFF_DECAY, pr->decay);
	put32(body + ABT_BLOB_OFF_CLUSTER, pr->cluster_max);
	put32(body + ABT_BLOB_OFF_NTC, pr->ntc);
	for (int t = 0; t < pr->ntc; t++) {
		put32(body + ABT_BLOB_OFF_TC + 8 * t, pr->tc_base[t]);
		put32(body + ABT_BLOB_OFF_TC + 8 * t + 4, pr->tc_size[t]);
	}
	put32(body + ABT_BLOB_OFF_NSLOTS, nslots);
	put32(body + ABT_BLOB_OFF_NRULES, nrules);
	e = body + ABT_BLOB_OFF_VAR;
	for (uint32_t s = 0; s < nslots; s++, e += ABT_BLOB_ENTRY_LEN) {
		int off = layout_slot_off(pr->layout_index, s);

		rc |= put_name(e, slot_names[s], "slot");
		put32(e + ABT_BLOB_NAME_LEN, off < 0 ? 0xffffu : (uint32_t)off);
	}
	for (uint32_t r = 0; r < nrules; r++, e += ABT_BLOB_ENTRY_LEN) {
		rc |= put_name(e, prog.rules[r].name, "rule");
		put32(e + ABT_BLOB_NAME_LEN, profile_rule_on(pr, r));
	}
	put32(blob, ABT_BLOB_MAGIC);
	blob[4] = ABT_BLOB_VERSION >> 8;
	blob[5] = ABT_BLOB_VERSION & 0xff;
	blob[6] = ABT_BLOB_HDR_LEN >> 8;
	blob[7] = ABT_BLOB_HDR_LEN & 0xff;
	put32(blob + 8, len);
	put32(blob + 12, crc32(0, body, len - ABT_BLOB_HDR_LEN));
	if (!rc && len > ABT_BLOB_MAX_LEN) {
		fprintf(stderr, "rulesc: --profile-blob: %u bytes, more than the %u a host takes\n",
			len, ABT_BLOB_MAX_LEN);
		rc = -1;
	}
	if (!rc)
		rc = write_whole(path, blob, len);
	free(blob);
	return rc ? -1 : 0;
}
