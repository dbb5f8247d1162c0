// SPDX-License-Identifier: GPL-2.0
/*
 * Test workload for `vmscope trace`: a fixed sequence of memory syscalls,
 * successful and failing, so a test can compare vmscope with strace.
 *
 *   mmcalls [all]          every traced call once, some failing on purpose
 *   mmcalls fork           the parent and a forked child each map/unmap
 *   mmcalls threads N      N threads, each 10 mmap/munmap pairs
 *   mmcalls loop N         N mmap/munmap pairs (benchmark); prints
 *                          "wall S" of the pairs alone
 *   mmcalls file PATH      mmap PATH (a hostile name, say) and exit
 *   mmcalls hold N PATH... map and read each file, print "ready", unlink
 *                          the ones named *.del, sleep N seconds
 *   mmcalls late N PATH    print "ready", wait for SIGUSR1, map PATH,
 *                          sleep N seconds
 *   mmcalls churn N        4 threads mapping, touching, mprotecting and
 *                          unmapping in a tight loop for N seconds
 *   mmcalls split          maps 3 pages, has another thread mprotect the
 *                          middle one, unmaps the first two: what munmap
 *                          removes is two VMAs, not the one mmap made
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define PG 4096UL

static void all_calls(void)
{
	char path[] = "/tmp/vmscope-mmcalls.XXXXXX";
	char *a, *f, *b, vec[4];
	struct iovec iov;
	int fd, id, pidfd;
	void *cur;

	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 4 * PG))
		exit(1);
	a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0);		/* EBADF */
	mprotect(a, PG, PROT_READ);				/* splits a */
	mprotect(a + 1, PG, PROT_READ);				/* EINVAL */
	syscall(SYS_pkey_mprotect, a + PG, PG, PROT_READ, -1);
	memset(a + 2 * PG, 1, PG);
	madvise(a + 2 * PG, PG, MADV_DONTNEED);
	madvise(a, PG, 999);					/* EINVAL */
	b = mremap(a, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
	cur = (void *)syscall(SYS_brk, 0);
	syscall(SYS_brk, (char *)cur + PG);
	mlock(f, PG);
	munlock(f, PG);
	syscall(SYS_mlock2, f, PG, 1 /* MLOCK_ONFAULT */);
	mlockall(MCL_CURRENT);
	munlockall();
	f[0] = 1;
	msync(f, PG, MS_SYNC);
	mincore(f, 4 * PG, (unsigned char *)vec);
	remap_file_pages(f, PG, 0, 2, 0);
	id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	if (id >= 0) {
		void *s = shmat(id, NULL, 0);

		shmdt(s);
		shmctl(id, IPC_RMID, NULL);
	}
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	iov.iov_base = f;
	iov.iov_len = PG;
	syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0);
	munmap(f, 4 * PG);
	/* mremap fails where the mprotects left a in several VMAs: then only
	 * a is ours (8 pages from a could be the TLS block mapped above it) */
	if (b == MAP_FAILED)
		munmap(a, 4 * PG);
	else
		munmap(b, 8 * PG);
	munmap((char *)f + 1, PG);				/* EINVAL */
	close(fd);
	unlink(path);
}

static void *thread_fn(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) {
		void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, PG);
	}
	return NULL;
}

static volatile int churn_stop;

/* Layout changes as fast as they come: readers must cope. */
static void *churn_fn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!churn_stop) {
		size_t pages = 1 + rand_r(&seed) % 64;
		char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		p[0] = 1;
		p[(pages - 1) * PG] = 1;
		if (pages > 2)
			mprotect(p + PG, PG, PROT_READ);
		munmap(p, pages * PG);
	}
	return NULL;
}

/* the other half of `split`: told the mapping through a pipe (read and
 * write are not traced, so the main thread's last mmap stays its last
 * traced call) */
static void *split_fn(void *arg)
{
	int *fds = arg;
	char *a;

	if (read(fds[0], &a, sizeof(a)) != sizeof(a))
		return NULL;
	mprotect(a + PG, PG, PROT_READ);
	write(fds[3], &a, sizeof(a));
	return NULL;
}

static int split(void)
{
	int fds[4];
	pthread_t th;
	char *a;

	if (pipe(fds) || pipe(fds + 2) || pthread_create(&th, NULL, split_fn, fds))
		return 1;
	a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || write(fds[1], &a, sizeof(a)) != sizeof(a) ||
	    read(fds[2], &a, sizeof(a)) != sizeof(a))
		return 1;
	munmap(a, 2 * PG);
	munmap(a + 2 * PG, PG);
	pthread_join(th, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	long n = argc > 2 ? atol(argv[2]) : 0;

	if (!strcmp(what, "all")) {
		all_calls();
	} else if (!strcmp(what, "fork")) {
		pid_t pid = fork();
		void *p = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 3 * PG);
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	} else if (!strcmp(what, "threads")) {
		pthread_t th[64];
		long i;

		if (n < 1 || n > 64)
			n = 4;
		for (i = 0; i < n; i++)
			pthread_create(&th[i], NULL, thread_fn, NULL);
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(what, "hold") && argc > 3) {
		int i;

		for (i = 3; i < argc; i++) {
			int fd = open(argv[i], O_RDONLY);
			volatile char *p = fd < 0 ? MAP_FAILED :
				mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
			size_t len = strlen(argv[i]);

			if (p == MAP_FAILED) {
				perror("hold");
				return 1;
			}
			(void)p[0];
			close(fd);
			if (len > 4 && !strcmp(argv[i] + len - 4, ".del"))
				unlink(argv[i]);
		}
		printf("ready\n");
		fflush(stdout);
		sleep((unsigned int)n);
	} else if (!strcmp(what, "churn")) {
		pthread_t th[4];
		long i;

		for (i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, churn_fn, (void *)(uintptr_t)(i + 1));
		printf("ready\n");
		fflush(stdout);
		sleep((unsigned int)(n > 0 ? n : 5));
		churn_stop = 1;
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(what, "loop")) {
		struct timespec a, b;
		long i;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < n; i++) {
			void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			munmap(p, PG);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		/* its own time, without a tracer's start-up and drain */
		printf("wall %.4f\n", (double)(b.tv_sec - a.tv_sec) +
		       (b.tv_nsec - a.tv_nsec) / 1e9);
	} else if (!strcmp(what, "late") && argc > 3) {
		sigset_t set;
		int fd, sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready\n");
		fflush(stdout);
		sigwait(&set, &sig);	/* a tracer attaches meanwhile */
		fd = open(argv[3], O_RDONLY);
		if (fd < 0 || mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
			return 1;
		sleep((unsigned int)n);
	} else if (!strcmp(what, "split")) {
		return split();
	} else if (!strcmp(what, "file") && argc > 2) {
		int fd = open(argv[2], O_RDONLY);
		void *p = fd < 0 ? MAP_FAILED : mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED)
			return 1;
		munmap(p, PG);
	} else {
		fprintf(stderr, "usage: mmcalls [all|fork|threads N|loop N|late N PATH|file PATH|split]\n");
		return 2;
	}
	return 0;
}
