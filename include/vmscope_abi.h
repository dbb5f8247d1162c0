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
};
VMSCOPE_STATIC_ASSERT(sizeof(struct vma_rec) == 88, "vma_rec layout");

/* Page-table walk (bpf/ptwalk.bpf.c). */
enum ptw_mode {
	PTW_MODE_LEAVES = 0,	/* one record per leaf entry in [lo, hi) */
	PTW_MODE_SEARCH = 1,	/* find the direct-map base (see KERNELS.md) */
	PTW_MODE_LEVELS = 2,	/* every level's entry for one address */
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

#endif
