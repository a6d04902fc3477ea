/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stubs for the port helpers the generated reference emulator names (TLB
 * work). For tests whose instructions must never reach them: a call fails
 * the test. Use: ABT_FOR_EACH_HELPER(TEST_NO_HELPER)
 */
#ifndef ABT_TEST_HELPERS_H
#define ABT_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

#define TEST_HELPER_FAIL(name) \
	do { \
		fprintf(stderr, "unexpected call of helper %s\n", #name); \
		abort(); \
	} while (0)

#define TEST_NO_HELPER_0(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu) \
	{ TEST_HELPER_FAIL(name); }
#define TEST_NO_HELPER_1(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu, u32 a0) \
	{ TEST_HELPER_FAIL(name); }
#define TEST_NO_HELPER_2(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu, u32 a0, u32 a1) \
	{ TEST_HELPER_FAIL(name); }
#define TEST_NO_HELPER(name, n) TEST_NO_HELPER_##n(name)

#endif
