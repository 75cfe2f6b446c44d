/* The kernel's own symbol table, embedded at build time (tools/gen-ksyms.sh). */
#ifndef PAGODA_KSYMS_H
#define PAGODA_KSYMS_H

#include <pagoda/types.h>

/*
 * Name of the function containing @addr, its offset in it and its size
 * (distance to the next symbol). NULL when @addr is outside kernel text.
 */
const char *ksym_lookup(uintptr_t addr, unsigned long *offset, unsigned long *size);

/* Address of symbol @name, or 0. Linear search: for tests and tools. */
uintptr_t ksym_address(const char *name);

#endif
