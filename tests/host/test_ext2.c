/*
 * fs/ext2/ on the host: images made by mke2fs -d from a tree this test
 * writes, read and changed through the library over an in-memory copy,
 * saved back and checked by e2fsck -fn (exit status 0) and debugfs.
 * Corrupt images (a byte patched into a good one, or random bytes) must
 * give an error code and a message, never a read or write outside the
 * volume (the device refuses and records it) and never an ASan report.
 */
#include "ktap.h"
#include "host_support.h"
#include <fs/ext2.h>
#include <pagoda/errno.h>
#include <mm/slab.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- host stand-ins ---- */

void *kmalloc(size_t size, gfp_t gfp)
{
	return (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
}

void kfree(const void *p)
{
	free((void *)p);
}

#define NOW	1700000000u
static u32 fixed_now(void)
{
	return NOW;
}

/* ---- the device: an image in memory ---- */

struct mem_dev {
	u8 *data;
	u64 size;
	bool out_of_range;		/* an access past the end was attempted */
	bool fail_reads, fail_writes;	/* answer -EIO */
	unsigned long writes;
};

static int dev_io(struct mem_dev *d, u64 block, u32 bs, void *buf, const void *wbuf)
{
	if (block >= d->size / bs) {
		d->out_of_range = true;
		return -EIO;
	}
	if (wbuf ? d->fail_writes : d->fail_reads)
		return -EIO;
	if (wbuf) {
		memcpy(d->data + block * bs, wbuf, bs);
		d->writes++;
	} else {
		memcpy(buf, d->data + block * bs, bs);
	}
	return 0;
}

static int dev_read(void *ctx, u64 block, u32 bs, void *buf)
{
	return dev_io(ctx, block, bs, buf, NULL);
}

static int dev_write(void *ctx, u64 block, u32 bs, const void *buf)
{
	return dev_io(ctx, block, bs, NULL, buf);
}

static const struct ext2_io_ops mem_ops = { .read = dev_read, .write = dev_write };

static char tmpdir[64];
static char img[128];			/* the current image file */
static char src[128];			/* the tree mke2fs copies */
static struct mem_dev dev;
static struct ext2_fs *fs;

static void load_image(void)
{
	FILE *f = fopen(img, "rb");

	dev = (struct mem_dev){ 0 };
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	dev.size = (u64)ftell(f);
	fseek(f, 0, SEEK_SET);
	dev.data = malloc(dev.size);
	if (fread(dev.data, 1, dev.size, f) != dev.size)
		abort();
	fclose(f);
}

static void save_image(void)
{
	FILE *f = fopen(img, "wb");

	if (!f || fwrite(dev.data, 1, dev.size, f) != dev.size)
		abort();
	fclose(f);
}

static bool dev_size_unknown;		/* mount without telling the device size */

static int mount_dev(unsigned int flags)
{
	struct ext2_mount_args a = {
		.ops = &mem_ops, .ctx = &dev, .dev_bytes = dev_size_unknown ? 0 : dev.size,
		.flags = flags,
		.now = fixed_now, .name = "testimg",
	};

	fs = NULL;
	return ext2_mount(&a, &fs);
}

/* Mount the image file (a fresh in-memory copy). */
static int mount_img(unsigned int flags)
{
	int err;

	load_image();
	err = mount_dev(flags);
	if (err) {
		free(dev.data);
		dev.data = NULL;
	}
	return err;
}

/* Unmount and write the copy back to the image file. */
static int umount_img(void)
{
	int err = ext2_unmount(fs);

	fs = NULL;
	save_image();
	free(dev.data);
	dev.data = NULL;
	return err;
}

static u8 *corrupt_work;		/* reused by corrupt_base(): not freed per case */

static void drop_dev(void)
{
	if (dev.data != corrupt_work)
		free(dev.data);
	dev.data = NULL;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* e2fsck -fn: true when it finds nothing (its log is printed otherwise). */
static bool fsck_clean(void)
{
	int st = sh("e2fsck -fn %s > %s/fsck.log 2>&1", img, tmpdir);

	if (st) {
		printf("    # e2fsck -fn exit status %d:\n", st);
		sh("sed 's/^/    #   /' %s/fsck.log", tmpdir);
	}
	return st == 0;
}

/* debugfs -R "cat PATH" into a malloc'd buffer; its length in *len. */
static u8 *debugfs_cat(const char *path, size_t *len)
{
	char cmd[512];
	size_t cap = 1 << 16;
	u8 *buf = malloc(cap);
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat %s' %s 2>/dev/null", path, img);
	p = popen(cmd, "r");
	*len = 0;
	while ((n = fread(buf + *len, 1, cap - *len, p)) > 0) {
		*len += n;
		if (*len == cap)
			buf = realloc(buf, cap *= 2);
	}
	pclose(p);
	return buf;
}

/* ---- the source tree ---- */

static u8 pattern(u64 i, unsigned seed)
{
	return (u8)(i * 7 + i / 251 + seed * 13);
}

static void put_file(const char *rel, u64 size, unsigned seed)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", src, rel);
	f = fopen(path, "wb");
	for (u64 i = 0; i < size; i++)
		fputc(pattern(i, seed), f);
	fclose(f);
}

/* Bytes @len at @off of a sparse file of @size (holes elsewhere). */
static void put_sparse(const char *rel, u64 size, u64 off, u64 len, unsigned seed)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", src, rel);
	f = fopen(path, "wb");
	if (ftruncate(fileno(f), (off_t)size))
		abort();
	fseek(f, (long)off, SEEK_SET);
	for (u64 i = 0; i < len; i++)
		fputc(pattern(off + i, seed), f);
	fclose(f);
}

#define SLOW_TARGET "a/target/path/that/is/longer/than/sixty/characters/so/it/needs/a/block/of/its/own"

/* The tree every image starts from. */
static void make_tree(bool with_tind, int big_dir_files)
{
	sh("rm -rf %s && mkdir -p %s/dir/sub %s/empty", src, src, src);
	put_file("hello.txt", 12, 1);
	put_sparse("sparse", 1 << 20, 600 << 10, 4096, 2);
	put_file("big", 3 << 20, 3);			/* double indirect at 1 KiB */
	put_file("dir/sub/deep.txt", 5000, 4);
	sh("ln %s/hello.txt %s/hello2", src, src);
	sh("ln -s hello.txt %s/link_fast", src);
	sh("ln -s %s %s/link_slow", SLOW_TARGET, src);
	if (with_tind)	/* past 12 + 256 + 65536 blocks of 1 KiB: triple indirect */
		put_sparse("tind", 70 << 20, 68 << 20, 5000, 5);
	if (big_dir_files) {
		sh("mkdir %s/bigdir", src);
		for (int i = 0; i < big_dir_files; i++) {
			char rel[64];

			snprintf(rel, sizeof(rel), "bigdir/file_with_a_longish_name_%04d", i);
			put_file(rel, 10, (unsigned)i);
		}
	}
}

