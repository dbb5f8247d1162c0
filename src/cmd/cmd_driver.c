// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope driver: for every mmap of a device, anon-inode or other special
 * file, what the driver installed and what is wrong with it.
 *
 * The VMA comes from the task_vma iterator right after the mmap event; the
 * frames from a page-table walk at that moment and from the faults that
 * follow (bpf/fault.bpf.c, which reads the page table as each fault ends);
 * page flags from kpageflags/kpagecount. Checks run on each of these as it
 * arrives, and the ones that compare mappings (same frame at two file
 * offsets, two cache modes) use one frame table for the whole session.
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
#include "session/stream.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "model/vmflags.h"

static const char driver_usage[] =
"Usage: vmscope driver [options] -p PID\n"
"       vmscope driver [options] -- CMD [ARGS...]\n"
"       vmscope driver [options] [--dev PATH]        (system-wide)\n"
"\n"
"Every mmap of a device, anon-inode, socket or other special file: the VMA\n"
"the driver made (flags, owner functions, cache mode), the frames it\n"
"installed (page-table walk right after the mmap, then each fault) with\n"
"their page flags, and findings: accesses past what the driver backs,\n"
"pages missing at mmap time, vm_pgoff ignored, IO mappings that mremap can\n"
"grow, device memory mapped write-back, conflicting cache modes, faults\n"
"that install nothing, slab pages given to user space.\n"
"\n"
"Options:\n"
"  -p, --pid PID       this process: its driver mappings now, then live\n"
"  -f, --follow        also watch children forked after the start\n"
"      --dev PATH      system-wide: only mappings of this file (a device\n"
"                      node, or a name as /proc/PID/maps shows it, e.g.\n"
"                      anon_inode:[io_uring]; a trailing * matches any end)\n"
"      --comm NAME     system-wide: only processes with this command name\n"
"  -o, --output FILE   write to FILE instead of standard output\n"
"      --ring-size N   ring buffer size (default 8M; power of two)\n"
"  -j, --json          NDJSON: mapping, finding and mapping_end objects,\n"
"                      then a summary\n"
"  -h, --help          this help\n"
"\n"
"With -- CMD the command starts held before exec until every probe is\n"
"attached and vmscope exits with its status. See vmscope-driver(8) for\n"
"each finding and which attach modes see it.\n";

#define MAX_PAGES	(1u << 20)	/* frames kept per mapping (4 GiB) */
#define NO_PAGE_REPEAT	8		/* same page refaulting without a frame */

/* Last time a frame was seen in a live mapping. */
struct frame_slot {
	uint64_t pfn;		/* + 1; 0: empty */
	uint32_t map;		/* index in drv.maps */
	uint64_t fpage;		/* file page (vm_pgoff + index) */
	const char *cache;
};

struct drv {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;
	enum mech fault_mode;
	struct mmtrace *mt;
	struct fltrace *ft;
	struct drvtrace *dt;
	enum mech hmode[DH_NR];		/* each helper's mechanism */
	bool helpers_on;
	int vmemmap_state;		/* 0 unknown, 1 found, -1 unavailable */
	uint64_t vmemmap;
	uint32_t page_struct;
	/* helper calls made inside an mmap, before its event arrives */
	struct drv_event *hpend;
	size_t nhpend, caphpend;
	struct ptwalk *pw;
	char pw_why[200];
	struct kpage_reader kp;
	struct symbolizer *sym;
	struct dmap **maps;
	size_t nmaps, capmaps;
	struct vma_iter *it;	/* loaded once, attached per read */
	/* --dev */
	const char *dev_arg;
	bool dev_is_node;
	uint32_t dev_sdev, dev_rdev;
	uint64_t dev_ino;
	bool system_wide;
	/* frames of live mappings */
	struct frame_slot *frames;
	size_t capframes, nframes;
	uint64_t ended_frames;		/* in the table, of ended mappings */
	/* frames from faults, waiting for one kpageflags read per batch */
	struct { uint32_t map; uint64_t idx; } *pend;
	size_t npend, cappend;
	uint64_t faults, findings, by_check[CK_NR], lost_seen;
	/* the kernel's 4K mappings outside the direct map (vmalloc space),
	 * read once per batch when a VM_PFNMAP mapping has RAM frames */
	struct kleaf { uint64_t kaddr, pfn; } *kmap;	/* by address */
	struct kleaf *kmap_by_pfn;			/* the same, by frame */
	size_t nkmap, capkmap;
	bool kmap_valid;
	int kmap_err;
	uint64_t kmap_ns, kmap_len_ns;	/* the last walk: its end, its length */
	size_t vmalloc_unknown;		/* mappings that ended uncounted */
	bool vmalloc_any_due;
	bool refs_unavailable;
	char why[256];
};

