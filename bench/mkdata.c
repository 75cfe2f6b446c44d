/*
 * bench/mkdata.c - host tool: write BENCH_FILE_BYTES of bench_pattern()
 * (bench/file.h) to standard output: the data file of the benchmark disk,
 * or, with MARK, what a file must hold after a program XORed MARK into the
 * first word of every page (tools/bench.sh compares the disk after a run).
 *
 *   build/bench/mkdata [MARK] > FILE
 */
#include "file.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static uint64_t buf[4096];
	uint64_t mark = 0;
	char *end;

	if (argc > 2 || (argc == 2 && (mark = strtoull(argv[1], &end, 0), *end != '\0'))) {
		fprintf(stderr, "usage: mkdata [MARK] > FILE\n");
		return 2;
	}
	for (uint64_t off = 0; off < BENCH_FILE_BYTES; off += sizeof(buf)) {
		for (size_t w = 0; w < sizeof(buf) / 8; w++)
			buf[w] = bench_pattern(off + w * 8) ^ ((off + w * 8) % 4096 ? 0 : mark);
		if (fwrite(buf, sizeof(buf), 1, stdout) != 1) {
			perror("mkdata: write");
			return 1;
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
