/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records shared by the BPF programs (bpf/NAME.bpf.c) and user space.
 * Fixed-width fields only, no pointers as pointers (kernel addresses travel
 * as __u64), sizes asserted on both sides so a layout drift fails the build.
 */
#ifndef VMSCOPE_ABI_H
#define VMSCOPE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef VMSCOPE_STATIC_ASSERT
#define VMSCOPE_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* One VMA as the task_vma iterator sees it (bpf/vma_iter.bpf.c). */
struct vma_rec {
	__u64 start;
	__u64 end;
	__u64 flags;		/* vm_flags, raw */
	__u64 pgoff;		/* vm_pgoff, in pages */
	__u64 page_prot;	/* vm_page_prot.pgprot, raw x86 PTE bits */
	__u64 fn_fault;		/* vm_ops->fault, kernel text address or 0 */
	__u64 fn_open;		/* vm_ops->open */
	__u64 fn_name;		/* vm_ops->name (special mappings) */
	__u64 fn_mmap;		/* vm_file->f_op->mmap */
	__u64 vm_ops;		/* the vm_ops pointer itself (data symbol) */
	__u32 page_shift;	/* 12, or the hstate shift of a hugetlb VMA */
	__u32 has_file;
	/* vm_file's inode: what kind of file the driver serves */
	__u32 i_mode;		/* S_IFCHR, S_IFSOCK ...; 0 for anon inodes */
	__u32 rdev;		/* i_rdev, kernel encoding (major << 20 | minor) */
	__u64 s_magic;		/* i_sb->s_magic */
	__u64 ino;
};
VMSCOPE_STATIC_ASSERT(sizeof(struct vma_rec) == 112, "vma_rec layout");

/* Page-table walk (bpf/ptwalk.bpf.c). */
enum ptw_mode {
	PTW_MODE_LEAVES = 0,	/* one record per leaf entry in [lo, hi) */
	PTW_MODE_SEARCH = 1,	/* find the direct-map base (see KERNELS.md) */
	PTW_MODE_LEVELS = 2,	/* every level's entry for one address */
	PTW_MODE_KERNEL = 3,	/* leaves of [lo, hi) in the kernel half */
	PTW_MODE_VMEMMAP = 4,	/* the levels of the task's (vmalloc'd)
				 * stack and its first struct page pointer:
				 * user space derives vmemmap_base */
	PTW_MODE_PAGEREF = 5,	/* struct page refcounts of the PFNs in
				 * out[].vaddr, into out[].entry */
};

enum ptw_level {
	PTW_PTE = 0,
	PTW_PMD = 1,
	PTW_PUD = 2,
	PTW_P4D = 3,
	PTW_PGD = 4,
};

/* A leaf, or the non-present entry where the walk stopped. */
struct ptw_rec {
	__u64 vaddr;		/* first address the entry maps */
	__u64 entry;		/* raw entry */
	__u32 level;		/* enum ptw_level */
	__u32 present;		/* entry has _PAGE_PRESENT (or PROTNONE) */
};
VMSCOPE_STATIC_ASSERT(sizeof(struct ptw_rec) == 24, "ptw_rec layout");

/* Records per run of the walk iterator; a power of two (index masking). */
#define PTW_MAX_RECS 8192

enum ptw_status {
	PTW_OK = 0,
	PTW_FULL = 1,		/* out[] filled: resume from next_addr */
	PTW_NO_BASE = 2,	/* direct-map base not set */
	PTW_READ_FAIL = 3,	/* a table read failed (table freed under us) */
	PTW_NOT_FOUND = 4,	/* SEARCH: no candidate matched */
};

/* mmap-family tracing (bpf/mmap.bpf.c). */
#define MM_MAX_VMAS	4	/* VMAs carried per event */
#define MM_PATH_MAX	512	/* path bytes carried (tail kept) */
#define MM_PATH_BUF	(MM_PATH_MAX + 256)	/* + slack for a component */
#define MM_NR_MAX	512	/* syscall numbers watched: [0, MM_NR_MAX) */

