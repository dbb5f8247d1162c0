// SPDX-License-Identifier: GPL-2.0
/*
 * A workload that changes its address space on a schedule, for vmscope
 * top's tests: each step, PAUSE_MS apart, prints what it did and when
 * (CLOCK_MONOTONIC microseconds, taken after the call returned):
 *   map START END US          8 MiB of fresh anonymous memory, read-write
 *   touch START END N US      every page written; N: the faults it took
 *                             (getrusage minflt + majflt around the loop)
 *   mprotect START END US     its first MiB made read-only (a split)
 *   mremap START END US       the rest grown to 16 MiB (it may move)
 *   unmap START END US        that unmapped
 *   done                      then it waits for SIGTERM
 *   mmsched [PAUSE_MS]        (default 1500)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MB (1UL << 20)

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 1500, before, after;
	unsigned long long us;
	char *p, *q;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d\n", (int)getpid());
	pause_ms(ms);
	p = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	madvise(p, 8 * MB, MADV_NOHUGEPAGE);	/* one fault a page */
	printf("map %p %p %llu\n", p, p + 8 * MB, now_us());
	pause_ms(ms);
	before = faults();
	for (i = 0; i < 8 * MB; i += 4096)
		p[i] = 1;
	after = faults();
	us = now_us();
	printf("touch %p %p %ld %llu\n", p, p + 8 * MB, after - before, us);
	pause_ms(ms);
	if (mprotect(p, MB, PROT_READ))
		return 1;
	printf("mprotect %p %p %llu\n", p, p + MB, now_us());
	pause_ms(ms);
	q = mremap(p + MB, 7 * MB, 16 * MB, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return 1;
	printf("mremap %p %p %llu\n", q, q + 16 * MB, now_us());
	pause_ms(ms);
	if (munmap(q, 16 * MB))
		return 1;
	printf("unmap %p %p %llu\n", q, q + 16 * MB, now_us());
	printf("done\n");
	for (;;)
		pause();
}
