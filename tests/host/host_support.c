/* printk and panic for host unit tests: stdio and abort(). */
#include <pagoda/printk.h>
#include "host_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char last_message[512];
static unsigned long nr_messages;
static bool quiet;

void host_printk_quiet(bool on)
{
	quiet = on;
}

int vprintk(const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(last_message, sizeof(last_message), fmt, copy);
	va_end(copy);
	nr_messages++;
	if (quiet)
		return (int)strlen(last_message);
	return vfprintf(stdout, fmt, ap);
}

const char *host_printk_last(void)
{
	return last_message;
}

unsigned long host_printk_count(void)
{
	return nr_messages;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "Kernel panic - ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}
