/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One driver mapping as `vmscope driver` sees it, and the checks on it
 * that need nothing but the mapping itself. Pure code: no BPF, no /proc
 * (unit-tested with made-up mappings).
 */
#ifndef VMSCOPE_DRIVER_CHECKS_H
#define VMSCOPE_DRIVER_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmscope_abi.h"

enum check {
	CK_PAST_END,		/* 1: a fault past what the driver backs */
	CK_UNMAPPED,		/* 2: VMA larger than what mmap mapped */
	CK_PGOFF,		/* 3: vm_pgoff ignored */
	CK_VMALLOC,		/* 4: remap_pfn_range over vmalloc memory */
	CK_PFNMAP_FLAGS,	/* 5: IO/PFNMAP without DONTEXPAND/DONTDUMP */
	CK_CACHED_DEVICE,	/* 6: device memory mapped write-back */
	CK_CACHE_CONFLICT,	/* 6: one frame, two cache modes */
	CK_NO_PAGE,		/* 7: fault "succeeds" without a page */
	CK_REFCOUNT,		/* 7: page installed without a reference */
	CK_SLAB,		/* 8: slab page given to user space */
	CK_NR,
};

const char *check_name(enum check ck);
const char *check_severity(enum check ck);	/* error, warn, info */
bool check_runs(enum check ck);		/* false: not implemented yet */

enum { FN_FAULT, FN_OPEN, FN_MMAP, FN_NAME };

struct dmap {
	pid_t pid;
	char comm[16];
	struct vma_rec k;	/* the iterator's record */
	uint64_t start, end;
	char perms[5];
	char *path;		/* as the mmap event or maps gave it, or NULL */
	const char *kind;	/* chr, anon_inode, socket ... */
	char rdev_str[24];	/* "major:minor" of a device node, else "" */
	char *fn[4];		/* owner functions by name, or NULL */
	uint64_t vpages;	/* pages in the VMA */
	uint64_t npages;	/* pages tracked: min(vpages, cap) */
	uint64_t *pfn;		/* per page: frame + 1, 0 when none seen */
	uint64_t *kf;		/* kpageflags of that frame */
	uint64_t *kc;		/* kpagecount (mapcount) */
	uint8_t *has_k;		/* kf/kc known: 1 flags, 2 flags and count */
	const char **cache;	/* cache mode of the page-table entry */
	int32_t *ref;		/* struct page refcount, when has_ref */
	uint8_t *has_ref;
	bool walked;		/* the walk after mmap worked */
	char walk_why[200];	/* else why not */
	uint64_t at_mmap;	/* pages the walk found */
	uint64_t walk_ns;	/* when (CLOCK_MONOTONIC) */
	bool vmalloc_due;	/* RAM frames not yet looked up in the kernel's map */
	int64_t vmalloc_pages;	/* frames that are vmalloc'd memory, -1 unknown */
	uint64_t vmalloc_ns;	/* when the kernel walk that counted them ended */
	uint64_t faults[FLT_NR_RESULTS];
	uint64_t rep_page;	/* the page refaulting without a frame */
	unsigned int rep_n;
	uint32_t found;		/* 1 << check already reported */
	bool ended;
	/* helper hooks (fentry/kprobe modes) */
	struct drv_event *calls;	/* made during the mmap */
	size_t ncalls, capcalls;
	uint64_t helper_calls[DH_NR];	/* all, during mmap and faults */
	struct { int64_t ret; uint64_t n; } fault_rets[8];	/* vm_ops->fault */
	unsigned int nfault_rets;
	uint64_t fault_rets_other;
};

/* Findings as the checks return them; detail is the text for the user. */
struct check_result {
	enum check check;
	bool has_offset;
	uint64_t offset;	/* in the VMA */
	char detail[400];
};

/* Is the VMA's file a driver's (device node, anon inode, socket,
 * secretmem, hugetlbfs, dma-buf, or any VM_PFNMAP/IO/MIXEDMAP file)? */
bool driver_file(bool has_file, uint64_t vm_flags, uint32_t i_mode, uint64_t s_magic);
const char *file_kind(uint32_t i_mode, uint64_t s_magic);

/* A mapping with room for the frames of min(pages, max_pages) pages. */
struct dmap *dmap_new(pid_t pid, const struct vma_rec *k, const char *path,
		      uint64_t max_pages);
void dmap_free(struct dmap *m);
/* Forget the frames (the mapping ended: its report is out). */
void dmap_release_frames(struct dmap *m);
void dmap_set_frame(struct dmap *m, uint64_t idx, uint64_t pfn, const char *cache);
void dmap_set_kpage(struct dmap *m, uint64_t idx, uint64_t flags, bool has_count,
		    uint64_t count);
void dmap_set_ref(struct dmap *m, uint64_t idx, int32_t ref);
/* Does page idx need its refcount read (a page whose references the mm
 * counts: not PFNMAP, not compound, not reserved, flags known)? */
bool dmap_wants_ref(const struct dmap *m, uint64_t idx);
uint64_t dmap_pages_with_frame(const struct dmap *m);
/* Same file: same device node, or the same inode of the same filesystem. */
bool dmap_same_file(const struct dmap *a, const struct dmap *b);

/* Consecutive pages with consecutive frames and equal flags. */
struct frame_run {
	uint64_t vaddr, pages, pfn;
	bool has_k, has_count, has_ref;
	uint64_t kflags, kcount;
	int32_t ref;
	const char *cache;
};
/* *runs is malloc'd (NULL when there are none). */
void dmap_runs(const struct dmap *m, struct frame_run **runs, size_t *n);

/* Checks on the VMA alone and on the walk after mmap (2, 5). Fills out
 * (room for CK_NR), returns how many. */
size_t dmap_static_checks(const struct dmap *m, struct check_result *out);
/* Checks on the frames of pages [lo, hi) with their flags (6, 8). */
size_t dmap_frame_checks(const struct dmap *m, uint64_t lo, uint64_t hi,
			 struct check_result *out);
/* The kernel's own mapping of frames (its vmalloc space), for check 4:
 * kaddr_of gives the kernel address mapping a frame (0: none), pfn_at
 * the frame at a kernel address (0: none). */
struct kmap_lookup {
	uint64_t (*kaddr_of)(void *ctx, uint64_t pfn);
	uint64_t (*pfn_at)(void *ctx, uint64_t kaddr);
	void *ctx;
};
/* VM_PFNMAP frames that are vmalloc'd memory (4). */
bool dmap_vmalloc_check(const struct dmap *m, const struct kmap_lookup *k,
			struct check_result *out);

/* Count a fault in the mapping and keep its frame; true when it makes a
 * finding (1 or 7), in *out. */
bool dmap_fault(struct dmap *m, const struct flt_event *e, struct check_result *out);

#endif