/* mke2fs -t ext2 -b @bs -d src; @extra are more mke2fs options. */
static bool make_image(unsigned bs, const char *size, const char *extra)
{
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	return sh("mke2fs -q -F -t ext2 -b %u %s -d %s %s %s > %s/mke2fs.log 2>&1",
		  bs, extra, src, img, size, tmpdir) == 0 &&
	       fsck_clean();
}

/* ---- paths in the image ---- */

static int lookup(const char *path, struct ext2_inode *out)
{
	char buf[256], *save = NULL;
	int err = ext2_iget(fs, EXT2_ROOT_INO, out);

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c && !err; c = strtok_r(NULL, "/", &save)) {
		u32 ino;

		err = ext2_dir_lookup(fs, out, c, strlen(c), &ino);
		if (!err)
			err = ext2_iget(fs, ino, out);
	}
	return err;
}

/* Does the file at @path hold exactly @size bytes of pattern @seed? */
static bool has_pattern(const char *path, u64 size, unsigned seed)
{
	struct ext2_inode in;
	u8 *buf;
	bool ok = true;

	if (lookup(path, &in) || in.size != size)
		return false;
	buf = malloc(size + 1);
	ok = ext2_file_read(fs, &in, 0, buf, size + 1) == (long)size;
	for (u64 i = 0; ok && i < size; i++)
		ok = buf[i] == pattern(i, seed);
	free(buf);
	return ok;
}

/* Is [off, off+len) of @in all zero? */
static bool reads_zero(struct ext2_inode *in, u64 off, size_t len)
{
	u8 *buf = malloc(len);
	bool ok = ext2_file_read(fs, in, off, buf, len) == (long)len;

	for (size_t i = 0; ok && i < len; i++)
		ok = !buf[i];
	free(buf);
	return ok;
}

static u32 free_blocks(void)
{
	return le32_to_cpu(ext2_super(fs)->s_free_blocks_count);
}

static u32 free_inodes(void)
{
	return le32_to_cpu(ext2_super(fs)->s_free_inodes_count);
}

#define S(x) (x), strlen(x)

/* ---- reading what mke2fs wrote ---- */

static bool write_at(struct ext2_inode *in, u64 off, u64 len, unsigned seed);
static bool reads_pattern(struct ext2_inode *in, u64 off, u64 len, unsigned seed);

struct names {
	char seen[512][64];
	int n;
	int stop_every;		/* stop the walk after this many (0: never) */
	int since_stop;
};

static int collect(void *arg, const char *name, size_t len, u32 ino, unsigned type, u64 next)
{
	struct names *nm = arg;

	if (nm->stop_every && nm->since_stop == nm->stop_every) {
		nm->since_stop = 0;
		return 1;
	}
	nm->since_stop++;
	if (nm->n < 512)
		snprintf(nm->seen[nm->n++], 64, "%.*s:%u", (int)len, name, type);
	return 0;
}

static bool saw(const struct names *nm, const char *entry)
{
	for (int i = 0; i < nm->n; i++)
		if (!strcmp(nm->seen[i], entry))
			return true;
	return false;
}

static void check_tree(bool with_tind)
{
	struct ext2_inode in;
	struct names nm = { 0 };
	char link[128];
	u64 pos = 0;

	KT_EXPECT(has_pattern("/hello.txt", 12, 1));
	KT_EXPECT(has_pattern("/hello2", 12, 1));
	KT_EXPECT(has_pattern("/big", 3 << 20, 3));
	KT_EXPECT(has_pattern("/dir/sub/deep.txt", 5000, 4));
	KT_ASSERT(lookup("/sparse", &in) == 0);
	KT_EXPECT_EQ(in.size, 1 << 20);
	KT_EXPECT(reads_zero(&in, 0, 600 << 10));
	KT_EXPECT(reads_zero(&in, (600 << 10) + 4096, (1 << 20) - (600 << 10) - 4096));
	KT_EXPECT(in.blocks < (1 << 20) / 512 / 4);	/* the holes are not allocated */
	KT_ASSERT(lookup("/link_fast", &in) == 0);
	KT_EXPECT_EQ(ext2_readlink(fs, &in, link, sizeof(link)), 9);
	KT_EXPECT(!memcmp(link, "hello.txt", 9));
	KT_EXPECT_EQ(in.blocks, 0);
	KT_ASSERT(lookup("/link_slow", &in) == 0);
	KT_EXPECT_EQ(ext2_readlink(fs, &in, link, sizeof(link)), strlen(SLOW_TARGET));
	KT_EXPECT(!memcmp(link, SLOW_TARGET, strlen(SLOW_TARGET)));
	KT_EXPECT(in.blocks != 0);
	KT_ASSERT(lookup("/", &in) == 0);
	KT_EXPECT_EQ(ext2_dir_iterate(fs, &in, &pos, collect, &nm), 0);
	KT_EXPECT_EQ(pos, in.size);
	KT_EXPECT(saw(&nm, ".:4") && saw(&nm, "..:4") && saw(&nm, "dir:4"));
	KT_EXPECT(saw(&nm, "hello.txt:8") && saw(&nm, "link_fast:10") && saw(&nm, "lost+found:4"));
	KT_EXPECT(lookup("/nothere", &in) == -ENOENT);
	KT_EXPECT(lookup("/hello.txt/x", &in) == -ENOTDIR);
	if (with_tind) {
		KT_ASSERT(lookup("/tind", &in) == 0);
		KT_EXPECT(in.block[EXT2_TIND_BLOCK] != 0);
		KT_EXPECT(reads_zero(&in, 10 << 20, 8192));
		{
			u8 buf[5000];
			bool ok = ext2_file_read(fs, &in, 68 << 20, buf, 5000) == 5000;

			for (u64 i = 0; ok && i < 5000; i++)
				ok = buf[i] == pattern((68 << 20) + i, 5);
			KT_EXPECT(ok);
		}
	}
}

static void t_read_1k(void)
{
	make_tree(true, 0);
	KT_ASSERT(make_image(1024, "24M", ""));
	KT_ASSERT(mount_img(EXT2_MOUNT_RDONLY) == 0);
	KT_EXPECT(ext2_is_rdonly(fs));
	KT_EXPECT_EQ(ext2_block_size(fs), 1024);
	check_tree(true);
	KT_EXPECT_EQ(ext2_unmount(fs), 0);
	KT_EXPECT_EQ(dev.writes, 0);
	KT_EXPECT(!dev.out_of_range);
	drop_dev();
}

