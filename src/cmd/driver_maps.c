// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope driver: the session's events to driver mappings: which mmaps
 * are a driver's, their VMA and frames read as they are made, the helper
 * calls and faults in them, and their end.
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "tracers/bpf_driver.h"
#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"
#include "tracers/bpf_ptwalk.h"
#include "tracers/bpf_vma.h"
#include "cli.h"
#include "cmd/driver_checks.h"
#include "tracers/feature.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kallsyms.h"
#include "procfs/kpage.h"
#include "procfs/maps.h"
#include "procfs/proc.h"
#include "tracers/records.h"
#include "session/session.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"
#include "cmd/driver.h"

/* ---- mappings ----------------------------------------------------------- */

/* Does --dev (or no --dev) take this mapping? */
static bool dev_wanted(const struct drv *d, const struct vma_rec *k, uint32_t sdev,
		       const char *path)
{
	size_t n;

	if (!d->dev_arg)
		return true;
	if (d->dev_is_node)
		return (k->ino == d->dev_ino && sdev == d->dev_sdev) ||
		       (d->dev_rdev && k->rdev == d->dev_rdev &&
			(k->i_mode & S_IFMT) == S_IFCHR);
	if (!path)
		return false;
	n = strlen(d->dev_arg);
	if (n && d->dev_arg[n - 1] == '*')
		return !strncmp(path, d->dev_arg, n - 1);
	return !strcmp(path, d->dev_arg);
}

/* Owner functions by name; kallsyms is read once (at the start), since a
 * mapping must be walked before the process moves on. */
static void resolve_fns(struct drv *d, struct dmap *m)
{
	const uint64_t a[4] = { m->k.fn_fault, m->k.fn_open, m->k.fn_mmap, m->k.fn_name };
	const char *name;
	unsigned int i;

	for (i = 0; i < 4; i++)
		if ((name = sym_kernel_exact(d->sym, a[i])))
			m->fn[i] = strdup(name);
}

static int walk_cb(const struct ptw_rec *r, size_t n, void *arg)
{
	struct dmap *m = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t pages = ptw_pages(&r[i]), pfn = ptw_pfn(&r[i]), p;
		const char *cm = cache_mode(r[i].entry, (int)r[i].level);

		if (!r[i].present)
			continue;
		for (p = 0; p < pages; p++) {
			uint64_t va = r[i].vaddr + (p << 12);

			if (va < m->start || va >= m->end)
				continue;
			dmap_set_frame(m, (va - m->start) >> 12, pfn + p, cm);
		}
	}
	return 0;
}

/* Read the page tables of a new mapping, then the flags of its frames. */
static void walk_mapping(struct drv *d, struct dmap *m)
{
	uint64_t *pfns, *fl, *cnt, idx;
	size_t n = 0;
	int r;

	if (!d->pw) {
		snprintf(m->walk_why, sizeof(m->walk_why), "%s", d->pw_why);
		return;
	}
	r = ptwalk_leaves(d->pw, m->pid, m->start, m->end, walk_cb, m);
	/* a process that exits as we walk leaves page tables being torn
	 * down: the frames found are some of them, or none, no count of
	 * what the driver installed. They are dropped: the mapping is new,
	 * nothing else put frames in it yet */
	if (!r && proc_has_mm(m->pid) != 1)
		r = -ESRCH;
	if (r && m->npages)
		memset(m->pfn, 0, m->npages * sizeof(*m->pfn));
	if (r == -ESRCH) {
		snprintf(m->walk_why, sizeof(m->walk_why), "the mapping or its "
			 "process was gone when its page tables were read (frames "
			 "unknown)");
		return;
	}
	if (r) {
		snprintf(m->walk_why, sizeof(m->walk_why), "page-table walk failed: %s",
			 strerror(-r));
		return;
	}
	m->walked = true;
	m->walk_ns = mono_ns();
	m->at_mmap = dmap_pages_with_frame(m);
	if (!m->at_mmap || d->kp.flags_fd < 0)
		return;
	pfns = malloc(m->at_mmap * 3 * sizeof(*pfns));
	if (!pfns)
		return;
	fl = pfns + m->at_mmap;
	cnt = fl + m->at_mmap;
	for (idx = 0; idx < m->npages; idx++)
		if (m->pfn[idx])
			pfns[n++] = m->pfn[idx] - 1;
	if (!kpage_lookup(&d->kp, pfns, n, fl, d->kp.count_fd >= 0 ? cnt : NULL,
			  NULL)) {
		for (idx = 0, n = 0; idx < m->npages; idx++)
			if (m->pfn[idx]) {
				dmap_set_kpage(m, idx, fl[n], d->kp.count_fd >= 0,
					       cnt[n]);
				n++;
			}
	}
	free(pfns);
}

