// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope faults: each fault filed under its VMA and ip, in the batch
 * and in the tables (--summary: rebuilt from the kernel's counts).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"
#include "tracers/bpf_ptwalk.h"
#include "cli.h"
#include "tracers/feature.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kpage.h"
#include "procfs/maps.h"
#include "tracers/records.h"
#include "session/session.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "cmd/faults.h"

void faults_note_pid(struct watcher *w, pid_t pid)
{
	size_t i;

	for (i = 0; i < w->npids; i++)
		if (w->pids[i] == pid)
			return;
	if (grow_array((void **)&w->pids, &w->cappids, w->npids, sizeof(pid_t)))
		w->pids[w->npids++] = pid;
}

/* Linear tables: a run has few VMAs with faults and few faulting ips in
 * the top list; the last hit is tried first. */
static struct vrow *vrow_get(struct watcher *w, pid_t pid, uint64_t start, uint64_t end,
			     const char *path)
{
	static size_t last;
	size_t i;

	if (last < w->nvrows && w->vrows[last].pid == pid && w->vrows[last].start == start &&
	    w->vrows[last].path == path)
		return &w->vrows[last];
	for (i = 0; i < w->nvrows; i++)
		if (w->vrows[i].pid == pid && w->vrows[i].start == start &&
		    w->vrows[i].path == path)
			return &w->vrows[last = i];
	if (!grow_array((void **)&w->vrows, &w->capvrows, w->nvrows, sizeof(struct vrow)))
		return NULL;
	memset(&w->vrows[w->nvrows], 0, sizeof(struct vrow));
	w->vrows[w->nvrows].pid = pid;
	w->vrows[w->nvrows].start = start;
	w->vrows[w->nvrows].end = end;
	w->vrows[w->nvrows].path = path;
	return &w->vrows[last = w->nvrows++];
}

static void iprow_add(struct watcher *w, pid_t pid, uint64_t ip, bool kernel, uint64_t n)
{
	static size_t last;
	size_t i;

	if (last < w->niprows && w->iprows[last].ip == ip && w->iprows[last].pid == pid) {
		w->iprows[last].count += n;
		return;
	}
	for (i = 0; i < w->niprows; i++)
		if (w->iprows[i].ip == ip && w->iprows[i].pid == pid) {
			w->iprows[last = i].count += n;
			return;
		}
	if (!grow_array((void **)&w->iprows, &w->capiprows, w->niprows, sizeof(struct iprow)))
		return;
	w->iprows[last = w->niprows++] = (struct iprow){ pid, kernel, ip, n };
}

static void count_fault(struct watcher *w, pid_t pid, const struct vm_ent *e,
			unsigned int access, unsigned int result, bool kernel, uint64_t n)
{
	struct vrow *r = vrow_get(w, pid, e ? e->start : 0, e ? e->end : 0,
				  e ? e->path : NULL);

	access = access < 3 ? access : 0;
	result = result < FLT_NR_RESULTS ? result : FLT_UNKNOWN;
	w->faults += n;
	w->by_result[result] += n;
	w->by_access[access] += n;
	if (kernel)
		w->kernel_mode += n;
	if (r) {
		r->by[access][result] += n;
		r->total += n;
		if (kernel)
			r->kernel += n;
	}
}

unsigned int faults_access_of(uint32_t error_code)
{
	if (error_code & (1 << 4))
		return FLT_EXEC;
	return error_code & (1 << 1) ? FLT_WRITE : FLT_READ;
}

/* Symbol of an ip, through a small cache: a loop faulting page after page
 * has one ip for all of them. */
static void symbolize(struct watcher *w, struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	size_t slot = ((e->ip >> 2) ^ (uint64_t)e->pid * 0x9e3779b9ULL) & (IPCACHE - 1);
	struct ipcache *c = &w->ipc[slot];

	if (!(c->ip == e->ip && c->pid == (pid_t)e->pid)) {
		const char *s;

		c->pid = (pid_t)e->pid;
		c->ip = e->ip;
		c->file = NULL;
		if (e->flags & FLT_KERNEL) {
			s = sym_kernel(w->sym, e->ip, c->sym, sizeof(c->sym));
			c->file = "[kernel]";
		} else {
			const struct vm_ent *v = vm_model_find(w->vm, (pid_t)e->pid, e->ip);

			s = v ? sym_user(w->sym, (pid_t)e->pid, v, e->ip, c->sym,
					 sizeof(c->sym)) : NULL;
			c->file = v ? v->path : NULL;
		}
		if (!s)
			c->sym[0] = '\0';
	}
	memcpy(r->sym, c->sym, sizeof(r->sym));
	r->ipfile = c->file;
}

static bool path_matches(const char *want, const char *path)
{
	const char *base;

	if (!path)
		return false;
	if (!strcmp(want, path))
		return true;
	base = strrchr(path, '/');
	return base && !strchr(want, '/') && !strcmp(want, base + 1);
}

/* Count a fault found in VMA v (or none) and fill its row; false: the
 * --vma PATH filter drops it. */
static bool admit_row(struct watcher *w, struct fault_row *r, const struct vm_ent *v)
{
	if (w->vma_path && !(v && path_matches(w->vma_path, v->path)))
		return false;
	if (v) {
		r->has_vma = true;
		r->vstart = v->start;
		r->vend = v->end;
		r->vpath = v->path;
	}
	count_fault(w, (pid_t)r->e.pid, v, faults_access_of(r->e.error_code), r->e.result,
		    r->e.flags & FLT_KERNEL, 1);
	if (r->e.flags & FLT_HAS_LAT) {	/* result is in range: decoded */
		uint64_t l = r->e.latency_ns;
		unsigned int b = 0;

		while (l > 1 && b < FLT_LAT_BUCKETS - 1) {
			l >>= 1;
			b++;
		}
		w->lat[r->e.result][b]++;
	}
	symbolize(w, r);
	iprow_add(w, (pid_t)r->e.pid, r->e.ip, r->e.flags & FLT_KERNEL, 1);
	return true;
}

int faults_on_fault(const struct flt_event *e, void *arg)
{
	struct watcher *w = arg;
	const struct vm_ent *v;
	struct fault_row *r;

	if (!grow_array((void **)&w->rows, &w->caprows, w->nrows, sizeof(*r)))
		return 0;
	r = &w->rows[w->nrows];
	memset(r, 0, sizeof(*r));
	r->e = *e;
	v = vm_model_find(w->vm, (pid_t)r->e.pid, r->e.addr);
	if (!v && r->e.result != FLT_SIGSEGV)
		r->deferred = true;	/* an exec record may follow */
	else if (!admit_row(w, r, v))
		return 0;
	w->nrows++;
	return 0;
}

/* The faults without a VMA: if their process exec'ed since, they were
 * exec's own and the model has their VMA now; counted either way. Rows
 * the --vma filter drops are removed. */
static void settle_deferred(struct watcher *w)
{
	size_t i, k, n = 0;

	for (i = 0; i < w->nrows; i++) {
		struct fault_row *r = &w->rows[i];
		const struct vm_ent *v = NULL;

		if (r->deferred) {
			r->deferred = false;
			for (k = 0; k < w->nexec_pids; k++)
				if (w->exec_pids[k] == (pid_t)r->e.pid)
					v = vm_model_find(w->vm, (pid_t)r->e.pid, r->e.addr);
			if (!admit_row(w, r, v))
				continue;
		}
		if (n != i)
			w->rows[n] = *r;
		n++;
	}
	w->nrows = n;
	w->nexec_pids = 0;
}

int faults_on_mm(const struct mm_event *ev, void *arg)
{
	struct watcher *w = arg;

	vm_model_event(w->vm, ev);
	if (ev->type == MM_EV_FORK)
		faults_note_pid(w, (pid_t)ev->ret);
	if (ev->type == MM_EV_EXEC && w->nexec_pids < ARRAY_SIZE(w->exec_pids))
		w->exec_pids[w->nexec_pids++] = (pid_t)ev->pid;
	/* before 6.7 no VMA records follow an exec: read /proc now, while
	 * the process surely lives, not at the first lookup */
	if (ev->type == MM_EV_EXEC && !mmtrace_has_exec_vmas(w->s->mt))
		vm_model_seed(w->vm, (pid_t)ev->pid);
	/* --summary: the kernel files faults under the VMAs it was given;
	 * give it a new mapping before the process faults on it much (only
	 * this event's processes: the others did not change) */
	if (w->summary_mode) {
		faults_push_bounds_of(w, (pid_t)ev->pid);
		if (ev->type == MM_EV_FORK)
			faults_push_bounds_of(w, (pid_t)ev->ret);
	}
	return 0;
}

/* Page flags for the whole batch with one sorted pass, then print it. */
void faults_flush_batch(struct watcher *w)
{
	uint64_t *pfns, *flags, *counts;
	size_t i, n = 0;

	settle_deferred(w);
	if (!w->nrows)
		return;
	pfns = malloc(w->nrows * sizeof(*pfns) * 3);
	if (pfns && w->kp.flags_fd >= 0) {
		flags = pfns + w->nrows;
		counts = flags + w->nrows;
		for (i = 0; i < w->nrows; i++)
			if (w->rows[i].e.flags & FLT_HAS_PFN)
				pfns[n++] = w->rows[i].e.pfn;
		if (n && !kpage_lookup(&w->kp, pfns, n, flags,
				       w->kp.count_fd >= 0 ? counts : NULL, NULL)) {
			for (i = 0, n = 0; i < w->nrows; i++) {
				struct fault_row *r = &w->rows[i];

				if (!(r->e.flags & FLT_HAS_PFN))
					continue;
				r->has_k = true;
				r->kflags = flags[n];
				r->kcount = w->kp.count_fd >= 0 ? counts[n] : 1;
				n++;
			}
		}
	}
	free(pfns);
	if (!w->summary_mode) {
		for (i = 0; i < w->nrows; i++) {
			if (!(w->rows[i].e.flags & FLT_HAS_PFN))
				w->no_pfn++;
			if (w->c->json)
				faults_json_row(w, &w->rows[i]);
			else
				faults_plain_row(w, &w->rows[i]);
		}
	}
	w->nrows = 0;
}

/* ---- --summary: the kernel's counts ----------------------------------------- */

static size_t vclass_slot(const struct watcher *w, pid_t pid, uint64_t start,
			  const char *path)
{
	uint64_t h = (start >> 12) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)pid ^
		     (uint64_t)(uintptr_t)path * 0xff51afd7ed558ccdULL;
	size_t i = (h >> 17) & (w->clshcap - 1);

	for (;; i = (i + 1) & (w->clshcap - 1)) {
		const struct vclass *c;

		if (!w->clshash[i])
			return i;
		c = &w->cls[w->clshash[i] - 1];
		if (c->pid == pid && c->start == start && c->path == path)
			return i;
	}
}

