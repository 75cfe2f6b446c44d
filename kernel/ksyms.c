#include <pagoda/ksyms.h>
#include <pagoda/sections.h>
#include <pagoda/string.h>

extern const u64 ksyms_count;
extern const u64 ksyms_addrs[];
extern const u32 ksyms_name_offs[];
extern const char ksyms_names[];

const char *ksym_lookup(uintptr_t addr, unsigned long *offset, unsigned long *size)
{
	u64 lo = 0, hi = ksyms_count;

	if (!ksyms_count || addr < ksyms_addrs[0] || addr >= (uintptr_t)__text_end)
		return NULL;
	/* last symbol whose address is <= addr */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addrs[lo];
	*size = (lo + 1 < ksyms_count ? ksyms_addrs[lo + 1] : (u64)__text_end) -
		ksyms_addrs[lo];
	return &ksyms_names[ksyms_name_offs[lo]];
}

uintptr_t ksym_address(const char *name)
{
	for (u64 i = 0; i < ksyms_count; i++)
		if (!strcmp(&ksyms_names[ksyms_name_offs[i]], name))
			return ksyms_addrs[i];
	return 0;
}