static void t_read_4k_rw_clean(void)
{
	make_tree(false, 0);
	KT_ASSERT(make_image(4096, "24M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_EXPECT(!(le16_to_cpu(ext2_super(fs)->s_state) & EXT2_VALID_FS));
	check_tree(false);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	KT_ASSERT(mount_img(EXT2_MOUNT_RDONLY) == 0);
	KT_EXPECT_EQ(le16_to_cpu(ext2_super(fs)->s_state), EXT2_VALID_FS);
	KT_EXPECT_EQ(le16_to_cpu(ext2_super(fs)->s_mnt_count), 1);
	KT_EXPECT_EQ(le32_to_cpu(ext2_super(fs)->s_mtime), NOW);
	ext2_unmount(fs);
	drop_dev();
}

/* 64 KiB blocks: rec_len 65536 is stored as 65535. */
static void t_64k_blocks(void)
{
	struct ext2_inode root, d, f;
	char name[48];

	make_tree(false, 0);
	KT_ASSERT(make_image(65536, "64M", "-N 4096"));
	KT_ASSERT(mount_img(0) == 0);
	KT_EXPECT_EQ(ext2_block_size(fs), 65536);
	check_tree(false);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(ext2_mkdir(fs, &root, S("many"), 0755, 0, 0, &d) == 0);
	for (int i = 0; i < 2500; i++) {	/* two directory blocks */
		snprintf(name, sizeof(name), "name-with-padding-%05d", i);
		KT_ASSERT(ext2_create(fs, &d, name, strlen(name), 0644, 0, 0, 0, &f) == 0);
	}
	KT_EXPECT_EQ(d.size, 2 * 65536);
	for (int i = 0; i < 2500; i += 2) {
		snprintf(name, sizeof(name), "/many/name-with-padding-%05d", i);
		KT_ASSERT(lookup(name, &f) == 0);
		KT_ASSERT(ext2_unlink(fs, &d, name + 6, strlen(name + 6), &f) == 0);
		KT_ASSERT(ext2_evict_inode(fs, &f) == 0);
	}
	KT_ASSERT(lookup("/big", &f) == 0);
	KT_EXPECT(write_at(&f, 20 << 20, 100000, 4));	/* single indirect at 64 KiB */
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	KT_ASSERT(mount_img(EXT2_MOUNT_RDONLY) == 0);
	KT_EXPECT(lookup("/many/name-with-padding-02499", &f) == 0);
	KT_EXPECT(lookup("/many/name-with-padding-02498", &f) == -ENOENT);
	KT_ASSERT(lookup("/big", &f) == 0);
	KT_EXPECT(reads_pattern(&f, 20 << 20, 100000, 4));
	ext2_unmount(fs);
	drop_dev();
}

/* ---- writing ---- */

static u8 *pattern_buf(u64 len, u64 base, unsigned seed)
{
	u8 *b = malloc(len);

	for (u64 i = 0; i < len; i++)
		b[i] = pattern(base + i, seed);
	return b;
}

static bool write_at(struct ext2_inode *in, u64 off, u64 len, unsigned seed)
{
	u8 *b = pattern_buf(len, off, seed);
	long n = ext2_file_write(fs, in, off, b, len);

	free(b);
	return n == (long)len;
}

static bool reads_pattern(struct ext2_inode *in, u64 off, u64 len, unsigned seed)
{
	u8 *b = malloc(len);
	bool ok = ext2_file_read(fs, in, off, b, len) == (long)len;

	for (u64 i = 0; ok && i < len; i++)
		ok = b[i] == pattern(off + i, seed);
	free(b);
	return ok;
}

static void t_write_extend_1k(void)
{
	struct ext2_inode root, in;
	u64 tind_off = (12 + 256 + 65536ull) * 1024 + 3000;

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "16M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(ext2_create(fs, &root, S("new"), EXT2_S_IFREG | 0644, 1000, 1000, 0, &in) == 0);
	KT_EXPECT_EQ(in.links, 1);
	KT_EXPECT(ext2_create(fs, &root, S("new"), 0644, 0, 0, 0, &in) == -EEXIST);
	KT_ASSERT(lookup("/new", &in) == 0);
	KT_EXPECT(write_at(&in, 0, 1000, 7));			/* direct */
	KT_EXPECT(write_at(&in, 10 << 10, 20 << 10, 7));	/* into single indirect */
	KT_EXPECT(write_at(&in, 280 << 10, 300 << 10, 7));	/* double indirect */
	KT_EXPECT(write_at(&in, tind_off, 10000, 7));		/* triple indirect */
	KT_EXPECT_EQ(in.size, tind_off + 10000);
	KT_EXPECT(in.block[EXT2_TIND_BLOCK] != 0);
	KT_EXPECT(reads_pattern(&in, 0, 1000, 7));
	KT_EXPECT(reads_zero(&in, 1000, (10 << 10) - 1000));
	KT_EXPECT(reads_pattern(&in, 10 << 10, 20 << 10, 7));
	KT_EXPECT(reads_pattern(&in, 280 << 10, 300 << 10, 7));
	KT_EXPECT(reads_pattern(&in, tind_off, 10000, 7));
	/* past the largest file: -EFBIG */
	KT_EXPECT_EQ(ext2_file_write(fs, &in, ext2_max_bytes(fs), "x", 1), -EFBIG);
	{
		u32 pb;
		bool new;

		KT_EXPECT_EQ(ext2_get_block(fs, &in, ext2_max_blocks(fs), true, &pb, &new), -EFBIG);
	}
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	{
		size_t len;
		u8 *b = debugfs_cat("/new", &len);
		bool ok = len == tind_off + 10000;

		for (u64 i = 0; ok && i < 1000; i++)
			ok = b[i] == pattern(i, 7);
		for (u64 i = 0; ok && i < 10000; i++)
			ok = b[tind_off + i] == pattern(tind_off + i, 7);
		KT_EXPECT(ok);
		free(b);
	}
	KT_ASSERT(mount_img(EXT2_MOUNT_RDONLY) == 0);
	KT_ASSERT(lookup("/new", &in) == 0);
	KT_EXPECT_EQ(in.uid, 1000);
	KT_EXPECT_EQ(in.mtime, NOW);
	KT_EXPECT(reads_pattern(&in, 280 << 10, 300 << 10, 7));
	ext2_unmount(fs);
	drop_dev();
}

static void t_write_4k_overwrite(void)
{
	struct ext2_inode in;

	make_tree(false, 0);
	KT_ASSERT(make_image(4096, "24M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(lookup("/big", &in) == 0);
	/* overwrite the middle of mke2fs's file, extend it into double indirect */
	KT_EXPECT(write_at(&in, 100000, 5000, 3));
	KT_EXPECT(write_at(&in, 5 << 20, 70000, 9));
	KT_EXPECT(in.block[EXT2_DIND_BLOCK] != 0);
	KT_EXPECT(reads_pattern(&in, 0, 3 << 20, 3));
	KT_EXPECT(reads_zero(&in, 3 << 20, 2 << 20));
	KT_EXPECT(reads_pattern(&in, 5 << 20, 70000, 9));
	/* after ext2_sync the image is consistent while still mounted */
	KT_EXPECT_EQ(ext2_sync(fs), 0);
	save_image();
	KT_EXPECT(fsck_clean());
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	drop_dev();
}

/* A device that fails: -EIO comes back, nothing leaks, nothing crashes. */
static void t_io_errors(void)
{
	struct ext2_inode root, f;
	u8 buf[4096];

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "8M", ""));
	load_image();
	dev.fail_reads = true;
	KT_EXPECT_EQ(mount_dev(0), -EIO);
	dev.fail_reads = false;
	KT_ASSERT(mount_dev(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	dev.fail_reads = true;
	KT_EXPECT_EQ(lookup("/dir/sub/deep.txt", &f), -EIO);
	dev.fail_reads = false;
	KT_ASSERT(lookup("/big", &f) == 0);
	dev.fail_reads = true;
	KT_EXPECT_EQ(ext2_file_read(fs, &f, 1 << 20, buf, sizeof(buf)), -EIO);
	dev.fail_reads = false;
	KT_EXPECT(write_at(&f, 0, 100, 3));
	dev.fail_writes = true;
	KT_EXPECT_EQ(ext2_file_write(fs, &f, 1 << 20, buf, sizeof(buf)), -EIO);
	KT_EXPECT_EQ(ext2_sync(fs), -EIO);
	KT_EXPECT_EQ(ext2_unmount(fs), -EIO);
	drop_dev();
}

/* ---- truncate ---- */

/* Unmount, e2fsck, mount again; the inode at @path reloaded into @in. */
static bool cycle(const char *path, struct ext2_inode *in)
{
	bool ok = umount_img() == 0 && fsck_clean();

	return mount_img(0) == 0 && ok && (!path || lookup(path, in) == 0);
}

static void t_truncate(void)
{
	struct ext2_inode root, in;
	u32 before;

	make_tree(true, 0);
	KT_ASSERT(make_image(1024, "24M", ""));
	KT_ASSERT(mount_img(0) == 0);
	before = free_blocks();
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(ext2_create(fs, &root, S("t"), 0644, 0, 0, 0, &in) == 0);
	KT_EXPECT(write_at(&in, 0, 400 << 10, 11));
	KT_EXPECT_EQ(in.blocks, (400 + 1 + 1 + 1) * 2);	/* data, ind, dind, one ind below it */
	KT_ASSERT(cycle("/t", &in));
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 300 << 10), 0);	/* inside double indirect */
	KT_EXPECT_EQ(in.blocks, (300 + 1 + 1 + 1) * 2);
	KT_ASSERT(cycle("/t", &in));
	KT_EXPECT(reads_pattern(&in, 0, 300 << 10, 11));
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 100 << 10), 0);	/* inside single indirect */
	KT_EXPECT_EQ(in.blocks, (100 + 1) * 2);
	KT_EXPECT(in.block[EXT2_DIND_BLOCK] == 0);
	KT_ASSERT(cycle("/t", &in));
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 5000), 0);		/* direct, mid-block */
	KT_EXPECT_EQ(in.blocks, 5 * 2);
	KT_EXPECT(in.block[EXT2_IND_BLOCK] == 0);
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 9000), 0);		/* grow: a hole */
	KT_EXPECT(reads_pattern(&in, 0, 5000, 11));
	KT_EXPECT(reads_zero(&in, 5000, 4000));
	KT_ASSERT(cycle("/t", &in));
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 0), 0);
	KT_EXPECT_EQ(in.blocks, 0);
	for (int i = 0; i < EXT2_N_BLOCKS; i++)
		KT_EXPECT_EQ(in.block[i], 0);
	KT_EXPECT_EQ(free_blocks(), before);
	/* mke2fs's files: the triple indirect one to 0, the big one to mid-dind */
	KT_ASSERT(lookup("/tind", &in) == 0);
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 0), 0);
	KT_EXPECT_EQ(in.blocks, 0);
	KT_ASSERT(lookup("/big", &in) == 0);
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, (12 + 256 + 1000) * 1024 + 17), 0);
	KT_ASSERT(cycle("/big", &in));
	KT_EXPECT(reads_pattern(&in, 0, (12 + 256 + 1000) * 1024 + 17, 3));
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
}