/* ---- frames shared between mappings ----------------------------------- */

static struct frame_slot *frame_slot(struct drv *d, uint64_t pfn, bool add)
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
static void frames_rebuild(struct drv *d)
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

/* ---- output ------------------------------------------------------------- */

static double rel_sec(const struct drv *d, uint64_t ts_ns)
{
	return ts_ns > d->t0 ? (double)(ts_ns - d->t0) / 1e9 : 0;
}

static const char *shown_path(const struct dmap *m)
{
	return m->path ? m->path : "?";
}

static void json_vma_brief(struct json *j, const struct dmap *m)
{
	json_key(j, "vma");
	json_obj_begin(j);
	json_khex(j, "start", m->start);
	json_khex(j, "end", m->end);
	json_kstr(j, "path", m->path);
	json_obj_end(j);
}

/* Print a text indented by two spaces, cut into lines of at most 78. */
static void plain_wrapped(FILE *out, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		size_t take = n, sp;

		if (take > 76) {
			for (sp = 76; sp > 20 && s[sp] != ' '; sp--)
				;
			take = s[sp] == ' ' ? sp : 76;
		}
		fprintf(out, "    %.*s\n", (int)take, s);
		s += take;
		n -= take;
		while (n && *s == ' ') {
			s++;
			n--;
		}
	}
}

static void report_finding(struct drv *d, struct dmap *m, enum check ck,
			   uint64_t offset, bool has_offset, const char *detail)
{
	char *esc;

	if (m->found & (1u << ck))
		return;
	m->found |= 1u << ck;
	d->findings++;
	d->by_check[ck]++;
	if (d->c->json) {
		json_obj_begin(&d->j);
		json_kstr(&d->j, "type", "finding");
		json_kstr(&d->j, "check", check_name(ck));
		json_kstr(&d->j, "severity", check_severity(ck));
		json_ku64(&d->j, "pid", (uint64_t)m->pid);
		json_kstr(&d->j, "comm", m->comm);
		json_vma_brief(&d->j, m);
		json_key(&d->j, "offset");
		has_offset ? json_hex(&d->j, offset) : json_null(&d->j);
		json_kstr(&d->j, "detail", detail);
		json_obj_end(&d->j);
		json_end_doc(&d->j);
		return;
	}
	esc = text_escape(shown_path(m), strlen(shown_path(m)));
	if (esc && text_width(esc) > 30)
		text_cut_left(esc, 30);
	fprintf(d->out, "FINDING %-5s %s  pid %d  %" PRIx64 " %s\n",
		check_severity(ck), check_name(ck), (int)m->pid, m->start,
		esc ? esc : "?");
	plain_wrapped(d->out, detail);
	free(esc);
}

