/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: TC placement by stealing. The hot loop has a cluster of
 * privileged sites (needs a stub). The test puts the only TC region out of
 * branch reach and names `rodata` (4 KiB, read once at the end) as a steal
 * hint: the stub goes there, and the final read of rodata must still see
 * the guest's bytes. If `poke` is set the guest also stores into rodata
 * first (the runtime must give the range back).
 */
	.include "common.inc"

	.section .data, "aw"
	.globl loop_count, poke
loop_count:	.long 300
poke:		.long 0

	.section .text, "ax"
	.globl _start
_start:
	guest_start
	li	r31, 1
	li	r30, 2
	li	r3, 5
	mtspr	SPRG2, r3
	li	r3, 9
	mtspr	SPRG3, r3
	wrteei	1
loop:
	wrteei	0			/* cluster: one stub for the run */
	mfspr	r10, SPRG2
	mfspr	r11, SPRG3
	mtspr	SPRG2, r11
	mtspr	SPRG3, r10
	wrteei	1
	add	r31, r31, r10
	xor	r30, r30, r11
	addi	r31, r31, 1
	bdnz	loop

	lis	r3, poke@ha
	lwz	r3, poke@l(r3)
	cmpwi	r3, 0
	beq	1f
	lis	r4, rodata@ha
	addi	r4, r4, rodata@l
	stw	r31, 64(r4)
	/* the mtspr's again: re-translated after the range is given back */
	li	r3, 100
	mtctr	r3
2:	wrteei	0
	mfspr	r10, SPRG2
	mfspr	r11, SPRG3
	mtspr	SPRG2, r11
	mtspr	SPRG3, r10
	wrteei	1
	add	r31, r31, r10
	bdnz	2b
1:	lis	r3, rodata@ha
	addi	r3, r3, rodata@l
	li	r4, 1024
	mtctr	r4
	li	r27, 0
3:	lwz	r5, 0(r3)
	add	r27, r27, r5
	rotlwi	r27, r27, 1
	addi	r3, r3, 4
	bdnz	3b
	add	r30, r30, r27
	guest_end

	.section .rodata, "a"
	.balign	4096
	.globl rodata
rodata:
	.rept	1024
	.long	0x00010101 * ((. - rodata) & 0xff) + 0x12345
	.endr
