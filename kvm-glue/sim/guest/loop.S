/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: a supervisor-mode loop over the privileged instructions a
 * Linux guest traps on most (mfmsr, mtmsr, wrtee, wrteei, mfspr/mtspr on
 * SPRG0-3 and SRR0/1), folding every value into checksums in registers,
 * SPRGs and memory. The final state must be the same with and without
 * translation, and with interrupts taken anywhere (the handler preserves
 * everything but its own counter in .lowdata).
 *
 * Phases: (1) the main loop, `loop_count` iterations; (2) a read of the
 * loop's own code (traced pages must show original words); (3) a loop over
 * `smc_site`, then a store of `li r4,0x1234` over it (a write to patched
 * code drops the patch) and one more pass. Ends at `guest_exit`.
 */
	.equ	SPRG0, 272
	.equ	SPRG1, 273
	.equ	SPRG2, 274
	.equ	SPRG3, 275
	.equ	SRR0, 26
	.equ	SRR1, 27
	.equ	IVPR, 63
	.equ	IVOR4, 404
	.equ	IVOR10, 410

	.section .lowdata, "aw"
	.globl irq_count, irq_save
irq_save:	.long 0, 0		/* r3, cr */
irq_count:	.long 0			/* interrupts taken */

	.section .data, "aw"
	.globl loop_count, sum_area
loop_count:	.long 2000
sum_area:
sum_srr:	.long 0			/* from SRR0/SRR1 round trips */
code_sum:	.long 0			/* guest read of its own code */
smc_sum:	.long 0			/* smc phase */
final_sum:	.long 0

	.section .text, "ax"
	.globl _start
_start:
	lis	r1, stack_top@ha
	addi	r1, r1, stack_top@l
	lis	r3, vectors@h
	mtspr	IVPR, r3
	li	r3, ext_handler - vectors
	mtspr	IVOR4, r3
	mtspr	IVOR10, r3
	lis	r29, sum_area@ha
	addi	r29, r29, sum_area@l
	lis	r3, loop_count@ha
	lwz	r3, loop_count@l(r3)
	mtctr	r3
	li	r31, 1
	li	r30, 2
	li	r28, 0
	lis	r3, 0x1234
	mtspr	SPRG0, r3
	mtspr	SPRG1, r3
	li	r3, 5
	mtspr	SPRG2, r3
	li	r3, 9
	mtspr	SPRG3, r3
	wrteei	1

	.globl loop, loop_end
loop:
	mfmsr	r4
	add	r31, r31, r4
	mfspr	r5, SPRG0
	addi	r5, r5, 3
	mtspr	SPRG0, r5
	xor	r30, r30, r5
	rotlwi	r30, r30, 5
	mfspr	r6, SPRG1
	add	r6, r6, r31
	mtspr	SPRG1, r6
	cmpw	cr1, r6, r30		/* CR is live across the sites below */
	/* irq_save ... irq_restore */
	mfmsr	r9
	wrteei	0
	mtspr	SRR0, r31		/* SRR0/1 hold values only with EE=0 */
	mtspr	SRR1, r30
	mfspr	r7, SRR0
	mfspr	r8, SRR1
	add	r7, r7, r8
	lwz	r10, 0(r29)
	add	r10, r10, r7
	stw	r10, 0(r29)
	wrtee	r9
	mfcr	r7
	add	r31, r31, r7
	/* an adjacent run of privileged instructions: a cluster */
	mfspr	r10, SPRG2
	mfspr	r11, SPRG3
	mtspr	SPRG2, r11
	mtspr	SPRG3, r10
	addi	r11, r10, 7
	add	r28, r28, r11
	cmpwi	cr7, r28, 0x100
	mtspr	SPRG3, r11
	/* mtmsr changing EE only */
	mfmsr	r12
	rlwinm	r12, r12, 0, 17, 15	/* clear MSR[EE] */
	mtmsr	r12
	addi	r28, r28, 1
	ori	r12, r12, 0x8000
	mtmsr	r12
	/* wrteei 0 / wrteei 1 */
	wrteei	0
	add	r28, r28, r31
	wrteei	1
	mfcr	r7
	xor	r30, r30, r7
	bdnz	loop
loop_end:

	/* (2) read our own code: traced pages must show the original words */
	lis	r3, loop@ha
	addi	r3, r3, loop@l
	lis	r4, loop_end@ha
	addi	r4, r4, loop_end@l
	li	r27, 0
1:	lwz	r5, 0(r3)
	add	r27, r27, r5
	rotlwi	r27, r27, 1
	addi	r3, r3, 4
	cmplw	r3, r4
	blt	1b
	stw	r27, 4(r29)

	/* (3) self-modifying code over a (by now translated) site */
	li	r25, 0
	li	r26, 0
	lis	r3, loop_count@ha
	lwz	r3, loop_count@l(r3)
2:	mtctr	r3
3:
	.globl smc_site
smc_site:
	mfspr	r4, SPRG0
	add	r26, r26, r4
	bdnz	3b
	cmpwi	r25, 0
	bne	4f
	li	r25, 1
	lis	r3, smc_site@ha
	addi	r3, r3, smc_site@l
	lis	r5, 0x3880		/* li r4,0x1234 */
	ori	r5, r5, 0x1234
	stw	r5, 0(r3)
	dcbst	0, r3
	sync
	icbi	0, r3
	isync
	li	r3, 1
	b	2b
4:	stw	r26, 8(r29)
	mfspr	r3, SPRG0
	mfspr	r4, SPRG1
	add	r3, r3, r4
	mfspr	r4, SPRG2
	add	r3, r3, r4
	mfspr	r4, SPRG3
	add	r3, r3, r4
	add	r3, r3, r31
	add	r3, r3, r30
	add	r3, r3, r28
	add	r3, r3, r27
	add	r3, r3, r26
	stw	r3, 12(r29)
	lis	r4, smc_site@ha
	lwz	r4, smc_site@l(r4)	/* the new word */
	/* interrupts clobber SRR0/1: end with EE off and known values */
	wrteei	0
	mtspr	SRR0, r3
	mtspr	SRR1, r4

	.globl guest_exit
guest_exit:
	b	guest_exit

	/* IVPR: external input and decrementer share one handler */
	.section .vectors, "ax"
	.globl vectors, ext_handler
vectors:
	.org	0x40
ext_handler:
	stw	r3, irq_save@l(0)
	mfcr	r3
	stw	r3, irq_save@l+4(0)
	lwz	r3, irq_count@l(0)
	addi	r3, r3, 1
	stw	r3, irq_count@l(0)
	cmpwi	r3, 0			/* clobber CR; restored below */
	lwz	r3, irq_save@l+4(0)
	mtcrf	0xff, r3
	lwz	r3, irq_save@l(0)
	rfi

	.section .bss, "aw", @nobits
	.space	0x100
