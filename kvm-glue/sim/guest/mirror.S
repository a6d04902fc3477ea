/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: hot data on a code page. The loop's page holds a hot
 * privileged site (so it gets traced) and `hot_data`, which the loop reads
 * and writes every iteration from four PCs (lwz, stw, lbz, lhzx). With
 * mirroring the four get rewritten to reach a mirror and the DSIs stop.
 * After the loop a store from another PC (trapped: goes to the original
 * and the mirror) changes hot_data, a load from another PC reads it back
 * (trapped: served from the mirror), and a second pass of the loop
 * (rewritten accesses: the mirror) must see it too.
 */
	.include "common.inc"

	.section .data, "aw"
	.globl loop_count
loop_count:	.long 1000

	.section .text, "ax"
	.globl _start
_start:
	guest_start
	mfctr	r20
	lis	r6, hot_data@ha
	addi	r6, r6, hot_data@l
	li	r9, 6
	li	r31, 1
	li	r30, 0
	li	r24, 0			/* pass */
	wrteei	1
pass:
	mtctr	r20
loop:
	mfmsr	r4			/* hot site: the page gets traced */
	add	r31, r31, r4
	.globl ld_site, st_site, lbz_site, lhzx_site
ld_site:
	lwz	r5, 0(r6)
	addi	r5, r5, 3
st_site:
	stw	r5, 0(r6)
lbz_site:
	lbz	r7, 5(r6)
	add	r31, r31, r7
lhzx_site:
	lhzx	r8, r6, r9
	add	r31, r31, r8
	xor	r30, r30, r5
	rotlwi	r30, r30, 1
	bdnz	loop
	cmpwi	r24, 0
	bne	done
	li	r24, 1
	/* a store and a load the runtime has not rewritten */
	lis	r3, 0x0100
	.globl other_st, other_ld
other_st:
	stw	r3, 0(r6)
	li	r3, 0x5a5a
	sth	r3, 8(r6)
other_ld:
	lwz	r29, 0(r6)
	lhz	r28, 8(r6)
	li	r20, 20
	b	pass
done:
	lwz	r27, 4(r6)
	guest_end

	.balign	16
	.globl hot_data
hot_data:
	.long	0, 0x01020304, 0, 0