static void count_call(struct dmap *m, const struct drv_event *e)
{
	unsigned int i;

	m->helper_calls[e->helper]++;
	if (e->helper != DH_FAULT || !(e->flags & DRV_HAS_RET))
		return;
	for (i = 0; i < m->nfault_rets; i++)
		if (m->fault_rets[i].ret == e->ret)
			break;
	if (i == m->nfault_rets) {
		if (i == ARRAY_SIZE(m->fault_rets)) {
			m->fault_rets_other++;
			return;
		}
		m->fault_rets[i].ret = e->ret;
		m->nfault_rets++;
	}
	m->fault_rets[i].n++;
}

/* The calls made inside the mmap that made m. */
static void claim_calls(struct drv *d, struct dmap *m)
{
	size_t i, k = 0;

	for (i = 0; i < d->nhpend; i++) {
		struct drv_event *e = &d->hpend[i];

		if ((pid_t)e->pid == m->pid && e->vma_start == m->start) {
			if (grow_array((void **)&m->calls, &m->capcalls, m->ncalls, sizeof(*m->calls)))
				m->calls[m->ncalls++] = *e;
			count_call(m, e);
		} else {
			d->hpend[k++] = *e;
		}
	}
	d->nhpend = k;
}

static void new_mapping(struct drv *d, pid_t pid, const struct vma_rec *k,
			bool live, const char *path, const char *comm, const char *when,
			uint64_t ts)
{
	struct check_result cr[CK_NR];
	struct dmap *m;
	size_t n, i;
	uint32_t mi;

	if (!grow_array((void **)&d->maps, &d->capmaps, d->nmaps, sizeof(*d->maps)))
		return;
	m = dmap_new(pid, k, path, MAX_PAGES);
	if (!m) {
		cli_note(d->c, "out of memory for a mapping of pid %d", (int)pid);
		return;
	}
	mi = (uint32_t)d->nmaps;
	d->maps[d->nmaps++] = m;
	snprintf(m->comm, sizeof(m->comm), "%s", comm);
	claim_calls(d, m);
	if (live) {
		walk_mapping(d, m);
		read_refs(d, m, 0, m->npages);
		resolve_fns(d, m);
	} else {
		snprintf(m->walk_why, sizeof(m->walk_why), "the mapping was gone "
			 "before it could be read (owner and frames unknown)");
	}
	report_mapping(d, m, when, ts);
	n = dmap_static_checks(m, cr);
	for (i = 0; i < n; i++)
		report_finding(d, m, cr[i].check, cr[i].offset, cr[i].has_offset,
			       cr[i].detail);
	if (m->walked)
		frame_checks(d, mi, 0, m->npages);
	/* faults of this process must reach us: --dev and system-wide runs
	 * trace the faults of processes that map a driver only */
	if (d->system_wide)
		session_watch(d->s, pid);
}

void end_mapping(struct drv *d, struct dmap *m, const char *why, uint64_t ts)
{
	if (m->ended)
		return;
	m->ended = true;
	vmalloc_final(d, m, ts);
	report_end(d, m, why);
	/* a long run keeps what it reports, not every frame it saw */
	d->ended_frames += dmap_pages_with_frame(m);
	dmap_release_frames(m);
	if (d->ended_frames > 65536 && d->ended_frames * 2 > d->nframes)
		frames_rebuild(d);
}

static void end_range(struct drv *d, pid_t pid, uint64_t lo, uint64_t hi,
		      const char *why, uint64_t ts)
{
	size_t i;

	for (i = 0; i < d->nmaps; i++) {
		struct dmap *m = d->maps[i];

		if (!m->ended && m->pid == pid && m->start < hi && lo < m->end)
			end_mapping(d, m, why, ts);
	}
}

/* The file of a VMA as /proc/PID/maps names it (anon inodes, sockets and
 * MAP_HUGETLB files have names only the kernel's d_path gives). */
static char *vma_path(uint32_t pid, const struct vma_rec *k)
{
	char link[96], buf[4096];
	ssize_t n;

	proc_map_files_path(link, sizeof(link), (pid_t)pid, k->start, k->end);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	return strndup(buf, (size_t)n);
}

