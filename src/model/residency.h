/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which pages of one VMA are resident, counted as smaps counts Rss (the
 * zero page's entries are mapped, not resident), and where in the VMA
 * they lie: a strip of RES_STRIP cells. From PAGEMAP_SCAN's regions
 * (6.7+), else pagemap reads; for VM_PFNMAP/VM_IO VMAs, which pagemap
 * shows as holes, from the BPF page-table walk. One VMA at a time, so a
 * caller can spread a process's rescans over a budget.
 */
#ifndef VMSCOPE_RESIDENCY_H
#define VMSCOPE_RESIDENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ptwalk;

#define RES_STRIP 16

struct residency {
	uint64_t present;	/* resident 4K pages (Rss / 4 KiB) */
	uint64_t swap;		/* swapped out (guard markers excluded) */
	uint64_t zero;		/* the zero page's entries */
	uint64_t huge;		/* present pages mapped by a huge entry */
	/* VM_PFNMAP/VM_IO: pages the page tables map there (device memory,
	 * or frames a driver inserted). smaps leaves them out of Rss, and so
	 * does present. */
	uint64_t pfnmap;
	bool from_walk;		/* counted by the page-table walk */
	/* a cell per RES_STRIP-th of the VMA: 'H' huge-mapped, '#' three
	 * quarters or more resident, '+' some, 's' swapped, 'g' guard,
	 * 'z' the zero page only, 'p' frames of a PFN mapping, '.' nothing */
	char strip[RES_STRIP + 1];
};

/*
 * Count [start, end) of pid. fd: its open /proc/PID/pagemap. blind: the
 * VMA is VM_PFNMAP/VM_IO (then pw walks it; NULL pw gives -EOPNOTSUPP).
 * Returns 0 or -errno.
 */
int residency_scan(int fd, pid_t pid, struct ptwalk *pw, uint64_t start, uint64_t end,
		   bool blind, struct residency *r);

/* Squeeze a strip to width cells (width divides RES_STRIP) into out. */
void residency_strip(const char *strip, unsigned int width, char *out);

#endif