/* ---- directories and names ---- */

static void t_mkdir_rmdir(void)
{
	struct ext2_inode root, a, b, c, f;
	u32 dirs, free_in;

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "16M", ""));
	KT_ASSERT(mount_img(0) == 0);
	free_in = free_inodes();
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	dirs = root.links;
	KT_ASSERT(ext2_mkdir(fs, &root, S("a"), 0755, 0, 0, &a) == 0);
	KT_ASSERT(ext2_mkdir(fs, &a, S("b"), 0700, 0, 0, &b) == 0);
	KT_ASSERT(ext2_mkdir(fs, &b, S("c"), 0700, 0, 0, &c) == 0);
	KT_EXPECT_EQ(root.links, dirs + 1);
	KT_EXPECT_EQ(a.links, 3);
	KT_EXPECT_EQ(c.links, 2);
	KT_EXPECT(ext2_mkdir(fs, &root, S("a"), 0755, 0, 0, &f) == -EEXIST);
	/* enough names in b for several directory blocks */
	for (int i = 0; i < 120; i++) {
		char name[40];

		snprintf(name, sizeof(name), "entry-number-%03d-padding", i);
		KT_ASSERT(ext2_create(fs, &b, name, strlen(name), 0644, 0, 0, 0, &f) == 0);
	}
	KT_EXPECT(b.size >= 4 * 1024);
	KT_ASSERT(cycle(NULL, NULL));
	KT_ASSERT(lookup("/a", &a) == 0 && lookup("/a/b", &b) == 0 && lookup("/a/b/c", &c) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_EXPECT_EQ(ext2_rmdir(fs, &root, S("a"), &a), -ENOTEMPTY);
	KT_EXPECT_EQ(ext2_rmdir(fs, &b, S("c"), &c), 0);
	KT_EXPECT_EQ(c.links, 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &c), 0);
	KT_EXPECT_EQ(ext2_dir_is_empty(fs, &b), 0);
	for (int i = 0; i < 120; i++) {
		char name[40];

		snprintf(name, sizeof(name), "entry-number-%03d-padding", i);
		KT_ASSERT(lookup("/a/b", &b) == 0);
		{
			u32 ino;

			KT_ASSERT(ext2_dir_lookup(fs, &b, name, strlen(name), &ino) == 0);
			KT_ASSERT(ext2_iget(fs, ino, &f) == 0);
		}
		KT_ASSERT(ext2_unlink(fs, &b, name, strlen(name), &f) == 0);
		KT_EXPECT_EQ(f.links, 0);
		KT_ASSERT(ext2_evict_inode(fs, &f) == 0);
	}
	KT_EXPECT_EQ(ext2_dir_is_empty(fs, &b), 1);
	KT_EXPECT_EQ(ext2_rmdir(fs, &a, S("b"), &b), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &b), 0);
	KT_EXPECT_EQ(ext2_rmdir(fs, &root, S("a"), &a), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &a), 0);
	KT_EXPECT_EQ(root.links, dirs);
	KT_EXPECT_EQ(free_inodes(), free_in);
	KT_EXPECT_EQ(ext2_rmdir(fs, &root, S("hello.txt"), &f), -ENOTDIR);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
}

