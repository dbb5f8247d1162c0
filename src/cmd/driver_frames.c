// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope driver: the frames of live mappings in one table (the checks
 * that compare mappings), the kernel's vmalloc space, and the checks on
 * frames as they arrive.
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

/* ---- frames shared between mappings ----------------------------------- */

struct frame_slot *frame_slot(struct drv *d, uint64_t pfn, bool add)
{
	size_t i, mask;

	if (add && (d->nframes + 1) * 2 > d->capframes) {
		size_t nc = d->capframes ? d->capframes * 2 : 4096, k;
		struct frame_slot *nf = calloc(nc, sizeof(*nf));

		if (!nf)
			return NULL;
		for (k = 0; k < d->capframes; k++) {
			struct frame_slot *o = &d->frames[k];

			if (!o->pfn)
				continue;
			for (i = (o->pfn * 0x9e3779b97f4a7c15ULL) >> 7; ; i++)
				if (!nf[i & (nc - 1)].pfn) {
					nf[i & (nc - 1)] = *o;
					break;
				}
		}
		free(d->frames);
		d->frames = nf;
		d->capframes = nc;
	}
	if (!d->capframes)
		return NULL;
	mask = d->capframes - 1;
	for (i = ((pfn + 1) * 0x9e3779b97f4a7c15ULL) >> 7; ; i++) {
		struct frame_slot *s = &d->frames[i & mask];

		if (s->pfn == pfn + 1)
			return s;
		if (!s->pfn) {
			if (!add)
				return NULL;
			s->pfn = pfn + 1;
			d->nframes++;
			return s;
		}
	}
}

/* The frame table again, from the live mappings only. */
void frames_rebuild(struct drv *d)
{
	size_t i;
	uint64_t idx;

	free(d->frames);
	d->frames = NULL;
	d->capframes = d->nframes = 0;
	d->ended_frames = 0;
	for (i = 0; i < d->nmaps; i++) {
		struct dmap *m = d->maps[i];

		for (idx = 0; !m->ended && idx < m->npages; idx++) {
			struct frame_slot *f;

			if (!m->pfn[idx] || !(f = frame_slot(d, m->pfn[idx] - 1, true)))
				continue;
			f->map = (uint32_t)i;
			f->fpage = m->k.pgoff + idx;
			f->cache = m->cache[idx];
		}
	}
}

/* Were m's frames ever read (its page tables at mmap, or a fault's)?
 * If not, "no frame" is not data: the process went first. */
bool frames_known(const struct dmap *m)
{
	return m->walked || dmap_pages_with_frame(m);
}

/* ---- checks that compare mappings ----------------------------------------- */

/* A frame of mapping mi at index idx is known (walk or fault): look for the
 * same frame in another live mapping of the same file at another offset,
 * or with another cache mode. */
static void cross_check(struct drv *d, uint32_t mi, uint64_t idx, const char *cache)
{
	struct dmap *m = d->maps[mi], *o;
	uint64_t pfn = m->pfn[idx] - 1, fpage = m->k.pgoff + idx;
	struct frame_slot *s;
	char detail[400];

	if (m->kf && (m->kf[idx] & (1ULL << KPF_ZERO_PAGE)))
		return;
	s = frame_slot(d, pfn, true);
	if (!s)
		return;
	o = s->map != mi && s->cache ? d->maps[s->map] : NULL;
	if (!o || o->ended) {
		s->map = mi;
		s->fpage = fpage;
		s->cache = cache;
		return;
	}
	if (dmap_same_file(o, m) && s->fpage != fpage) {
		snprintf(detail, sizeof(detail),
			 "frame 0x%" PRIx64 " backs file page %#" PRIx64 " here (offset %#"
			 PRIx64 ") and file page %#" PRIx64 " in the mapping at %#" PRIx64
			 " (pid %d): the driver's mmap ignores vm_pgoff, so every offset "
			 "shows the same memory", pfn, fpage, fpage << 12, s->fpage,
			 o->start, (int)o->pid);
		report_finding(d, m, CK_PGOFF, idx << 12, true, detail);
	}
	if (cache && s->cache && strcmp(cache, s->cache)) {
		snprintf(detail, sizeof(detail),
			 "frame 0x%" PRIx64 " is mapped %s here and %s at %#" PRIx64
			 " (pid %d): one frame with two cache modes is undefined "
			 "behaviour on x86 (machine checks, stale data)",
			 pfn, cache, s->cache, o->start, (int)o->pid);
		report_finding(d, m, CK_CACHE_CONFLICT, idx << 12, true, detail);
	}
}

