// SPDX-License-Identifier: GPL-2.0
/*
 * abt profile blobs: a guest profile compiled by `rulesc --profile-blob`
 * after the host was built, taken at run time (docs/profile-blob.md).
 *
 * The blob comes from a VMM, so from a guest's owner: every field is
 * checked, and a blob built from other rule files than the host's is
 * refused (its layout offsets or rule names differ) rather than half used.
 */
#include "internal.h"

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()), bit by bit: blobs
 * are small and parsed once per VM. */
static u32 crc32_ieee(const u8 *b, u32 n)
{
	u32 c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *b++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* A NUL-terminated, NUL-padded name of [A-Za-z0-9_.-]; 0 if not one. */
static bool name_ok(const u8 *b)
{
	u32 i = 0;

	for (; i < ABT_BLOB_NAME_LEN && b[i]; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		      (b[i] >= 'A' && b[i] <= 'Z') ||
		      (b[i] >= '0' && b[i] <= '9') ||
		      b[i] == '_' || b[i] == '.' || b[i] == '-'))
			return false;
	if (!i || i == ABT_BLOB_NAME_LEN)
		return false;
	for (; i < ABT_BLOB_NAME_LEN; i++)
		if (b[i])
			return false;
	return true;
}

static bool name_eq(const u8 *b, const char *s)
{
	u32 i = 0;

	for (; i < ABT_BLOB_NAME_LEN && s[i]; i++)
		if (b[i] != (u8)s[i])
			return false;
	return i < ABT_BLOB_NAME_LEN && !b[i];
}

/* The host layout named b (any compiled-in profile's), or NULL. */
static const struct abt_layout *host_layout(const u8 *b)
{
	int i;

	for (i = 0; abt_profiles[i]; i++)
		if (name_eq(b, abt_profiles[i]->layout->name))
			return abt_profiles[i]->layout;
	return NULL;
}

/* The blob entry (of n from e) named s, or NULL. */
static const u8 *entry_of(const u8 *e, u32 n, const char *s)
{
	for (; n; n--, e += ABT_BLOB_ENTRY_LEN)
		if (name_eq(e, s))
			return e;
	return NULL;
}

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -ABT_EINVAL;
}