static void t_links_unlink(void)
{
	struct ext2_inode root, dir, hello, f;
	size_t len;
	u8 *b;

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "16M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(lookup("/dir", &dir) == 0);
	KT_ASSERT(lookup("/hello.txt", &hello) == 0);
	KT_EXPECT_EQ(hello.links, 2);			/* hello2 from mke2fs */
	KT_EXPECT_EQ(ext2_link(fs, &dir, S("hello3"), &hello), 0);
	KT_EXPECT_EQ(hello.links, 3);
	KT_EXPECT_EQ(ext2_link(fs, &root, S("dir2"), &dir), -EPERM);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("hello.txt"), &hello), 0);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("hello.txt"), &hello), -ENOENT);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("dir"), &dir), -EISDIR);
	KT_EXPECT_EQ(hello.links, 2);
	KT_ASSERT(cycle(NULL, NULL));
	KT_EXPECT(has_pattern("/dir/hello3", 12, 1));
	KT_EXPECT(lookup("/hello.txt", &f) == -ENOENT);
	b = debugfs_cat("/hello2", &len);
	KT_EXPECT(len == 12 && b[0] == pattern(0, 1));
	free(b);
	/* the last link: the inode and its block go */
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(lookup("/dir", &dir) == 0 && lookup("/hello2", &hello) == 0);
	{
		u32 fb = free_blocks(), fi = free_inodes();

		KT_EXPECT_EQ(ext2_unlink(fs, &root, S("hello2"), &hello), 0);
		KT_EXPECT_EQ(ext2_unlink(fs, &dir, S("hello3"), &hello), 0);
		KT_EXPECT_EQ(hello.links, 0);
		KT_EXPECT_EQ(ext2_evict_inode(fs, &hello), 0);
		KT_EXPECT_EQ(free_blocks(), fb + 1);
		KT_EXPECT_EQ(free_inodes(), fi + 1);
	}
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
}

static void t_symlinks(void)
{
	static const size_t lens[] = { 1, 10, 59, 60, 200, 1023 };
	struct ext2_inode root, in;
	char target[1100], got[1100], name[16];

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "16M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	for (size_t i = 0; i < sizeof(target); i++)
		target[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < KT_N(lens); i++) {
		snprintf(name, sizeof(name), "sl%zu", lens[i]);
		KT_EXPECT_EQ(ext2_symlink(fs, &root, name, strlen(name), target, lens[i], 0, 0, &in), 0);
		KT_EXPECT_EQ(in.blocks, lens[i] < 60 ? 0 : 2);
	}
	KT_EXPECT_EQ(ext2_symlink(fs, &root, S("toolong"), target, 1024, 0, 0, &in), -ENAMETOOLONG);
	KT_ASSERT(cycle(NULL, NULL));
	for (size_t i = 0; i < KT_N(lens); i++) {
		snprintf(name, sizeof(name), "/sl%zu", lens[i]);
		KT_ASSERT(lookup(name, &in) == 0);
		KT_EXPECT_EQ(ext2_readlink(fs, &in, got, sizeof(got)), lens[i]);
		KT_EXPECT(!memcmp(got, target, lens[i]));
	}
	/* remove a slow one: its block goes back */
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(lookup("/sl200", &in) == 0);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("sl200"), &in), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &in), 0);
	KT_ASSERT(lookup("/sl10", &in) == 0);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("sl10"), &in), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &in), 0);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
}

static void t_rename(void)
{
	struct ext2_inode root, dir, sub, empty, f, victim;
	u32 ino, root_links;

	make_tree(false, 0);
	KT_ASSERT(make_image(1024, "16M", ""));
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	root_links = root.links;
	KT_ASSERT(lookup("/dir", &dir) == 0 && lookup("/dir/sub", &sub) == 0);
	KT_ASSERT(lookup("/empty", &empty) == 0);
	/* a file within a directory, then across */
	KT_ASSERT(lookup("/hello.txt", &f) == 0);
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("hello.txt"), &root, S("hi"), &f, NULL), 0);
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("hi"), &sub, S("hi"), &f, NULL), 0);
	KT_EXPECT(lookup("/hi", &f) == -ENOENT);
	KT_EXPECT(has_pattern("/dir/sub/hi", 12, 1));
	/* over an existing file: it loses a link */
	KT_ASSERT(lookup("/dir/sub/hi", &f) == 0 && lookup("/big", &victim) == 0);
	KT_EXPECT_EQ(ext2_rename(fs, &sub, S("hi"), &root, S("big"), &f, &victim), 0);
	KT_EXPECT_EQ(victim.links, 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &victim), 0);
	KT_EXPECT(has_pattern("/big", 12, 1));
	/* a directory to another parent: "..", both parents' links */
	KT_EXPECT_EQ(ext2_rename(fs, &dir, S("sub"), &empty, S("moved"), &sub, NULL), 0);
	KT_EXPECT_EQ(ext2_dir_lookup(fs, &sub, S(".."), &ino), 0);
	KT_EXPECT_EQ(ino, empty.ino);
	KT_EXPECT_EQ(dir.links, 2);
	KT_EXPECT_EQ(empty.links, 3);
	/* not into itself or below itself */
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("empty"), &sub, S("x"), &empty, NULL), -EINVAL);
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("empty"), &empty, S("x"), &empty, NULL), -EINVAL);
	/* a directory over an empty directory */
	KT_EXPECT_EQ(ext2_rename(fs, &empty, S("moved"), &root, S("dir"), &sub, &dir), 0);
	KT_EXPECT_EQ(dir.links, 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &dir), 0);
	KT_EXPECT_EQ(root.links, root_links);
	KT_EXPECT_EQ(empty.links, 2);
	KT_EXPECT(has_pattern("/dir/deep.txt", 5000, 4));
	/* a file over a directory and back */
	KT_ASSERT(lookup("/big", &f) == 0 && lookup("/empty", &victim) == 0);
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("big"), &root, S("empty"), &f, &victim), -EISDIR);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
}

static void t_enospc(void)
{
	struct ext2_inode root, in, f;
	u32 fb, fi;
	u8 *chunk = pattern_buf(64 << 10, 0, 1);
	u64 off = 0;
	long n = 0;
	int created = 0, err = 0;

	make_tree(false, 0);
	sh("rm -f %s/big %s/sparse", src, src);
	KT_ASSERT(make_image(1024, "2M", "-N 64"));
	KT_ASSERT(mount_img(0) == 0);
	fb = free_blocks();
	fi = free_inodes();
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(ext2_create(fs, &root, S("fill"), 0644, 0, 0, 0, &in) == 0);
	while ((n = ext2_file_write(fs, &in, off, chunk, 64 << 10)) == 64 << 10)
		off += (u64)n;
	KT_EXPECT(n >= 0 && n < 64 << 10);
	off += (u64)(n > 0 ? n : 0);
	KT_EXPECT_EQ(ext2_file_write(fs, &in, off, chunk, 1024), -ENOSPC);
	KT_EXPECT_EQ(free_blocks(), 0);
	KT_EXPECT(reads_pattern(&in, 0, 64 << 10, 1));
	KT_EXPECT_EQ(in.size, off);
	/* files until the inodes run out */
	while (!err) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", created);
		err = ext2_create(fs, &root, name, strlen(name), 0644, 0, 0, 0, &f);
		created += !err;
	}
	KT_EXPECT_EQ(err, -ENOSPC);
	KT_EXPECT(created > 0);
	KT_ASSERT(cycle(NULL, NULL));
	/* and free it all again */
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(lookup("/fill", &in) == 0);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("fill"), &in), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &in), 0);
	for (int i = 0; i < created; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		KT_ASSERT(lookup(name, &f) == 0);
		KT_ASSERT(ext2_unlink(fs, &root, name, strlen(name), &f) == 0);
		KT_ASSERT(ext2_evict_inode(fs, &f) == 0);
	}
	KT_EXPECT_EQ(free_inodes(), fi);
	/* the root may have grown a block for the names */
	KT_EXPECT(free_blocks() + 2 >= fb);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	free(chunk);
}