/* A successful mmap (or mremap) left the VMA v: is it a driver's? */
static bool proc_gone(pid_t pid)
{
	return kill(pid, 0) && errno == ESRCH;
}

static void consider(struct drv *d, const struct mm_event *ev, const struct mm_vma *v,
		     const char *when)
{
	struct vma_rec *recs = NULL, k = {
		.start = v->start, .end = v->end, .flags = v->flags, .pgoff = v->pgoff,
		.has_file = v->has_file, .i_mode = v->i_mode, .s_magic = v->s_magic,
		.ino = v->ino, .page_shift = 12,
	};
	char cut[MM_PATH_CUT_BUF], *path = NULL;
	const char *p;
	bool found = false;
	size_t n = 0, i, len;

	if (!driver_file(v->has_file, v->flags, v->i_mode, v->s_magic))
		return;
	if (vma_iter_read_pid(d->it, (pid_t)ev->pid, &recs, &n, d->why, sizeof(d->why)) &&
	    !proc_gone((pid_t)ev->pid))
		cli_note(d->c, "pid %d: cannot read its VMAs: %s", (int)ev->pid, d->why);
	for (i = 0; i < n; i++) {
		if (recs[i].start > v->start || recs[i].end <= v->start)
			continue;
		/* events are read a little after they happen: is this still
		 * the VMA the mmap made, not a later one at the same place? */
		if (recs[i].ino == v->ino && recs[i].s_magic == v->s_magic &&
		    recs[i].pgoff + ((v->start - recs[i].start) >> 12) == v->pgoff &&
		    !((recs[i].flags ^ v->flags) & (VMF_READ | VMF_WRITE | VMF_EXEC |
						    VMF_MAYSHARE))) {
			/* split or merged since: the kernel's current bounds */
			k = recs[i];
			found = true;
		}
		break;
	}
	free(recs);
	if (found)
		path = vma_path(ev->pid, &k);
	/* the tracer names anon inodes, sockets and pipes as maps does; a
	 * file of another pseudo file system is only "/" to it */
	if (!path && mm_event_path(ev, cut, &p, &len) && strcmp(p, "/"))
		path = strndup(p, strnlen(p, len));
	if (dev_wanted(d, &k, v->dev, path))
		new_mapping(d, (pid_t)ev->pid, &k, found, path, ev->comm, when,
			    ev->ts_ns);
	free(path);
}

int driver_on_mm(const struct mm_event *ev, void *arg)
{
	struct drv *d = arg;

	switch (ev->type) {
	case MM_EV_EXIT:
		end_range(d, (pid_t)ev->pid, 0, UINT64_MAX, "exit", ev->ts_ns);
		return 0;
	case MM_EV_EXEC:
		end_range(d, (pid_t)ev->pid, 0, UINT64_MAX, "exec", ev->ts_ns);
		return 0;
	case MM_EV_CALL:
		break;
	default:
		return 0;
	}
	if (ev->ret < 0 && ev->ret > -4096)
		return 0;
	switch (ev->nr) {
	case SYS_mmap:
		if (ev->nvma && ev->vma_when == MM_VMAS_AFTER)
			consider(d, ev, &ev->vma[0], "mmap");
		break;
	case SYS_munmap:
		end_range(d, (pid_t)ev->pid, ev->args[0], ev->args[0] + ev->args[1],
			  "munmap", ev->ts_ns);
		break;
	case SYS_mremap:
		end_range(d, (pid_t)ev->pid, ev->args[0], ev->args[0] + ev->args[1],
			  "mremap", ev->ts_ns);
		if (ev->nvma && ev->vma_when == MM_VMAS_AFTER)
			consider(d, ev, &ev->vma[0], "mremap");
		break;
	}
	return 0;
}

static struct dmap *find_live(struct drv *d, pid_t pid, uint64_t addr, uint32_t *mi)
{
	size_t i;

	for (i = d->nmaps; i-- > 0;) {
		struct dmap *m = d->maps[i];

		if (!m->ended && m->pid == pid && addr >= m->start && addr < m->end) {
			*mi = (uint32_t)i;
			return m;
		}
	}
	return NULL;
}

/* A helper call: inside an mmap (its mapping is not known yet: kept for
 * it), or later, from a fault handler, in a mapping we know. */