static void json_frames(struct json *j, const struct dmap *m, const struct frame_run *r,
			size_t n)
{
	size_t i;

	(void)m;
	json_key(j, "runs");
	json_arr_begin(j);
	for (i = 0; i < n; i++) {
		char fl[256];

		json_obj_begin(j);
		json_khex(j, "vaddr", r[i].vaddr);
		json_ku64(j, "pages", r[i].pages);
		json_khex(j, "pfn", r[i].pfn);
		json_key(j, "flags");
		if (r[i].has_k) {
			char *p, *save = NULL;

			kpage_flags_str(r[i].kflags, fl, sizeof(fl));
			json_arr_begin(j);
			for (p = strtok_r(fl, ",", &save); p; p = strtok_r(NULL, ",", &save))
				json_str(j, p);
			json_arr_end(j);
		} else {
			json_null(j);
		}
		json_key(j, "mapcount");
		r[i].has_count ? json_u64(j, r[i].kcount) : json_null(j);
		json_key(j, "refcount");
		r[i].has_ref ? json_i64(j, r[i].ref) : json_null(j);
		json_kstr(j, "cache", r[i].cache);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The frame a helper call names: its PFN, or its struct page's. */
static bool call_pfn(struct drv *d, const struct drv_event *e, unsigned int i, uint64_t *pfn)
{
	if (i >= e->npage || !e->page[i])
		return false;
	if (!(e->flags & DRV_PAGE_PTR)) {
		*pfn = e->page[i];
		return true;
	}
	if (!d->vmemmap_state)
		d->vmemmap_state = d->pw && !ptwalk_vmemmap(d->pw, &d->vmemmap,
							   &d->page_struct) ? 1 : -1;
	if (d->vmemmap_state < 0 || !d->page_struct || e->page[i] < d->vmemmap)
		return false;
	*pfn = (e->page[i] - d->vmemmap) / d->page_struct;
	return true;
}

static void json_helper(struct drv *d, const struct dmap *m, const struct drv_event *e,
			bool alone)
{
	struct json *j = &d->j;
	uint64_t pfn;
	unsigned int i;

	json_obj_begin(j);
	if (alone) {
		json_kstr(j, "type", "helper");
		json_ku64(j, "pid", e->pid);
		json_vma_brief(j, m);
	}
	json_ku64(j, "ts_ns", e->ts_ns);
	json_ku64(j, "tid", e->tid);
	json_kstr(j, "helper", drv_helper_name(e->helper));
	json_khex(j, "addr", e->addr);
	json_khex(j, "offset", e->addr - m->start);
	json_key(j, "pfn");
	if (call_pfn(d, e, 0, &pfn))
		json_hex(j, pfn);
	else
		json_null(j);
	if (e->helper == DH_VM_INSERT_PAGES) {
		json_ku64(j, "pages", e->size);
		json_key(j, "pfns");
		json_arr_begin(j);
		for (i = 0; i < e->npage; i++)
			if (call_pfn(d, e, i, &pfn))
				json_hex(j, pfn);
		json_arr_end(j);
	} else if (e->helper == DH_REMAP_PFN_RANGE || e->helper == DH_REMAP_VMALLOC_RANGE) {
		json_ku64(j, "size", e->size);
	}
	if (e->helper == DH_REMAP_PFN_RANGE || e->helper == DH_VMF_INSERT_PFN ||
	    e->helper == DH_VMF_INSERT_MIXED) {
		json_khex(j, "prot", e->prot);
		json_kstr(j, "cache", cache_mode(e->prot, 0));
	}
	if (e->helper == DH_REMAP_VMALLOC_RANGE) {
		json_khex(j, "kaddr", e->kaddr);
		json_ku64(j, "pgoff", e->pgoff);
	}
	json_key(j, "ret");
	if (e->flags & DRV_HAS_RET) {
		if (e->helper == DH_FAULT || e->helper == DH_VMF_INSERT_PFN ||
		    e->helper == DH_VMF_INSERT_MIXED)
			json_hex(j, (uint64_t)e->ret);	/* vm_fault_t bits */
		else
			json_i64(j, e->ret);
	} else {
		json_null(j);
	}
	json_obj_end(j);
	if (alone)
		json_end_doc(j);
}

static void plain_helper(struct drv *d, const struct dmap *m, const struct drv_event *e)
{
	char size[16] = "", ret[24] = "", pfn_s[24] = "?";
	uint64_t pfn;

	if (call_pfn(d, e, 0, &pfn))
		snprintf(pfn_s, sizeof(pfn_s), "0x%" PRIx64, pfn);
	if (e->helper == DH_REMAP_PFN_RANGE || e->helper == DH_REMAP_VMALLOC_RANGE)
		human_size(e->size, size, sizeof(size));
	else if (e->helper == DH_VM_INSERT_PAGES)
		snprintf(size, sizeof(size), "%" PRIu64 "p", (uint64_t)e->size);
	if (e->flags & DRV_HAS_RET)
		snprintf(ret, sizeof(ret), " = %" PRId64, (int64_t)e->ret);
	fprintf(d->out, "  %-19s +%-7" PRIx64 " pfn %-10s %-5s%s%s\n",
		drv_helper_name(e->helper), (uint64_t)(e->addr - m->start),
		e->helper == DH_REMAP_VMALLOC_RANGE ? "-" : pfn_s, size,
		e->helper == DH_REMAP_PFN_RANGE ? cache_mode(e->prot, 0) : "", ret);
}

static void report_mapping(struct drv *d, struct dmap *m, const char *when, uint64_t ts)
{
	struct frame_run *runs = NULL;
	size_t nruns = 0, i;
	char fl[200], size[16];

	dmap_runs(m, &runs, &nruns);
	if (d->c->json) {
		struct json *j = &d->j;
		unsigned int b;

		json_obj_begin(j);
		json_kstr(j, "type", "mapping");
		json_key(j, "ts_ns");
		json_u64(j, ts);
		json_kstr(j, "when", when);
		json_ku64(j, "pid", (uint64_t)m->pid);
		json_kstr(j, "comm", m->comm);
		json_key(j, "vma");
		json_obj_begin(j);
		json_khex(j, "start", m->start);
		json_khex(j, "end", m->end);
		json_kstr(j, "perms", m->perms);
		json_khex(j, "pgoff", m->k.pgoff);
		json_kstr(j, "path", m->path);
		json_key(j, "vm_flags");
		json_arr_begin(j);
		for (b = 0; b < 64; b++) {
			const char *mn = vmflag_mnemonic(b);

			if ((m->k.flags & (1ULL << b)) && mn && *mn)
				json_str(j, mn);
		}
		json_arr_end(j);
		json_kstr(j, "cache", cache_mode(m->k.page_prot, 0));
		json_khex(j, "page_prot", m->k.page_prot);
		json_ku64(j, "page_size", 1ULL << m->k.page_shift);
		json_obj_end(j);
		json_key(j, "file");
		json_obj_begin(j);
		json_kstr(j, "kind", m->kind);
		json_ku64(j, "inode", m->k.ino);
		json_key(j, "rdev");
		if (m->rdev_str[0])
			json_str(j, m->rdev_str);
		else
			json_null(j);
		json_obj_end(j);
		json_key(j, "owner");
		json_obj_begin(j);
		json_kstr(j, "fault", m->fn[FN_FAULT]);
		json_kstr(j, "open", m->fn[FN_OPEN]);
		json_kstr(j, "mmap", m->fn[FN_MMAP]);
		json_kstr(j, "name", m->fn[FN_NAME]);
		json_obj_end(j);
		json_key(j, "helpers");
		if (d->helpers_on) {
			json_arr_begin(j);
			for (i = 0; i < m->ncalls; i++)
				json_helper(d, m, &m->calls[i], false);
			json_arr_end(j);
		} else {
			json_null(j);
		}
		json_key(j, "installed");
		json_obj_begin(j);
		json_kstr(j, "source", m->walked ? "pagetable" : NULL);
		json_key(j, "pages_mapped");
		m->walked ? json_u64(j, m->at_mmap) : json_null(j);
		json_ku64(j, "pages", m->vpages);
		json_key(j, "walk_delay_ns");	/* from the mmap's return */
		if (m->walked && ts && m->walk_ns > ts)
			json_u64(j, m->walk_ns - ts);
		else
			json_null(j);
		json_kstr(j, "note", m->walked ? NULL : m->walk_why);
		json_frames(j, m, runs, nruns);
		json_obj_end(j);
		json_obj_end(j);
		json_end_doc(j);
	} else {
		char *esc = text_escape(shown_path(m), strlen(shown_path(m)));

		if (esc && text_width(esc) > 40)
			text_cut_left(esc, 40);
		fprintf(d->out, "[%8.3f] %s  pid %d (%s)  %s\n", rel_sec(d, ts), when,
			(int)m->pid, m->comm, esc ? esc : "?");
		free(esc);
		human_size(m->end - m->start, size, sizeof(size));
		fprintf(d->out, "  %" PRIx64 "-%" PRIx64 " %s %s pgoff %#" PRIx64
			" %s cache %s\n", m->start, m->end, m->perms, size,
			(uint64_t)m->k.pgoff, m->kind, cache_mode(m->k.page_prot, 0));
		vmflags_str(m->k.flags, fl, sizeof(fl));
		fprintf(d->out, "  vm_flags %s\n", fl);
		{
			static const char *const what[4] = { "fault", "open", "mmap", "name" };
			size_t col = 7, k, any = 0;

			fprintf(d->out, "  owner");
			for (k = 0; k < 4; k++) {
				size_t w;

				if (!m->fn[k])
					continue;
				w = strlen(what[k]) + strlen(m->fn[k]) + 2;
				if (any && col + w > 80) {
					fprintf(d->out, "\n       ");
					col = 7;
				}
				fprintf(d->out, " %s=%s", what[k], m->fn[k]);
				col += w;
				any++;
			}
			fprintf(d->out, "%s\n", any ? "" : " unknown");
		}
		if (!m->walked)
			fprintf(d->out, "  frames unknown: %s\n", m->walk_why);
		else if (!ts)
			fprintf(d->out, "  now: %" PRIu64 " of %" PRIu64 " pages mapped"
				" (page-table walk)\n", m->at_mmap, m->vpages);
		else
			fprintf(d->out, "  at mmap +%.1fms: %" PRIu64 " of %" PRIu64
				" pages mapped (page-table walk)\n",
				m->walk_ns > ts ? (double)(m->walk_ns - ts) / 1e6 : 0.0,
				m->at_mmap, m->vpages);
		for (i = 0; i < m->ncalls && i < 4; i++)
			plain_helper(d, m, &m->calls[i]);
		if (m->ncalls > 4)
			fprintf(d->out, "  ... %zu more helper calls (--json lists all)\n",
				m->ncalls - 4);
		for (i = 0; i < nruns && i < 4; i++) {
			char kf[160];

			if (runs[i].has_k)
				kpage_flags_str(runs[i].kflags, kf, sizeof(kf));
			else
				snprintf(kf, sizeof(kf), "?");
			if (!kf[0])
				snprintf(kf, sizeof(kf), "-");
			if (strlen(kf) > 28)
				strcpy(kf + 25, "...");
			fprintf(d->out, "    +%-7" PRIx64 " %5" PRIu64 "p pfn %-10" PRIx64
				" %-3s %s\n", runs[i].vaddr - m->start, runs[i].pages,
				runs[i].pfn, runs[i].cache, kf);
		}
		if (nruns > 4)
			fprintf(d->out, "    ... %zu more runs (--json lists all)\n",
				nruns - 4);
	}
	free(runs);
	fflush(d->out);
}

static int64_t vmalloc_pages(struct drv *d, const struct dmap *m);

/* Were m's frames ever read (its page tables at mmap, or a fault's)?
 * If not, "no frame" is not data: the process went first. */
static bool frames_known(const struct dmap *m)
{
	return m->walked || dmap_pages_with_frame(m);
}

static void report_end(struct drv *d, struct dmap *m, const char *why)
{
	uint64_t have = dmap_pages_with_frame(m);
	bool known = frames_known(m);
	unsigned int r;

	if (d->c->json) {
		json_obj_begin(&d->j);
		json_kstr(&d->j, "type", "mapping_end");
		json_kstr(&d->j, "why", why);
		json_ku64(&d->j, "pid", (uint64_t)m->pid);
		json_vma_brief(&d->j, m);
		json_key(&d->j, "faults");
		json_obj_begin(&d->j);
		for (r = 0; r < FLT_NR_RESULTS; r++)
			json_ku64(&d->j, flt_result_name(r), m->faults[r]);
		json_obj_end(&d->j);
		json_key(&d->j, "pages_with_frame");
		known ? json_u64(&d->j, have) : json_null(&d->j);
		json_key(&d->j, "vmalloc_pages");	/* frames of vmalloc'd memory */
		m->vmalloc_pages < 0 ? json_null(&d->j) : json_i64(&d->j, m->vmalloc_pages);
		json_ku64(&d->j, "pages", m->vpages);
		json_ku64(&d->j, "findings", (uint64_t)__builtin_popcount(m->found));
		json_key(&d->j, "helper_calls");
		if (d->helpers_on) {
			json_obj_begin(&d->j);
			for (r = 0; r < DH_NR; r++)
				if (m->helper_calls[r])
					json_ku64(&d->j, drv_helper_name(r), m->helper_calls[r]);
			json_obj_end(&d->j);
		} else {
			json_null(&d->j);
		}
		json_key(&d->j, "fault_returns");
		if (d->helpers_on && d->hmode[DH_FAULT] != MECH_NONE) {
			char k[24];

			json_obj_begin(&d->j);
			for (r = 0; r < m->nfault_rets; r++) {
				snprintf(k, sizeof(k), "0x%" PRIx64, (uint64_t)m->fault_rets[r].ret);
				json_ku64(&d->j, k, m->fault_rets[r].n);
			}
			if (m->fault_rets_other)
				json_ku64(&d->j, "other", m->fault_rets_other);
			json_obj_end(&d->j);
		} else {
			json_null(&d->j);
		}
		json_obj_end(&d->j);
		json_end_doc(&d->j);
		return;
	}
	if (known)
		fprintf(d->out, "END  %d %" PRIx64 " %s: %" PRIu64 "/%" PRIu64
			" pages mapped%s,", (int)m->pid, m->start, why, have,
			m->vpages, m->vmalloc_pages > 0 ? " (vmalloc)" :
			m->vmalloc_pages < 0 && have ? " (vmalloc?)" : "");
	else
		fprintf(d->out, "END  %d %" PRIx64 " %s: ?/%" PRIu64
			" pages mapped (frames never read),", (int)m->pid,
			m->start, why, m->vpages);
	{
		uint64_t tot = 0;
		bool first = true;

		for (r = 0; r < FLT_NR_RESULTS; r++)
			tot += m->faults[r];
		fprintf(d->out, " %" PRIu64 " fault%s", tot, tot == 1 ? "" : "s");
		for (r = 0; r < FLT_NR_RESULTS; r++) {
			if (!m->faults[r])
				continue;
			fprintf(d->out, "%s%" PRIu64 " %s", first ? " (" : ", ",
				m->faults[r], flt_result_name(r));
			first = false;
		}
		fprintf(d->out, "%s\n", first ? "" : ")");
	}
	if (d->helpers_on && m->helper_calls[DH_FAULT]) {
		fprintf(d->out, "     vm_ops->fault %" PRIu64 " call%s, returned", m->helper_calls[DH_FAULT],
			m->helper_calls[DH_FAULT] == 1 ? "" : "s");
		for (r = 0; r < m->nfault_rets && r < 4; r++)
			fprintf(d->out, "%s 0x%" PRIx64 " x%" PRIu64, r ? "," : "",
				(uint64_t)m->fault_rets[r].ret, m->fault_rets[r].n);
		fputc('\n', d->out);
	}
	fflush(d->out);
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
static void read_refs(struct drv *d, struct dmap *m, uint64_t lo, uint64_t hi)
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

static void frame_checks(struct drv *d, uint32_t mi, uint64_t lo, uint64_t hi)
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
static void vmalloc_checks(struct drv *d)
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
		mmtrace_add(d->mt, pid);
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
static int64_t vmalloc_pages(struct drv *d, const struct dmap *m)
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
static void vmalloc_final(struct drv *d, struct dmap *m, uint64_t ts)
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

static void end_mapping(struct drv *d, struct dmap *m, const char *why, uint64_t ts)
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

	snprintf(link, sizeof(link), "%s/%u/map_files/%" PRIx64 "-%" PRIx64,
		 proc_root(), pid, (uint64_t)k->start, (uint64_t)k->end);
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

static int on_mm(const struct mm_event *ev, void *arg)
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

static int on_fault(const void *data, size_t size, void *arg);

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
static void on_helper(struct drv *d, const void *data, size_t size)
{
	struct drv_event e;
	struct dmap *m;
	uint32_t mi;

	if (!drv_record_decode(data, size, &e))
		return;
	m = find_live(d, (pid_t)e.pid, e.vma_start, &mi);
	if (!m || m->start != e.vma_start) {
		if (d->nhpend >= 4096)
			d->nhpend = 0;		/* nobody claimed them */
		if (grow_array((void **)&d->hpend, &d->caphpend, d->nhpend, sizeof(*d->hpend)))
			d->hpend[d->nhpend++] = e;
		return;
	}
	count_call(m, &e);
	if (d->c->json)
		json_helper(d, m, &e, true);
}

static int on_other(const void *data, size_t size, void *arg)
{
	if (record_type(data, size) == DRV_EV_TYPE) {
		on_helper(arg, data, size);
		return 0;
	}
	return on_fault(data, size, arg);
}

static int on_fault(const void *data, size_t size, void *arg)
{
	struct drv *d = arg;
	struct flt_event e;
	struct check_result cr;
	struct dmap *m;
	uint32_t mi;

	if (!flt_record_decode(data, size, &e))
		return 0;
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
static void flush_pending(struct drv *d)
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
static void existing(struct drv *d, pid_t pid)
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

/* Could this run make the check (what it needs was there)? */
static bool check_ran(const struct drv *d, enum check ck)
{
	bool frames = d->pw != NULL, flags = d->kp.flags_fd >= 0;

	switch (ck) {
	case CK_UNMAPPED: case CK_PGOFF: case CK_CACHE_CONFLICT:
		return frames;
	case CK_CACHED_DEVICE: case CK_SLAB:
		return frames && flags;
	case CK_VMALLOC:
		return frames && flags && !d->kmap_err;
	case CK_REFCOUNT:
		return frames && flags && d->kp.count_fd >= 0 && !d->refs_unavailable;
	default:
		return check_runs(ck);
	}
}

static void summary(struct drv *d, double secs, uint64_t lost)
{
	unsigned int ck;
	size_t i, live = 0;

	for (i = 0; i < d->nmaps; i++)
		live += !d->maps[i]->ended;
	if (d->vmalloc_unknown)
		cli_note(d->c, "%zu mapping%s ended before the vmalloc check ran",
			 d->vmalloc_unknown, d->vmalloc_unknown == 1 ? "" : "s");
	if (d->c->json) {
		json_obj_begin(&d->j);
		json_kstr(&d->j, "type", "summary");
		json_ku64(&d->j, "mappings", d->nmaps);
		json_ku64(&d->j, "still_mapped", live);
		json_ku64(&d->j, "findings", d->findings);
		json_key(&d->j, "by_check");
		json_obj_begin(&d->j);
		for (ck = 0; ck < CK_NR; ck++)
			if (d->by_check[ck])
				json_ku64(&d->j, check_name(ck), d->by_check[ck]);
		json_obj_end(&d->j);
		json_key(&d->j, "checks_not_run");
		json_arr_begin(&d->j);
		for (ck = 0; ck < CK_NR; ck++)
			if (!check_ran(d, ck))
				json_str(&d->j, check_name(ck));
		json_arr_end(&d->j);
		json_ku64(&d->j, "vmalloc_unknown", d->vmalloc_unknown);
		json_ku64(&d->j, "faults", d->faults);
		json_kstr(&d->j, "fault_mode", mech_name(d->fault_mode));
		json_key(&d->j, "helper_modes");
		json_obj_begin(&d->j);
		for (ck = 0; ck < DH_NR; ck++)
			json_kstr(&d->j, drv_helper_hook(ck), d->hmode[ck] == MECH_NONE ? NULL :
				  mech_name(d->hmode[ck]));
		json_obj_end(&d->j);
		json_ku64(&d->j, "lost", lost);
		json_key(&d->j, "duration_s");
		json_double(&d->j, secs);
		json_obj_end(&d->j);
		json_end_doc(&d->j);
		return;
	}
	fprintf(d->out, "-- %zu driver mapping%s (%zu still mapped), %" PRIu64
		" finding%s\n   %" PRIu64 " faults in them, %" PRIu64 " events lost, "
		"%.1fs\n", d->nmaps, d->nmaps == 1 ? "" : "s", live, d->findings,
		d->findings == 1 ? "" : "s", d->faults, lost, secs);
	for (ck = 0; ck < CK_NR; ck++)
		if (d->by_check[ck])
			fprintf(d->out, "   %-20s %" PRIu64 "\n", check_name(ck),
				d->by_check[ck]);
	for (ck = 0; ck < CK_NR; ck++)
		if (!check_ran(d, ck))
			fprintf(d->out, "   %-20s not checked (see the notes above)\n",
				check_name(ck));
}

/* Records dropped by all three objects sharing the ring. */
static uint64_t lost_total(const struct drv *d)
{
	return mmtrace_lost(d->mt) + fltrace_lost(d->ft) + drvtrace_lost(d->dt);
}

/* Say how the helpers are seen: one line, at start. */
static void helpers_note(struct drv *d)
{
	char buf[256] = "";
	unsigned int h;
	size_t len = 0;

	if (!d->helpers_on) {
		cli_note(d->c, "driver helpers untraced (no fentry/kprobe): frames "
			 "from walks");
		return;
	}
	for (h = 0; h < DH_NR; h++)
		if (d->hmode[h] == MECH_NONE)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? ", " : "", drv_helper_hook(h));
	cli_note(d->c, "driver helpers traced by %s%s%s", mech_name(d->hmode[DH_REMAP_PFN_RANGE] ?
		 d->hmode[DH_REMAP_PFN_RANGE] : d->hmode[DH_FAULT]),
		 len ? "; not traced: " : "", buf);
}

int cmd_driver(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		STREAM_LONGOPTS,
		{ "dev", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct stream_args sa = { .ring_bytes = 8 << 20 };
	struct mmtrace_opts mo = { 0 }, fmo;
	struct fltrace_opts fo = { .mm = &fmo, .access_mask = 7, .result_mask = 0x7f };
	struct drv *d = NULL;
	struct stream s;
	const char *dev_arg = NULL;
	struct stat st;
	int opt, r, ret;
	size_t i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+" STREAM_SHORTOPTS CLI_COMMON_SHORTOPTS,
				  longopts, NULL)) != -1) {
		r = stream_opt(c, &sa, opt, optarg);
		if (r > 0)
			return r;
		if (r == 0)
			continue;
		if (opt == 'D') {
			dev_arg = optarg;
			continue;
		}
		r = cli_command_opt(c, opt, optarg, driver_usage);
		if (r >= 0)
			return r;
	}
	r = stream_args_end(c, &sa, argc, argv);
	if (r)
		return r;
	if (dev_arg && (sa.pid || sa.cmd))
		return cli_error(c, EXIT_USAGE, "--dev is for system-wide runs: "
				 "not with -p or -- CMD");
	if (dev_arg && !*dev_arg)
		return cli_error(c, EXIT_USAGE, "--dev needs a path");
	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "driver needs root: CAP_BPF, "
				 "CAP_PERFMON and CAP_SYS_ADMIN (page tables, frames)");
	r = stream_fault_mode(c, "driver", &fo.outcome);
	if (r)
		return r;
	stream_mmtrace_opts(&sa, &mo);
	mo.wake_each = true;	/* a mapping is read as soon as it is made */
	fmo = mo;
	/* system-wide: every mmap, but only the faults of processes that
	 * map a driver (added as they do) */
	fmo.system_wide = false;

	ret = stream_begin(&s, c, &sa);
	if (ret)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	d->c = c;
	d->out = s.out;
	d->kp.flags_fd = d->kp.count_fd = -1;
	d->fault_mode = fo.outcome == MECH_NONE ? MECH_TRACEPOINT : fo.outcome;
	d->system_wide = mo.system_wide;
	d->t0 = (uint64_t)(s.t_start * 1e9);
	json_init(&d->j, d->out);
	if (dev_arg) {
		d->dev_arg = dev_arg;
		if (!stat(dev_arg, &st)) {
			d->dev_is_node = true;
			d->dev_ino = st.st_ino;
			d->dev_sdev = (major(st.st_dev) << 20) | minor(st.st_dev);
			if (S_ISCHR(st.st_mode))
				d->dev_rdev = (major(st.st_rdev) << 20) | minor(st.st_rdev);
		} else if (strchr(dev_arg, '/') && dev_arg[0] == '/') {
			ret = cli_error(c, EXIT_USAGE, "--dev %s: %s", dev_arg,
					strerror(errno));
			goto out;
		}
	}
	d->sym = sym_new();
	if (!d->sym) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	{
		char b[8];

		if (!sym_kernel(d->sym, 1, b, sizeof(b)) && kallsyms_visible() != 1)
			cli_note(c, "owner functions unknown: kallsyms hides addresses");
	}
	kpage_open(&d->kp);
	if (d->kp.flags_fd < 0)
		cli_note(c, "page flags unavailable: kpageflags: %s",
			 strerror(-d->kp.flags_err));
	r = ptwalk_open(&d->pw, d->pw_why, sizeof(d->pw_why));
	if (r) {
		cli_note(c, "frames unavailable: %s", d->pw_why);
	} else {
		fo.direct_base = ptwalk_direct_base(d->pw);
		fo.top_level = ptwalk_top_level(d->pw);
	}
	r = vma_iter_open(&d->it, 0, d->why, sizeof(d->why));
	if (!r)
		r = mmtrace_open(&d->mt, &mo, on_mm, d, d->why, sizeof(d->why));
	if (!r) {
		mmtrace_set_other(d->mt, on_other, d);
		r = fltrace_open(&d->ft, d->mt, &fo, d->why, sizeof(d->why));
	}
	if (!r) {
		/* helpers run inside the mmap, before we know its process
		 * maps a driver: they follow the mmap tracer's filter */
		r = drvtrace_open(&d->dt, d->mt, &mo, c->mode, d->hmode, d->why,
				  sizeof(d->why));
		if (r == -EOPNOTSUPP) {
			ret = cli_error(c, EXIT_PRIVILEGE, "driver: %s", d->why);
			goto out;
		}
		d->helpers_on = d->dt != NULL;
	}
	if (r) {
		ret = cli_error(c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE :
				EXIT_RUNTIME, "%s%s", d->why, r == -EPERM ?
				" (needs root: CAP_BPF and CAP_PERFMON)" : "");
		goto out;
	}
	helpers_note(d);
	if (s.pid) {
		r = mmtrace_add(d->mt, s.pid);
		if (r) {
			ret = cli_error(c, EXIT_RUNTIME, "cannot watch %d: %s", s.pid,
					strerror(-r));
			goto out;
		}
		if (!sa.cmd)
			existing(d, s.pid);
	}
	ret = stream_go(&s, mmtrace_fd(d->mt), "watching mmaps of",
			mech_name(d->fault_mode), sa.follow);
	if (ret)
		goto out;
	while (!(r = stream_wait(&s, 100))) {
		int got;

		d->kmap_valid = false;		/* the kernel's mappings change */
		got = mmtrace_consume(d->mt);
		flush_pending(d);
		/* the kernel walk (10-20 ms here) follows the batch that
		 * brought RAM frames, while their process most likely lives:
		 * a short-lived one's buffers go when it exits. While events
		 * keep coming, walks take at most a tenth of the time. */
		if (got <= 0 || mono_ns() - d->kmap_ns >= 9 * d->kmap_len_ns)
			vmalloc_checks(d);
		stream_note_lost(&s, lost_total(d));
	}
	if (r < 0)
		ret = -r;
	d->kmap_valid = false;
	mmtrace_consume(d->mt);
	flush_pending(d);
	vmalloc_checks(d);
	stream_note_lost(&s, lost_total(d));
	for (i = 0; i < d->nmaps; i++)
		end_mapping(d, d->maps[i], "end", 0);
	summary(d, now_sec() - s.t_start, lost_total(d));
	if (!ret && s.have_exit)
		ret = s.exit_code;
out:
	if (d) {
		fltrace_close(d->ft);
		mmtrace_close(d->mt);
		ptwalk_close(d->pw);
		kpage_close(&d->kp);
		sym_free(d->sym);
		vma_iter_close(d->it);
		for (i = 0; i < d->nmaps; i++)
			dmap_free(d->maps[i]);
		free(d->maps);
		free(d->frames);
		free(d->pend);
		free(d->kmap);
		free(d->hpend);
		drvtrace_close(d->dt);
		free(d->kmap_by_pfn);
		free(d);
	}
	return stream_end(&s, ret);
}