/* ---- an htree directory ---- */

static void t_htree_dir(void)
{
	struct ext2_inode dir, f;
	struct names *nm = calloc(1, sizeof(*nm));
	u64 pos = 0;
	int calls = 0;
	u32 ino;

	make_tree(false, 400);
	KT_ASSERT(make_image(1024, "16M", ""));
	sh("e2fsck -fyD %s > /dev/null 2>&1", img);	/* builds the index */
	KT_ASSERT(fsck_clean());
	KT_ASSERT(mount_img(0) == 0);
	KT_ASSERT(lookup("/bigdir", &dir) == 0);
	KT_EXPECT(dir.flags & EXT2_INDEX_FL);
	KT_EXPECT_EQ(ext2_dir_lookup(fs, &dir, S("file_with_a_longish_name_0399"), &ino), 0);
	/* getdents in small batches: every name once */
	nm->stop_every = 7;
	while (pos < dir.size && calls++ < 1000)
		KT_ASSERT(ext2_dir_iterate(fs, &dir, &pos, collect, nm) == 0);
	KT_EXPECT_EQ(nm->n, 402);
	KT_EXPECT(saw(nm, "file_with_a_longish_name_0000:8") && saw(nm, "..:4"));
	KT_ASSERT(ext2_create(fs, &dir, S("added-after-mkfs"), 0644, 0, 0, 0, &f) == 0);
	KT_EXPECT(!(dir.flags & EXT2_INDEX_FL));
	KT_ASSERT(lookup("/bigdir/file_with_a_longish_name_0123", &f) == 0);
	KT_EXPECT_EQ(ext2_unlink(fs, &dir, S("file_with_a_longish_name_0123"), &f), 0);
	KT_EXPECT_EQ(ext2_evict_inode(fs, &f), 0);
	KT_EXPECT_EQ(umount_img(), 0);
	KT_EXPECT(fsck_clean());
	KT_ASSERT(mount_img(EXT2_MOUNT_RDONLY) == 0);
	KT_ASSERT(lookup("/bigdir", &dir) == 0);
	KT_EXPECT(!(dir.flags & EXT2_INDEX_FL));
	KT_EXPECT(lookup("/bigdir/added-after-mkfs", &f) == 0);
	KT_EXPECT(lookup("/bigdir/file_with_a_longish_name_0123", &f) == -ENOENT);
	KT_EXPECT(has_pattern("/bigdir/file_with_a_longish_name_0377", 10, 377));
	ext2_unmount(fs);
	drop_dev();
	free(nm);
}

/* ---- corrupt images ---- */

static u8 *clean_copy;
static u64 clean_size;

/* A small 1 KiB image to corrupt; kept in memory, restored per case. */
static void corrupt_base(void)
{
	if (clean_copy) {
		dev = (struct mem_dev){ .data = corrupt_work, .size = clean_size };
		memcpy(dev.data, clean_copy, clean_size);
		return;
	}
	make_tree(false, 0);
	if (!make_image(1024, "8M", ""))
		abort();
	load_image();
	clean_size = dev.size;
	clean_copy = malloc(clean_size);
	memcpy(clean_copy, dev.data, clean_size);
	corrupt_work = malloc(clean_size);
}

static struct ext2_super_block *dev_sb(void)
{
	return (struct ext2_super_block *)(dev.data + 1024);
}

static struct ext2_group_desc *dev_gd(u32 g)
{
	return (struct ext2_group_desc *)(dev.data + 2048) + g;
}

static struct ext2_disk_inode *dev_inode(u32 ino)
{
	struct ext2_super_block *sb = dev_sb();
	u32 ipg = le32_to_cpu(sb->s_inodes_per_group), isz = le16_to_cpu(sb->s_inode_size);
	u32 g = (ino - 1) / ipg;

	return (struct ext2_disk_inode *)(dev.data +
		(u64)le32_to_cpu(dev_gd(g)->bg_inode_table) * 1024 + (u64)((ino - 1) % ipg) * isz);
}

/* The inode number of @path in the pristine base image. */
static u32 base_ino(const char *path)
{
	struct ext2_inode in;
	u32 ino = 0;

	corrupt_base();
	if (mount_dev(EXT2_MOUNT_RDONLY) == 0) {
		if (lookup(path, &in) == 0)
			ino = in.ino;
		ext2_unmount(fs);
	}
	drop_dev();
	return ino;
}

static bool logged(const char *what)
{
	return strstr(host_printk_last(), what) != NULL;
}

/* The patched base image refuses to mount with -EINVAL and @msg, touching nothing. */
static bool refused(const char *msg)
{
	bool ok = mount_dev(0) == -EINVAL && logged(msg) && !dev.out_of_range && !dev.writes;

	drop_dev();
	return ok;
}

/* One superblock field set to a bad value, and the word the refusal names. */
struct sb_patch {
	size_t off, width;
	u32 value;
	const char *msg;
};
#define SB_PATCH(f, v, m) \
	{ __builtin_offsetof(struct ext2_super_block, f), sizeof(((struct ext2_super_block *)0)->f), v, m }

static const struct sb_patch sb_patches[] = {
	SB_PATCH(s_magic, 0x1234, "magic 0x1234"),
	SB_PATCH(s_log_block_size, 0x41, "block size"),
	SB_PATCH(s_blocks_count, 1u << 30, "blocks count"),
	SB_PATCH(s_inodes_per_group, 0, "inodes per group"),
	SB_PATCH(s_inode_size, 100, "inode size"),
	SB_PATCH(s_first_data_block, 0, "first data block"),
	SB_PATCH(s_rev_level, 7, "revision"),
};

static void t_bad_superblock(void)
{
	for (size_t i = 0; i < KT_N(sb_patches); i++) {
		const struct sb_patch *p = &sb_patches[i];
		u8 le[4] = { (u8)p->value, (u8)(p->value >> 8), (u8)(p->value >> 16),
			     (u8)(p->value >> 24) };

		corrupt_base();
		memcpy((u8 *)dev_sb() + p->off, le, p->width);
		KT_EXPECT(refused(p->msg));
	}
	/* 2^28 groups of 8 blocks: a descriptor table of 8 GiB, on a device of unknown size */
	corrupt_base();
	dev_sb()->s_blocks_count = cpu_to_le32(1u << 31);
	dev_sb()->s_blocks_per_group = cpu_to_le32(8);
	dev_sb()->s_inodes_per_group = cpu_to_le32(4);
	dev_sb()->s_inodes_count = cpu_to_le32(((1u << 31) - 1 + 7) / 8 * 4);
	dev_size_unknown = true;
	KT_EXPECT(refused("groups count"));
	dev_size_unknown = false;
}

