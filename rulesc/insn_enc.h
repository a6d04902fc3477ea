/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One encoder per Power instruction a stub may contain. Pure functions:
 * operands are masked to their field width, range checks are the caller's
 * (the generated emitters check what is not known when rulesc runs).
 * rulesc uses these for listings and copies this text into gen/abt_insn.h.
 */

#define ABT_OP(po)	((u32)(po) << 26)
#define ABT_RT(r)	(((u32)(r) & 31) << 21)
#define ABT_RA(r)	(((u32)(r) & 31) << 16)
#define ABT_RB(r)	(((u32)(r) & 31) << 11)
#define ABT_XO(xo)	(((u32)(xo) & 1023) << 1)
#define ABT_D16(d)	((u32)(d) & 0xffff)

/* Does a signed byte displacement fit a branch field of `bits` bits? */
static inline bool abt_disp_fits(s32 disp, unsigned int bits)
{
	s32 lim = (s32)1 << (bits - 1);

	return (disp & 3) == 0 && disp >= -lim && disp < lim;
}

static inline bool abt_simm_fits(s32 v)
{
	return v >= -32768 && v <= 32767;
}

static inline bool abt_uimm_fits(s32 v)
{
	return v >= 0 && v <= 65535;
}

/* The halves of a 32-bit value for lis/addi pairs: v == ha << 16 + lo. */
static inline s32 abt_ha16(u32 v)
{
	return (s16)((v + 0x8000) >> 16);
}

static inline s32 abt_lo16(u32 v)
{
	return (s16)(v & 0xffff);
}

/* D-form loads and stores: rt, d(ra) */
static inline u32 abt_enc_lwz(u32 rt, u32 ra, s32 d)
{ return ABT_OP(32) | ABT_RT(rt) | ABT_RA(ra) | ABT_D16(d); }
static inline u32 abt_enc_lbz(u32 rt, u32 ra, s32 d)
{ return ABT_OP(34) | ABT_RT(rt) | ABT_RA(ra) | ABT_D16(d); }
static inline u32 abt_enc_lhz(u32 rt, u32 ra, s32 d)
{ return ABT_OP(40) | ABT_RT(rt) | ABT_RA(ra) | ABT_D16(d); }
static inline u32 abt_enc_stw(u32 rs, u32 ra, s32 d)
{ return ABT_OP(36) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(d); }
static inline u32 abt_enc_stb(u32 rs, u32 ra, s32 d)
{ return ABT_OP(38) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(d); }
static inline u32 abt_enc_sth(u32 rs, u32 ra, s32 d)
{ return ABT_OP(44) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(d); }

/* D-form arithmetic: rt, ra, simm (ra = 0 means literal zero) */
static inline u32 abt_enc_addi(u32 rt, u32 ra, s32 si)
{ return ABT_OP(14) | ABT_RT(rt) | ABT_RA(ra) | ABT_D16(si); }
static inline u32 abt_enc_addis(u32 rt, u32 ra, s32 si)
{ return ABT_OP(15) | ABT_RT(rt) | ABT_RA(ra) | ABT_D16(si); }
static inline u32 abt_enc_li(u32 rt, s32 si)
{ return abt_enc_addi(rt, 0, si); }
static inline u32 abt_enc_lis(u32 rt, s32 si)
{ return abt_enc_addis(rt, 0, si); }

/* XO-form arithmetic: rt, ra, rb (subf: rt = rb - ra) */
static inline u32 abt_enc_xarith(u32 xo, u32 rt, u32 ra, u32 rb)
{ return ABT_OP(31) | ABT_RT(rt) | ABT_RA(ra) | ABT_RB(rb) | ABT_XO(xo); }
static inline u32 abt_enc_add(u32 rt, u32 ra, u32 rb)
{ return abt_enc_xarith(266, rt, ra, rb); }
static inline u32 abt_enc_subf(u32 rt, u32 ra, u32 rb)
{ return abt_enc_xarith(40, rt, ra, rb); }

