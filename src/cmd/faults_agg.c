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
static struct vrow *vrow_get(struct watcher *w, pid_t pid, const struct vm_ent *e)
{
	static size_t last;
	uint64_t start = e ? e->start : 0;
	size_t i;

	if (last < w->nvrows && w->vrows[last].pid == pid && w->vrows[last].start == start)
		return &w->vrows[last];
	for (i = 0; i < w->nvrows; i++)
		if (w->vrows[i].pid == pid && w->vrows[i].start == start)
			return &w->vrows[last = i];
	if (!grow_array((void **)&w->vrows, &w->capvrows, w->nvrows, sizeof(struct vrow)))
		return NULL;
	memset(&w->vrows[w->nvrows], 0, sizeof(struct vrow));
	w->vrows[w->nvrows].pid = pid;
	w->vrows[w->nvrows].start = start;
	w->vrows[w->nvrows].end = e ? e->end : 0;
	w->vrows[w->nvrows].path = e ? e->path : NULL;
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
	struct vrow *r = vrow_get(w, pid, e);

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

/* Give the kernel pid's VMA table, if it changed since it last got it. */
void faults_push_bounds_of(struct watcher *w, pid_t pid)
{
	static struct flt_bounds b;
	const struct vm_ent *v;
	size_t k, n;

	if (!vm_model_take_changed(w->vm, pid))
		return;
	v = vm_model_vmas(w->vm, pid, &n);
	b.n = n < FLT_BOUNDS ? (__u32)n : FLT_BOUNDS;
	for (k = 0; k < b.n; k++) {
		b.start[k] = v[k].start;
		b.end[k] = v[k].end;
	}
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
	/* a VMA start or a page: either lies in the VMA */
	const struct vm_ent *v = vm_model_find(w->vm, (pid_t)k->pid, k->where);

	count_fault(w, (pid_t)k->pid, v, k->access, k->result, k->kernel, n);
	if (k->by_page) {
		faults_note_pid(w, (pid_t)k->pid);	/* give it a table next time */
		w->by_page += n;
	}
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