static void t_bad_group_desc(void)
{
	corrupt_base();
	dev_gd(0)->bg_inode_table = cpu_to_le32(le32_to_cpu(dev_sb()->s_blocks_count) + 5);
	KT_EXPECT(refused("group 0: inode table"));
	corrupt_base();
	dev_gd(0)->bg_block_bitmap = cpu_to_le32(1);	/* the superblock */
	KT_EXPECT(refused("group 0: block bitmap"));
	corrupt_base();
	dev_gd(0)->bg_free_blocks_count = cpu_to_le16(60000);
	KT_EXPECT(refused("free blocks count"));
}

static void t_features(void)
{
	struct ext2_inode root, f;
	u8 buf[16];

	corrupt_base();
	le32_add(&dev_sb()->s_feature_incompat, 0x40000000);
	KT_EXPECT(refused("incompatible features 0x40000000"));

	corrupt_base();
	le32_add(&dev_sb()->s_feature_ro_compat, 0x40000000);
	KT_ASSERT(mount_dev(0) == 0);
	KT_EXPECT(logged("read-only"));
	KT_EXPECT(ext2_is_rdonly(fs));
	KT_EXPECT(has_pattern("/hello.txt", 12, 1));
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_EXPECT_EQ(ext2_create(fs, &root, S("x"), 0644, 0, 0, 0, &f), -EROFS);
	KT_EXPECT_EQ(ext2_mkdir(fs, &root, S("x"), 0755, 0, 0, &f), -EROFS);
	KT_ASSERT(lookup("/hello.txt", &f) == 0);
	KT_EXPECT_EQ(ext2_file_write(fs, &f, 0, "x", 1), -EROFS);
	KT_EXPECT_EQ(ext2_file_truncate(fs, &f, 0), -EROFS);
	KT_EXPECT_EQ(ext2_write_inode(fs, &f), -EROFS);
	KT_EXPECT_EQ(ext2_unlink(fs, &root, S("hello.txt"), &f), -EROFS);
	KT_EXPECT_EQ(ext2_file_read(fs, &f, 0, buf, sizeof(buf)), 12);
	KT_EXPECT_EQ(ext2_unmount(fs), 0);
	KT_EXPECT_EQ(dev.writes, 0);
	drop_dev();
}

static void t_bad_block_pointer(void)
{
	u32 ino = base_ino("/dir/sub/deep.txt");
	struct ext2_inode in;
	u8 buf[2048];

	KT_ASSERT(ino);
	corrupt_base();
	dev_inode(ino)->i_block[1] = cpu_to_le32(le32_to_cpu(dev_sb()->s_blocks_count) + 100);
	dev_inode(ino)->i_block[3] = dev_gd(0)->bg_inode_table;	/* metadata */
	KT_ASSERT(mount_dev(0) == 0);
	KT_ASSERT(lookup("/dir/sub/deep.txt", &in) == 0);
	KT_EXPECT_EQ(ext2_file_read(fs, &in, 0, buf, 1024), 1024);
	KT_EXPECT_EQ(ext2_file_read(fs, &in, 1024, buf, 1024), -EUCLEAN);
	KT_EXPECT(logged("inode") && logged("outside the data area"));
	KT_EXPECT_EQ(ext2_file_write(fs, &in, 3 * 1024, buf, 10), -EUCLEAN);
	KT_EXPECT_EQ(ext2_file_read(fs, &in, 2048, buf, 1024), 1024);
	KT_EXPECT(!dev.out_of_range);
	KT_EXPECT_EQ(ext2_unmount(fs), 0);
	KT_EXPECT(le16_to_cpu(dev_sb()->s_state) & EXT2_ERROR_FS);
	drop_dev();
}

/* The first directory block of @path in the base image. */
static u8 *base_dir_block(const char *path)
{
	u32 ino = base_ino(path);

	corrupt_base();
	return dev.data + (u64)le32_to_cpu(dev_inode(ino)->i_block[0]) * 1024;
}

static void t_bad_dirent(void)
{
	static const u16 bad[] = { 5, 0, 1024 + 100, 14 };
	struct ext2_inode dir;
	struct names nm = { 0 };
	u32 ino;

	for (size_t i = 0; i < KT_N(bad); i++) {
		u8 *blk = base_dir_block("/dir");
		/* "." is 12 bytes; ".." follows */
		struct ext2_dir_entry *dd = (struct ext2_dir_entry *)(blk + 12);
		u64 pos = 0;

		dd->rec_len = cpu_to_le16(bad[i]);
		if (bad[i] == 14)		/* right size, not a multiple of 4 */
			dd->name_len = 2;
		KT_ASSERT(mount_dev(0) == 0);
		KT_ASSERT(lookup("/dir", &dir) == 0);
		KT_EXPECT_EQ(ext2_dir_lookup(fs, &dir, S("sub"), &ino), -EUCLEAN);
		KT_EXPECT(logged("bad entry"));
		KT_EXPECT_EQ(ext2_dir_iterate(fs, &dir, &pos, collect, &nm), -EUCLEAN);
		KT_EXPECT_EQ(ext2_dir_add(fs, &dir, S("new"), 12, EXT2_S_IFREG), -EUCLEAN);
		KT_EXPECT(!dev.out_of_range);
		ext2_unmount(fs);
		drop_dev();
	}
	/* an inode number past the table */
	{
		u8 *blk = base_dir_block("/dir");

		((struct ext2_dir_entry *)(blk + 12))->inode = cpu_to_le32(1u << 30);
		KT_ASSERT(mount_dev(EXT2_MOUNT_RDONLY) == 0);
		KT_ASSERT(lookup("/dir", &dir) == 0);
		KT_EXPECT_EQ(ext2_dir_lookup(fs, &dir, S("sub"), &ino), -EUCLEAN);
		ext2_unmount(fs);
		drop_dev();
	}
}

static void t_self_indirect(void)
{
	u32 ino = base_ino("/big");
	struct ext2_inode in;
	u8 buf[1024];
	u32 ind, dind, pb;
	bool new;

	KT_ASSERT(ino);
	corrupt_base();
	ind = le32_to_cpu(dev_inode(ino)->i_block[EXT2_IND_BLOCK]);
	dind = le32_to_cpu(dev_inode(ino)->i_block[EXT2_DIND_BLOCK]);
	KT_ASSERT(ind && dind);
	((__le32 *)(dev.data + (u64)ind * 1024))[0] = cpu_to_le32(ind);
	((__le32 *)(dev.data + (u64)dind * 1024))[1] = cpu_to_le32(dind);
	KT_ASSERT(mount_dev(0) == 0);
	KT_ASSERT(lookup("/big", &in) == 0);
	KT_EXPECT_EQ(ext2_get_block(fs, &in, 12, false, &pb, &new), -EUCLEAN);
	KT_EXPECT(logged("appears twice"));
	KT_EXPECT_EQ(ext2_get_block(fs, &in, 13, false, &pb, &new), 0);
	KT_EXPECT_EQ(ext2_get_block(fs, &in, 12 + 256 + 256, false, &pb, &new), -EUCLEAN);
	KT_EXPECT_EQ(ext2_file_read(fs, &in, 12 * 1024, buf, sizeof(buf)), -EUCLEAN);
	KT_EXPECT_EQ(ext2_file_truncate(fs, &in, 0), -EUCLEAN);	/* stops, frees nothing twice */
	KT_EXPECT(!dev.out_of_range);
	ext2_unmount(fs);
	drop_dev();
}

