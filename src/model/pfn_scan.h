/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frames behind a range, streamed: pagemap (skipping holes with
 * PAGEMAP_SCAN) for ordinary VMAs, the BPF page-table walk for VM_PFNMAP /
 * VM_IO ones, and kpageflags/kpagecount read in sorted batches. Memory is
 * bounded by the chunk size, never by the range.
 */
#ifndef VMSCOPE_PFN_SCAN_H
#define VMSCOPE_PFN_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vma_table;
struct ptwalk;
struct kpage_reader;

enum frame_source { SRC_PAGEMAP, SRC_PAGETABLE };

/* `pages` consecutive 4K pages starting at vaddr with the same state; for
 * present items the frames are pfn, pfn+1, ... */
struct frame_item {
	uint64_t vaddr;
	uint64_t pages;
	bool present, swapped, file, exclusive;
	bool guard;		/* guard page (MADV_GUARD_INSTALL) */
	bool exclusive_known;	/* pagemap knows, the walk does not */
	uint64_t pfn;
	bool kflags_known, mapcount_known;
	uint64_t kflags, mapcount;
	unsigned int swap_type;
	uint64_t swap_offset;
	unsigned int page_shift;	/* mapping size: 12, 21, 30 */
	enum frame_source source;
	uint64_t entry;		/* raw page-table entry (pagetable source) */
};

typedef int (*frame_cb)(const struct frame_item *it, void *arg);

struct pfn_scan_opts {
	struct ptwalk *pw;	/* NULL: blind VMAs are reported via on_blind */
	struct kpage_reader *kr;
	/* called for a VM_PFNMAP/VM_IO VMA when pw is NULL */
	void (*on_blind)(uint64_t start, uint64_t end, void *arg);
};

/* Stream frame items of [lo, hi) ∩ VMAs of t in address order.
 * pagemap_fd is an open /proc/PID/pagemap. Returns 0, -errno, or cb's
 * negative return. */
int pfn_scan(pid_t pid, int pagemap_fd, const struct vma_table *t,
	     uint64_t lo, uint64_t hi, const struct pfn_scan_opts *o,
	     frame_cb cb, void *arg);

#endif
