/* What host tests can ask tests/host/host_support.c about printk. */
#ifndef HOST_SUPPORT_H
#define HOST_SUPPORT_H

#include <stdbool.h>

/* The text of the last printk() (truncated to 511 bytes), "" before any. */
const char *host_printk_last(void);
/* How many printk() calls so far. */
unsigned long host_printk_count(void);

/* Stop (true) or resume echoing printk() to stdout; the last text is still kept. */
void host_printk_quiet(bool on);

#endif