static int kmap_cb(const struct ptw_rec *r, size_t n, void *arg)
{
	struct drv *d = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t pfn = ptw_pfn(&r[i]);

		if (!r[i].present || r[i].level != PTW_PTE ||
		    r[i].vaddr == ptwalk_direct_base(d->pw) + (pfn << 12))
			continue;
		if (!grow_array((void **)&d->kmap, &d->capkmap, d->nkmap, sizeof(*d->kmap)))
			return -ENOMEM;
		d->kmap[d->nkmap].kaddr = r[i].vaddr;
		d->kmap[d->nkmap].pfn = pfn;
		d->nkmap++;
	}
	return 0;
}

static int cmp_kleaf_pfn(const void *a, const void *b)
{
	const struct kleaf *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static void kmap_build(struct drv *d)
{
	uint64_t lo = paging_levels() == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	uint64_t t0 = mono_ns();

	d->kmap_valid = true;
	d->nkmap = 0;
	free(d->kmap_by_pfn);
	d->kmap_by_pfn = NULL;
	d->kmap_err = ptwalk_kernel(d->pw, lo, 0xffffffff80000000ULL, kmap_cb, d);
	d->kmap_ns = mono_ns();
	d->kmap_len_ns = d->kmap_ns - t0;
	if (d->kmap_err || !d->nkmap)
		return;
	d->kmap_by_pfn = malloc(d->nkmap * sizeof(*d->kmap_by_pfn));
	if (!d->kmap_by_pfn) {
		d->kmap_err = -ENOMEM;
		return;
	}
	memcpy(d->kmap_by_pfn, d->kmap, d->nkmap * sizeof(*d->kmap_by_pfn));
	qsort(d->kmap_by_pfn, d->nkmap, sizeof(*d->kmap_by_pfn), cmp_kleaf_pfn);
}

static uint64_t kaddr_of(void *ctx, uint64_t pfn)
{
	struct drv *d = ctx;
	size_t lo = 0, hi = d->nkmap;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->kmap_by_pfn[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nkmap && d->kmap_by_pfn[lo].pfn == pfn ? d->kmap_by_pfn[lo].kaddr : 0;
}

static uint64_t pfn_at(void *ctx, uint64_t kaddr)
{
	struct drv *d = ctx;
	size_t lo = 0, hi = d->nkmap;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->kmap[mid].kaddr < kaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nkmap && d->kmap[lo].kaddr == kaddr ? d->kmap[lo].pfn : 0;
}

/* Reference counts of the pages of m in [lo, hi) that have them. */
void read_refs(struct drv *d, struct dmap *m, uint64_t lo, uint64_t hi)
{
	uint64_t *pfns, *idx, i;
	int32_t *refs;
	bool *known;
	size_t n = 0, k;
	int err;

	if (hi > m->npages)
		hi = m->npages;
	if (!d->pw || d->refs_unavailable || hi <= lo)
		return;
	pfns = malloc((hi - lo) * (2 * sizeof(uint64_t) + sizeof(int32_t) + 1) + 1);
	if (!pfns)
		return;
	idx = pfns + (hi - lo);
	refs = (int32_t *)(idx + (hi - lo));
	known = (bool *)(refs + (hi - lo));
	for (i = lo; i < hi; i++)
		if (dmap_wants_ref(m, i) && !m->has_ref[i]) {
			idx[n] = i;
			pfns[n++] = m->pfn[i] - 1;
		}
	if (n) {
		err = ptwalk_page_refs(d->pw, pfns, n, refs, known);
		if (err == -ENOENT) {
			d->refs_unavailable = true;
			cli_note(d->c, "page reference counts unavailable: struct pages "
				 "not found (needs CONFIG_VMAP_STACK): page_refcount not checked");
		}
		for (k = 0; !err && k < n; k++)
			if (known[k])
				dmap_set_ref(m, idx[k], refs[k]);
	}
	free(pfns);
}

void frame_checks(struct drv *d, uint32_t mi, uint64_t lo, uint64_t hi)
{
	struct dmap *m = d->maps[mi];
	struct check_result cr[CK_NR];
	size_t n, i;
	uint64_t idx;

	for (idx = lo; idx < hi && idx < m->npages; idx++)
		if (m->pfn[idx])
			cross_check(d, mi, idx, m->cache ? m->cache[idx] :
				    cache_mode(m->k.page_prot, 0));
	read_refs(d, m, lo, hi);
	n = dmap_frame_checks(m, lo, hi, cr);
	for (i = 0; i < n; i++)
		report_finding(d, m, cr[i].check, cr[i].offset, cr[i].has_offset,
			       cr[i].detail);
	if (d->pw) {
		for (idx = lo; idx < hi && idx < m->npages; idx++)
			if (m->pfn[idx] && m->has_k[idx] && !(m->kf[idx] & (1ULL << KPF_NOPAGE)))
				break;
		/* RAM frames (not device memory): the kernel walk comes after
		 * the batch, so that the batch's other mappings are read first */
		if (idx < hi && idx < m->npages)
			m->vmalloc_due = d->vmalloc_any_due = true;
	}
}

/* The vmalloc_remap check of the mappings that got RAM frames. */
void vmalloc_checks(struct drv *d)
{
	struct kmap_lookup kl = { kaddr_of, pfn_at, d };
	struct check_result one;
	size_t i;

	if (!d->vmalloc_any_due)
		return;
	d->vmalloc_any_due = false;
	for (i = 0; i < d->nmaps; i++) {
		struct dmap *m = d->maps[i];

		if (!m->vmalloc_due || m->ended)
			continue;
		m->vmalloc_due = false;
		if (!d->kmap_valid)
			kmap_build(d);
		/* counted while the process lives: its buffers may go with it.
		 * A walk that ended after its mm did may have missed them:
		 * unknown, and the mapping's end says so */
		m->vmalloc_ns = d->kmap_ns;
		if (proc_has_mm(m->pid) != 1) {
			m->vmalloc_pages = -1;
			continue;
		}
		m->vmalloc_pages = vmalloc_pages(d, m);
		if ((m->k.flags & VMF_PFNMAP) && !(m->found & (1u << CK_VMALLOC)) &&
		    !d->kmap_err && dmap_vmalloc_check(m, &kl, &one))
			report_finding(d, m, one.check, one.offset, one.has_offset,
				       one.detail);
	}
}

/* Could frame idx of m be RAM (not known to be device memory)? */
static bool maybe_ram(const struct dmap *m, uint64_t idx)
{
	return m->pfn[idx] && !(m->has_k[idx] && (m->kf[idx] & (1ULL << KPF_NOPAGE)));
}

static bool has_ram(const struct dmap *m)
{
	uint64_t i;

	for (i = 0; i < m->npages; i++)
		if (maybe_ram(m, i))
			return true;
	return false;
}

/* How many of m's RAM frames the kernel maps in its vmalloc space
 * (vmalloc'd buffers), or -1 when unknown. */
int64_t vmalloc_pages(struct drv *d, const struct dmap *m)
{
	uint64_t i, n = 0;

	if (!has_ram(m))	/* no frame, or device memory only */
		return frames_known(m) ? 0 : -1;
	if (!d->pw)
		return -1;
	if (!d->kmap_valid)
		kmap_build(d);
	if (d->kmap_err)
		return -1;
	for (i = 0; i < m->npages; i++)
		n += maybe_ram(m, i) && kaddr_of(d, m->pfn[i] - 1);
	return (int64_t)n;
}

/* m ended at ts (an event's time; 0: vmscope stops, m is still mapped).
 * A count of its vmalloc'd frames is data only from a kernel walk that
 * ended before it did: the buffers may be freed with the mapping (a BPF
 * array is, at exit), and a walk after that finds none. */
void vmalloc_final(struct drv *d, struct dmap *m, uint64_t ts)
{
	if (!ts) {
		if (m->vmalloc_due || m->vmalloc_pages < 0)
			m->vmalloc_pages = vmalloc_pages(d, m);
	} else if (frames_known(m) && !has_ram(m)) {
		m->vmalloc_pages = 0;
	} else if (!frames_known(m) || m->vmalloc_due || m->vmalloc_pages < 0 ||
		   m->vmalloc_ns >= ts) {
		m->vmalloc_pages = -1;
		if (d->pw && d->kp.flags_fd >= 0 && !d->kmap_err)
			d->vmalloc_unknown++;	/* the check could run, too late */
	}
}
