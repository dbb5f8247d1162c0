// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark and resource-test workload.
 *   bigmap anon SIZE_MB      populated anonymous mapping (4K pages)
 *   bigmap sparse GB TOUCH_MB  GB-sized NORESERVE mapping, TOUCH_MB touched
 *                             in 2 MiB pieces spread evenly
 *   bigmap vmas N            N separate VMAs (alternating protections)
 *   bigmap sparse-tib TIB TOUCH_MB  like sparse, TIB TiB, or the largest
 *                             half of it the address space has room for
 *                             (a PIE's gaps are smaller than 128 TiB)
 *   bigmap cow SIZE_MB        populated anonymous mapping, then a fork
 *                             whose child writes the second half: the
 *                             first half is shared (mapcount 2), the
 *                             second is the parent's alone again
 * Prints "START END" of the mapping, then "ready", then sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mb = 1UL << 20, len, i, n;
	char *p;

	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "anon") || !strcmp(argv[1], "cow")) {
		len = strtoul(argv[2], NULL, 0) * mb;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise(p, len, MADV_NOHUGEPAGE);
		for (i = 0; i < len; i += 4096)
			p[i] = 1;
		if (!strcmp(argv[1], "cow")) {
			int fds[2];
			char c;

			if (pipe(fds))
				return 1;
			if (!fork()) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				for (i = len / 2; i < len; i += 4096)
					p[i] = 2;
				if (write(fds[1], "x", 1) != 1)
					return 1;
				pause();
				return 0;
			}
			if (read(fds[0], &c, 1) != 1)
				return 1;
		}
	} else if ((!strcmp(argv[1], "sparse") || !strcmp(argv[1], "sparse-tib")) && argc == 4) {
		size_t touch = strtoul(argv[3], NULL, 0) * mb, pieces, step;
		int shift = !strcmp(argv[1], "sparse") ? 30 : 40;

		len = strtoul(argv[2], NULL, 0) << shift;
		for (;;) {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (p != MAP_FAILED || shift == 30 || len <= (1UL << 40))
				break;
			len -= len / 32;	/* no gap that large: a bit less */
			len &= ~((2UL << 20) - 1);
		}
		if (p == MAP_FAILED)
			return 1;
		madvise(p, len, MADV_NOHUGEPAGE);
		pieces = touch / (2 * mb);
		step = len / pieces;
		for (n = 0; n < pieces; n++)
			for (i = 0; i < 2 * mb; i += 4096)
				p[n * step + i] = 1;
	} else if (!strcmp(argv[1], "vmas")) {
		n = strtoul(argv[2], NULL, 0);
		len = n * 4096;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (i = 0; i < n; i += 2)
			mprotect(p + i * 4096, 4096, PROT_READ);
	} else {
		return 2;
	}
	printf("0x%lx 0x%lx\nready\n", (unsigned long)p, (unsigned long)p + len);
	fflush(stdout);
	pause();
	return 0;
}
