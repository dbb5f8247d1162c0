// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ioctl.h>

#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "procfs/proc.h"

void pagemap_decode(uint64_t raw, struct pm_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->present = raw & PM_PRESENT;
	e->swapped = raw & PM_SWAP;
	e->file = raw & PM_FILE;
	e->exclusive = raw & PM_EXCLUSIVE;
	e->soft_dirty = raw & PM_SOFT_DIRTY;
	e->uffd_wp = raw & PM_UFFD_WP;
	/* 6.15+ flags guard markers, which are swap-format entries */
	e->guard = raw & PM_GUARD;
	if (e->guard)
		e->swapped = false;
	if (e->present) {
		e->pfn = raw & PM_PFN_MASK;
	} else if (e->swapped) {
		/* bits 0-4 swap type, bits 5-54 swap offset */
		e->swap_type = raw & 0x1f;
		e->swap_offset = (raw & PM_PFN_MASK) >> 5;
	}
}

int pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/%d/pagemap", proc_root(), (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int pagemap_read(int fd, uint64_t vaddr, size_t n, uint64_t *out)
{
	size_t want = n * 8, got = 0;
	off_t off = (off_t)((vaddr >> PAGE_SHIFT) * 8);
	ssize_t r;

	while (got < want) {
		r = pread(fd, (char *)out + got, want - got, off + got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		got += r;
	}
	return 0;
}

struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)

int pagemap_scan(int fd, uint64_t lo, uint64_t hi, pagemap_region_cb cb, void *arg)
{
	/* 6.7-6.14 reject PAGE_IS_GUARD (EINVAL): learn that once */
	static uint64_t guard_cat = PAGE_IS_GUARD;
	/* zeroed once: valgrind cannot see the ioctl fill it */
	struct pm_region vec[512] = { 0 };
	uint64_t pos = lo, last_end = lo;
	int n, err, i, k;

	while (pos < hi) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = pos,
			.end = hi,
			.vec = (uint64_t)(uintptr_t)vec,
			.vec_len = ARRAY_SIZE(vec),
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED |
				       PAGE_IS_FILE | PAGE_IS_HUGE | PAGE_IS_PFNZERO |
				       guard_cat,
		};

		n = ioctl(fd, PAGEMAP_SCAN, &a);
		if (n < 0 && errno == EINVAL && guard_cat) {
			guard_cat = 0;
			continue;
		}
		if (n < 0)
			return errno == EINVAL && pos == lo ? -ENOTTY : -errno;
		/* Quirk (KERNELS.md): when vec fills exactly at the last region
		 * walk_end may come back short and the next call repeats pages:
		 * drop whatever we already passed. */
		for (i = 0, k = 0; i < n; i++) {
			if (vec[i].end <= last_end)
				continue;
			if (vec[i].start < last_end)
				vec[i].start = last_end;
			vec[k++] = vec[i];
		}
		if (k) {
			last_end = vec[k - 1].end;
			err = cb(vec, k, arg);
			if (err)
				return err;
		}
		if (a.walk_end <= pos)
			break;	/* no progress: never loop forever */
		pos = a.walk_end;
		if (pos < last_end)
			pos = last_end;
	}
	return 0;
}

static int count_cb(const struct pm_region *r, size_t n, void *arg)
{
	(void)r; (void)n; (void)arg;
	return 0;
}

bool pagemap_scan_supported(void)
{
	static int cached = -1;
	static char page[4096] __attribute__((aligned(4096)));
	int fd;

	if (cached >= 0)
		return cached;
	page[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	cached = pagemap_scan(fd, (uint64_t)(uintptr_t)page,
			      (uint64_t)(uintptr_t)page + 4096, count_cb, NULL) == 0;
	close(fd);
	return cached;
}

/*
 * The kernel's zero page: read-faulting private anonymous memory maps it
 * (do_anonymous_page), and smaps does not count it in Rss. Found the way
 * a process meets it: read a fresh page of our own, take its frame from
 * pagemap, and believe it only when kpageflags says ZERO_PAGE (some
 * kernels give such a read a page of its own).
 */
int pagemap_zero_pfn(uint64_t *pfn)
{
	static int state;	/* 0 unknown, 1 found, else -errno */
	static uint64_t zero;
	struct kpage_reader kr = { .flags_fd = -1, .count_fd = -1 };
	volatile char *p;
	uint64_t e = 0, fl = 0;
	int fd, err;

	if (state == 1)
		*pfn = zero;
	if (state)
		return state == 1 ? 0 : state;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return state = -errno;
	(void)p[0];
	fd = pagemap_open(getpid());
	err = fd < 0 ? fd : pagemap_read(fd, (uint64_t)(uintptr_t)p, 1, &e);
	if (fd >= 0)
		close(fd);
	munmap((void *)p, 4096);
	if (!err && (!(e & PM_PRESENT) || !(e & PM_PFN_MASK)))
		err = -ENOENT;	/* no frame shown (no CAP_SYS_ADMIN) */
	if (!err) {
		kpage_open(&kr);
		zero = e & PM_PFN_MASK;
		err = kr.flags_fd < 0 ? kr.flags_err :
		      kpage_lookup(&kr, &zero, 1, &fl, NULL, NULL);
		kpage_close(&kr);
		if (!err && !(fl & (1ULL << KPF_ZERO_PAGE)))
			err = -ENOENT;	/* a page of its own: no zero page */
	}
	state = err ? err : 1;
	if (!err)
		*pfn = zero;
	return err;
}
