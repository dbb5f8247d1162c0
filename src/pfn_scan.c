// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pfn_scan.h"
#include "bpf_ptwalk.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "vma_table.h"

/* 256K pages (1 GiB of address space, 2 MiB of pagemap) per read. */
#define CHUNK_PAGES (1u << 18)

struct scan {
	pid_t pid;
	int fd;
	const struct pfn_scan_opts *o;
	frame_cb cb;
	void *arg;
	unsigned int vma_shift;	/* hugetlb page size of the current VMA */
	uint64_t *raw, *pfns, *kflags, *counts;
	size_t *idx;
	bool kflags_ok, counts_ok;
};

static int emit_hole(struct scan *s, uint64_t lo, uint64_t hi,
		     enum frame_source src)
{
	struct frame_item it = {
		.vaddr = lo, .pages = (hi - lo) >> PAGE_SHIFT,
		.exclusive_known = true, .page_shift = PAGE_SHIFT, .source = src,
	};

	return hi > lo ? s->cb(&it, s->arg) : 0;
}

/* Look up flags and counts for n PFNs already in s->pfns. */
static void lookup_frames(struct scan *s, size_t n)
{
	struct kpage_reader *kr = s->o->kr;

	if (!kr) {
		s->kflags_ok = s->counts_ok = false;
		return;
	}
	s->kflags_ok = kr->flags_fd >= 0;
	s->counts_ok = kr->count_fd >= 0;
	/* one sort serves both files */
	if (kpage_lookup(kr, s->pfns, n, s->kflags_ok ? s->kflags : NULL,
			 s->counts_ok ? s->counts : NULL))
		s->kflags_ok = s->counts_ok = false;
}

/* PMD leaves of a range, found by the page-table walk */
struct pmd_leaves {
	uint64_t *start;	/* 2 MiB-aligned starts, ascending */
	size_t n, cap;
};

static int on_pmd_leaves(const struct ptw_rec *r, size_t n, void *arg)
{
	struct pmd_leaves *pl = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].level != PTW_PMD || !r[i].present)
			continue;
		if (pl->n == pl->cap) {
			size_t cap = pl->cap ? 2 * pl->cap : 64;
			uint64_t *p = realloc(pl->start, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			pl->start = p;
			pl->cap = cap;
		}
		pl->start[pl->n++] = r[i].vaddr;
	}
	return 0;
}

/*
 * Without PAGEMAP_SCAN (before 6.7) pagemap does not say whether a THP is
 * mapped by one PMD or by 512 PTEs (after a split): ask the page table for
 * the span of the chunk's THP pages.  Returns the PMD leaves found (none
 * when the walk is unavailable: the pages are then shown as 4K).
 */
static void thp_leaves(struct scan *s, uint64_t lo, size_t n, struct pmd_leaves *pl)
{
	uint64_t first = 0, last = 0;
	size_t i;

	if (!s->o->pw || !s->kflags_ok || pagemap_scan_supported())
		return;
	for (i = 0; i < n; i++) {
		if (!((s->raw[i] & PM_PRESENT) && (s->raw[i] & PM_PFN_MASK)) ||
		    !(s->kflags[s->idx[i]] & (1ULL << KPF_THP)))
			continue;
		if (!last)
			first = lo + (i << PAGE_SHIFT);
		last = lo + ((i + 1) << PAGE_SHIFT);
	}
	if (last && ptwalk_leaves(s->o->pw, s->pid, first, last, on_pmd_leaves, pl))
		pl->n = 0;
}

static bool in_pmd_leaf(const struct pmd_leaves *pl, size_t *k, uint64_t va)
{
	while (*k < pl->n && pl->start[*k] + (1ULL << 21) <= va)
		(*k)++;
	return *k < pl->n && pl->start[*k] <= va;
}

/* Pages of [lo, hi) from pagemap, hi - lo <= CHUNK_PAGES pages. */
static int scan_chunk(struct scan *s, uint64_t lo, uint64_t hi, bool huge)
{
	struct pmd_leaves pl = { 0 };
	size_t k = 0;
	size_t n = (hi - lo) >> PAGE_SHIFT, i, np = 0;
	struct pm_entry e;
	int err;

	err = pagemap_read(s->fd, lo, n, s->raw);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if ((s->raw[i] & PM_PRESENT) && (s->raw[i] & PM_PFN_MASK)) {
			s->pfns[np] = s->raw[i] & PM_PFN_MASK;
			s->idx[i] = np++;
		}
	}
	lookup_frames(s, np);
	thp_leaves(s, lo, n, &pl);
	for (i = 0, np = 0; i < n; i++) {
		struct frame_item it = {
			.vaddr = lo + (i << PAGE_SHIFT), .pages = 1,
			.exclusive_known = true, .source = SRC_PAGEMAP,
			.page_shift = s->vma_shift,
		};

		pagemap_decode(s->raw[i], &e);
		it.present = e.present;
		it.swapped = e.swapped;
		it.guard = e.guard;
		it.file = e.file;
		it.exclusive = e.exclusive;
		it.pfn = e.pfn;
		it.swap_type = e.swap_type;
		it.swap_offset = e.swap_offset;
		if ((huge || in_pmd_leaf(&pl, &k, it.vaddr)) && s->vma_shift == PAGE_SHIFT)
			it.page_shift = 21;	/* PMD-mapped THP */
		if (e.present && e.pfn) {
			size_t k = s->idx[i];

			it.kflags_known = s->kflags_ok;
			it.kflags = s->kflags_ok ? s->kflags[k] : 0;
			it.mapcount_known = s->counts_ok;
			it.mapcount = s->counts_ok ? s->counts[k] : 0;
		}
		err = s->cb(&it, s->arg);
		if (err)
			break;
	}
	free(pl.start);
	return err;
}