int abt_profile_parse(const void *blob, u32 len, struct abt_profile_buf *out,
		      const char **why)
{
	const u8 *b = blob, *body, *slots, *rules, *e;
	const struct abt_layout *ly;
	u32 total, nslots, nrules, ntc, i;

	if (!b || !out)
		return bad(why, "no blob");
	if (len < ABT_BLOB_HDR_LEN || abt_be32(b) != ABT_BLOB_MAGIC)
		return bad(why, "not a profile blob (no ABTB header)");
	if ((u32)(b[4] << 8 | b[5]) != ABT_BLOB_VERSION)
		return bad(why, "unknown blob version");
	total = abt_be32(b + 8);
	if ((u32)(b[6] << 8 | b[7]) != ABT_BLOB_HDR_LEN ||
	    total > ABT_BLOB_MAX_LEN ||
	    total < ABT_BLOB_HDR_LEN + ABT_BLOB_OFF_VAR)
		return bad(why, "bad header or total length");
	if (len != total)
		return bad(why, "blob length differs from its header (truncated?)");
	body = b + ABT_BLOB_HDR_LEN;
	if (crc32_ieee(body, total - ABT_BLOB_HDR_LEN) != abt_be32(b + 12))
		return bad(why, "bad checksum");
	nslots = abt_be32(body + ABT_BLOB_OFF_NSLOTS);
	nrules = abt_be32(body + ABT_BLOB_OFF_NRULES);
	if (nslots > ABT_BLOB_SLOTS_MAX || nrules > ABT_BLOB_RULES_MAX ||
	    total != ABT_BLOB_HDR_LEN + ABT_BLOB_OFF_VAR +
		     (nslots + nrules) * ABT_BLOB_ENTRY_LEN)
		return bad(why, "slot and rule counts do not match the length");
	if (!name_ok(body + ABT_BLOB_OFF_NAME) ||
	    !name_ok(body + ABT_BLOB_OFF_LAYOUT))
		return bad(why, "bad profile or layout name");
	slots = body + ABT_BLOB_OFF_VAR;
	rules = slots + nslots * ABT_BLOB_ENTRY_LEN;
	for (i = 0, e = slots; i < nslots + nrules;
	     i++, e += ABT_BLOB_ENTRY_LEN)
		if (!name_ok(e))
			return bad(why, "bad slot or rule name");

	/* the layout: the host's of that name, slot for slot */
	ly = host_layout(body + ABT_BLOB_OFF_LAYOUT);
	if (!ly)
		return bad(why, "layout unknown to this host");
	for (i = 0; i < ABT_SLOT_COUNT; i++) {
		e = entry_of(slots, nslots, abt_slot_names[i]);
		if ((e ? abt_be32(e + ABT_BLOB_NAME_LEN) : 0xffffu) != ly->off[i])
			return bad(why, "layout offsets differ from this host's (other rule files?)");
	}
	for (i = 0, e = slots; i < nslots; i++, e += ABT_BLOB_ENTRY_LEN) {
		u32 s;

		for (s = 0; s < ABT_SLOT_COUNT; s++)
			if (name_eq(e, abt_slot_names[s]))
				break;
		if (s == ABT_SLOT_COUNT && abt_be32(e + ABT_BLOB_NAME_LEN) != 0xffffu)
			return bad(why, "layout slot unknown to this host");
	}

	for (i = 0; i < ABT_RULE_COUNT; i++)
		out->prof.enabled[i] = 0;
	for (i = 0; i < ABT_BLOB_NAME_LEN; i++)
		out->name[i] = (char)body[ABT_BLOB_OFF_NAME + i];
	out->prof.name = out->name;
	out->prof.layout = ly;
	out->prof.magic_ea = abt_be32(body + ABT_BLOB_OFF_MAGIC_EA);
	out->prof.threshold = abt_be32(body + ABT_BLOB_OFF_THRESHOLD);
	out->prof.decay = abt_be32(body + ABT_BLOB_OFF_DECAY);
	out->prof.cluster_max = abt_be32(body + ABT_BLOB_OFF_CLUSTER);
	if (out->prof.cluster_max < 1 ||
	    out->prof.cluster_max > ABT_MAX_MEMBERS)
		return bad(why, "cluster_max out of range (1..8)");
	ntc = abt_be32(body + ABT_BLOB_OFF_NTC);
	if (ntc > ABT_BLOB_TC_MAX)
		return bad(why, "more than 4 TC regions");
	out->prof.ntc = ntc;
	for (i = 0; i < ABT_BLOB_TC_MAX; i++) {
		out->prof.tc[i].base = i < ntc ?
			abt_be32(body + ABT_BLOB_OFF_TC + 8 * i) : 0;
		out->prof.tc[i].size = i < ntc ?
			abt_be32(body + ABT_BLOB_OFF_TC + 8 * i + 4) : 0;
	}

	/* rules by name: unknown ones refused, missing ones trap */
	for (i = 0, e = rules; i < nrules; i++, e += ABT_BLOB_ENTRY_LEN) {
		u32 r, on = abt_be32(e + ABT_BLOB_NAME_LEN);

		for (r = 1; r < ABT_RULE_COUNT; r++)	/* 0: "none" */
			if (name_eq(e, abt_rules[r].name))
				break;
		if (r == ABT_RULE_COUNT)
			return bad(why, "rule unknown to this host");
		if (on > 1)
			return bad(why, "rule flag neither 0 nor 1");
		out->prof.enabled[r] = on &&
				       abt_rules[r].shape != ABT_SHAPE_TRAP;
	}
	return 0;
}
