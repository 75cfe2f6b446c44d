/*
 * printk: format, prefix each line with a timestamp, append to the log ring
 * buffer (read later by crash dumps) and write to the console.
 * Not yet interrupt-safe (interrupts are off in this kernel stage).
 */
#include <pagoda/printk.h>
#include <pagoda/vsprintf.h>
#include <pagoda/console.h>
#include <pagoda/time.h>

#define LOG_BUF_SIZE	(64 * 1024)	/* power of two */

char log_buf[LOG_BUF_SIZE];
u64 log_head;			/* bytes ever written; log_buf[head % size] is next */
static bool at_line_start = true;

static void log_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[(log_head + i) & (LOG_BUF_SIZE - 1)] = s[i];
	log_head += n;
}

static void emit(const char *s, size_t n)
{
	log_put(s, n);
	serial_write(s, n);
}

/* User programs' console output: raw (no timestamp), into the log ring too. */
void console_write_raw(const char *s, size_t n)
{
	emit(s, n);
}

static void emit_timestamp(void)
{
	char ts[24];
	u64 ns = time_ns();
	int n = snprintf(ts, sizeof(ts), "[%5llu.%06llu] ",
			 (unsigned long long)(ns / 1000000000),
			 (unsigned long long)(ns / 1000 % 1000000));

	emit(ts, n);
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (at_line_start) {
			emit_timestamp();
			at_line_start = false;
		}
		if (buf[i] == '\n') {
			emit(buf + start, i + 1 - start);
			start = i + 1;
			at_line_start = true;
		}
	}
	if (start < len) {
		if (at_line_start)
			emit_timestamp();
		emit(buf + start, len - start);
		at_line_start = false;
	}
	return n;
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
