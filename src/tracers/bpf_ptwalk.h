/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_BPF_PTWALK_H
#define VMSCOPE_BPF_PTWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decode/pgtable.h"
#include "vmscope_abi.h"

struct ptwalk;

/* 4 or 5 from the CPU flags (la57 is cleared when the kernel does not use
 * 5-level paging); -errno when /proc/cpuinfo is unreadable. */
int paging_levels(void);

/*
 * Load bpf/ptwalk and find the direct-map base. Needs CAP_SYS_ADMIN (for
 * the PFN of a page of our own) and BPF. why explains a failure.
 */
int ptwalk_open(struct ptwalk **pw, char *why, size_t whylen);
void ptwalk_close(struct ptwalk *pw);
uint64_t ptwalk_direct_base(const struct ptwalk *pw);
int ptwalk_top_level(const struct ptwalk *pw);	/* PTW_P4D (4-level) or PTW_PGD */

/* Leaves (and swap/migration entries) of [lo, hi) in address order, in
 * batches. Non-present holes produce nothing. Returns 0, cb's negative
 * return, or -errno (-ESRCH: process gone, or without its mm, or no VMA
 * left in [lo, hi)). */
typedef int (*ptwalk_cb)(const struct ptw_rec *r, size_t n, void *arg);
int ptwalk_leaves(struct ptwalk *pw, pid_t pid, uint64_t lo, uint64_t hi,
		  ptwalk_cb cb, void *arg);

/* Every level's entry for addr, top first: out[i].vaddr holds the kernel
 * virtual address of the table read. *pgd gets mm->pgd. */
int ptwalk_levels(struct ptwalk *pw, pid_t pid, uint64_t addr,
		  struct ptw_rec *out, size_t *n, uint64_t *pgd);

/* Leaves of [lo, hi) in the kernel half (vmalloc space, modules ...),
 * through our own page tables, which share the kernel's. */
int ptwalk_kernel(struct ptwalk *pw, uint64_t lo, uint64_t hi, ptwalk_cb cb, void *arg);

/* The struct page reference counts of n PFNs (known[i] false when the
 * read failed). -ENOENT: the struct page array was not found (needs a
 * vmalloc'd kernel stack, CONFIG_VMAP_STACK). */
int ptwalk_page_refs(struct ptwalk *pw, const uint64_t *pfns, size_t n, int32_t *refs,
		     bool *known);

/* The struct page array (vmemmap_base) and sizeof(struct page), to turn
 * a struct page pointer into its PFN. -ENOENT as for ptwalk_page_refs. */
int ptwalk_vmemmap(struct ptwalk *pw, uint64_t *base, uint32_t *size);

/* Pages (4K units) a leaf entry maps. */
static inline uint64_t ptw_pages(const struct ptw_rec *r)
{
	return 1ULL << (9 * r->level);
}

/* PFN of the first frame of a present (or PROT_NONE) leaf. */
static inline uint64_t ptw_pfn(const struct ptw_rec *r)
{
	return pgtable_target(r->entry, (int)r->level) >> 12;
}

#endif
