// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table walk from BPF, for what pagemap cannot show (VM_PFNMAP/VM_IO
 * mappings are holes there) and for `vmscope walk`.
 *
 * Runs as an iter/task_vma program so it executes in process context with
 * the target's mmap_lock held for reading; tables are read with
 * bpf_probe_read_kernel through the direct map, whose base user space finds
 * first (PTW_MODE_SEARCH) because KASLR randomises it and it is in neither
 * kallsyms nor BTF.  Parameters and results live in .bss, which user space
 * reads and writes through the skeleton's mmap between runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define ENTRY_ADDR_MASK 0x000ffffffffff000ULL	/* bits 12..51 */
#define PAGE_PRESENT	0x001ULL
#define PAGE_PSE	0x080ULL
#define PAGE_PROTNONE	0x100ULL		/* x86: reuses _PAGE_GLOBAL */

/* inputs */
__u32 tgid;
__u32 mode;		/* enum ptw_mode */
__u32 top_level;	/* 3: 4-level paging, 4: 5-level (la57) */
__u64 direct_base;
__u64 range_lo;
__u64 range_hi;
__u64 search_pfn;
__u64 search_magic;

__u64 vmemmap_base;	/* PAGEREF: struct page array */
__u32 nref;		/* PAGEREF: PFNs in out[].vaddr */

/* outputs */
__u64 stack_addr;	/* VMEMMAP: task->stack */
__u64 stack_page;	/* VMEMMAP: task->stack_vm_area->pages[0] */
__u32 page_struct_size;	/* sizeof(struct page) on this kernel */
__u32 status;		/* enum ptw_status */
__u32 count;
__u32 done;
__u32 vmas_seen;	/* LEAVES: VMAs met in the range (0: gone) */
__u64 next_addr;
__u64 pgd_addr;		/* mm->pgd, kernel virtual */
__u64 found_base;
struct ptw_rec out[PTW_MAX_RECS];

struct walk_ctx {
	__u64 pgd;
	__u64 addr;
	__u64 end;
	__u64 pte_table;	/* last PTE table read, 0: none */
	__u64 pte_base;		/* the 2M region it maps */
};

static __always_inline int emit(__u64 vaddr, __u64 entry, __u32 level,
				__u32 present)
{
	__u32 i = count;

	if (i >= PTW_MAX_RECS)
		return -1;
	out[i & (PTW_MAX_RECS - 1)].vaddr = vaddr;
	out[i & (PTW_MAX_RECS - 1)].entry = entry;
	out[i & (PTW_MAX_RECS - 1)].level = level;
	out[i & (PTW_MAX_RECS - 1)].present = present;
	count = i + 1;
	return 0;
}

static long walk_step(__u32 i, struct walk_ctx *c)
{
	__u64 addr = c->addr, table = c->pgd, entry, size;
	int l;

	if (addr >= c->end)
		return 1;
	if (count >= PTW_MAX_RECS) {
		status = PTW_FULL;
		next_addr = addr;
		return 1;
	}
	/* the PTE table of the last leaf maps this address too: read only
	 * the PTE (a descent costs 4-5 reads a page) */
	if (c->pte_table && (addr & ~((1ULL << 21) - 1)) == c->pte_base) {
		if (bpf_probe_read_kernel(&entry, sizeof(entry),
					  (void *)(c->pte_table + ((addr >> 12) & 511) * 8))) {
			status = PTW_READ_FAIL;
			next_addr = addr;
			return 1;
		}
		if (entry)
			emit(addr & ~0xfffULL, entry, 0,
			     (entry & (PAGE_PRESENT | PAGE_PROTNONE)) != 0);
		c->addr = (addr | 0xfffULL) + 1;
		return c->addr >= c->end || c->addr == 0;
	}
	c->pte_table = 0;
	/* unrolled: 6.1 rejects a loop whose back-edge follows a call */
#pragma unroll
	for (l = 4; l >= 0; l--) {
		__u32 shift = 12 + 9 * l;
		__u64 idx;

		if (l > top_level)
			continue;
		if (l == 0) {
			c->pte_table = table;
			c->pte_base = addr & ~((1ULL << 21) - 1);
		}
		idx = (addr >> shift) & 511;
		size = 1ULL << shift;
		if (bpf_probe_read_kernel(&entry, sizeof(entry),
					  (void *)(table + idx * 8))) {
			status = PTW_READ_FAIL;
			next_addr = addr;
			return 1;
		}
		if (l == 0 || ((l == 1 || l == 2) && (entry & PAGE_PSE) &&
			       (entry & (PAGE_PRESENT | PAGE_PROTNONE)))) {
			/* leaf */
			__u32 present = (entry & (PAGE_PRESENT | PAGE_PROTNONE)) != 0;

			if (entry)
				emit(addr & ~(size - 1), entry, l, present);
			break;
		}
		if (!(entry & PAGE_PRESENT)) {
			/* swap or migration entry at pmd level */
			if (entry && l == 1)
				emit(addr & ~(size - 1), entry, l, 0);
			break;
		}
		table = direct_base + (entry & ENTRY_ADDR_MASK);
	}
	c->addr = (addr | (size - 1)) + 1;
	return c->addr >= c->end || c->addr == 0;
}