enum mm_ev_type {
	MM_EV_CALL = 1,		/* a syscall, at its exit */
	MM_EV_EXEC = 2,		/* a traced process finished an exec */
	MM_EV_EXIT = 3,		/* a traced process's leader thread exited */
	MM_EV_FORK = 4,		/* a traced process forked a traced child */
	MM_EV_EXEC_VMA = 5,	/* a VMA present right after exec */
	MM_EV_REGION = 6,	/* mmap_region() made a VMA (fentry/kprobe) */
};
/* Record types from here on belong to other objects sharing the ring. */
#define MM_EV_FOREIGN	16

/* Processes the traced set holds (the `traced` map of mm_common.bpf.h,
 * made by src/tracers/ring.c) */
#define VMS_TRACED_MAX	8192

enum mm_vma_when {
	MM_VMAS_NONE = 0,
	MM_VMAS_AFTER = 1,	/* the VMAs the call left (mmap, mprotect ...) */
	MM_VMAS_BEFORE = 2,	/* the VMAs the call removed (munmap) */
	MM_VMAS_BUSY = 3,	/* mmap_lock contended: VMAs not read */
};

struct mm_vma {
	__u64 start;
	__u64 end;
	__u64 flags;		/* vm_flags */
	__u64 pgoff;
	__u64 ino;		/* vm_file's inode number, 0 without a file */
	__u32 dev;		/* vm_file's s_dev (kernel encoding) */
	__u32 has_file;
	__u32 i_mode;		/* vm_file's inode mode (S_IFCHR ...) */
	__u32 s_magic;		/* its filesystem (anon inodes, sockfs ...) */
	__u64 page_prot;	/* vm_page_prot (x86 PTE bits: cache mode) */
};
VMSCOPE_STATIC_ASSERT(sizeof(struct mm_vma) == 64, "mm_vma layout");

struct mm_event {
	__u32 type;		/* enum mm_ev_type */
	__u32 nr;		/* syscall number (MM_EV_CALL); for
				 * MM_EV_REGION the syscall it came from */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 ts_ns;		/* CLOCK_MONOTONIC at syscall entry */
	__u64 dur_ns;
	__u64 args[6];		/* MM_EV_REGION: addr, len, vm_flags, pgoff
				 * asked; vm_ops->fault, f_op->mmap */
	__s64 ret;		/* syscall return; exit code for MM_EV_EXIT;
				 * child pid for MM_EV_FORK */
	char comm[16];
	__u32 vma_when;		/* enum mm_vma_when */
	__u32 nvma;
	__u32 vma_more;		/* the range held more than MM_MAX_VMAS */
	__u16 path_off;		/* path bytes are path[path_off, MM_PATH_MAX) */
	__u16 path_flags;	/* MM_PATH_* */
	struct mm_vma vma[MM_MAX_VMAS];
	char path[MM_PATH_BUF];	/* sent only when path_flags & MM_PATH_SET */
};
#define MM_PATH_SET	1	/* path[] holds the fd's (or VMA's) file */
#define MM_PATH_TRUNC	2	/* leading components were dropped */
#define MM_EVENT_HDR	(sizeof(struct mm_event) - MM_PATH_BUF)
VMSCOPE_STATIC_ASSERT(MM_EVENT_HDR == 376, "mm_event layout");

/*
 * Page faults (bpf/fault.bpf.c). Records share the mmap tracer's ring
 * buffer, so the first __u32 tells them apart from struct mm_event.
 */
#define FLT_EV_TYPE	MM_EV_FOREIGN

enum flt_result {
	FLT_UNKNOWN = 0,	/* no outcome seen (see vmscope-faults(8)) */
	FLT_MINOR = 1,
	FLT_MAJOR = 2,
	FLT_SIGBUS = 3,
	FLT_SIGSEGV = 4,
	FLT_RETRY = 5,		/* fentry/kprobe modes only */
	FLT_ERROR = 6,		/* kernel-mode fault fixed up (-EFAULT) */
	FLT_NR_RESULTS = 7,
};

enum flt_access {
	FLT_READ = 0,
	FLT_WRITE = 1,
	FLT_EXEC = 2,
};

#define FLT_KERNEL	1	/* taken in kernel mode (copy_to_user ...) */
#define FLT_HAS_PFN	2	/* pfn/level read from the page table */
#define FLT_HAS_LAT	4	/* latency_ns measured */
#define FLT_INFERRED	8	/* result inferred: no signal, no major outcome */

