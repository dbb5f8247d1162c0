// SPDX-License-Identifier: GPL-2.0
/*
 * User of the test driver (tests/vm/drvtest, /dev/vmscope_drvtest): maps
 * it the way each variant needs to show its bug, then touches it.
 *   drvuser MODE      MODE: a name from the list in main()
 * Prints "map NAME START END" per mapping, waits DRIVERS_HOLD_MS (default
 * 300) so a tracer reads the page tables as mmap left them, reads (or
 * writes) the pages the scenario touches ("sigbus ADDR" when one fails,
 * "loop ADDR" when the fault never ends and SIGALRM broke it), prints
 * "touched", waits again and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../vm/drvtest/drvtest.h"

#define PG 4096UL

static sigjmp_buf jb;

static void on_signal(int sig)
{
	siglongjmp(jb, sig);
}

static void hold(void)
{
	const char *e = getenv("DRIVERS_HOLD_MS");
	long ms = e ? atol(e) : 300;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	fflush(stdout);
	nanosleep(&ts, NULL);
}

static char *map(int fd, const char *name, size_t pages, off_t pgoff)
{
	char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       pgoff * (off_t)PG);

	if (p == MAP_FAILED) {
		printf("fail %s mmap: %s\n", name, strerror(errno));
		exit(1);
	}
	printf("map %s %#lx %#lx\n", name, (unsigned long)p, (unsigned long)p + pages * PG);
	return p;
}

/* read pages [from, to) of p; a SIGBUS or a SIGALRM (a fault that never
 * ends) is reported and the next page tried */
static void touch(char *p, size_t from, size_t to)
{
	volatile size_t i;
	int sig;

	for (i = from; i < to; i++) {
		sig = sigsetjmp(jb, 1);
		if (sig) {
			printf("%s %#lx\n", sig == SIGBUS ? "sigbus" : "loop",
			       (unsigned long)(p + i * PG));
			continue;
		}
		alarm(2);
		(void)*(volatile char *)(p + i * PG);
		alarm(0);
	}
}

int main(int argc, char **argv)
{
	static const char *const names[DT_NR] = {
		[DT_KMALLOC_REMAP] = "kmalloc", [DT_VMALLOC_FAULT] = "vmalloc_fault",
		[DT_REMAP_VMALLOC] = "remap_vmalloc", [DT_BUG_PAST_END] = "past_end",
		[DT_BUG_TAIL] = "tail", [DT_BUG_PGOFF] = "pgoff",
		[DT_BUG_VMALLOC] = "vmalloc_remap", [DT_BUG_FLAGS] = "flags",
		[DT_BUG_CACHED_IO] = "cached_io", [DT_BUG_NOREF] = "noref",
		[DT_BUG_NOPAGE] = "nopage", [DT_BUG_SLAB] = "slab",
		[DT_BUG_UC_INSERT] = "cache_conflict",
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int mode, fd;
	char *a, *b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: drvuser MODE\n");
		return 2;
	}
	for (mode = 0; mode < DT_NR; mode++)
		if (!strcmp(argv[1], names[mode]))
			break;
	if (mode == DT_NR) {
		fprintf(stderr, "drvuser: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	fd = open("/dev/vmscope_drvtest", O_RDWR);
	if (fd < 0 || ioctl(fd, DRVTEST_SET_MODE, mode)) {
		printf("fail open: %s\n", strerror(errno));
		return 1;
	}
	switch (mode) {
	case DT_KMALLOC_REMAP:
	case DT_VMALLOC_FAULT:
	case DT_REMAP_VMALLOC:
		/* the whole buffer, and its second page again at offset 1:
		 * a driver that honours vm_pgoff shows the same frame at the
		 * same file offset only */
		a = map(fd, argv[1], DRVTEST_BUF_PAGES, 0);
		b = map(fd, "second", 1, 1);
		hold();
		touch(a, 0, DRVTEST_BUF_PAGES);
		touch(b, 0, 1);
		break;
	case DT_BUG_PAST_END:
		a = map(fd, argv[1], 2 * DRVTEST_BUF_PAGES, 0);
		hold();
		touch(a, 0, DRVTEST_BUF_PAGES + 1);
		break;
	case DT_BUG_TAIL:
		a = map(fd, argv[1], 2 * DRVTEST_BUF_PAGES, 0);
		hold();
		touch(a, 0, 1);
		break;
	case DT_BUG_PGOFF:
		a = map(fd, argv[1], 1, 0);
		b = map(fd, "second", 1, 1);
		hold();
		touch(a, 0, 1);
		touch(b, 0, 1);
		break;
	case DT_BUG_VMALLOC:
	case DT_BUG_FLAGS:
	case DT_BUG_NOREF:
		a = map(fd, argv[1], DRVTEST_BUF_PAGES, 0);
		hold();
		touch(a, 0, DRVTEST_BUF_PAGES);
		break;
	case DT_BUG_CACHED_IO:
		map(fd, argv[1], 1, 0);	/* not touched: it is no real device */
		hold();
		break;
	case DT_BUG_UC_INSERT: {
		/* the same first page, write-back through a second open file
		 * (the kmalloc variant), then uncached through this one */
		int fd2 = open("/dev/vmscope_drvtest", O_RDWR);

		if (fd2 < 0 || ioctl(fd2, DRVTEST_SET_MODE, DT_KMALLOC_REMAP)) {
			printf("fail open: %s\n", strerror(errno));
			return 1;
		}
		a = map(fd2, "wb", 1, 0);
		b = map(fd, argv[1], 1, 0);
		hold();
		touch(a, 0, 1);
		touch(b, 0, 1);
		break;
	}
	case DT_BUG_NOPAGE:
	case DT_BUG_SLAB:
		a = map(fd, argv[1], 1, 0);
		hold();
		touch(a, 0, 1);
		break;
	}
	printf("touched\n");
	hold();
	return 0;
}
