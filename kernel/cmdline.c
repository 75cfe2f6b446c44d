#include <pagoda/cmdline.h>
#include <pagoda/boot_info.h>
#include <pagoda/string.h>

static char cmdline[BOOT_CMDLINE_MAX];

void cmdline_init(const char *text)
{
	strncpy(cmdline, text, sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = 0;
}

const char *cmdline_text(void)
{
	return cmdline;
}

/* Find word @key; *value points after '=' or is NULL. */
static bool find_word(const char *key, const char **value, size_t *value_len)
{
	size_t kl = strlen(key);

	for (const char *p = cmdline; *p;) {
		const char *w;
		size_t wl;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		wl = p - w;
		if (wl < kl || strncmp(w, key, kl))
			continue;
		if (wl == kl) {
			*value = NULL;
			return true;
		}
		if (w[kl] == '=') {
			*value = w + kl + 1;
			*value_len = wl - kl - 1;
			return true;
		}
	}
	return false;
}

bool cmdline_has(const char *key)
{
	const char *v;
	size_t n;

	return find_word(key, &v, &n) && !v;
}

bool cmdline_value(const char *key, char *buf, size_t len)
{
	const char *v;
	size_t n = 0;

	if (!len || !find_word(key, &v, &n) || !v)
		return false;
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, v, n);
	buf[n] = 0;
	return true;
}
