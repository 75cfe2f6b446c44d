#include <pagoda/vsprintf.h>

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters the full output needs */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

enum fmt_flag {
	F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16, F_UPPER = 32,
};

struct spec {
	unsigned flags;
	int width;
	int precision;		/* -1 when absent */
	unsigned base;
};

static void put_padding(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_number(struct out *o, unsigned long long v, bool negative,
		       const struct spec *s)
{
	const char *digits = (s->flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;
	char sign = 0;

	if (negative)
		sign = '-';
	else if (s->flags & F_PLUS)
		sign = '+';
	else if (s->flags & F_SPACE)
		sign = ' ';
	do {
		tmp[n++] = digits[v % s->base];
		v /= s->base;
	} while (v);
	bool prefix = (s->flags & F_ALT) && s->base == 16;

	len = n > s->precision ? n : s->precision;
	len += (sign != 0) + 2 * prefix;
	bool zero_pad = (s->flags & F_ZERO) && !(s->flags & F_LEFT) && s->precision < 0;

	if (!(s->flags & F_LEFT) && !zero_pad)
		put_padding(o, ' ', s->width - len);
	if (sign)
		put(o, sign);
	if (prefix) {
		put(o, '0');
		put(o, (s->flags & F_UPPER) ? 'X' : 'x');
	}
	if (zero_pad)
		put_padding(o, '0', s->width - len);
	put_padding(o, '0', s->precision - n);
	while (n)
		put(o, tmp[--n]);
	if (s->flags & F_LEFT)
		put_padding(o, ' ', s->width - len);
}

static void put_string(struct out *o, const char *str, const struct spec *s)
{
	int n = 0;

	if (!str)
		str = "(null)";
	while (str[n] && (s->precision < 0 || n < s->precision))
		n++;
	if (!(s->flags & F_LEFT))
		put_padding(o, ' ', s->width - n);
	for (int i = 0; i < n; i++)
		put(o, str[i]);
	if (s->flags & F_LEFT)
		put_padding(o, ' ', s->width - n);
}

static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
	s->flags = 0;
	s->width = 0;
	s->precision = -1;
	for (;; p++) {
		if (*p == '-') s->flags |= F_LEFT;
		else if (*p == '0') s->flags |= F_ZERO;
		else if (*p == '+') s->flags |= F_PLUS;
		else if (*p == ' ') s->flags |= F_SPACE;
		else if (*p == '#') s->flags |= F_ALT;
		else break;
	}
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		p++;
	}
	while (*p >= '0' && *p <= '9')
		s->width = s->width * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		s->precision = 0;
		if (*p == '*') {
			s->precision = va_arg(*ap, int);
			p++;
		}
		while (*p >= '0' && *p <= '9')
			s->precision = s->precision * 10 + (*p++ - '0');
	}
	return p;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec s;
	va_list args;

	va_copy(args, ap);
	for (const char *p = fmt; *p; p++) {
		int lng = 0;
		unsigned long long v;
		bool neg = false;

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p = parse_spec(p + 1, &s, &args);
		while (*p == 'l' || *p == 'z' || *p == 'h') {
			if (*p != 'h')
				lng++;
			p++;
		}
		switch (*p) {
		case 'd': case 'i': {
			long long x = lng ? va_arg(args, long long) : va_arg(args, int);

			neg = x < 0;
			v = neg ? -(unsigned long long)x : (unsigned long long)x;
			s.base = 10;
			put_number(&o, v, neg, &s);
			break;
		}
		case 'u': case 'x': case 'X': case 'o':
			v = lng ? va_arg(args, unsigned long long) : va_arg(args, unsigned int);
			s.base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
			if (*p == 'X')
				s.flags |= F_UPPER;
			put_number(&o, v, false, &s);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			s.base = 16;
			s.flags |= F_ZERO;
			s.width = 16;
			put_number(&o, (uintptr_t)va_arg(args, void *), false, &s);
			break;
		case 'c':
			put(&o, (char)va_arg(args, int));
			break;
		case 's':
			put_string(&o, va_arg(args, const char *), &s);
			break;
		case '%':
			put(&o, '%');
			break;
		case 0:
			p--;
			break;
		default:
			put(&o, '%');
			put(&o, *p);
		}
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
