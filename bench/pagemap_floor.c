// SPDX-License-Identifier: GPL-2.0
/* The floor for `vmscope pfn`: read PID's pagemap for [START, END) in 8 MiB
 * chunks and do nothing else.   pagemap_floor PID START END */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static unsigned long long buf[1 << 20];
	unsigned long long a, end, sum = 0;
	char path[64];
	int fd;

	if (argc != 4)
		return 2;
	a = strtoull(argv[2], NULL, 16);
	end = strtoull(argv[3], NULL, 16);
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	while (a < end) {
		unsigned long long n = (end - a) / 4096;

		if (n > (1 << 20))
			n = 1 << 20;
		if (pread(fd, buf, n * 8, a / 4096 * 8) != (ssize_t)(n * 8))
			return 1;
		sum += buf[n - 1];
		a += n * 4096;
	}
	return sum == 42;	/* keep the reads */
}