static void t_dir_loop(void)
{
	u32 dir = base_ino("/dir"), sub = base_ino("/dir/sub");
	struct ext2_inode root, d, e;
	u8 *blk;

	KT_ASSERT(dir && sub);
	blk = base_dir_block("/dir");
	((struct ext2_dir_entry *)(blk + 12))->inode = cpu_to_le32(sub);	/* dir/.. = sub */
	KT_ASSERT(mount_dev(0) == 0);
	KT_ASSERT(ext2_iget(fs, EXT2_ROOT_INO, &root) == 0);
	KT_ASSERT(lookup("/empty", &e) == 0 && lookup("/dir/sub", &d) == 0);
	KT_EXPECT_EQ(ext2_rename(fs, &root, S("empty"), &d, S("e"), &e, NULL), -EUCLEAN);
	KT_EXPECT(logged("directory loop"));
	ext2_unmount(fs);
	drop_dev();
}

/* Read everything reachable from @dir, at most @depth levels down. */
static void walk_all(struct ext2_inode *dir, int depth);

static int walk_actor(void *arg, const char *name, size_t len, u32 ino, unsigned type, u64 next)
{
	u32 *inos = arg;

	if (len <= 2 && name[0] == '.' && (len == 1 || name[1] == '.'))
		return 0;
	if (inos[0] < 63)
		inos[++inos[0]] = ino;
	return 0;
}

static void walk_all(struct ext2_inode *dir, int depth)
{
	u32 inos[64] = { 0 };
	u64 pos = 0;
	static u8 buf[8192];

	ext2_dir_iterate(fs, dir, &pos, walk_actor, inos);
	for (u32 i = 1; i <= inos[0]; i++) {
		struct ext2_inode in;

		if (ext2_iget(fs, inos[i], &in))
			continue;
		if (ext2_is_rdonly(fs) == false && i == 1)
			ext2_file_write(fs, &in, 100, "fuzz", 4);
		if ((in.mode & EXT2_S_IFMT) == EXT2_S_IFDIR) {
			if (depth)
				walk_all(&in, depth - 1);
		} else if ((in.mode & EXT2_S_IFMT) == EXT2_S_IFLNK) {
			ext2_readlink(fs, &in, (char *)buf, sizeof(buf));
		} else {
			for (u64 off = 0; off < in.size && off < (256 << 10); off += sizeof(buf))
				ext2_file_read(fs, &in, off, buf, sizeof(buf));
		}
	}
}

/* Random bytes in the metadata area: errors, never a crash or a stray access. */
static void t_fuzz(void)
{
	unsigned seed = 12345;
	int mounted = 0;

	host_printk_quiet(true);
	for (int iter = 0; iter < 300; iter++) {
		struct ext2_inode root, f;

		corrupt_base();
		srand(seed + (unsigned)iter);
		/* odd rounds: the superblock and descriptors; even: all metadata */
		for (int k = 0, n = 1 + rand() % 8; k < n; k++)
			dev.data[1024 + (u64)(rand() % (iter % 2 ? 2048 : 400 * 1024))] = (u8)rand();
		if (mount_dev(0))
			goto next;
		mounted++;
		if (ext2_iget(fs, EXT2_ROOT_INO, &root) == 0) {
			walk_all(&root, 4);
			if (ext2_create(fs, &root, S("fuzzed"), 0644, 0, 0, 0, &f) == 0) {
				ext2_file_write(fs, &f, 5000, "data", 4);
				ext2_file_truncate(fs, &f, 0);
			}
		}
		ext2_unmount(fs);
next:
		KT_EXPECT(!dev.out_of_range);
		drop_dev();
	}
	host_printk_quiet(false);
	printf("    # %d of 300 corrupted images mounted\n", mounted);
	KT_EXPECT(mounted > 0);
}

static const struct kt_case cases[] = {
	KT_CASE(t_read_1k, "read mke2fs -d files at 1 KiB: holes, double and triple indirect, links, readdir"),
	KT_CASE(t_read_4k_rw_clean, "4 KiB image: read-write mount marks it in use, unmount clean, e2fsck clean"),
	KT_CASE(t_64k_blocks, "64 KiB blocks: read, 2500 names over two blocks, unlink half, extend; e2fsck"),
	KT_CASE(t_write_extend_1k, "create and write into direct, single, double and triple indirect; e2fsck, debugfs"),
	KT_CASE(t_write_4k_overwrite, "overwrite and extend a mke2fs file at 4 KiB; e2fsck after ext2_sync while mounted and after unmount"),
	KT_CASE(t_io_errors, "a failing device: -EIO from mount, lookup, read, write, sync, unmount; no leak"),
	KT_CASE(t_truncate, "truncate to mid double/single indirect, mid-block, grow, 0; blocks and bitmaps; e2fsck"),
	KT_CASE(t_mkdir_rmdir, "mkdir three deep, multi-block directory, rmdir, ENOTEMPTY, link counts; e2fsck"),
	KT_CASE(t_links_unlink, "hard links, unlink, last link frees inode and blocks; e2fsck, debugfs"),
	KT_CASE(t_symlinks, "fast (< 60) and slow symlinks up to a block, ENAMETOOLONG; e2fsck"),
	KT_CASE(t_rename, "rename in and across directories, over a file and an empty directory, not below itself; e2fsck"),
	KT_CASE(t_enospc, "fill blocks and inodes to ENOSPC, free it all; counts back; e2fsck"),
	KT_CASE(t_htree_dir, "an htree directory: lookup, batched iterate, add clears the index flag; e2fsck"),
	KT_CASE(t_bad_superblock, "bad magic, block size, counts, inode size, first data block, revision, groups: -EINVAL"),
	KT_CASE(t_bad_group_desc, "descriptor pointing outside the volume or at the superblock, bad free count: -EINVAL"),
	KT_CASE(t_features, "unknown incompat refuses the mount; unknown ro_compat mounts read-only, writes -EROFS"),
	KT_CASE(t_bad_block_pointer, "block pointers past the volume and into the inode table: -EUCLEAN, logged"),
	KT_CASE(t_bad_dirent, "dirent rec_len 5, 0, past the block, unaligned; inode past the table: -EUCLEAN"),
	KT_CASE(t_self_indirect, "indirect blocks pointing at themselves: -EUCLEAN on map, read and truncate"),
	KT_CASE(t_dir_loop, "a '..' loop: rename's ancestry walk ends with -EUCLEAN"),
	KT_CASE(t_fuzz, "300 images with random metadata bytes: no crash, no access past the volume"),
};

int main(void)
{
	char path[4096];
	int ret;

	/* mke2fs, e2fsck and debugfs live in /usr/sbin, not always in a user's PATH */
	snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pagoda-ext2.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	ret = kt_run_suite("ext2", cases, KT_N(cases));
	free(clean_copy);
	free(corrupt_work);
	sh("rm -rf %s", tmpdir);
	return ret;
}
