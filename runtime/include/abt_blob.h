/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt profile blob: a guest profile (rules/GUEST.rule `profile` block) as
 * `rulesc --profile-blob` writes it and a host takes it at run time (the
 * KVM capability, --profile-file of the tools), so that a new guest needs
 * no new host build. Layout and checks: docs/profile-blob.md. Every
 * integer is big-endian; strings are NUL-padded and NUL-terminated.
 *
 * Standalone on purpose: rulesc includes it before gen/ exists.
 */
#ifndef ABT_BLOB_H
#define ABT_BLOB_H

#define ABT_BLOB_MAGIC		0x41425442u	/* "ABTB" */
#define ABT_BLOB_VERSION	1u
#define ABT_BLOB_HDR_LEN	16u		/* magic, version, hdr_len,
						 * total_len, crc32 */
#define ABT_BLOB_NAME_LEN	32u		/* profile, layout, rule names */
#define ABT_BLOB_SLOTS_MAX	64u
#define ABT_BLOB_TC_MAX		4u
#define ABT_BLOB_RULES_MAX	256u
#define ABT_BLOB_MAX_LEN	16384u

/* Byte offsets in the body (after the header). */
#define ABT_BLOB_OFF_NAME	0u
#define ABT_BLOB_OFF_LAYOUT	32u
#define ABT_BLOB_OFF_MAGIC_EA	64u
#define ABT_BLOB_OFF_THRESHOLD	68u
#define ABT_BLOB_OFF_DECAY	72u
#define ABT_BLOB_OFF_CLUSTER	76u
#define ABT_BLOB_OFF_NTC	80u
#define ABT_BLOB_OFF_TC		84u		/* 4 x { base, size } */
#define ABT_BLOB_OFF_NSLOTS	116u
#define ABT_BLOB_OFF_NRULES	120u
#define ABT_BLOB_OFF_VAR	124u		/* nslots x { name, u32 off },
						 * then nrules x { name, u32 on } */
#define ABT_BLOB_ENTRY_LEN	36u

#endif