static int scan_populated(struct scan *s, uint64_t lo, uint64_t hi, bool huge)
{
	int err;

	while (lo < hi) {
		uint64_t end = hi - lo > (uint64_t)CHUNK_PAGES << PAGE_SHIFT ?
			       lo + ((uint64_t)CHUNK_PAGES << PAGE_SHIFT) : hi;

		err = scan_chunk(s, lo, end, huge);
		if (err)
			return err;
		lo = end;
	}
	return 0;
}

struct region_ctx {
	struct scan *s;
	uint64_t pos;		/* everything before pos has been emitted */
};

static int on_regions(const struct pm_region *r, size_t n, void *arg)
{
	struct region_ctx *rc = arg;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = emit_hole(rc->s, rc->pos, r[i].start, SRC_PAGEMAP);
		if (!err)
			err = scan_populated(rc->s, r[i].start, r[i].end,
					     r[i].categories & PAGE_IS_HUGE);
		if (err)
			return err;
		rc->pos = r[i].end;
	}
	return 0;
}

static int scan_pagemap(struct scan *s, uint64_t lo, uint64_t hi)
{
	struct region_ctx rc = { .s = s, .pos = lo };
	int err = -ENOTTY;

	if (pagemap_scan_supported())
		err = pagemap_scan(s->fd, lo, hi, on_regions, &rc);
	if (err == -ENOTTY)
		return scan_populated(s, rc.pos, hi, false);
	if (err)
		return err;
	return emit_hole(s, rc.pos, hi, SRC_PAGEMAP);
}

struct walk_ctx {
	struct scan *s;
	uint64_t pos;
	uint64_t hi;
};

static int on_leaves(const struct ptw_rec *r, size_t n, void *arg)
{
	struct walk_ctx *wc = arg;
	struct scan *s = wc->s;
	size_t i, np = 0;
	int err;

	for (i = 0; i < n; i++)
		if (r[i].present)
			s->pfns[np++] = ptw_pfn(&r[i]);
	lookup_frames(s, np);
	for (i = 0, np = 0; i < n; i++) {
		uint64_t va = r[i].vaddr, pages = ptw_pages(&r[i]);
		struct frame_item it = {
			.source = SRC_PAGETABLE, .entry = r[i].entry,
			.page_shift = PAGE_SHIFT + 9 * r[i].level,
		};

		/* a huge leaf may start before the requested range */
		if (va < wc->pos) {
			pages -= (wc->pos - va) >> PAGE_SHIFT;
			it.pfn = (wc->pos - va) >> PAGE_SHIFT;
			va = wc->pos;
		}
		if (va + (pages << PAGE_SHIFT) > wc->hi)
			pages = (wc->hi - va) >> PAGE_SHIFT;
		err = emit_hole(s, wc->pos, va, SRC_PAGETABLE);
		if (err)
			return err;
		it.vaddr = va;
		it.pages = pages;
		if (r[i].present) {
			it.present = true;
			it.pfn += ptw_pfn(&r[i]);
			it.kflags_known = s->kflags_ok;
			it.kflags = s->kflags_ok ? s->kflags[np] : 0;
			it.mapcount_known = s->counts_ok;
			it.mapcount = s->counts_ok ? s->counts[np] : 0;
			np++;
		} else {
			it.swapped = true;	/* swap or migration entry */
		}
		err = s->cb(&it, s->arg);
		if (err)
			return err;
		wc->pos = va + (pages << PAGE_SHIFT);
	}
	return 0;
}

int pfn_scan(pid_t pid, int pagemap_fd, const struct vma_table *t,
	     uint64_t lo, uint64_t hi, const struct pfn_scan_opts *o,
	     frame_cb cb, void *arg)
{
	struct scan s = { .pid = pid, .fd = pagemap_fd, .o = o, .cb = cb, .arg = arg };
	size_t i;
	int err = 0;

	s.raw = malloc(CHUNK_PAGES * sizeof(*s.raw));
	s.pfns = malloc(CHUNK_PAGES * sizeof(*s.pfns));
	s.kflags = malloc(CHUNK_PAGES * sizeof(*s.kflags));
	s.counts = malloc(CHUNK_PAGES * sizeof(*s.counts));
	s.idx = malloc(CHUNK_PAGES * sizeof(*s.idx));
	if (!s.raw || !s.pfns || !s.kflags || !s.counts || !s.idx) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < t->n && !err; i++) {
		const struct vma *v = &t->v[i];
		uint64_t a = lo > v->m.start ? lo : v->m.start;
		uint64_t b = hi < v->m.end ? hi : v->m.end;

		if (a >= b)
			continue;
		s.vma_shift = v->has_kernel ? v->k.page_shift : PAGE_SHIFT;
		if (vma_pagemap_blind(v)) {
			struct walk_ctx wc = { .s = &s, .pos = a, .hi = b };

			if (!o->pw) {
				if (o->on_blind)
					o->on_blind(a, b, arg);
				continue;
			}
			err = ptwalk_leaves(o->pw, pid, a, b, on_leaves, &wc);
			if (!err)
				err = emit_hole(&s, wc.pos, b, SRC_PAGETABLE);
		} else {
			err = scan_pagemap(&s, a, b);
		}
	}
out:
	free(s.raw);
	free(s.pfns);
	free(s.kflags);
	free(s.counts);
	free(s.idx);
	return err;
}
