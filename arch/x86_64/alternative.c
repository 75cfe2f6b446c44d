/*
 * Boot-time patching of nop sites (asm/alternative.h).
 *
 * The kernel text is written through its alias in the direct map, so the
 * text mapping itself never needs to be writable (under the kernel's own
 * tables it is read-only). Patching happens once, on the boot CPU, with
 * interrupts off and before the kernel's IDT is loaded: an exception or NMI
 * in that window goes to the firmware's handlers, none of which contains a
 * site, and the application processors are still parked in the firmware.
 * So no code ever executes a site while it is half written. A serializing
 * CPUID after the writes makes sure the CPU fetches the new bytes (the
 * writes went through another linear address than the fetches).
 */
#include <asm/alternative.h>
#include <asm/cpu.h>
#include <asm/irqflags.h>
#include <mm/arch.h>
#include <pagoda/printk.h>
#include <pagoda/sections.h>
#include <pagoda/string.h>

#define MAX_INSN_LEN	15

/*
 * The recommended multi-byte NOPs (Intel SDM vol. 2B, NOP; AMD APM vol. 3):
 * 0F 1F /0 with an operand that only sets the length, 66 prefixes beyond.
 * Every x86-64 CPU executes them.
 */
static const u8 nops[9][9] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/* Fill @len (1..15) bytes with NOPs of at most 8 bytes, longest first. */
void nop_fill(u8 *buf, unsigned int len)
{
	while (len) {
		unsigned int n = len > 8 ? 8 : len;

		memcpy(buf, nops[n], n);
		buf += n;
		len -= n;
	}
}

bool nop_site_feature_present(unsigned int feature)
{
	switch (feature) {
	case NOP_SITE_SMAP:
		return cpu_features.smap;
	}
	return false;
}

/* stac = 0F 01 CB, clac = 0F 01 CA: the only instructions SMAP sites hold. */
static bool site_is_stac_clac(const u8 *p, unsigned int len)
{
	return len == 3 && p[0] == 0x0f && p[1] == 0x01 && (p[2] == 0xca || p[2] == 0xcb);
}

/* A record that does not describe an instruction of ours is a build bug. */
static void check_site(const struct nop_site *s)
{
	const u8 *p = (const u8 *)(uintptr_t)s->addr;

	if (s->addr < (uintptr_t)__text_start || s->addr + s->len > (uintptr_t)__text_end ||
	    s->len == 0 || s->len > MAX_INSN_LEN)
		panic("alternatives_apply: site %#llx (%u bytes) is outside .text",
		      (unsigned long long)s->addr, s->len);
	if (s->feature == NOP_SITE_SMAP && !site_is_stac_clac(p, s->len))
		panic("alternatives_apply: SMAP site %#llx is not stac/clac",
		      (unsigned long long)s->addr);
	if (s->feature != NOP_SITE_SMAP)
		panic("alternatives_apply: site %#llx needs unknown feature %u",
		      (unsigned long long)s->addr, s->feature);
}

unsigned int alternatives_apply(phys_addr_t kernel_phys)
{
	unsigned int patched = 0;
	u32 a, b, c, d;

	if (!irqs_disabled())
		panic("alternatives_apply: interrupts are on");
	for (const struct nop_site *s = __nop_sites_start; s < __nop_sites_end; s++) {
		uintptr_t off = (uintptr_t)s->addr - (uintptr_t)__kernel_start;
		u8 nop[MAX_INSN_LEN];

		check_site(s);
		if (nop_site_feature_present(s->feature))
			continue;
		nop_fill(nop, s->len);
		memcpy(phys_to_virt(kernel_phys + off), nop, s->len);
		patched++;
	}
	cpuid(0, 0, &a, &b, &c, &d);	/* serialize: fetch the new bytes */
	return patched;
}
