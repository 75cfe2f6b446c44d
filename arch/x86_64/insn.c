/*
 * Just enough x86 decoding to name the address of a general protection
 * fault: #GP reports no address, so for "probably for non-canonical address
 * X" we decode the faulting instruction's ModRM memory operand. Handles
 * legacy prefixes, REX, one-byte opcodes and 0F two-byte opcodes that take
 * a ModRM byte, SIB, disp8/disp32 and RIP-relative operands.
 */
#include <asm/traps.h>
#include <pagoda/sections.h>

static bool one_byte_has_modrm(u8 op)
{
	if (op < 0x40)
		return (op & 7) < 4;	/* ALU r/m forms */
	switch (op) {
	case 0x63: case 0x69: case 0x6b:
	case 0x80 ... 0x8f:
	case 0xc0: case 0xc1: case 0xc6: case 0xc7:
	case 0xd0 ... 0xd3:
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
		return true;
	}
	return false;
}

static bool two_byte_has_modrm(u8 op)
{
	switch (op) {
	case 0x10 ... 0x17: case 0x18 ... 0x1f: case 0x28 ... 0x2f:
	case 0x40 ... 0x4f: case 0x6e: case 0x6f: case 0x7e: case 0x7f:
	case 0xa3: case 0xab: case 0xaf: case 0xb0: case 0xb1:
	case 0xb3: case 0xb6: case 0xb7: case 0xba ... 0xbf:
	case 0xc0: case 0xc1: case 0xc7:
		return true;
	}
	return false;
}

static u64 reg_value(const struct pt_regs *r, unsigned int n)
{
	const u64 v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi,
			    r->rdi, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
			    r->r14, r->r15 };
	return v[n & 15];
}

bool insn_memory_operand(const struct pt_regs *regs, uintptr_t *addr)
{
	const u8 *p = (const u8 *)regs->rip;
	u8 rex = 0, op, modrm, mod, rm;
	s64 disp = 0;
	u64 ea;

	if (regs->rip < (uintptr_t)__text_start || regs->rip + 16 > (uintptr_t)__text_end)
		return false;
	while (*p == 0x66 || *p == 0x67 || *p == 0xf0 || *p == 0xf2 || *p == 0xf3 ||
	       *p == 0x2e || *p == 0x3e || *p == 0x26 || *p == 0x36 || *p == 0x64 ||
	       *p == 0x65)
		p++;
	if ((*p & 0xf0) == 0x40)
		rex = *p++;
	op = *p++;
	if (op == 0x0f) {
		if (!two_byte_has_modrm(*p++))
			return false;
	} else if (!one_byte_has_modrm(op)) {
		return false;
	}
	modrm = *p++;
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return false;		/* register operand */
	if (rm == 4) {			/* SIB */
		u8 sib = *p++;
		unsigned int base = (sib & 7) | ((rex & 1) << 3);
		unsigned int index = ((sib >> 3) & 7) | ((rex & 2) << 2);

		ea = (index == 4) ? 0 : reg_value(regs, index) << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			disp = *(const s32 *)p;
			p += 4;
		} else {
			ea += reg_value(regs, base);
		}
	} else if (rm == 5 && mod == 0) {
		/* RIP-relative: relative to the next instruction, whose length
		 * (immediates) we do not know; good enough for a diagnostic */
		disp = *(const s32 *)p;
		p += 4;
		ea = (u64)p;
	} else {
		ea = reg_value(regs, rm | ((rex & 1) << 3));
	}
	if (mod == 1)
		disp = *(const s8 *)p;
	else if (mod == 2)
		disp = *(const s32 *)p;
	*addr = ea + disp;
	return true;
}