static void vclass_grow(struct watcher *w)
{
	size_t cap = w->clshcap ? w->clshcap * 2 : 1024, k;
	uint32_t *old = w->clshash;

	if (!(w->clshash = calloc(cap, sizeof(*old)))) {
		w->clshash = old;
		return;
	}
	w->clshcap = cap;
	for (k = 0; k < w->ncls; k++)
		w->clshash[vclass_slot(w, w->cls[k].pid, w->cls[k].start, w->cls[k].path)] =
			(uint32_t)k + 1;
	free(old);
}

/* The kernel's name for VMA v of pid; 0 (filed by page) past the limit. */
static uint64_t vclass_tag(struct watcher *w, pid_t pid, const struct vm_ent *v)
{
	size_t i;

	/* at half load, twice the slots; failing that (or at the limit) the
	 * table still names the VMAs it holds, and takes no more */
	if (w->ncls * 2 >= w->clshcap && w->ncls < VCLASS_MAX)
		vclass_grow(w);
	if (!w->clshcap)
		return 0;
	i = vclass_slot(w, pid, v->start, v->path);
	if (!w->clshash[i]) {
		if (w->ncls >= VCLASS_MAX || w->ncls * 2 >= w->clshcap ||
		    !grow_array((void **)&w->cls, &w->capcls, w->ncls, sizeof(*w->cls)))
			return 0;
		w->cls[w->ncls] = (struct vclass){ pid, v->start, v->end, v->path };
		w->clshash[i] = (uint32_t)++w->ncls;
	}
	w->cls[w->clshash[i] - 1].end = v->end;	/* the latest */
	return w->clshash[i];
}

