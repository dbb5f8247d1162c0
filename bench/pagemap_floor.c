// SPDX-License-Identifier: GPL-2.0
/* The floors for `vmscope pfn`.
 *   pagemap_floor PID START END        read PID's pagemap for [START, END)
 *                                      in 8 MiB chunks and do nothing else
 *   pagemap_floor -k PID START END     the same, then kpageflags and
 *                                      kpagecount of every present PFN,
 *                                      sorted, one pread per run of
 *                                      adjacent PFNs: the kernel's own
 *                                      cost of the data `pfn` shows
 *   pagemap_floor -f PID START END     the same with kpageflags only (what
 *                                      pfn reads for exclusive 4K pages,
 *                                      whose mapcount pagemap gives) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static int cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* one pread per run of adjacent PFNs in the sorted p[0..n) */
static unsigned long long read_kpage(int fd, const unsigned long long *p, size_t n)
{
	static unsigned long long buf[8192];
	unsigned long long sum = 0;
	size_t i = 0, j;

	while (i < n) {
		for (j = i + 1; j < n && j - i < 8192 && p[j] == p[j - 1] + 1; j++)
			;
		if (pread(fd, buf, (j - i) * 8, p[i] * 8) > 0)
			sum += buf[0];
		i = j;
	}
	return sum;
}

int main(int argc, char **argv)
{
	static unsigned long long buf[CHUNK], pfns[CHUNK];
	unsigned long long a, end, sum = 0;
	int fd, kf = -1, kc = -1, k = argc == 5 && (!strcmp(argv[1], "-k") || !strcmp(argv[1], "-f"));
	int counts = k && !strcmp(argv[1], "-k");
	char path[64];

	if (argc != 4 + k)
		return 2;
	a = strtoull(argv[2 + k], NULL, 16);
	end = strtoull(argv[3 + k], NULL, 16);
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1 + k]);
	fd = open(path, O_RDONLY);
	if (k) {
		kf = open("/proc/kpageflags", O_RDONLY);
		kc = open("/proc/kpagecount", O_RDONLY);
	}
	if (fd < 0 || (k && (kf < 0 || kc < 0)))
		return 1;
	while (a < end) {
		unsigned long long n = (end - a) / 4096, i, np = 0;

		if (n > CHUNK)
			n = CHUNK;
		if (pread(fd, buf, n * 8, a / 4096 * 8) != (ssize_t)(n * 8))
			return 1;
		sum += buf[n - 1];
		a += n * 4096;
		if (!k)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] >> 63)
				pfns[np++] = buf[i] & ((1ULL << 55) - 1);
		qsort(pfns, np, sizeof(*pfns), cmp);
		sum += read_kpage(kf, pfns, np) + (counts ? read_kpage(kc, pfns, np) : 0);
	}
	return sum == 42;	/* keep the reads */
}
