/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: rewrites its own code. `smc_site` starts as mfspr
 * r4,SPRG0 and is hot (translated); the guest then stores mfspr r4,SPRG1
 * over it (the store drops the patch, the new word runs and must qualify
 * and be translated again), then mfmsr r4, then li r4,7 (no longer
 * privileged). Each pass runs loop_count iterations.
 */
	.include "common.inc"

	.section .data, "aw"
	.globl loop_count, new_words, pass_sums
loop_count:	.long 200
new_words:
	mfspr	r4, SPRG1
	mfmsr	r4
	li	r4, 7
pass_sums:	.long 0, 0, 0, 0

	.section .text, "ax"
	.globl _start, pass
_start:
	guest_start
	mfctr	r20			/* loop count */
	li	r31, 1
	li	r30, 0
	lis	r3, 0x1234
	mtspr	SPRG0, r3
	li	r3, 77
	mtspr	SPRG1, r3
	lis	r21, new_words@ha
	addi	r21, r21, new_words@l
	lis	r22, pass_sums@ha
	addi	r22, r22, pass_sums@l
	lis	r23, smc_site@ha
	addi	r23, r23, smc_site@l
	li	r24, 0			/* pass */
	wrteei	1
pass:
	mtctr	r20
	li	r26, 0
loop:
	.globl smc_site
smc_site:
	mfspr	r4, SPRG0
	add	r26, r26, r4
	rotlwi	r26, r26, 3
	bdnz	loop
	slwi	r5, r24, 2
	stwx	r26, r22, r5
	add	r31, r31, r26
	cmpwi	r24, 3
	beq	done
	/* the next word over smc_site, made visible to instruction fetch */
	lwzx	r6, r21, r5
	stw	r6, 0(r23)
	dcbst	0, r23
	sync
	icbi	0, r23
	isync
	addi	r24, r24, 1
	b	pass
done:
	lwz	r30, 0(r23)		/* reads the final word back */
	guest_end
