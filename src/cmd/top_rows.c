// SPDX-License-Identifier: GPL-2.0
/* vmscope top's rows: the model's VMAs, with what top counts of each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/top.h"
#include "decode/range.h"
#include "tracers/bpf_ptwalk.h"
#include "decode/vmflags.h"
#include "util.h"

const char *const top_sort_names[SORT_NR] = {
	[SORT_ADDR] = "address", [SORT_SIZE] = "size", [SORT_RSS] = "resident",
	[SORT_FAULTS] = "faults", [SORT_RECENT] = "recent",
};

#define PEND_MAX 65536		/* flags waiting for a join; then dropped */
#define GONE_MAX 4096		/* removed VMAs shown per interval */

const char *top_row_name(const struct top_row *r)
{
	if (r->path)
		return r->path;
	return r->flags_known && (r->flags & (VMF_PFNMAP | VMF_IO)) ? "[pfnmap]" : "[anon]";
}

ssize_t top_find(const struct top *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < t->rows[mid].start)
			hi = mid;
		else if (addr >= t->rows[mid].end)
			lo = mid + 1;
		else
			return (ssize_t)mid;
	}
	return -1;
}

/* The row starting exactly at start, or -1. */
static ssize_t find_start(const struct top_row *v, size_t n, uint64_t start)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].start == start ? (ssize_t)lo : -1;
}

void top_note_flags(struct top *t, const struct mm_vma *v, bool owner_known, uint64_t owner_fn)
{
	if (t->npend >= PEND_MAX) {
		t->pend_dropped++;
		return;
	}
	if (!grow_array((void **)&t->pend, &t->pendcap, t->npend, sizeof(*t->pend)))
		return;
	t->pend[t->npend++] = (struct top_flags){ .start = v->start, .end = v->end,
						  .flags = v->flags, .prot = v->page_prot,
						  .owner_known = owner_known, .owner_fn = owner_fn };
}

static void bury(struct top *t, const struct top_row *r)
{
	/* a churning process, paused view: the removed shown are the first */
	if (t->ngone >= GONE_MAX) {
		t->gone_dropped++;
		return;
	}
	if (!grow_array((void **)&t->gone, &t->gonecap, t->ngone, sizeof(*t->gone)))
		return;
	t->gone[t->ngone] = *r;
	t->gone[t->ngone].mark = TOP_GONE;
	t->ngone++;
}

/* Merge the model's VMAs (sorted, disjoint) with the rows by start: a
 * start the model no longer has is gone, a new one is new, one whose
 * end, perms, offset or file differ changed (mprotect, mremap growing
 * it, a split). Residency is read again for new and changed rows. */