/* Give the kernel pid's VMA table, if it changed since it last got it. */
void faults_push_bounds_of(struct watcher *w, pid_t pid)
{
	static struct flt_bounds b;
	const struct vm_ent *v;
	size_t k, n, o = 0;

	if (!vm_model_take_changed(w->vm, pid))
		return;
	v = vm_model_vmas(w->vm, pid, &n);
	for (k = 0; k < n && o < FLT_BOUNDS; k++) {
		uint64_t tag = vclass_tag(w, pid, &v[k]);

		if (!tag)
			continue;	/* its faults are filed by page */
		b.start[o] = v[k].start;
		b.end[o] = v[k].end;
		b.tag[o++] = tag;
	}
	b.n = (__u32)o;
	fltrace_set_bounds(w->s->ft, pid, &b);
}

/* ... for every process we know */
void faults_push_bounds(struct watcher *w)
{
	size_t i;

	for (i = 0; i < w->npids; i++)
		faults_push_bounds_of(w, w->pids[i]);
}

static void count_where(const struct flt_agg_key *k, uint64_t n, void *arg)
{
	struct watcher *w = arg;
	const struct vm_ent *v;
	const struct vm_gone *g;

	if (!k->by_page) {
		/* the VMA the kernel's table named: live or gone now */
		const struct vclass *c = k->where && k->where <= w->ncls ?
					 &w->cls[k->where - 1] : NULL;
		struct vm_ent e = { .start = c ? c->start : 0, .end = c ? c->end : 0,
				    .path = c ? c->path : NULL };

		count_fault(w, (pid_t)k->pid, c ? &e : NULL, k->access, k->result,
			    k->kernel, n);
		return;
	}
	/* faulted before its VMA reached the kernel's table: its page */
	v = vm_model_find(w->vm, (pid_t)k->pid, k->where);
	if (!v && (g = vm_model_gone(w->vm, (pid_t)k->pid, k->where))) {
		struct vm_ent e = { .start = g->start, .end = g->end, .path = g->path };

		count_fault(w, (pid_t)k->pid, &e, k->access, k->result, k->kernel, n);
	} else {
		count_fault(w, (pid_t)k->pid, v, k->access, k->result, k->kernel, n);
	}
	faults_note_pid(w, (pid_t)k->pid);	/* give it a table next time */
	w->by_page += n;
}

