/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_KPAGE_H
#define VMSCOPE_PROCFS_KPAGE_H

#include <stddef.h>
#include <stdint.h>

/* include/uapi/linux/kernel-page-flags.h, plus the kernel-hacking bits
 * (32+) that fs/proc/page.c exports as well. */
enum {
	KPF_LOCKED = 0, KPF_ERROR = 1, KPF_REFERENCED = 2, KPF_UPTODATE = 3,
	KPF_DIRTY = 4, KPF_LRU = 5, KPF_ACTIVE = 6, KPF_SLAB = 7,
	KPF_WRITEBACK = 8, KPF_RECLAIM = 9, KPF_BUDDY = 10, KPF_MMAP = 11,
	KPF_ANON = 12, KPF_SWAPCACHE = 13, KPF_SWAPBACKED = 14,
	KPF_COMPOUND_HEAD = 15, KPF_COMPOUND_TAIL = 16, KPF_HUGE = 17,
	KPF_UNEVICTABLE = 18, KPF_HWPOISON = 19, KPF_NOPAGE = 20, KPF_KSM = 21,
	KPF_THP = 22, KPF_OFFLINE = 23, KPF_ZERO_PAGE = 24, KPF_IDLE = 25,
	KPF_PGTABLE = 26,
	KPF_RESERVED = 32, KPF_MLOCKED = 33, KPF_MAPPEDTODISK = 34,
	KPF_PRIVATE = 35, KPF_PRIVATE_2 = 36, KPF_OWNER_PRIVATE = 37,
	KPF_ARCH = 38, KPF_UNCACHED = 39, KPF_SOFTDIRTY = 40, KPF_ARCH_2 = 41,
	KPF_ARCH_3 = 42,
};

/* Lower-case long name of bit, or NULL when the bit has none. */
const char *kpage_flag_name(unsigned int bit);
/* Its one-letter name, or '\0' when it has none. */
char kpage_flag_letter(unsigned int bit);

/* Write "anon,lru,thp" style list into buf (at most len bytes). */
void kpage_flags_str(uint64_t flags, char *buf, size_t len);

struct pfn_idx;

struct kpage_reader {
	int flags_fd;		/* -1 when unavailable */
	int count_fd;
	int flags_err;		/* -errno of the failed open, else 0 */
	int count_err;
	/* kpage_lookup's sort space, kept between calls */
	struct pfn_idx *sorted, *tmp;
	size_t cap;
};

/* Open <proc>/kpageflags and kpagecount; failures are kept per file. */
void kpage_open(struct kpage_reader *r);
void kpage_close(struct kpage_reader *r);

/*
 * Look up n PFNs (any order, duplicates fine). PFNs are sorted and read as
 * runs: nearby PFNs share one pread, never one pread per PFN. flags/counts
 * may be NULL to skip that file. exclusive (may be NULL): pagemap's
 * exclusive bit of each PFN; with flags, the mapcount of an exclusive
 * order-0 page is then known to be 1 and not read. Returns 0 or -errno.
 */
int kpage_lookup(struct kpage_reader *r, const uint64_t *pfns, size_t n,
		 uint64_t *flags, uint64_t *counts, const uint8_t *exclusive);

#endif
