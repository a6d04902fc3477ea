/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt sim guest: a 64 MiB TLB1 mapping of EA 0 (what Linux does for its
 * lowmem), a hot privileged site on the code page and data accesses to
 * another page of the same mapping. While the code page is traced and the
 * mapping is one shadow entry, every data access traps ("false" DSIs);
 * resizing splits the shadow so they stop. Then the guest overwrites the
 * site (its patch goes, no traced page is left in the mapping: merge) and
 * runs the data loop again.
 */
	.include "common.inc"

	.section .data, "aw"
	.globl loop_count, counter
loop_count:	.long 1000
counter:	.long 0, 0

	.section .text, "ax"
	.globl _start
_start:
	guest_start
	mfctr	r20
	/* TLB1 entry 1: EA 0 -> PA 0, 64 MiB (TSIZE 16: 2^16 KiB), SX/SW/SR */
	lis	r3, 0x1001
	mtspr	MAS0, r3
	lis	r3, 0x8000
	ori	r3, r3, 0x0800
	mtspr	MAS1, r3
	li	r3, 0
	mtspr	MAS2, r3
	li	r3, 0x15
	mtspr	MAS3, r3
	tlbwe
	isync
	lis	r6, counter@ha
	addi	r6, r6, counter@l
	li	r31, 1
	li	r30, 0
	li	r24, 0
	wrteei	1
pass:
	mtctr	r20
loop:
	.globl huge_site
huge_site:
	mfmsr	r4
	add	r31, r31, r4
	lwz	r5, 0(r6)
	add	r5, r5, r31
	stw	r5, 0(r6)
	lwz	r7, 4(r6)
	addi	r7, r7, 1
	stw	r7, 4(r6)
	xor	r30, r30, r5
	bdnz	loop
	cmpwi	r24, 0
	bne	done
	li	r24, 1
	/* drop the only patch in the mapping: li r4,3 over huge_site */
	lis	r3, huge_site@ha
	addi	r3, r3, huge_site@l
	lis	r5, 0x3880
	ori	r5, r5, 3
	stw	r5, 0(r3)
	dcbst	0, r3
	sync
	icbi	0, r3
	isync
	b	pass
done:
	guest_end
