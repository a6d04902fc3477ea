/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: checksums its own text while it is patched. A loop over
 * privileged instructions gets translated (inplace and a cluster stub);
 * then the guest sums every word of its .text `sum_passes` times. Traced
 * pages must show the original words: text_sum has to equal the sum of
 * the ELF's bytes, with and without translation. The load doing the sum
 * gets hot, but code is never mirrored.
 */
	.include "common.inc"

	.section .data, "aw"
	.globl loop_count, sum_passes, text_sum
loop_count:	.long 400
sum_passes:	.long 40
text_sum:	.long 0

	.section .text, "ax"
	.globl _start, text_start
text_start:
_start:
	guest_start
	li	r31, 1
	li	r30, 2
	wrteei	1
loop:
	mfmsr	r4
	add	r31, r31, r4
	mfspr	r5, SPRG0		/* a cluster: adjacent sites */
	mfspr	r6, SPRG1
	addi	r5, r5, 3
	add	r6, r6, r5
	mtspr	SPRG0, r5
	mtspr	SPRG1, r6
	xor	r30, r30, r6
	bdnz	loop

	lis	r9, sum_passes@ha
	lwz	r9, sum_passes@l(r9)
1:	lis	r3, text_start@ha
	addi	r3, r3, text_start@l
	lis	r4, text_end@ha
	addi	r4, r4, text_end@l
	li	r27, 0
	.globl sum_load
2:
sum_load:
	lwz	r5, 0(r3)
	add	r27, r27, r5
	addi	r3, r3, 4
	cmplw	r3, r4
	blt	2b
	addic.	r9, r9, -1
	bne	1b
	lis	r3, text_sum@ha
	stw	r27, text_sum@l(r3)
	add	r31, r31, r27
	guest_end
	.globl text_end
text_end:
