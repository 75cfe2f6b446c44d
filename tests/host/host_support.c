/* printk and panic for host unit tests: stdio and abort(). */
#include <pagoda/printk.h>
#include <stdio.h>
#include <stdlib.h>

int vprintk(const char *fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
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