static void walk_levels(__u64 pgd, __u64 addr)
{
	__u64 table = pgd, entry;
	int l;

	/* unrolled: 6.1 rejects a loop whose back-edge follows a call */
#pragma unroll
	for (l = 4; l >= 0; l--) {
		__u64 idx;

		if (l > top_level)
			continue;
		idx = (addr >> (12 + 9 * l)) & 511;
		if (bpf_probe_read_kernel(&entry, sizeof(entry),
					  (void *)(table + idx * 8))) {
			status = PTW_READ_FAIL;
			return;
		}
		emit(table, entry, l, (entry & (PAGE_PRESENT | PAGE_PROTNONE)) != 0);
		if (l == 0 || ((l == 1 || l == 2) && (entry & PAGE_PSE)) ||
		    !(entry & PAGE_PRESENT))
			return;
		table = direct_base + (entry & ENTRY_ADDR_MASK);
	}
}

struct search_ctx {
	__u64 start;
};

static long search_step(__u32 i, struct search_ctx *c)
{
	__u64 cand = c->start - ((__u64)i << 30), v[2];

	if (bpf_probe_read_kernel(v, sizeof(v), (void *)(cand + (search_pfn << 12))))
		return 0;
	if (v[0] == search_magic && v[1] == ~search_magic) {
		found_base = cand;
		status = PTW_OK;
		return 1;
	}
	return 0;
}

static long ref_step(__u32 i, void *unused)
{
	struct page *pg;
	int ref = 0;
	__u32 k;

	if (i >= nref || i >= PTW_MAX_RECS)
		return 1;
	k = i & (PTW_MAX_RECS - 1);
	barrier_var(k);		/* keep the masked copy for the index */
	k &= PTW_MAX_RECS - 1;
	pg = (struct page *)(vmemmap_base + out[k].vaddr * bpf_core_type_size(struct page));
	out[k].present = !bpf_probe_read_kernel(&ref, sizeof(ref), &pg->_refcount.counter);
	out[k].entry = (__u64)(__s64)ref;
	return 0;
}

SEC("iter/task_vma")
int walk(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	struct walk_ctx wc;
	__u64 pgd;

	if (!vma || !task || done)
		return 0;
	if (task->tgid != tgid)
		return 0;
	pgd = (__u64)BPF_CORE_READ(task, mm, pgd);
	pgd_addr = pgd;

	if (mode == PTW_MODE_SEARCH) {
		struct search_ctx sc = { .start = pgd & ~((1ULL << 30) - 1) };

		done = 1;
		status = PTW_NOT_FOUND;
		bpf_loop(4096, search_step, &sc, 0);
		return 0;
	}
	if (!direct_base) {
		status = PTW_NO_BASE;
		done = 1;
		return 0;
	}
	if (mode == PTW_MODE_LEVELS) {
		done = 1;
		walk_levels(pgd, range_lo);
		return 0;
	}
	page_struct_size = bpf_core_type_size(struct page);
	if (mode == PTW_MODE_VMEMMAP) {
		struct page **pages;

		done = 1;
		stack_addr = (__u64)BPF_CORE_READ(task, stack);
		pages = BPF_CORE_READ(task, stack_vm_area, pages);
		if (!pages || bpf_probe_read_kernel(&stack_page, sizeof(stack_page), pages))
			stack_page = 0;
		walk_levels(pgd, stack_addr);
		return 0;
	}
	if (mode == PTW_MODE_PAGEREF) {
		done = 1;
		bpf_loop(PTW_MAX_RECS, ref_step, NULL, 0);
		return 0;
	}
	if (mode == PTW_MODE_KERNEL) {
		done = 1;
		wc.pgd = pgd;
		wc.pte_table = 0;
		wc.addr = range_lo;
		wc.end = range_hi;
		bpf_loop(1 << 23, walk_step, &wc, 0);
		if (status == PTW_OK && wc.addr < wc.end && wc.addr) {
			status = PTW_FULL;
			next_addr = wc.addr;
		}
		return 0;
	}
	if (vma->vm_end <= range_lo || vma->vm_start >= range_hi)
		return 0;
	vmas_seen++;
	if (status != PTW_OK)
		return 0;
	wc.pgd = pgd;
	wc.pte_table = 0;
	wc.addr = vma->vm_start > range_lo ? vma->vm_start : range_lo;
	wc.end = vma->vm_end < range_hi ? vma->vm_end : range_hi;
	bpf_loop(1 << 23, walk_step, &wc, 0);
	if (status == PTW_OK && wc.addr < wc.end) {
		/* loop budget exhausted: resumable like a full buffer */
		status = PTW_FULL;
		next_addr = wc.addr;
	}
	return 0;
}
