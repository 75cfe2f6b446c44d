/*
 * tools/blk-pattern.c - write the block tests' sector-keyed data pattern
 * (include/pagoda/blk_pattern.h) to standard output, so a disk image that
 * an in-kernel test filled can be checked on the host with cmp:
 *
 *   build/tools/blk-pattern SEED FIRST_SECTOR NR_SECTORS > expected.img
 *   cmp expected.img <(dd if=disk.img bs=512 skip=FIRST_SECTOR count=NR_SECTORS)
 */
#include <pagoda/blk_pattern.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long long seed, first, n;
	char *end;
	u8 buf[BLK_PATTERN_SECTOR];

	if (argc != 4) {
		fprintf(stderr, "usage: blk-pattern SEED FIRST_SECTOR NR_SECTORS > file\n");
		return 2;
	}
	seed = strtoull(argv[1], &end, 0);
	if (*end)
		goto bad;
	first = strtoull(argv[2], &end, 0);
	if (*end)
		goto bad;
	n = strtoull(argv[3], &end, 0);
	if (*end)
		goto bad;
	for (unsigned long long s = 0; s < n; s++) {
		blk_pattern_fill(buf, first + s, sizeof(buf), seed);
		if (fwrite(buf, 1, sizeof(buf), stdout) != sizeof(buf)) {
			perror("blk-pattern: write");
			return 1;
		}
	}
	return fflush(stdout) ? 1 : 0;
bad:
	fprintf(stderr, "blk-pattern: arguments must be numbers\n");
	return 2;
}