int driver_on_helper(const struct drv_event *ep, void *arg)
{
	struct drv *d = arg;
	const struct drv_event e = *ep;
	struct dmap *m;
	uint32_t mi;

	m = find_live(d, (pid_t)e.pid, e.vma_start, &mi);
	if (!m || m->start != e.vma_start) {
		if (d->nhpend >= 4096)
			d->nhpend = 0;		/* nobody claimed them */
		if (grow_array((void **)&d->hpend, &d->caphpend, d->nhpend, sizeof(*d->hpend)))
			d->hpend[d->nhpend++] = e;
		return 0;
	}
	count_call(m, &e);
	if (d->c->json)
		json_helper(d, m, &e, true);
	return 0;
}

int driver_on_fault(const struct flt_event *ep, void *arg)
{
	struct drv *d = arg;
	const struct flt_event e = *ep;
	struct check_result cr;
	struct dmap *m;
	uint32_t mi;

	m = find_live(d, (pid_t)e.pid, e.addr, &mi);
	if (!m)
		return 0;
	d->faults++;
	if (dmap_fault(m, &e, &cr))
		report_finding(d, m, cr.check, cr.offset, cr.has_offset, cr.detail);
	if (e.flags & FLT_HAS_PFN) {
		/* the page, or every page of the huge leaf it is in */
		uint64_t span = 1ULL << (9 * (e.level < 2 ? e.level : 2));
		uint64_t vfirst = (e.addr >> 12) & ~(span - 1), mfirst = m->start >> 12;
		uint64_t i = vfirst > mfirst ? vfirst - mfirst : 0;
		uint64_t end = vfirst + span - mfirst;

		for (; i < end && i < m->npages; i++) {
			if (!m->pfn[i] ||
			    !grow_array((void **)&d->pend, &d->cappend, d->npend, sizeof(*d->pend)))
				continue;
			d->pend[d->npend].map = mi;
			d->pend[d->npend].idx = i;
			d->npend++;
		}
	}
	return 0;
}

/* Page flags of the frames faults installed since the last batch, then
 * the checks on them. */
void driver_flush_pending(struct drv *d)
{
	uint64_t *pfns, *fl, *cnt;
	size_t i, k = 0;

	/* a mapping that ended in this batch has let its frames go */
	for (i = 0; i < d->npend; i++)
		if (d->pend[i].idx < d->maps[d->pend[i].map]->npages &&
		    d->maps[d->pend[i].map]->pfn[d->pend[i].idx])
			d->pend[k++] = d->pend[i];
	d->npend = k;
	if (!d->npend)
		return;
	pfns = malloc(d->npend * 3 * sizeof(*pfns));
	if (pfns && d->kp.flags_fd >= 0) {
		fl = pfns + d->npend;
		cnt = fl + d->npend;
		for (i = 0; i < d->npend; i++)
			pfns[i] = d->maps[d->pend[i].map]->pfn[d->pend[i].idx] - 1;
		if (!kpage_lookup(&d->kp, pfns, d->npend, fl,
				  d->kp.count_fd >= 0 ? cnt : NULL, NULL))
			for (i = 0; i < d->npend; i++)
				dmap_set_kpage(d->maps[d->pend[i].map], d->pend[i].idx,
					       fl[i], d->kp.count_fd >= 0, cnt[i]);
	}
	free(pfns);
	for (i = 0; i < d->npend; i++)
		frame_checks(d, d->pend[i].map, d->pend[i].idx, d->pend[i].idx + 1);
	d->npend = 0;
}

/* -p PID: the driver mappings it has now. */
void driver_existing(struct drv *d, pid_t pid)
{
	struct vma_rec *recs = NULL;
	struct maps_list ml = { 0 };
	char comm[16];
	size_t n = 0, i;

	if (vma_iter_read_pid(d->it, pid, &recs, &n, d->why, sizeof(d->why))) {
		cli_note(d->c, "pid %d: cannot read its VMAs: %s", (int)pid, d->why);
		return;
	}
	proc_comm(pid, comm, sizeof(comm));
	maps_read(pid, &ml);
	for (i = 0; i < n; i++) {
		ssize_t mi = ml.n ? maps_find(&ml, recs[i].start) : -1;
		const char *path = mi >= 0 ? ml.v[mi].path : NULL;
		uint32_t sdev = mi >= 0 ? (ml.v[mi].dev_major << 20) | ml.v[mi].dev_minor : 0;

		if (driver_file(recs[i].has_file, recs[i].flags, recs[i].i_mode,
				recs[i].s_magic) && dev_wanted(d, &recs[i], sdev, path))
			new_mapping(d, pid, &recs[i], true, path, comm, "existing", 0);
	}
	maps_free(&ml);
	free(recs);
	vmalloc_checks(d);
}
