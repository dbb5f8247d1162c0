// SPDX-License-Identifier: GPL-2.0
/* vmscope driver: mappings, helper calls, findings and the summary, as
 * lines or NDJSON objects. */
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

void report_finding(struct drv *d, struct dmap *m, enum check ck,
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

void json_helper(struct drv *d, const struct dmap *m, const struct drv_event *e,
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

static void json_mapping(struct drv *d, struct dmap *m, const char *when, uint64_t ts,
			 const struct frame_run *runs, size_t nruns)
{
	struct json *j = &d->j;
	unsigned int b;
	size_t i;

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
}

static void plain_mapping(struct drv *d, struct dmap *m, const char *when, uint64_t ts,
			  const struct frame_run *runs, size_t nruns)
{
	char *esc = text_escape(shown_path(m), strlen(shown_path(m)));
	char fl[200], size[16];
	size_t i;

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

void report_mapping(struct drv *d, struct dmap *m, const char *when, uint64_t ts)
{
	struct frame_run *runs = NULL;
	size_t nruns = 0;

	dmap_runs(m, &runs, &nruns);
	if (d->c->json)
		json_mapping(d, m, when, ts, runs, nruns);
	else
		plain_mapping(d, m, when, ts, runs, nruns);
	free(runs);
	fflush(d->out);
}

void report_end(struct drv *d, struct dmap *m, const char *why)
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

void driver_summary(struct drv *d, double secs, uint64_t lost)
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

/* Say how the helpers are seen: one line, at start. */
void driver_helpers_note(struct drv *d)
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
