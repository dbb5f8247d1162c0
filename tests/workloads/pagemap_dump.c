// SPDX-License-Identifier: GPL-2.0
/*
 * Test oracle, independent of vmscope's code: read /proc/PID/pagemap one
 * entry at a time and print "0xVADDR present swapped pfn" per page of
 * [START, END), then for present pages the /proc/kpageflags word and the
 * /proc/kpagecount mapcount (0 0 otherwise).
 *   pagemap_dump PID START END      (hex addresses)
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long start, end, a;
	uint64_t e, fl, cnt;
	int fd, kf, kc;
	char path[64];

	if (argc != 4)
		return 2;
	start = strtoull(argv[2], NULL, 16);
	end = strtoull(argv[3], NULL, 16);
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1]);
	fd = open(path, O_RDONLY);
	kf = open("/proc/kpageflags", O_RDONLY);
	kc = open("/proc/kpagecount", O_RDONLY);
	if (fd < 0 || kf < 0 || kc < 0) {
		perror("open");
		return 1;
	}
	for (a = start; a < end; a += 4096) {
		if (pread(fd, &e, 8, (a / 4096) * 8) != 8)
			return 1;
		fl = cnt = 0;
		if ((e >> 63) & 1) {
			pread(kf, &fl, 8, (e & ((1ULL << 55) - 1)) * 8);
			pread(kc, &cnt, 8, (e & ((1ULL << 55) - 1)) * 8);
		}
		printf("0x%llx %d %d 0x%llx 0x%llx %llu\n", a, (int)((e >> 63) & 1),
		       (int)((e >> 62) & 1),
		       (unsigned long long)((e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0),
		       (unsigned long long)fl, (unsigned long long)cnt);
	}
	return 0;
}
