/*
 * fs/cpio.c and fs/fdtable.c on the host: the initrd reader survives every
 * malformed archive with -EINVAL (never a read outside it), entries come
 * out as they went in (the kernel unpacks them into its root ramfs,
 * fs/initramfs.c), and the descriptor table hands out and releases files
 * correctly. kmalloc is the host's malloc here, so AddressSanitizer sees
 * every leak. The path walk and open(2)'s errors are tested on Linux and
 * Pagoda alike by userland/vfs_files.c and fs_syscalls.c.
 */
#include "ktap.h"
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <mm/slab.h>
#include <stdlib.h>
#include <string.h>

/* ---- host stand-ins for the kernel's allocator and console ---- */

void *kmalloc(size_t size, gfp_t gfp)
{
	return (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
}

void kfree(const void *p)
{
	free((void *)p);
}

static const struct file_operations fake_console_fops = { .seekable = false };
static struct file fake_console = { .refs = 1, .ops = &fake_console_fops };

struct file *console_file(void)
{
	return file_get(&fake_console);
}

/* ---- the reader's entries, as the unpacker would see them ---- */

#define MAX_ENTRIES	16

static struct cpio_entry entries[MAX_ENTRIES];
static int nr_entries;

/* Read the whole archive: 0 or the reader's error (entries before it kept). */
static int load_archive(const void *data, size_t size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int ret;

	cpio_iter_init(&it, data, size);
	while ((ret = cpio_next(&it, &e)) > 0)
		if (nr_entries < MAX_ENTRIES)
			entries[nr_entries++] = e;
	return ret;
}

/* The entry named @name (after any "./"), or NULL. */
static const struct cpio_entry *entry_named(const char *name)
{
	for (int i = 0; i < nr_entries; i++) {
		const char *n = entries[i].name;

		if (n[0] == '.' && n[1] == '/')
			n += 2;
		if (!strcmp(n, name))
			return &entries[i];
	}
	return NULL;
}

static void forget_entries(void)
{
	nr_entries = 0;
}

/* ---- building archives ---- */

static unsigned char arc[65536];
static size_t arc_len;

static void put_entry(const char *name, unsigned mode, const void *data, size_t size)
{
	size_t nlen = strlen(name) + 1;

	arc_len += (size_t)sprintf((char *)arc + arc_len,
		"070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
		(unsigned)nlen, 0u);
	memcpy(arc + arc_len, name, nlen);
	arc_len += nlen;
	while (arc_len % 4)
		arc[arc_len++] = 0;
	if (size)
		memcpy(arc + arc_len, data, size);
	arc_len += size;
	while (arc_len % 4)
		arc[arc_len++] = 0;
}

static void put_trailer(void)
{
	put_entry("TRAILER!!!", 0, NULL, 0);
}

static const char hello[] = "hello, initrd\n";

/* ".", a directory, files in it and one whose directory has no entry. */
static void build_good(void)
{
	arc_len = 0;
	memset(arc, 0, sizeof(arc));
	put_entry(".", S_IFDIR | 0755, NULL, 0);
	put_entry("tests", S_IFDIR | 0755, NULL, 0);
	put_entry("tests/list", S_IFREG | 0644, "/tests/a\n", 9);
	put_entry("./tests/hello", S_IFREG | 0755, hello, sizeof(hello) - 1);
	put_entry("bin/deep/prog", S_IFREG | 0755, "ELF", 3);
	put_entry("bin/link", 0120777, "prog", 4);	/* symlink: its target as data */
	put_trailer();
}

/* Offset of the n-th header in the good archive (0-based). */
static size_t header_offset(int n)
{
	struct cpio_iter it;
	struct cpio_entry e;

	cpio_iter_init(&it, arc, arc_len);
	for (int i = 0; i < n; i++)
		if (cpio_next(&it, &e) != 1)
			abort();
	return it.off;
}

/* ---- cpio ---- */

static void t_good_archive(void)
{
	const struct cpio_entry *in;

	build_good();
	KT_ASSERT(load_archive(arc, arc_len) == 0);
	KT_EXPECT_EQ(nr_entries, 6);
	in = entry_named("tests/hello");
	KT_ASSERT(in);
	KT_EXPECT_EQ(in->size, sizeof(hello) - 1);
	KT_EXPECT(!memcmp(in->data, hello, in->size));
	KT_EXPECT_EQ(in->mode, S_IFREG | 0755);
	in = entry_named("bin/link");
	KT_EXPECT(in && in->mode == 0120777 && in->size == 4 && !memcmp(in->data, "prog", 4));
	KT_EXPECT_EQ(in->rdev, 0);
	forget_entries();
}

static void t_bad_magic(void)
{
	build_good();
	arc[header_offset(2) + 5] = '7';		/* "070707": old binary cpio */
	KT_EXPECT_EQ(load_archive(arc, arc_len), -EINVAL);
	KT_EXPECT(entry_named("tests") != NULL);	/* what came before stays */
	KT_EXPECT(entry_named("tests/list") == NULL);
	forget_entries();
}

static void t_bad_hex(void)
{
	build_good();
	arc[header_offset(2) + 6 + 8 * 6 + 3] = 'g';	/* filesize field */
	KT_EXPECT_EQ(load_archive(arc, arc_len), -EINVAL);
	forget_entries();
}

static void set_field(size_t hdr, int field, unsigned v)
{
	char tmp[9];

	snprintf(tmp, sizeof(tmp), "%08X", v);
	memcpy(arc + hdr + 6 + 8 * field, tmp, 8);
}

static void t_sizes_past_end(void)
{
	size_t h;

	build_good();
	h = header_offset(3);
	set_field(h, 6, 0xffffffff);			/* filesize */
	KT_EXPECT_EQ(load_archive(arc, arc_len), -EINVAL);
	forget_entries();

	build_good();
	set_field(h, 11, 0xffffffff);			/* namesize */
	KT_EXPECT_EQ(load_archive(arc, arc_len), -EINVAL);
	forget_entries();

	build_good();
	set_field(h, 11, 0);				/* no name at all */
	KT_EXPECT_EQ(load_archive(arc, arc_len), -EINVAL);
	forget_entries();

	/* a name without its NUL that ends the buffer: no read past it */
	arc_len = 0;
	put_entry("abc", S_IFREG | 0644, NULL, 0);
	set_field(0, 11, 2);
	memcpy(arc + 110, "abcd", 4);
	{
		unsigned char *exact = malloc(114);

		memcpy(exact, arc, 114);
		KT_EXPECT_EQ(load_archive(exact, 114), -EINVAL);
		free(exact);
	}
	forget_entries();
}

static void t_trailer_and_padding(void)
{
	build_good();
	memcpy(arc + arc_len, "garbage after the trailer", 25);
	KT_EXPECT_EQ(load_archive(arc, arc_len + 25), 0);
	forget_entries();

	/* no trailer, last pad cut off: the data ends cleanly */
	arc_len = 0;
	put_entry("f", S_IFREG | 0644, "x", 1);
	KT_EXPECT_EQ(load_archive(arc, arc_len - 3), 0);
	KT_EXPECT(entry_named("f") != NULL);
	forget_entries();
}

/* Every truncation of a good archive: 0 or -EINVAL, never a bad read. */
static void t_every_truncation(void)
{
	int bad = 0;

	build_good();
	for (size_t len = 0; len <= arc_len; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		int r;

		memcpy(copy, arc, len);
		r = load_archive(copy, len);	/* exact-size buffer: ASan sees overreads */
		bad += r != 0 && r != -EINVAL;
		forget_entries();
		free(copy);
	}
	KT_EXPECT_EQ(bad, 0);
}

/* Random byte flips: never a crash, only 0 or -EINVAL. */
static void t_random_corruption(void)
{
	int bad = 0;

	srand(12345);
	for (int round = 0; round < 3000; round++) {
		unsigned char *copy;
		int r;

		build_good();
		copy = malloc(arc_len);
		memcpy(copy, arc, arc_len);
		for (int k = 0; k < 1 + round % 4; k++)
			copy[(size_t)rand() % arc_len] = (unsigned char)rand();
		r = load_archive(copy, arc_len);
		bad += r != 0 && r != -EINVAL;
		forget_entries();
		free(copy);
	}
	KT_EXPECT_EQ(bad, 0);
}

/* ---- descriptor tables ---- */

static int releases;

static void count_release(struct file *f)
{
	releases++;
}

static const struct file_operations counted_fops = { .release = count_release };

static struct file *counted_file(void)
{
	struct file *f = calloc(1, sizeof(*f));

	f->refs = 1;
	f->ops = &counted_fops;
	return f;
}

static void t_fdtable(void)
{
	struct files_struct *files = files_create_console();
	struct file *f = counted_file();
	int fd;

	KT_ASSERT(files);
	KT_EXPECT(fd_get(files, 0) == &fake_console && fd_get(files, 2) == &fake_console);
	KT_EXPECT_EQ(fake_console.refs, 4);
	releases = 0;
	KT_EXPECT_EQ(fd_install(files, f), 3);				/* lowest free */
	KT_EXPECT_EQ(fd_install_from(files, file_get(f), 10, true), 10);
	KT_EXPECT(fd_get_cloexec(files, 10) && !fd_get_cloexec(files, 3));
	KT_EXPECT_EQ(fd_close(files, 1), 0);
	KT_EXPECT_EQ(fd_close(files, 1), -EBADF);
	KT_EXPECT_EQ(fd_install(files, file_get(f)), 1);		/* the hole is reused */
	KT_EXPECT_EQ(fd_install_from(files, f, NR_OPEN_MAX, false), -EINVAL);
	KT_EXPECT(fd_get(files, -1) == NULL && fd_get(files, NR_OPEN_MAX) == NULL);
	for (fd = 0; fd < NR_OPEN_MAX; fd++)
		if (!fd_get(files, fd))
			fd_install_at(files, fd, file_get(f), false);
	KT_EXPECT_EQ(fd_install(files, f), -EMFILE);
	fd_install_at(files, 3, console_file(), false);			/* dup2 over f */
	KT_EXPECT_EQ(releases, 0);
	files_put(files);
	KT_EXPECT_EQ(releases, 1);					/* last ref gone */
	KT_EXPECT_EQ(fake_console.refs, 1);
}

static const struct kt_case cases[] = {
	KT_CASE(t_good_archive, "a newc archive's entries come out with names, modes and data"),
	KT_CASE(t_bad_magic, "a bad magic stops the load with EINVAL, earlier entries stay"),
	KT_CASE(t_bad_hex, "a header number that is not hex is EINVAL"),
	KT_CASE(t_sizes_past_end, "name and file sizes past the end are EINVAL"),
	KT_CASE(t_trailer_and_padding, "the trailer ends the archive; a cut last pad is fine"),
	KT_CASE(t_every_truncation, "every truncation of an archive is 0 or EINVAL"),
	KT_CASE(t_random_corruption, "random corruption never reads outside the archive"),
	KT_CASE(t_fdtable, "descriptors: lowest free, cloexec, EMFILE, close releases"),
};

int main(void)
{
	return kt_run_suite("cpio", cases, KT_N(cases));
}
