// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/pfn_scan.h"
#include "tracers/bpf_ptwalk.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "model/vma_table.h"

/* 32K pages (128 MiB of address space, 256 KiB of pagemap) per read:
 * the buffers, about 2.5 MiB in all, stay in cache and the first chunk
 * does not pay 18 MiB of page faults (1 GiB chunks did). */
#define CHUNK_PAGES (1u << 15)
/* the span PAGEMAP_SCAN or a straight read is chosen for, from the
 * density of the last one */
#define WINDOW_BYTES (1ULL << 30)

struct scan {
	pid_t pid;
	int fd;
	const struct pfn_scan_opts *o;
	frame_cb cb;
	void *arg;
	unsigned int vma_shift;	/* hugetlb page size of the current VMA */
	uint64_t *raw, *pfns, *kflags, *counts;
	size_t *idx;
	uint8_t *excl;		/* pagemap's exclusive bit of each pfns[] */
	bool kflags_ok, counts_ok;
	uint64_t populated;	/* pages present or swapped, so far */
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
static void lookup_frames(struct scan *s, size_t n, const uint8_t *excl)
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
			 s->counts_ok ? s->counts : NULL, excl))
		s->kflags_ok = s->counts_ok = false;
}

/* PMD leaves of a range, found by the page-table walk */
struct pmd_leaves {
	uint64_t *start;	/* 2 MiB-aligned starts, ascending */
	size_t n, cap;
};

static int pmd_leaf_add(struct pmd_leaves *pl, uint64_t va)
{
	if (!grow_array((void **)&pl->start, &pl->cap, pl->n, sizeof(*pl->start)))
		return -ENOMEM;
	pl->start[pl->n++] = va;
	return 0;
}

static int on_pmd_leaves(const struct ptw_rec *r, size_t n, void *arg)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		if (r[i].level == PTW_PMD && r[i].present)
			err = pmd_leaf_add(arg, r[i].vaddr);
	return err;
}

static int on_huge_regions(const struct pm_region *r, size_t n, void *arg)
{
	uint64_t va;
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++) {
		if (!(r[i].categories & PAGE_IS_HUGE))
			continue;
		for (va = r[i].start & ~((1ULL << 21) - 1); va < r[i].end && !err;
		     va += 1ULL << 21)
			err = pmd_leaf_add(arg, va);
	}
	return err;
}

/*
 * A straight pagemap read does not say whether a THP is mapped by one PMD
 * or by 512 PTEs (after a split): ask PAGEMAP_SCAN (6.7+, PAGE_IS_HUGE)
 * or else the page table about the span of the chunk's THP pages.
 * Returns the PMD leaves found (none when neither can tell: the pages
 * are then shown as 4K).
 */
static void thp_leaves(struct scan *s, uint64_t lo, size_t n, struct pmd_leaves *pl)
{
	uint64_t first = 0, last = 0;
	size_t i;

	if (!s->kflags_ok || (!s->o->pw && !pagemap_scan_supported()))
		return;
	for (i = 0; i < n; i++) {
		if (!((s->raw[i] & PM_PRESENT) && (s->raw[i] & PM_PFN_MASK)) ||
		    !(s->kflags[s->idx[i]] & (1ULL << KPF_THP)))
			continue;
		if (!last)
			first = lo + (i << PAGE_SHIFT);
		last = lo + ((i + 1) << PAGE_SHIFT);
	}
	if (!last)
		return;
	if (pagemap_scan_supported() ?
	    pagemap_scan(s->fd, first, last, on_huge_regions, pl) :
	    ptwalk_leaves(s->o->pw, s->pid, first, last, on_pmd_leaves, pl))
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
			s->excl[np] = !!(s->raw[i] & PM_EXCLUSIVE);
			s->idx[i] = np++;
		}
		if (s->raw[i] & (PM_PRESENT | PM_SWAP))
			s->populated++;
	}
	lookup_frames(s, np, s->excl);
	if (!huge)
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

/*
 * [lo, hi) a window at a time. PAGEMAP_SCAN (6.7+) skips holes, which is
 * what makes a sparse terabyte fast, but it walks the page tables a second
 * time: on populated memory that costs as much as the read it saves. So a
 * window is read straight when the one before it was at least 1/16
 * populated (the first one always), else scanned for its regions first.
 */
static int scan_pagemap(struct scan *s, uint64_t lo, uint64_t hi)
{
	bool straight = true;
	int err;

	while (lo < hi) {
		uint64_t end = hi - lo > WINDOW_BYTES ? lo + WINDOW_BYTES : hi;
		uint64_t before = s->populated;
		struct region_ctx rc = { .s = s, .pos = lo };

		err = -ENOTTY;
		if (!straight && pagemap_scan_supported())
			err = pagemap_scan(s->fd, lo, end, on_regions, &rc);
		if (err == -ENOTTY)
			err = scan_populated(s, rc.pos, end, false);
		else if (!err)
			err = emit_hole(s, rc.pos, end, SRC_PAGEMAP);
		if (err)
			return err;
		straight = (s->populated - before) * 16 >= (end - lo) >> PAGE_SHIFT;
		lo = end;
	}
	return 0;
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
	lookup_frames(s, np, NULL);
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
	s.excl = malloc(CHUNK_PAGES);
	if (!s.raw || !s.pfns || !s.kflags || !s.counts || !s.idx || !s.excl) {
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
	free(s.excl);
	return err;
}
