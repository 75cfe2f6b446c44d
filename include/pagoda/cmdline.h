/* The kernel command line: space-separated words, `key` or `key=value`. */
#ifndef PAGODA_CMDLINE_H
#define PAGODA_CMDLINE_H

#include <pagoda/types.h>

void cmdline_init(const char *text);	/* copies @text */
const char *cmdline_text(void);

/* Is the bare word @key present (not `key=...`)? */
bool cmdline_has(const char *key);

/*
 * Copy the value of `key=value` into @buf (NUL terminated, truncated to
 * @len - 1). Returns false if @key has no `=value` form on the line.
 */
bool cmdline_value(const char *key, char *buf, size_t len);

#endif
