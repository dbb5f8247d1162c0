// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "procfs/kpage.h"
#include "util.h"
#include "procfs/proc.h"

/* Each kpageflags bit: its long name and its letter (tools/mm/page-types.c
 * style; vmscope pfn shows letters unless --wide). */
static const struct {
	const char *name;
	char letter;
} kpf[64] = {
	[KPF_LOCKED] = { "locked", 'L' },
	[KPF_ERROR] = { "error", 'E' },
	[KPF_REFERENCED] = { "referenced", 'R' },
	[KPF_UPTODATE] = { "uptodate", 'U' },
	[KPF_DIRTY] = { "dirty", 'D' },
	[KPF_LRU] = { "lru", 'l' },
	[KPF_ACTIVE] = { "active", 'A' },
	[KPF_SLAB] = { "slab", 'S' },
	[KPF_WRITEBACK] = { "writeback", 'W' },
	[KPF_RECLAIM] = { "reclaim", 'I' },
	[KPF_BUDDY] = { "buddy", 'B' },
	[KPF_MMAP] = { "mmap", 'M' },
	[KPF_ANON] = { "anon", 'a' },
	[KPF_SWAPCACHE] = { "swapcache", 's' },
	[KPF_SWAPBACKED] = { "swapbacked", 'b' },
	[KPF_COMPOUND_HEAD] = { "compound_head", 'H' },
	[KPF_COMPOUND_TAIL] = { "compound_tail", 'T' },
	[KPF_HUGE] = { "huge", 'G' },
	[KPF_UNEVICTABLE] = { "unevictable", 'u' },
	[KPF_HWPOISON] = { "hwpoison", 'X' },
	[KPF_NOPAGE] = { "nopage", 'n' },
	[KPF_KSM] = { "ksm", 'x' },
	[KPF_THP] = { "thp", 't' },
	[KPF_OFFLINE] = { "offline", 'o' },
	[KPF_ZERO_PAGE] = { "zero_page", 'z' },
	[KPF_IDLE] = { "idle", 'i' },
	[KPF_PGTABLE] = { "pgtable", 'g' },
	[KPF_RESERVED] = { "reserved", 'r' },
	[KPF_MLOCKED] = { "mlocked", 'm' },
	[KPF_MAPPEDTODISK] = { "mappedtodisk", 'd' },
	[KPF_PRIVATE] = { "private", 'P' },
	[KPF_PRIVATE_2] = { "private_2", 'p' },
	[KPF_OWNER_PRIVATE] = { "owner_private", 'O' },
	[KPF_ARCH] = { "arch", 'h' },
	[KPF_UNCACHED] = { "uncached", 'c' },
	[KPF_SOFTDIRTY] = { "softdirty", 'f' },
	[KPF_ARCH_2] = { "arch_2", '2' },
	[KPF_ARCH_3] = { "arch_3", '3' },
};

const char *kpage_flag_name(unsigned int bit)
{
	return bit < 64 ? kpf[bit].name : NULL;
}

char kpage_flag_letter(unsigned int bit)
{
	return bit < 64 ? kpf[bit].letter : '\0';
}

