// SPDX-License-Identifier: GPL-2.0
/*
 * Page-fault workload for tests and benchmarks. Prints what it did, one
 * "key value..." line each, so a test can check vmscope against it.
 *   faulter count MB          write MB of fresh anonymous memory (4K pages),
 *                             then print "rusage MINFLT MAJFLT" (its own
 *                             counters, taken last thing before exit)
 *   faulter twice MB          the benchmark: touch MB twice (MADV_DONTNEED
 *                             between), NOHUGEPAGE: MB/2 faults per pass;
 *                             prints "wall S cpu S" of the touching
 *   faulter soak S MB         for S seconds: touch MB, MADV_DONTNEED, again
 *   faulter hold MB           map MB, print "region START END", wait for
 *                             SIGUSR1, write every page, print "touched N"
 *                             (N: faults it took, by getrusage), then wait
 *                             for SIGTERM
 *   faulter memset MB         as hold, but libc's memset writes the pages
 *                             (faults whose ip is inside libc, in a
 *                             function .dynsym does not name)
 *   faulter spread N          N separate 2-page read-write VMAs (a
 *                             PROT_NONE page between each two): print
 *                             "region START END", wait for SIGUSR1,
 *                             write the first page of each, exit
 *   faulter zero R W          read R pages of fresh private anonymous
 *                             memory (the kernel maps its zero page), write
 *                             W more; print "region START END", wait for
 *                             SIGTERM
 *   faulter churn T R FILE    T threads, each R rounds of: map 1 MiB of
 *                             anonymous memory, write each page, unmap;
 *                             map FILE's first 16 pages private, write
 *                             each, unmap (FILE: at least 64 KiB); prints
 *                             "churn ANON_FAULTS FILE_FAULTS REGIONS"
 *                             (pages written, one write fault each) after
 *                             the threads end
 *   faulter outcomes DIR      a cold file read (major), a touch past EOF
 *                             (sigbus), a write to a read-only mapping
 *                             (sigsegv); prints "major/sigbus/sigsegv ADDR"
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf jb;

static void on_fault_signal(int sig)
{
	siglongjmp(jb, sig);
}

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static __attribute__((noinline)) void touch(volatile char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		p[i] = 1;
}

/* Expect one signal from fn's access; prints "name ADDR" when it came. */
static int expect_signal(const char *name, int sig, volatile char *addr, int write)
{
	int got = sigsetjmp(jb, 1);

	if (!got) {
		if (write)
			*addr = 1;
		else
			(void)*addr;
		fprintf(stderr, "%s: no signal\n", name);
		return 1;
	}
	if (got != sig)
		return 1;
	printf("%s %p\n", name, (void *)addr);
	return 0;
}

