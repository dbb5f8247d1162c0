// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/vma_table.h"
#include "tracers/bpf_ptwalk.h"
#include "procfs/pagemap.h"
#include "decode/range.h"
#include "util.h"
#include "decode/vmflags.h"

bool vma_gate_flags(struct vma *v)
{
	if (strcmp(v->m.path ? v->m.path : "", "[vsyscall]"))
		return false;
	/* the gate VMA lives outside the VMA tree; its maps perms are its
	 * vm_flags (VM_EXEC, VM_READ|VM_EXEC) */
	v->has_flags = true;
	v->flags = (v->m.perms[0] == 'r' ? VMF_READ : 0) |
		   (v->m.perms[1] == 'w' ? VMF_WRITE : 0) |
		   (v->m.perms[2] == 'x' ? VMF_EXEC : 0);
	return true;
}

bool vma_pagemap_blind(const struct vma *v)
{
	return v->has_flags && (v->flags & (VMF_PFNMAP | VMF_IO));
}

ssize_t vma_table_find(const struct vma_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < t->v[mid].m.start)
			hi = mid;
		else if (addr >= t->v[mid].m.end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

struct count_ctx {
	struct vma_table *t;
	size_t i;
};

static void count_kind(struct vma *v, enum pm_kind k, uint64_t pages)
{
	if (k == PMK_ZERO)
		v->zero_pages += pages;
	else if (k == PMK_PRESENT || k == PMK_HUGE)
		v->present_pages += pages;
	else if (k == PMK_SWAP)
		v->swap_pages += pages;
}

static int count_regions(const struct pm_region *r, size_t n, void *arg)
{
	struct count_ctx *c = arg;
	size_t k;

	for (k = 0; k < n; k++) {
		uint64_t s = r[k].start, e = r[k].end;

		while (c->i < c->t->n && c->t->v[c->i].m.end <= s)
			c->i++;
		/* a region may span adjacent VMAs: split it */
		for (size_t j = c->i; j < c->t->n && c->t->v[j].m.start < e; j++) {
			struct vma *v = &c->t->v[j];
			uint64_t lo = s > v->m.start ? s : v->m.start;
			uint64_t hi = e < v->m.end ? e : v->m.end;

			if (hi <= lo)
				continue;
			count_kind(v, pagemap_region_kind(r[k].categories),
				   (hi - lo) >> PAGE_SHIFT);
		}
	}
	return 0;
}

/* pagemap fallback (before 6.7): read entries in 8 MiB chunks and count;
 * zero: the zero page's frame, or 0 when unknown */
static int count_by_read(int fd, struct vma *v, uint64_t zero)
{
	static uint64_t buf[1 << 20];
	uint64_t a = v->m.start;

	while (a < v->m.end) {
		size_t n = (v->m.end - a) >> PAGE_SHIFT, i;
		int err;

		if (n > ARRAY_SIZE(buf))
			n = ARRAY_SIZE(buf);
		err = pagemap_read(fd, a, n, buf);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			count_kind(v, pagemap_entry_kind(buf[i], zero), 1);
		a += n << PAGE_SHIFT;
	}
	return 0;
}

static int walk_count(const struct ptw_rec *r, size_t n, void *arg)
{
	struct vma *v = arg;
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].present)
			v->present_pages += ptw_pages(&r[i]);
	return 0;
}

void vma_table_count_pages(struct vma_table *t, pid_t pid, struct ptwalk *pw)
{
	struct count_ctx c = { .t = t };
	uint64_t zero = 0, limit = user_addr_limit(paging_levels() == 5 ? 5 : 4);
	size_t i, nuser;
	int fd, err = -ENOTTY;

	/* [vsyscall] lies above user space: pagemap cannot report it */
	for (nuser = t->n; nuser && t->v[nuser - 1].m.start >= limit; nuser--)
		;
	if (!nuser)
		return;
	fd = pagemap_open(pid);
	if (fd < 0) {
		t->counts_err = fd;
		return;
	}
	if (pagemap_scan_supported())
		err = pagemap_scan(fd, t->v[0].m.start, t->v[nuser - 1].m.end,
				   count_regions, &c);
	if (err == -ENOTTY && pagemap_zero_pfn(&zero))
		zero = 0;	/* none, or hidden: every present entry counts */
	for (i = 0; i < nuser; i++) {
		struct vma *v = &t->v[i];

		if (err == -ENOTTY) {
			v->present_pages = v->swap_pages = v->zero_pages = 0;
			if (count_by_read(fd, v, zero))
				continue;
		} else if (err) {
			continue;
		}
		v->has_counts = true;
		if (vma_pagemap_blind(v)) {
			/* pagemap shows holes here: only the walk knows */
			v->present_pages = v->swap_pages = v->zero_pages = 0;
			v->has_counts = pw && !ptwalk_leaves(pw, pid, v->m.start,
							     v->m.end, walk_count, v);
			v->counts_from_walk = v->has_counts;
		}
	}
	if (err && err != -ENOTTY)
		t->counts_err = err;
	close(fd);
}

bool vma_table_has_blind(const struct vma_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (vma_pagemap_blind(&t->v[i]))
			return true;
	return false;
}

void vma_table_free(struct vma_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].m.path);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
