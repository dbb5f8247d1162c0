/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_PAGEMAP_H
#define VMSCOPE_PROCFS_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_FILE		(1ULL << 61)
#define PM_GUARD	(1ULL << 58)	/* 6.15+: guard region */
#define PM_UFFD_WP	(1ULL << 57)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_SOFT_DIRTY	(1ULL << 55)
#define PM_PFN_MASK	((1ULL << 55) - 1)

struct pm_entry {
	bool present, swapped, file, exclusive, soft_dirty, uffd_wp;
	bool guard;		/* MADV_GUARD_INSTALL marker, not a swap slot */
	uint64_t pfn;		/* valid when present */
	unsigned int swap_type;	/* valid when swapped */
	uint64_t swap_offset;
};

void pagemap_decode(uint64_t raw, struct pm_entry *e);

/* Open <proc>/PID/pagemap. -ESRCH: gone; -EACCES/-EPERM: no access. */
int pagemap_open(pid_t pid);

/* Read n entries for pages starting at vaddr (page aligned) into out. */
int pagemap_read(int fd, uint64_t vaddr, size_t n, uint64_t *out);

/* The frame of the kernel's zero page, learnt once: 0, -ENOENT when this
 * kernel maps none for reads or PFNs are hidden, or -errno. */
int pagemap_zero_pfn(uint64_t *pfn);

/* PAGEMAP_SCAN (6.7+) categories; uapi copied by value because system
 * headers may lack them. */
#define PAGE_IS_FILE	(1 << 2)
#define PAGE_IS_PRESENT	(1 << 3)
#define PAGE_IS_SWAPPED	(1 << 4)
#define PAGE_IS_PFNZERO	(1 << 5)
#define PAGE_IS_HUGE	(1 << 6)
#define PAGE_IS_GUARD	(1 << 8)	/* 6.15+; reported when the kernel knows it */

struct pm_region {
	uint64_t start, end, categories;
};

/*
 * Populated (present or swapped) regions of [lo, hi), in address order,
 * passed to cb in batches. Returns 0, -ENOTTY when the kernel has no
 * PAGEMAP_SCAN, or cb's negative return.
 */
typedef int (*pagemap_region_cb)(const struct pm_region *r, size_t n, void *arg);
int pagemap_scan(int fd, uint64_t lo, uint64_t hi, pagemap_region_cb cb, void *arg);

/* What a page is, as smaps counts it: the zero page's entries are
 * mapped but not resident, a guard marker is not a swap slot. */
enum pm_kind { PMK_NONE, PMK_PRESENT, PMK_HUGE, PMK_ZERO, PMK_SWAP, PMK_GUARD };

/* ... of a PAGEMAP_SCAN region's categories */
static inline enum pm_kind pagemap_region_kind(uint64_t cat)
{
	if ((cat & (PAGE_IS_PRESENT | PAGE_IS_PFNZERO)) == (PAGE_IS_PRESENT | PAGE_IS_PFNZERO))
		return PMK_ZERO;
	if (cat & PAGE_IS_PRESENT)
		return cat & PAGE_IS_HUGE ? PMK_HUGE : PMK_PRESENT;
	if (cat & PAGE_IS_GUARD)
		return PMK_GUARD;
	return cat & PAGE_IS_SWAPPED ? PMK_SWAP : PMK_NONE;
}

/* ... of a pagemap entry; zero: the zero page's frame, 0 when unknown */
static inline enum pm_kind pagemap_entry_kind(uint64_t e, uint64_t zero)
{
	if ((e & PM_PRESENT) && zero && (e & PM_PFN_MASK) == zero)
		return PMK_ZERO;
	if (e & PM_PRESENT)
		return PMK_PRESENT;
	if (e & PM_GUARD)
		return PMK_GUARD;
	return e & PM_SWAP ? PMK_SWAP : PMK_NONE;
}

/* Is PAGEMAP_SCAN available (probes /proc/self/pagemap)? */
bool pagemap_scan_supported(void);

#endif