static void count_ip(const struct flt_ip_key *k, uint64_t n, void *arg)
{
	iprow_add(arg, (pid_t)k->pid, k->ip, k->kernel, n);
}

/* Rebuild the tables from the kernel's counts (they are cumulative). */
void faults_read_counts(struct watcher *w)
{
	const struct fltrace_counts_cb cb = { count_where, count_ip, w };

	w->faults = w->kernel_mode = w->by_page = 0;
	memset(w->by_result, 0, sizeof(w->by_result));
	memset(w->by_access, 0, sizeof(w->by_access));
	w->nvrows = w->niprows = 0;
	fltrace_read_counts(w->s->ft, &cb, w->lat);
}

/* Is row r's VMA unmapped now? Then how many went from its start. */
static bool row_gone(struct watcher *w, const struct vrow *r, uint64_t *regions)
{
	const struct vm_ent *v;
	const struct vm_gone *g;

	if (!r->start)
		return false;	/* no VMA */
	v = vm_model_peek(w->vm, r->pid, r->start);
	if (v && v->start == r->start && v->path == r->path)
		return false;
	g = vm_model_gone_at(w->vm, r->pid, r->start, r->path);
	/* not seen going: a VMA trimmed from below, unless its process
	 * exited and the model forgot it (system-wide) */
	if (!g && vm_model_exited(w->vm, r->pid))
		return false;
	*regions = g ? g->times : 1;
	return true;
}

void faults_settle_vmas(struct watcher *w)
{
	size_t i, k, n = 0;

	for (i = 0; i < w->nvrows; i++) {
		struct vrow *r = &w->vrows[i];
		uint64_t regions = 1;

		if (!r->gone) {
			if (!row_gone(w, r, &regions)) {
				w->vrows[n++] = *r;
				continue;
			}
			r->gone = true;
			r->regions = regions;
		}
		for (k = 0; k < n; k++)
			if (w->vrows[k].gone && w->vrows[k].pid == r->pid &&
			    w->vrows[k].path == r->path)
				break;
		if (k == n) {
			w->vrows[n++] = *r;
			continue;
		}
		struct vrow *into = &w->vrows[k];
		size_t a, b;

		into->start = r->start < into->start ? r->start : into->start;
		into->end = r->end > into->end ? r->end : into->end;
		into->regions += r->regions;
		into->total += r->total;
		into->kernel += r->kernel;
		for (a = 0; a < 3; a++)
			for (b = 0; b < FLT_NR_RESULTS; b++)
				into->by[a][b] += r->by[a][b];
	}
	w->nvrows = n;
}

int faults_cmp_vrow(const void *a, const void *b)
{
	const struct vrow *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

int faults_cmp_iprow(const void *a, const void *b)
{
	const struct iprow *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

const char *faults_ip_name(struct watcher *w, const struct iprow *r, char *buf,
			   size_t len, const char **file)
{
	struct fault_row tmp = { .e = { .pid = (__u32)r->pid, .ip = r->ip,
					.flags = r->kernel ? FLT_KERNEL : 0 } };

	symbolize(w, &tmp);
	*file = tmp.ipfile;
	if (!tmp.sym[0])
		return NULL;
	snprintf(buf, len, "%s", tmp.sym);
	return buf;
}
