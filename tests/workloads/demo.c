// SPDX-License-Identifier: GPL-2.0
/*
 * Demo and test workload: maps anonymous, file-backed, shared, THP and
 * driver memory (a perf_event ring buffer: VM_PFNMAP, invisible to pagemap)
 * and touches part of each, then prints what it mapped and waits.
 *
 *   demo [--ready-fd N] [--hold SECONDS] [--file PATH]
 *
 * Output, one "name start end" line per region, then "ready". Tests read
 * it to know the addresses; the process stays until killed or --hold ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MiB (1UL << 20)

static void report(const char *name, void *p, size_t len)
{
	printf("%s 0x%lx 0x%lx\n", name, (unsigned long)p, (unsigned long)p + len);
}

static void *map_or_die(size_t len, int prot, int flags, int fd, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "demo: mmap %s: %s\n", what, strerror(errno));
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	const char *file = "/tmp/vmscope-demo.dat";
	int hold = 3600, i, fd;
	char *anon, *file_map, *shared, *thp;
	size_t page = 4096;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--file") && i + 1 < argc)
			file = argv[++i];
	}

	/* anonymous: 4 MiB, first half touched */
	anon = map_or_die(4 * MiB, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, "anon");
	madvise(anon, 4 * MiB, MADV_NOHUGEPAGE);
	memset(anon, 0x5a, 2 * MiB);
	report("anon", anon, 4 * MiB);

	/* file-backed: 1 MiB file, read every other page */
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, MiB)) {
		fprintf(stderr, "demo: %s: %s\n", file, strerror(errno));
		return 1;
	}
	file_map = map_or_die(MiB, PROT_READ, MAP_SHARED, fd, "file");
	for (i = 0; i < (int)(MiB / page); i += 2)
		(void)*(volatile char *)(file_map + i * page);
	report("file", file_map, MiB);
	close(fd);

	/* shared anonymous: 256 KiB, all touched */
	shared = map_or_die(256 * 1024, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, "shared");
	memset(shared, 1, 256 * 1024);
	report("shared", shared, 256 * 1024);

	/* THP: a 2 MiB-aligned 4 MiB region with MADV_HUGEPAGE */
	thp = map_or_die(8 * MiB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, "thp");
	thp = (char *)(((uintptr_t)thp + 2 * MiB - 1) & ~(2 * MiB - 1));
	madvise(thp, 4 * MiB, MADV_HUGEPAGE);
	memset(thp, 2, 4 * MiB);
	report("thp", thp, 4 * MiB);

	/* driver memory: a perf_event ring buffer (1 + 8 pages), VM_PFNMAP */
	{
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_DUMMY,
			.disabled = 1,
		};
		int pfd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

		if (pfd >= 0) {
			void *ring = map_or_die(9 * page, PROT_READ | PROT_WRITE,
						MAP_SHARED, pfd, "perf ring");
			/* read every page: older kernels (6.1) map the
			 * ring at fault time, not at mmap */
			for (i = 0; i < 9; i++)
				(void)*(volatile char *)((char *)ring + i * page);
			report("perf_ring", ring, 9 * page);
		} else {
			fprintf(stderr, "demo: no perf ring buffer: %s\n", strerror(errno));
		}
	}
	/* a touched page made PROT_NONE: the pte keeps the frame (protnone) */
	{
		char *pn = map_or_die(page, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, "protnone");

		pn[0] = 3;
		mprotect(pn, page, PROT_NONE);
		report("protnone", pn, page);
	}
	/* a guard page (6.13+): a pte marker, not-present but not empty */
	{
		char *g = map_or_die(2 * page, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, "guard");

		if (madvise(g, page, 102 /* MADV_GUARD_INSTALL */) == 0)
			report("guard", g, page);
	}
	/* hugetlb: only when the machine has a free 2 MiB huge page */
	{
		char *h = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

		if (h != MAP_FAILED) {
			memset(h, 4, 2 * MiB);
			report("hugetlb", h, 2 * MiB);
		}
	}
	printf("ready\n");
	fflush(stdout);
	sleep(hold);
	return 0;
}
