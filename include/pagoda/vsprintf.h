/*
 * Kernel formatted output: a printf subset with %d %i %u %x %X %o %c %s %p %%,
 * the l / ll / z / h length modifiers, and flags - 0 + space # with width and
 * precision. %p prints 0x and 16 hex digits.
 */
#ifndef PAGODA_VSPRINTF_H
#define PAGODA_VSPRINTF_H

#include <pagoda/compiler.h>
#include <pagoda/types.h>
#include <stdarg.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__printf(3, 4) int snprintf(char *buf, size_t size, const char *fmt, ...);

#endif
