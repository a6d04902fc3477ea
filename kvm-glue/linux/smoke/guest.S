/*
 * Guest code for kvm-host-smoke, copied to guest-physical 0 and run from
 * KVM's default state (PC 0, MSR 0, the two TLB1 entries of
 * kvmppc_e500_tlb_setup()). Each line exercises one patch of the series:
 * the first fetch needs 0004, every exit needs 0002, the sc needs 0003
 * (and that guest r3-r7 survive it), any exit at all needs 0001.
 * Results leave as stores to the CCSR page at 0xe0004000 (MMIO exits).
 */
	.section .rodata.guest, "a"
	.globl	smoke_guest, smoke_guest_end
smoke_guest:
	li	4, 0
	mtspr	63, 4		/* IVPR = 0 */
	li	4, 0x100
	mtspr	408, 4		/* IVOR8 (system call) = 0x100 */
	mfmsr	5
	li	3, 0x1234
	li	6, 0x66
	li	7, 0x77
	sc			/* to 0x100 and back, r3 + 1 */
back:
	lis	8, 0xe000
	ori	8, 8, 0x4000
	stw	3, 0(8)		/* 0x1235 */
	stw	4, 4(8)		/* 0x100 */
	stw	6, 8(8)		/* 0x66 */
	stw	7, 12(8)	/* 0x77 */
	stw	9, 16(8)	/* SRR0 in the handler: back (0x24) */
	stw	5, 20(8)	/* MSR from mfmsr: 0 */
1:	b	1b

	.org	smoke_guest + 0x100
	mfspr	9, 26		/* SRR0 */
	addi	3, 3, 1
	rfi
smoke_guest_end:

	.section .note.GNU-stack, "", @progbits