void kpage_flags_str(uint64_t flags, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int b;

	if (len)
		buf[0] = '\0';
	for (b = 0; b < 64 && off + 1 < len; b++) {
		const char *n;
		int w;

		if (!(flags & (1ULL << b)))
			continue;
		n = kpf[b].name;
		if (n)
			w = snprintf(buf + off, len - off, "%s%s", off ? "," : "", n);
		else
			w = snprintf(buf + off, len - off, "%sbit%u", off ? "," : "", b);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static int open_proc(const char *name, int *err)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proc_root(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*err = fd < 0 ? -errno : 0;
	return fd;
}

void kpage_open(struct kpage_reader *r)
{
	*r = (struct kpage_reader){ 0 };
	r->flags_fd = open_proc("kpageflags", &r->flags_err);
	r->count_fd = open_proc("kpagecount", &r->count_err);
}

void kpage_close(struct kpage_reader *r)
{
	if (r->flags_fd >= 0)
		close(r->flags_fd);
	if (r->count_fd >= 0)
		close(r->count_fd);
	r->flags_fd = r->count_fd = -1;
	free(r->sorted);
	free(r->tmp);
	r->sorted = r->tmp = NULL;
	r->cap = 0;
}

struct pfn_idx {
	uint64_t pfn;
	size_t idx;
};

/* LSD radix sort by pfn, 11 bits a pass, skipping passes where every key
 * has the same digit: PFNs fit in ~40 bits, and qsort was a quarter of
 * `pfn`'s user time on 2 GiB (callgrind). tmp: room for n entries. */
static void sort_by_pfn(struct pfn_idx *a, struct pfn_idx *tmp, size_t n)
{
	struct pfn_idx *src = a, *dst = tmp, *sw;
	uint64_t maxpfn = 0;
	size_t cnt[2048], i;
	unsigned int shift;

	for (i = 0; i < n; i++)
		if (a[i].pfn > maxpfn)
			maxpfn = a[i].pfn;
	for (shift = 0; shift < 64 && (maxpfn >> shift); shift += 11) {
		size_t sum = 0, c;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(src[i].pfn >> shift) & 2047]++;
		if (cnt[(src[0].pfn >> shift) & 2047] == n)
			continue;
		for (i = 0; i < 2048; i++) {
			c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].pfn >> shift) & 2047]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* PFNs closer than this share one read. Every extra entry costs the
 * kernel a page lookup (~60-90 ns measured), about what a syscall costs
 * for 4-6 entries: keep the gap small. */
#define KPAGE_GAP 4
/* 64 KiB a read: big enough that a dense run costs few syscalls, small
 * enough for the stack (a fresh 512 KiB malloc per call was page faults) */
#define KPAGE_SPAN_MAX 8192
/* below this many PFNs a second thread costs more than it saves */
#define KPAGE_THREAD_MIN 4096

/* Read out[s[k].idx] for every sorted entry of s from fd, nearby PFNs
 * sharing one pread. beyond: the value of PFNs past the file's end
 * (beyond max_pfn). */
static int read_runs(int fd, const struct pfn_idx *s, size_t n, uint64_t *out,
		     uint64_t beyond)
{
	uint64_t buf[KPAGE_SPAN_MAX];
	size_t i = 0, j, k;
	ssize_t r;

	while (i < n) {
		uint64_t first = s[i].pfn, span;

		j = i + 1;
		while (j < n && s[j].pfn - s[j - 1].pfn <= KPAGE_GAP &&
		       s[j].pfn - first < KPAGE_SPAN_MAX)
			j++;
		span = s[j - 1].pfn - first + 1;
		r = pread(fd, buf, span * 8, (off_t)(first * 8));
		if (r < 0)
			return -errno;
		for (k = i; k < j; k++) {
			uint64_t off = s[k].pfn - first;

			/* short read: beyond max_pfn, no struct page */
			out[s[k].idx] = off < (uint64_t)r / 8 ? buf[off] : beyond;
		}
		i = j;
	}
	return 0;
}

struct runs_job {
	int fd;
	const struct pfn_idx *s;
	size_t n;
	uint64_t *out;
	uint64_t beyond;
	int err;
};

static void *runs_thread(void *arg)
{
	struct runs_job *j = arg;

	j->err = read_runs(j->fd, j->s, j->n, j->out, j->beyond);
	return NULL;
}

/* read_runs on two cores: the kernel spends ~60-90 ns per PFN in each
 * file, which is most of `pfn`'s time on big ranges. */
static int read_runs2(int fd, const struct pfn_idx *s, size_t n, uint64_t *out,
		      uint64_t beyond)
{
	struct runs_job job = { .fd = fd, .s = s + n / 2, .n = n - n / 2,
				.out = out, .beyond = beyond };
	pthread_t thr;
	int err;

	if (n < KPAGE_THREAD_MIN || pthread_create(&thr, NULL, runs_thread, &job))
		return read_runs(fd, s, n, out, beyond);
	err = read_runs(fd, s, n / 2, out, beyond);
	pthread_join(thr, NULL);
	return err ? err : job.err;
}

/* kpageflags bits of a page that is its own folio (order 0) with a
 * struct page the mapcount rules below hold for */
#define KPF_NOT_SMALL ((1ULL << KPF_COMPOUND_HEAD) | (1ULL << KPF_COMPOUND_TAIL) | \
		       (1ULL << KPF_HUGE) | (1ULL << KPF_THP) | (1ULL << KPF_NOPAGE) | \
		       (1ULL << KPF_SLAB) | (1ULL << KPF_PGTABLE) | \
		       (1ULL << KPF_ZERO_PAGE) | (1ULL << KPF_KSM))

static int grow_scratch(struct kpage_reader *r, size_t n)
{
	void *a, *b;

	if (n <= r->cap)
		return 0;
	a = realloc(r->sorted, n * sizeof(*r->sorted));
	if (a)
		r->sorted = a;
	b = realloc(r->tmp, n * sizeof(*r->tmp));
	if (b)
		r->tmp = b;
	if (!a || !b)
		return -ENOMEM;
	r->cap = n;
	return 0;
}

int kpage_lookup(struct kpage_reader *r, const uint64_t *pfns, size_t n,
		 uint64_t *flags, uint64_t *counts, const uint8_t *exclusive)
{
	struct pfn_idx *s;
	size_t i, m;
	int err;

	if (!n)
		return 0;
	if ((flags && r->flags_fd < 0) || (counts && r->count_fd < 0))
		return flags && r->flags_fd < 0 ? r->flags_err : r->count_err;
	err = grow_scratch(r, n);
	if (err)
		return err;
	s = r->sorted;
	for (i = 0; i < n; i++) {
		s[i].pfn = pfns[i];
		s[i].idx = i;
	}
	sort_by_pfn(s, r->tmp, n);
	if (flags) {
		err = read_runs2(r->flags_fd, s, n, flags, 1ULL << KPF_NOPAGE);
		if (err)
			return err;
	}
	if (!counts)
		return 0;
	/*
	 * pagemap's exclusive bit of an order-0 page is its mapcount being
	 * one: page_mapcount(page) == 1 before 6.13, then
	 * folio_precise_page_mapcount() == 1, or !folio_maybe_mapped_shared()
	 * (mapcount <= 1) without CONFIG_PAGE_MAPCOUNT; kpagecount returns
	 * that same mapcount for such a page. Only the others are read,
	 * which for private anonymous memory is almost none.
	 */
	m = 0;
	for (i = 0; i < n; i++) {
		size_t k = s[i].idx;

		if (flags && exclusive && exclusive[k] && !(flags[k] & KPF_NOT_SMALL))
			counts[k] = 1;
		else
			s[m++] = s[i];	/* still sorted */
	}
	return read_runs2(r->count_fd, s, m, counts, 0);
}