struct flt_event {
	__u32 type;		/* FLT_EV_TYPE */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 error_code;	/* x86 page-fault error code */
	__u64 ts_ns;		/* CLOCK_MONOTONIC at the exception */
	__u64 addr;
	__u64 ip;
	__u64 pfn;		/* 4K frame now mapping addr (FLT_HAS_PFN) */
	__u64 latency_ns;	/* exception to outcome (FLT_HAS_LAT) */
	__u8 result;		/* enum flt_result */
	__u8 flags;		/* FLT_KERNEL | FLT_HAS_PFN | FLT_HAS_LAT |
				 * FLT_INFERRED */
	__u8 level;		/* enum ptw_level of the leaf */
	__u8 pad;
	__s32 si_code;		/* signal outcomes */
	char comm[16];
};
VMSCOPE_STATIC_ASSERT(sizeof(struct flt_event) == 80, "flt_event layout");

/* --summary: counts kept in the kernel. A fault lands in the VMA that
 * user space last pushed for its process (flt_bounds), or, when that
 * table does not cover it, under its page (resolved in user space). */
#define FLT_BOUNDS	1024	/* VMAs per process in the table; power of 2 */
#define FLT_LAT_BUCKETS	32	/* log2(ns) histogram */

struct flt_bounds {
	__u32 n;
	__u32 pad;
	__u64 start[FLT_BOUNDS];
	__u64 end[FLT_BOUNDS];
	/* what a fault in the VMA is filed under (nonzero): user space's
	 * name for the VMA, so that one unmapped and another mapped at the
	 * same start (a file's region where an anonymous one was) count
	 * apart */
	__u64 tag[FLT_BOUNDS];
};

struct flt_agg_key {
	__u32 pid;
	__u8 access;		/* enum flt_access */
	__u8 result;
	__u8 kernel;
	__u8 by_page;		/* 0: where = the VMA's tag, 1: where = page */
	__u64 where;
};
VMSCOPE_STATIC_ASSERT(sizeof(struct flt_agg_key) == 16, "flt_agg_key layout");

struct flt_ip_key {
	__u32 pid;
	__u32 kernel;
	__u64 ip;
};

/*
 * Driver helpers (bpf/driver.bpf.c): each remap_pfn_range, vm_insert_page(s),
 * vmf_insert_pfn/mixed, remap_vmalloc_range call and each vm_ops->fault
 * (seen at __do_fault) in a traced process, on the same ring.
 */
#define DRV_EV_TYPE	(MM_EV_FOREIGN + 1)
#define DRV_MAX_PAGES	8	/* vm_insert_pages: page pointers carried */

enum drv_helper {
	DH_REMAP_PFN_RANGE = 0,
	DH_VM_INSERT_PAGE = 1,
	DH_VM_INSERT_PAGES = 2,
	DH_VMF_INSERT_PFN = 3,
	DH_VMF_INSERT_MIXED = 4,
	DH_REMAP_VMALLOC_RANGE = 5,
	DH_FAULT = 6,		/* vm_ops->fault, by __do_fault */
	DH_NR = 7,
};

#define DRV_HAS_RET	1	/* ret is the helper's return (exit seen) */
#define DRV_PAGE_PTR	2	/* page[] holds struct page pointers, not PFNs */

struct drv_event {
	__u32 type;		/* DRV_EV_TYPE */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u16 helper;		/* enum drv_helper */
	__u16 flags;		/* DRV_* */
	__u64 ts_ns;
	__u64 vma_start;
	__u64 vma_end;
	__u64 addr;		/* user address the call maps at */
	__u64 size;		/* bytes (remap), pages (vm_insert_pages) */
	__u64 prot;		/* pgprot (remap_pfn_range), else vm_page_prot */
	__u64 kaddr;		/* remap_vmalloc_range: the vmalloc address */
	__u64 pgoff;		/* remap_vmalloc_range, fault: page offset */
	__s64 ret;
	__u32 npage;		/* entries of page[] used */
	__u32 pad;
	__u64 page[DRV_MAX_PAGES];	/* PFNs, or struct page pointers */
};
VMSCOPE_STATIC_ASSERT(sizeof(struct drv_event) == 160, "drv_event layout");

#endif