static int outcomes(const char *dir)
{
	char path[4096], *buf;
	struct sigaction sa = { .sa_handler = on_fault_signal, .sa_flags = SA_NODEFER };
	size_t len = 1 << 20;
	volatile char *p;
	int fd, err = 0;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* major: a file written, synced and dropped from the page cache */
	snprintf(path, sizeof(path), "%s/faulter.cold", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	buf = calloc(1, len);
	if (fd < 0 || !buf || write(fd, buf, len) != (ssize_t)len || fsync(fd)) {
		perror(path);
		return 1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	(void)p[len / 2];
	printf("major %p\n", (void *)(p + len / 2));
	munmap((void *)p, len);

	/* sigbus: two pages mapped over a one-page file */
	if (ftruncate(fd, 4096))
		return 1;
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	err |= expect_signal("sigbus", SIGBUS, p + 4096 + 8, 0);
	munmap((void *)p, 8192);
	close(fd);
	unlink(path);

	/* sigsegv: a write to a read-only mapping */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	err |= expect_signal("sigsegv", SIGSEGV, p + 16, 1);
	free(buf);
	return err;
}

/* Run getrusage, printf and touch once, so their code and stack pages
 * are in before a measured window. */
static void touch_code(void)
{
	struct rusage ru;
	char one;

	getrusage(RUSAGE_SELF, &ru);
	printf("pid %d %ld\n", (int)getpid(), ru.ru_minflt);
	touch(&one, 1);
}

static int churn_rounds, churn_fd;

static void *churn_thread(void *arg)
{
	int i;
	size_t k;

	(void)arg;
	for (i = 0; i < churn_rounds; i++) {
		char *a = anon(1 << 20), *f;

		for (k = 0; k < (1 << 20); k += 4096)
			a[k] = 1;
		munmap(a, 1 << 20);
		f = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, churn_fd, 0);
		if (f == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		for (k = 0; k < 16 * 4096; k += 4096)
			f[k] = 1;
		munmap(f, 16 * 4096);
	}
	return NULL;
}

static int churn(int argc, char **argv)
{
	int t = atoi(argv[2]), i;
	pthread_t th[64];

	if (argc < 5 || t < 1 || t > 64)
		return 2;
	churn_rounds = atoi(argv[3]);
	churn_fd = open(argv[4], O_RDONLY);
	if (churn_fd < 0) {
		perror(argv[4]);
		return 1;
	}
	for (i = 0; i < t; i++)
		pthread_create(&th[i], NULL, churn_thread, NULL);
	for (i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	printf("churn %d %d %d\n", t * churn_rounds * 256, t * churn_rounds * 16,
	       t * churn_rounds);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len;
	char *p;

	if (argc < 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	len = strtoul(argv[2], NULL, 0) << 20;
	if (!strcmp(argv[1], "count")) {
		struct rusage ru;

		touch(anon(len), len);
		getrusage(RUSAGE_SELF, &ru);
		printf("rusage %ld %ld\n", ru.ru_minflt, ru.ru_majflt);
		return 0;
	}
	if (!strcmp(argv[1], "twice")) {
		struct rusage ru;
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		p = anon(len);
		touch(p, len);
		madvise(p, len, MADV_DONTNEED);
		touch(p, len);
		clock_gettime(CLOCK_MONOTONIC, &b);
		getrusage(RUSAGE_SELF, &ru);
		/* its own time: where BPF programs on its faults run too */
		printf("wall %.4f cpu %.4f\n", (double)(b.tv_sec - a.tv_sec) +
		       (b.tv_nsec - a.tv_nsec) / 1e9,
		       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		return 0;
	}
	if (!strcmp(argv[1], "soak") && argc > 3) {
		size_t mb = strtoul(argv[3], NULL, 0) << 20;
		time_t end = time(NULL) + (time_t)strtol(argv[2], NULL, 0);

		p = anon(mb);
		while (time(NULL) < end) {
			touch(p, mb);
			madvise(p, mb, MADV_DONTNEED);
		}
		return 0;
	}
	if (!strcmp(argv[1], "hold") || !strcmp(argv[1], "memset")) {
		bool libc = argv[1][0] == 'm';
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		struct timespec now;

		p = anon(len);
		touch_code();	/* so the window holds the touch faults only */
		/* the vDSO reads its data page: [vvar], a VM_PFNMAP VMA, gets
		 * a frame for tests to find */
		clock_gettime(CLOCK_MONOTONIC, &now);
		printf("region %p %p\n", (void *)p, (void *)(p + len));
		sigwait(&set, &sig);
		if (sig == SIGUSR1) {
			struct rusage a, b;

			getrusage(RUSAGE_SELF, &a);
			if (libc)
				memset(p, 1, len);
			else
				touch(p, len);
			getrusage(RUSAGE_SELF, &b);
			printf("touched %ld\n", b.ru_minflt + b.ru_majflt -
			       a.ru_minflt - a.ru_majflt);
			sigwait(&set, &sig);
		}
		return 0;
	}
	if (!strcmp(argv[1], "zero") && argc > 3) {
		size_t r = strtoul(argv[2], NULL, 0), w = strtoul(argv[3], NULL, 0), i;
		volatile char *z;
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		z = anon((r + w) * 4096);
		for (i = 0; i < r; i++)
			(void)z[i * 4096];
		for (i = r; i < r + w; i++)
			z[i * 4096] = 1;
		printf("region %p %p\n", (void *)z, (void *)(z + (r + w) * 4096));
		sigwait(&set, &sig);
		return 0;
	}
	if (!strcmp(argv[1], "spread")) {
		size_t n = strtoul(argv[2], NULL, 0), i, pg = 4096;
		char *b = mmap(NULL, 3 * n * pg, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		sigset_t set;
		int sig;

		if (b == MAP_FAILED)
			return 1;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		for (i = 0; i < n; i++)
			if (mprotect(b + 3 * i * pg, 2 * pg, PROT_READ | PROT_WRITE))
				return 1;
		printf("region %p %p\n", (void *)b, (void *)(b + 3 * n * pg));
		sigwait(&set, &sig);
		for (i = 0; i < n; i++)
			b[3 * i * pg] = 1;
		return 0;
	}
	if (!strcmp(argv[1], "churn"))
		return churn(argc, argv);
	if (!strcmp(argv[1], "outcomes"))
		return outcomes(argv[2]);
	return 2;
}