int top_join(struct top *t)
{
	const struct vm_ent *v;
	struct top_row *nr;
	size_t nv, i, j = 0, k;
	double now = now_sec();

	if (!vm_model_take_changed(t->vm, t->pid) && !t->npend)
		return 0;
	v = vm_model_vmas(t->vm, t->pid, &nv);
	nr = calloc(nv ? nv : 1, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	for (i = 0; i < nv; i++) {
		struct top_row *r = &nr[i];

		while (j < t->n && t->rows[j].start < v[i].start)
			bury(t, &t->rows[j++]);
		if (j < t->n && t->rows[j].start == v[i].start) {
			*r = t->rows[j++];
			if (r->end != v[i].end || strcmp(r->perms, v[i].perms) ||
			    r->pgoff != v[i].pgoff || r->path != v[i].path) {
				if (!(r->mark & TOP_NEW))
					r->mark |= TOP_CHANGED;
				r->dirty = true;
				r->active = now;
				/* what the flags said was of the VMA before */
				if (strcmp(r->perms, v[i].perms) || r->path != v[i].path)
					r->flags_known = r->owner_known = false;
			}
		} else {
			r->mark = TOP_NEW;
			r->dirty = true;
			r->active = now;
		}
		r->start = v[i].start;
		r->end = v[i].end;
		r->pgoff = v[i].pgoff;
		r->path = v[i].path;
		memcpy(r->perms, v[i].perms, sizeof(r->perms));
	}
	while (j < t->n)
		bury(t, &t->rows[j++]);
	free(t->rows);
	t->rows = nr;
	t->n = t->cap = nv;
	/* the flags events told of, oldest first: a later one wins */
	for (k = 0; k < t->npend; k++) {
		ssize_t x = find_start(t->rows, t->n, t->pend[k].start);

		if (x >= 0 && t->rows[x].end == t->pend[k].end) {
			t->rows[x].flags_known = true;
			t->rows[x].flags = t->pend[k].flags;
			t->rows[x].prot = t->pend[k].prot;
			t->rows[x].owner_known = t->pend[k].owner_known;
			t->rows[x].owner_fn = t->pend[k].owner_fn;
		}
	}
	t->npend = 0;
	return 0;
}

void top_fault(struct top *t, const struct flt_event *e, double now)
{
	struct top_row *r;
	ssize_t i = top_find(t, e->addr);
	enum top_kind k;

	const struct vm_ent *m;

	/* a VMA the rows lack yet (mapped in this interval) or have another
	 * shape of (split by mprotect, unmapped and mapped over): join now,
	 * but only when the model knows one there */
	if (i < 0 || (m = vm_model_peek(t->vm, t->pid, e->addr)) == NULL ||
	    m->start != t->rows[i].start || m->end != t->rows[i].end) {
		if (vm_model_find(t->vm, t->pid, e->addr) && !top_join(t))
			i = top_find(t, e->addr);
	}
	/* a retried fault is counted once, by its last try, as
	 * getrusage counts it; one of unknown outcome was handled */
	if (e->result == FLT_RETRY)
		return;
	k = e->result == FLT_MAJOR ? TOP_MAJOR :
	    e->result == FLT_MINOR || e->result == FLT_UNKNOWN ? TOP_MINOR : TOP_FAILED;
	t->f[k]++;
	if (i < 0) {
		t->novma++;
		return;
	}
	r = &t->rows[i];
	r->f[k]++;
	r->dirty = true;
	r->active = now;
	r->last[r->nlast++ % TOP_LAST] = (struct top_fault){
		.addr = e->addr, .pfn = e->pfn, .t = now - t->s->t_start,
		.result = e->result, .has_pfn = (e->flags & FLT_HAS_PFN) != 0,
	};
}

static bool blind(const struct top_row *r)
{
	return r->flags_known && (r->flags & (VMF_PFNMAP | VMF_IO));
}

static void scan_row(struct top *t, struct top_row *r, double now)
{
	static uint64_t limit;

	if (!limit)
		limit = user_addr_limit(paging_levels() == 5 ? 5 : 4);
	if (r->start >= limit) {
		/* [vsyscall], above user space: no page of the process's own,
		 * and pagemap cannot say (smaps: Rss 0) */
		memset(&r->res, 0, sizeof(r->res));
		memset(r->res.strip, '.', RES_STRIP);
		r->res_err = 0;
	} else {
		r->res_err = residency_scan(t->pagemap_fd, t->pid, t->pw, r->start, r->end,
					    blind(r), &r->res);
	}
	r->scanned = now;
	r->dirty = false;
	t->scans++;
	t->scan_pages_total += (r->end - r->start) >> PAGE_SHIFT;
}

static int by_scanned(const void *a, const void *b)
{
	const struct top_row *x = *(struct top_row *const *)a, *y = *(struct top_row *const *)b;

	return (x->scanned > y->scanned) - (x->scanned < y->scanned);
}

/* What events cannot tell (reclaim, swap-out, khugepaged, migration) and
 * what they made stale: every row faulted, new or changed since its last
 * read, then the longest unread, until the budget is spent. all: every
 * row (the first snapshot). */
void top_rescan(struct top *t, double now, bool all)
{
	double t0 = now_sec(), deadline = t0 + t->budget;
	struct top_row **q;
	size_t i, nq = 0;

	if (t->pagemap_fd < 0 || !t->n)
		return;
	/* what events made stale is read whatever the budget (bounded by
	 * the events); the budget is for the sweep of the others */
	for (i = 0; i < t->n; i++)
		if (all || t->rows[i].dirty || !t->rows[i].scanned)
			scan_row(t, &t->rows[i], now);
	if (!all && now_sec() < deadline && (q = malloc(t->n * sizeof(*q)))) {
		for (i = 0; i < t->n; i++)
			if (t->rows[i].scanned < now)
				q[nq++] = &t->rows[i];
		qsort(q, nq, sizeof(*q), by_scanned);
		for (i = 0; i < nq && now_sec() < deadline; i++)
			scan_row(t, q[i], now);
		free(q);
	}
	t->scan_secs = now_sec() - t0;
}

uint64_t top_resident(const struct top *t, bool *all_known)
{
	uint64_t n = 0;
	size_t i;

	*all_known = true;
	for (i = 0; i < t->n; i++) {
		if (!t->rows[i].scanned || t->rows[i].res_err)
			*all_known = false;
		else
			n += t->rows[i].res.present;
	}
	return n;
}

void top_take_interval(struct top *t, double now)
{
	double dt = t->t_snap ? now - t->t_snap : now - t->s->t_start;
	size_t i;
	int k;

	if (dt <= 0)
		dt = 1e-9;
	t->dt = dt;
	for (i = 0; i < t->n + t->ngone; i++) {
		struct top_row *r = i < t->n ? &t->rows[i] : &t->gone[i - t->n];

		for (k = 0; k < TOP_KINDS; k++) {
			r->d_f[k] = r->f[k] - r->s_f[k];
			r->s_f[k] = r->f[k];
		}
	}
	for (k = 0; k < TOP_KINDS; k++) {
		t->rate[k] = (double)(t->f[k] - t->s_f[k]) / dt;
		t->s_f[k] = t->f[k];
	}
	t->rate_calls = (double)(t->calls - t->s_calls) / dt;
	t->s_calls = t->calls;
	t->t_snap = now;
}

void top_end_interval(struct top *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		t->rows[i].mark = 0;
	t->ngone = 0;
}

const struct top_row *top_row_at(const struct top *t, size_t i)
{
	return i < t->n ? &t->rows[i] : &t->gone[i - t->n];
}

static const struct top *sort_top;	/* qsort has no argument */

static double sort_key(const struct top_row *r, enum top_sort s)
{
	switch (s) {
	case SORT_SIZE:
		return (double)(r->end - r->start);
	case SORT_RSS:
		return (double)r->res.present;
	case SORT_FAULTS:
		return (double)(r->d_f[TOP_MINOR] + r->d_f[TOP_MAJOR] + r->d_f[TOP_FAILED]);
	case SORT_RECENT:
		return r->active;
	default:
		return 0;
	}
}

static int by_key(const void *a, const void *b)
{
	const struct top_row *x = top_row_at(sort_top, *(const size_t *)a);
	const struct top_row *y = top_row_at(sort_top, *(const size_t *)b);
	double kx = sort_key(x, sort_top->sort), ky = sort_key(y, sort_top->sort);

	/* biggest first; then by address, gone ones beside their place */
	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->mark & TOP_GONE) - (y->mark & TOP_GONE);
}

static bool wanted(const struct top *t, const struct top_row *r)
{
	return !t->filter || strstr(top_row_name(r), t->filter);
}

size_t top_order(const struct top *t, size_t **idx)
{
	size_t i, n = 0, *o = malloc((t->n + t->ngone + 1) * sizeof(*o));

	*idx = o;
	if (!o)
		return 0;
	for (i = 0; i < t->n + t->ngone; i++)
		if (wanted(t, top_row_at(t, i)))
			o[n++] = i;
	sort_top = t;
	qsort(o, n, sizeof(*o), by_key);
	return n;
}

void top_forget_rows(struct top *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		bury(t, &t->rows[i]);
	t->n = 0;
}

void top_rows_free(struct top *t)
{
	free(t->rows);
	free(t->gone);
	free(t->pend);
	t->rows = t->gone = NULL;
	t->pend = NULL;
	t->n = t->ngone = t->npend = 0;
}