/* D-form logical: ra, rs, uimm (the source sits in the RT position) */
static inline u32 abt_enc_ori(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(24) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_oris(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(25) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_xori(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(26) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_xoris(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(27) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_andi_(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(28) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_andis_(u32 ra, u32 rs, u32 ui)
{ return ABT_OP(29) | ABT_RT(rs) | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_nop(void)
{ return abt_enc_ori(0, 0, 0); }

/* M-form rotates: ra, rs, sh, mb, me */
static inline u32 abt_enc_rlw(u32 po, u32 ra, u32 rs, u32 sh, u32 mb, u32 me,
			      u32 rc)
{
	return ABT_OP(po) | ABT_RT(rs) | ABT_RA(ra) | (sh & 31) << 11 |
	       (mb & 31) << 6 | (me & 31) << 1 | (rc & 1);
}
static inline u32 abt_enc_rlwinm(u32 ra, u32 rs, u32 sh, u32 mb, u32 me)
{ return abt_enc_rlw(21, ra, rs, sh, mb, me, 0); }
static inline u32 abt_enc_rlwinm_(u32 ra, u32 rs, u32 sh, u32 mb, u32 me)
{ return abt_enc_rlw(21, ra, rs, sh, mb, me, 1); }
static inline u32 abt_enc_rlwimi(u32 ra, u32 rs, u32 sh, u32 mb, u32 me)
{ return abt_enc_rlw(20, ra, rs, sh, mb, me, 0); }

/* X-form logical: ra, rs, rb */
static inline u32 abt_enc_xlog(u32 xo, u32 ra, u32 rs, u32 rb, u32 rc)
{
	return ABT_OP(31) | ABT_RT(rs) | ABT_RA(ra) | ABT_RB(rb) | ABT_XO(xo) |
	       (rc & 1);
}
static inline u32 abt_enc_or(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(444, ra, rs, rb, 0); }
static inline u32 abt_enc_or_(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(444, ra, rs, rb, 1); }
static inline u32 abt_enc_and(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(28, ra, rs, rb, 0); }
static inline u32 abt_enc_and_(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(28, ra, rs, rb, 1); }
static inline u32 abt_enc_andc(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(60, ra, rs, rb, 0); }
static inline u32 abt_enc_xor(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(316, ra, rs, rb, 0); }
static inline u32 abt_enc_nor(u32 ra, u32 rs, u32 rb)
{ return abt_enc_xlog(124, ra, rs, rb, 0); }
static inline u32 abt_enc_mr(u32 ra, u32 rs)
{ return abt_enc_or(ra, rs, rs); }

/* Compares: crf, ra, imm / rb (L = 0: 32-bit) */
static inline u32 abt_enc_cmpwi(u32 crf, u32 ra, s32 si)
{ return ABT_OP(11) | (crf & 7) << 23 | ABT_RA(ra) | ABT_D16(si); }
static inline u32 abt_enc_cmplwi(u32 crf, u32 ra, u32 ui)
{ return ABT_OP(10) | (crf & 7) << 23 | ABT_RA(ra) | ABT_D16(ui); }
static inline u32 abt_enc_cmpw(u32 crf, u32 ra, u32 rb)
{ return ABT_OP(31) | (crf & 7) << 23 | ABT_RA(ra) | ABT_RB(rb); }
static inline u32 abt_enc_cmplw(u32 crf, u32 ra, u32 rb)
{ return ABT_OP(31) | (crf & 7) << 23 | ABT_RA(ra) | ABT_RB(rb) |
	 ABT_XO(32); }

/* CR moves */
static inline u32 abt_enc_mfcr(u32 rt)
{ return ABT_OP(31) | ABT_RT(rt) | ABT_XO(19); }
static inline u32 abt_enc_mtcrf(u32 crm, u32 rs)
{ return ABT_OP(31) | ABT_RT(rs) | (crm & 0xff) << 12 | ABT_XO(144); }
static inline u32 abt_enc_mtcr(u32 rs)
{ return abt_enc_mtcrf(0xff, rs); }

/* Branches: byte displacements from the branch itself */
static inline u32 abt_enc_b(s32 disp)
{ return ABT_OP(18) | ((u32)disp & 0x03fffffc); }
static inline u32 abt_enc_bc(u32 bo, u32 bi, s32 disp)
{
	return ABT_OP(16) | (bo & 31) << 21 | (bi & 31) << 16 |
	       ((u32)disp & 0xfffc);
}
