/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_VMA_TABLE_H
#define VMSCOPE_VMA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs/maps.h"
#include "vmscope_abi.h"

struct ptwalk;

/* One VMA: /proc/PID/maps fields joined with the kernel's own view. */
struct vma {
	struct maps_entry m;
	bool has_flags;		/* vm_flags known (iterator, or smaps fallback) */
	uint64_t flags;
	bool has_kernel;	/* iterator fields (prot, owner functions) known */
	struct vma_rec k;
	const char *owner;	/* owner function name, NULL if none/unknown */
	const char *fn_fault, *fn_open, *fn_mmap, *fn_name;
	bool has_counts;	/* present/swap known */
	uint64_t present_pages, swap_pages;
	/* the zero page's entries: mapped, not resident (smaps leaves them
	 * out of Rss), not in present_pages */
	uint64_t zero_pages;
	bool counts_from_walk;	/* VM_PFNMAP/IO: counted by the page-table walk */
};

enum {
	VT_USE_BPF = 1 << 0,	/* iterator for kernel-side fields */
	VT_OWNERS = 1 << 1,	/* name owner functions (reads kallsyms) */
};

struct vma_table {
	struct vma *v;
	size_t n;
	int kernel_err;		/* why kernel fields are missing (-errno) */
	char kernel_why[256];
	int counts_err;		/* why counts are missing (-errno) */
	bool changed;		/* maps and iterator disagreed: process changed */
};

/* Fill present/swap page counts (PAGEMAP_SCAN, else pagemap reads). pw may
 * be NULL: then VM_PFNMAP/VM_IO counts stay unknown. Failures are kept in
 * t->counts_err. */
void vma_table_count_pages(struct vma_table *t, pid_t pid, struct ptwalk *pw);

/* Any VMA whose frames only the page-table walk can show? */
bool vma_table_has_blind(const struct vma_table *t);
void vma_table_free(struct vma_table *t);

/* Index of the VMA holding addr or -1. */
ssize_t vma_table_find(const struct vma_table *t, uint64_t addr);

/* The gate VMA ([vsyscall]) is outside the VMA tree, so no iterator sees
 * it: its flags from its perms. false when v is not it. */
bool vma_gate_flags(struct vma *v);

/* Does pagemap hide this VMA's frames (VM_PFNMAP/VM_IO)? */
bool vma_pagemap_blind(const struct vma *v);

#endif
