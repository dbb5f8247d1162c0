// SPDX-License-Identifier: GPL-2.0
/*
 * Maps memory that real drivers serve, for `vmscope driver` tests and the
 * demo. No module needed: every kind below is in a stock kernel.
 *   drivers [-w] KIND...
 * KIND: perf (perf_event ring buffer), kvm (a vcpu's run area), kvm-past
 * (the same mapped one page longer; that page is touched: SIGBUS), io_uring
 * (SQ ring and SQE array), bpfmap (BPF_F_MMAPABLE array), packet
 * (AF_PACKET RX ring), secret (memfd_secret), hugetlb (MAP_HUGETLB 2 MiB).
 *
 * For each kind it prints "map KIND START END" (or "skip KIND why"), waits
 * DRIVERS_HOLD_MS (default 300) so a tracer can read the page tables as the
 * mmap left them, reads every page of every mapping (the first byte of
 * each; a SIGBUS prints "sigbus KIND ADDR"), prints "touched", waits
 * again, and exits, or with -w waits for SIGTERM.
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/io_uring.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif

struct region {
	const char *kind;
	char *start;
	size_t len;
	bool write;	/* touch by writing (secretmem, hugetlb, anon-like) */
};

static struct region regs[16];
static int nregs;
static sigjmp_buf jb;
static volatile sig_atomic_t stop;

static void on_sigbus(int sig)
{
	siglongjmp(jb, sig);
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int skip(const char *kind, const char *what)
{
	printf("skip %s %s: %s\n", kind, what, strerror(errno));
	return -1;
}

static void add(const char *kind, void *p, size_t len, bool write)
{
	regs[nregs].kind = kind;
	regs[nregs].start = p;
	len = (len + 4095) & ~(size_t)4095;	/* the VMA's length */
	regs[nregs].len = len;
	regs[nregs].write = write;
	nregs++;
	printf("map %s %#lx %#lx\n", kind, (unsigned long)p,
	       (unsigned long)p + len);
}

static int do_perf(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
	};
	size_t len = 9 * 4096;
	void *p;
	int fd;

	fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		return skip("perf", "perf_event_open");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return skip("perf", "mmap");
	add("perf", p, len, false);
	return 0;
}

static int do_kvm(const char *kind, size_t extra)
{
	int kvm, vm, vcpu;
	long size;
	void *p;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return skip(kind, "/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return skip(kind, "KVM_CREATE_VM");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || size <= 0)
		return skip(kind, "KVM_CREATE_VCPU");
	p = mmap(NULL, (size_t)size + extra, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu, 0);
	if (p == MAP_FAILED)
		return skip(kind, "mmap");
	printf("kvm_size %s %ld\n", kind, size);
	add(kind, p, (size_t)size + extra, false);
	return 0;
}

static int do_io_uring(void)
{
	struct io_uring_params prm = { 0 };
	size_t sq_len, sqe_len;
	void *sq, *sqe;
	int fd;

	fd = (int)syscall(__NR_io_uring_setup, 8, &prm);
	if (fd < 0)
		return skip("io_uring", "io_uring_setup");
	sq_len = prm.sq_off.array + prm.sq_entries * sizeof(uint32_t);
	sqe_len = prm.sq_entries * sizeof(struct io_uring_sqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  IORING_OFF_SQ_RING);
	sqe = mmap(NULL, sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqe == MAP_FAILED)
		return skip("io_uring", "mmap");
	add("io_uring", sq, sq_len, false);
	add("io_uring_sqes", sqe, sqe_len, false);
	return 0;
}

static int do_bpfmap(void)
{
	union bpf_attr at;
	size_t len = 16 * 4096;
	void *p;
	int fd;

	memset(&at, 0, sizeof(at));
	at.map_type = BPF_MAP_TYPE_ARRAY;
	at.key_size = 4;
	at.value_size = 4096;
	at.max_entries = 16;
	at.map_flags = BPF_F_MMAPABLE;
	fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &at, sizeof(at));
	if (fd < 0)
		return skip("bpfmap", "BPF_MAP_CREATE");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return skip("bpfmap", "mmap");
	add("bpfmap", p, len, true);
	return 0;
}

static int do_packet(void)
{
	struct tpacket_req req = {
		.tp_block_size = 4 * 4096, .tp_block_nr = 2,
		.tp_frame_size = 2048, .tp_frame_nr = 16,
	};
	size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
	void *p;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: receives nothing */
	if (fd < 0)
		return skip("packet", "socket(AF_PACKET)");
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		return skip("packet", "PACKET_RX_RING");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return skip("packet", "mmap");
	add("packet", p, len, false);
	return 0;
}

static int do_secret(void)
{
	size_t len = 2 * 4096;
	void *p;
	int fd;

	fd = (int)syscall(__NR_memfd_secret, 0);
	if (fd < 0)
		return skip("secret", "memfd_secret");
	if (ftruncate(fd, (off_t)len))
		return skip("secret", "ftruncate");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return skip("secret", "mmap");
	add("secret", p, len, true);
	return 0;
}

static int do_hugetlb(void)
{
	size_t len = 2 << 20;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return skip("hugetlb", "mmap(MAP_HUGETLB)");
	add("hugetlb", p, len, true);
	return 0;
}

static void hold(void)
{
	const char *e = getenv("DRIVERS_HOLD_MS");
	long ms = e ? atol(e) : 300;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	fflush(stdout);
	nanosleep(&ts, NULL);
}

static void touch(const struct region *r)
{
	volatile char *volatile p;

	for (p = r->start; p < r->start + r->len; p += 4096) {
		if (sigsetjmp(jb, 1)) {
			printf("sigbus %s %#lx\n", r->kind, (unsigned long)p);
			continue;
		}
		if (r->write)
			*p = 1;
		else
			(void)*p;
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	bool wait_term = false;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-w")) {
		wait_term = true;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: drivers [-w] perf|kvm|kvm-past|io_uring|"
			"bpfmap|packet|secret|hugetlb...\n");
		return 2;
	}
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	for (i = 1; i < argc; i++) {
		const char *k = argv[i];

		if (!strcmp(k, "perf")) do_perf();
		else if (!strcmp(k, "kvm")) do_kvm("kvm", 0);
		else if (!strcmp(k, "kvm-past")) do_kvm("kvm-past", 4096);
		else if (!strcmp(k, "io_uring")) do_io_uring();
		else if (!strcmp(k, "bpfmap")) do_bpfmap();
		else if (!strcmp(k, "packet")) do_packet();
		else if (!strcmp(k, "secret")) do_secret();
		else if (!strcmp(k, "hugetlb")) do_hugetlb();
		else {
			fprintf(stderr, "drivers: unknown kind '%s'\n", k);
			return 2;
		}
	}
	hold();
	for (i = 0; i < nregs; i++)
		touch(&regs[i]);
	printf("touched\n");
	hold();
	while (wait_term && !stop)
		pause();
	return 0;
}
