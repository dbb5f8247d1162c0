// SPDX-License-Identifier: GPL-2.0
/* vmscope top's snapshots: text (top -b), NDJSON, and one VMA's detail. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd/top.h"
#include "decode/vmflags.h"
#include "model/pfn_scan.h"
#include "model/symbolize.h"
#include "model/vma_table.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kpage.h"
#include "tracers/records.h"
#include "util.h"

/* ---- the detail of one VMA -------------------------------------------------- */

static int on_frame(const struct frame_item *it, void *arg)
{
	struct top_detail *d = arg;
	struct top_run *p = d->n ? &d->runs[d->n - 1] : NULL;
	bool zero = it->present && it->kflags_known && (it->kflags & (1ULL << KPF_ZERO_PAGE));
	bool huge = it->page_shift > PAGE_SHIFT;

	if (!it->present && !it->swapped)
		return 0;	/* a hole: no frame */
	if (it->present)
		d->present += it->pages;
	/* one more page of the last run: both spaces continue it, same state */
	if (p && p->vaddr + (p->pages << PAGE_SHIFT) == it->vaddr && p->present == it->present &&
	    p->swapped == it->swapped && p->zero == zero && p->huge == huge &&
	    (!it->present || d->pfn_hidden || p->pfn + p->pages == it->pfn) &&
	    p->kflags_known == it->kflags_known && p->kflags == it->kflags &&
	    p->mapcount_known == it->mapcount_known && p->mapcount == it->mapcount) {
		p->pages += it->pages;
		return 0;
	}
	if (p && p->present && it->present && !d->pfn_hidden && p->pfn + p->pages != it->pfn)
		d->frames_contig++;	/* a break in physical contiguity */
	if (d->n == TOP_RUNS_MAX) {
		d->truncated = true;
		return -ECANCELED;	/* enough: a view shows fewer */
	}
	if (!grow_array((void **)&d->runs, &d->cap, d->n, sizeof(*d->runs)))
		return -ENOMEM;
	d->runs[d->n++] = (struct top_run){
		.vaddr = it->vaddr, .pages = it->pages, .pfn = it->present ? it->pfn : 0,
		.present = it->present, .swapped = it->swapped, .huge = huge, .zero = zero,
		.kflags_known = it->kflags_known, .kflags = it->kflags,
		.mapcount_known = it->mapcount_known, .mapcount = it->mapcount,
		.from_walk = it->source == SRC_PAGETABLE,
	};
	return 0;
}

void top_detail_free(struct top_detail *d)
{
	free(d->runs);
	memset(d, 0, sizeof(*d));
}

/* The frames behind r now, as runs: pagemap (PAGEMAP_SCAN skipping holes)
 * or, for VM_PFNMAP/VM_IO, the page-table walk. */
int top_detail_read(struct top *t, const struct top_row *r)
{
	struct top_detail *d = &t->det;
	struct vma v = { .m = { .start = r->start, .end = r->end } };
	struct vma_table vt = { .v = &v, .n = 1 };
	struct pfn_scan_opts so = { .pw = t->pw, .kr = &t->kp };

	d->n = 0;
	d->truncated = false;
	d->present = d->frames_contig = 0;
	d->start = r->start;
	d->end = r->end;
	d->why = NULL;
	d->pfn_hidden = t->pfn_hidden;
	v.has_flags = r->flags_known;
	v.flags = r->flags;
	memcpy(v.m.perms, r->perms, sizeof(v.m.perms));
	if (t->pagemap_fd < 0) {
		d->err = -EACCES;
		return d->err;
	}
	d->from_walk = vma_pagemap_blind(&v);
	if (d->from_walk && !t->pw) {
		d->err = -EOPNOTSUPP;
		d->why = "a VM_PFNMAP/VM_IO VMA: only the page-table walk shows its frames, "
			 "and it could not load";
		return d->err;
	}
	d->err = pfn_scan(t->pid, t->pagemap_fd, &vt, r->start, r->end, &so, on_frame, d);
	if (d->err == -ECANCELED && d->truncated)
		d->err = 0;
	return d->err;
}

const char *top_owner(struct top *t, const struct top_row *r)
{
	const char *name;

	if (!r->owner_known)
		return NULL;
	if (!r->owner_fn)
		return "-";
	if (!t->sym)
		t->sym = sym_new();
	name = t->sym ? sym_kernel_exact(t->sym, r->owner_fn) : NULL;
	return name ? name : "(unnamed)";
}

/* ---- formatting ---------------------------------------------------------------- */

static void fmt_rate(double v, char *buf, size_t len)
{
	if (v < 0.05)
		snprintf(buf, len, "0");
	else if (v < 999.5)
		snprintf(buf, len, "%.0f", v);
	else if (v < 9999.5)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v < 999.5e3)
		snprintf(buf, len, "%.0fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
}

static void fmt_pages(uint64_t pages, char *buf, size_t len)
{
	if (!pages)
		snprintf(buf, len, "0");
	else
		human_size(pages << PAGE_SHIFT, buf, len);
}

static void fmt_age(const struct top *t, const struct top_row *r, char *buf, size_t len)
{
	double age = t->t_snap - r->scanned;

	if (!r->scanned || r->res_err)
		snprintf(buf, len, "?");
	else if (age < 59.5)
		snprintf(buf, len, "%.0fs", age < 0 ? 0 : age);
	else
		snprintf(buf, len, "%.0fm", age / 60);
}

static double row_rate(const struct top *t, const struct top_row *r, enum top_kind k)
{
	return (double)r->d_f[k] / (t->dt > 0 ? t->dt : 1);
}

static char mark_char(const struct top_row *r)
{
	return r->mark & TOP_GONE ? '-' : r->mark & TOP_NEW ? '+' :
	       r->mark & TOP_CHANGED ? '*' : ' ';
}

void top_format_header(const struct top *t, unsigned int cols, char *buf, size_t len)
{
	if (cols >= 120)
		snprintf(buf, len, " %-25s %6s %-4s %6s %6s %6s %6s %-16s %4s %s", "START-END",
			 "SIZE", "PERM", "RSS", "SWAP", "MIN/s", "MAJ/s", "RESIDENCY", "AGE",
			 "NAME");
	else
		snprintf(buf, len, " %-12s %5s %-4s %5s %5s %5s %5s %-8s %3s %s", "START", "SIZE",
			 "PERM", "RSS", "SWAP", "MIN/s", "MAJ/s", "RESIDENT", "AGE", "NAME");
	(void)t;
}

void top_format_row(const struct top *t, const struct top_row *r, unsigned int cols,
		    char *buf, size_t len)
{
	char size[16], rss[16], swap[16], mn[16], mj[16], age[8], strip[RES_STRIP + 1];
	char name[4096];
	bool known = r->scanned && !r->res_err;
	int n;

	human_size(r->end - r->start, size, sizeof(size));
	if (known) {
		fmt_pages(r->res.present, rss, sizeof(rss));
		fmt_pages(r->res.swap, swap, sizeof(swap));
	} else {
		snprintf(rss, sizeof(rss), "?");
		snprintf(swap, sizeof(swap), "?");
	}
	fmt_rate(row_rate(t, r, TOP_MINOR), mn, sizeof(mn));
	fmt_rate(row_rate(t, r, TOP_MAJOR), mj, sizeof(mj));
	fmt_age(t, r, age, sizeof(age));
	snprintf(name, sizeof(name), "%s", top_row_name(r));
	if (cols >= 120) {
		if (known)
			memcpy(strip, r->res.strip, sizeof(strip));
		else
			snprintf(strip, sizeof(strip), "%s", "????????????????");
		n = snprintf(buf, len, "%c%012" PRIx64 "-%012" PRIx64 " %6s %-4s %6s %6s %6s %6s "
			     "%-16s %4s ", mark_char(r), r->start, r->end, size, r->perms, rss, swap,
			     mn, mj, strip, age);
	} else {
		if (known)
			residency_strip(r->res.strip, 8, strip);
		else
			snprintf(strip, sizeof(strip), "%s", "????????");
		n = snprintf(buf, len, "%c%012" PRIx64 " %5s %-4s %5s %5s %5s %5s %-8s %3s ",
			     mark_char(r), r->start, size, r->perms, rss, swap, mn, mj, strip, age);
	}
	if (n < 0 || (size_t)n >= len)
		return;
	if (cols > (unsigned int)n + 4 && strlen(name) > cols - n) {
		/* the file's own name says more than the tail of its folder */
		const char *base = strrchr(name, '/');

		if (base && base[1])
			memmove(name, base + 1, strlen(base));
		text_cut_left(name, cols - n);
	}
	snprintf(buf + n, len - n, "%s", name);
}

static const char *kernel_rss(const struct top *t, char *buf, size_t len)
{
	if (!t->statm_ok)
		return "?";
	fmt_pages(t->statm_rss, buf, len);
	return buf;
}

void top_format_head_line(const struct top *t, unsigned int line, unsigned int cols,
			  char *buf, size_t len)
{
	char a[16], b[16], c[16], d[16], rs[16], krs[16];
	bool all;
	uint64_t res = top_resident(t, &all);

	(void)cols;
	switch (line) {
	case 0:
		snprintf(buf, len, "vmscope top - pid %d (%s)  mmap: %s  faults: %s%s", (int)t->pid,
			 t->comm, t->mm_mode, t->flt_mode, t->paused ? "  [paused]" : "");
		break;
	case 1:
		fmt_pages(res, rs, sizeof(rs));
		snprintf(buf, len, "VMAs %zu  resident %s%s (kernel RSS %s)  lost %" PRIu64
			 "%s", t->n, rs, all ? "" : "+?", kernel_rss(t, krs, sizeof(krs)),
			 session_lost(t->s), t->pfn_hidden ? "  PFNs hidden" : "");
		break;
	default:
		fmt_rate(t->rate[TOP_MINOR], a, sizeof(a));
		fmt_rate(t->rate[TOP_MAJOR], b, sizeof(b));
		fmt_rate(t->rate[TOP_FAILED], c, sizeof(c));
		fmt_rate(t->rate_calls, d, sizeof(d));
		snprintf(buf, len, "faults/s %s minor, %s major, %s failed  mmap calls/s %s  "
			 "scan %.0f ms", a, b, c, d, t->scan_secs * 1e3);
		break;
	}
}

void top_format_run(const struct top_run *r, bool pfn_hidden, char *buf, size_t len)
{
	char fl[256] = "-", cnt[24] = "?", pfn[24] = "hidden";

	if (r->kflags_known)
		kpage_flags_str(r->kflags, fl, sizeof(fl));
	if (r->mapcount_known)
		snprintf(cnt, sizeof(cnt), "%" PRIu64, r->mapcount);
	if (!pfn_hidden)
		snprintf(pfn, sizeof(pfn), "%#" PRIx64, r->pfn);
	if (r->present)
		snprintf(buf, len, "%012" PRIx64 " %7" PRIu64 "  pfn %-12s map %-3s %s%s",
			 r->vaddr, r->pages, pfn, cnt, r->zero ? "zero page " : "", fl);
	else
		snprintf(buf, len, "%012" PRIx64 " %7" PRIu64 "  swapped", r->vaddr, r->pages);
}

#define TEXT_RUNS 32	/* runs a text detail prints */

/* Breaks in physical contiguity, or "?" when frames are hidden. */
const char *breaks_str(const struct top_detail *d, char *buf, size_t len)
{
	if (d->pfn_hidden)
		return "?";
	snprintf(buf, len, "%" PRIu64, d->frames_contig);
	return buf;
}

/* ---- top -b --------------------------------------------------------------------- */

/* One line of text, cut at cols (0: whole). */
static void put_cut(FILE *f, unsigned int cols, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put_cut(FILE *f, unsigned int cols, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cols && cols < sizeof(buf))
		buf[cols] = '\0';
	fprintf(f, "%s\n", buf);
}

static void print_detail_text(struct top *t, FILE *f, unsigned int cols)
{
	const struct top_detail *d = &t->det;
	ssize_t i = top_find(t, t->detail_addr);
	const struct top_row *r;
	char buf[512], vf[512] = "?", pfn[32];
	size_t k;
	unsigned int x;

	fputc('\n', f);
	if (i < 0) {
		put_cut(f, cols, "detail: %#" PRIx64 " is not mapped now", t->detail_addr);
		return;
	}
	r = &t->rows[i];
	if (r->flags_known)
		vmflags_str(r->flags, vf, sizeof(vf));
	put_cut(f, cols, "detail %012" PRIx64 "-%012" PRIx64 " %s %s", r->start, r->end, r->perms,
		top_row_name(r));
	put_cut(f, cols, "  flags: %s  cache: %s  owner: %s", vf,
		r->flags_known ? cache_mode(r->prot, 0) : "?", top_owner(t, r) ?: "?");
	if (top_detail_read(t, r)) {
		put_cut(f, cols, "  frames: unavailable: %s", d->why ? d->why : strerror(-d->err));
	} else {
		put_cut(f, cols, "  frames (%s): %s%" PRIu64 " present in %zu runs%s, %s breaks in "
			"contiguity", d->from_walk ? "page-table walk" : "pagemap",
			d->truncated ? ">= " : "", d->present, d->n,
			d->truncated ? " (more not shown)" : "", breaks_str(d, buf, sizeof(buf)));
		for (k = 0; k < d->n && k < TEXT_RUNS; k++) {
			top_format_run(&d->runs[k], d->pfn_hidden, buf, sizeof(buf));
			put_cut(f, cols, "  %s", buf);
		}
		if (k < d->n)
			put_cut(f, cols, "  ... %zu more runs (--json gives them all)", d->n - k);
	}
	put_cut(f, cols, "  last faults:%s", r->nlast ? "" : " none");
	for (x = r->nlast > TOP_LAST ? r->nlast - TOP_LAST : 0; x < r->nlast; x++) {
		const struct top_fault *lf = &r->last[x % TOP_LAST];

		snprintf(pfn, sizeof(pfn), "%#" PRIx64, lf->pfn);
		put_cut(f, cols, "  %9.3f %012" PRIx64 " %-7s pfn %s", lf->t, lf->addr,
			flt_result_names[lf->result < FLT_NR_RESULTS ? lf->result : 0],
			lf->has_pfn ? pfn : t->pfn_hidden ? "hidden" : "-");
	}
}

void top_print_text(struct top *t, FILE *f)
{
	unsigned int cols = t->wide ? 200 : t->width;
	char buf[8192];
	size_t *o, n, i, l;

	for (l = 0; l < TOP_HEAD_LINES; l++) {
		top_format_head_line(t, (unsigned int)l, cols, buf, sizeof(buf));
		if (!t->wide)
			buf[cols < sizeof(buf) ? cols : sizeof(buf) - 1] = '\0';
		fprintf(f, "%s\n", buf);
	}
	top_format_header(t, cols, buf, sizeof(buf));
	fprintf(f, "\n%s\n", buf);
	n = top_order(t, &o);
	for (i = 0; i < n; i++) {
		top_format_row(t, top_row_at(t, o[i]), cols, buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	free(o);
	if (t->have_detail)
		print_detail_text(t, f, t->wide ? 0 : cols);
	fputc('\n', f);
	fflush(f);
}

/* ---- --json --------------------------------------------------------------------- */

static void json_kinds(struct json *j, const char *key, const uint64_t *v)
{
	json_key(j, key);
	json_obj_begin(j);
	json_ku64(j, "minor", v[TOP_MINOR]);
	json_ku64(j, "major", v[TOP_MAJOR]);
	json_ku64(j, "failed", v[TOP_FAILED]);
	json_obj_end(j);
}

static void json_row(struct json *j, const struct top *t, const struct top_row *r)
{
	bool known = r->scanned && !r->res_err;

	json_obj_begin(j);
	json_khex(j, "start", r->start);
	json_khex(j, "end", r->end);
	json_ku64(j, "size", r->end - r->start);
	json_kstr(j, "perms", r->perms);
	json_kstr(j, "path", r->path);
	json_kstr(j, "name", top_row_name(r));
	json_key(j, "vm_flags");
	if (r->flags_known)
		json_hex(j, r->flags);
	else
		json_null(j);
	json_kstr(j, "cache", r->flags_known ? cache_mode(r->prot, 0) : NULL);
	json_key(j, "resident_pages");
	known ? json_u64(j, r->res.present) : json_null(j);
	json_key(j, "swap_pages");
	known ? json_u64(j, r->res.swap) : json_null(j);
	json_key(j, "zero_pages");
	known ? json_u64(j, r->res.zero) : json_null(j);
	json_key(j, "huge_pages");
	known ? json_u64(j, r->res.huge) : json_null(j);
	json_key(j, "pfnmap_pages");
	known ? json_u64(j, r->res.pfnmap) : json_null(j);
	json_kstr(j, "residency", known ? r->res.strip : NULL);
	json_kstr(j, "residency_source", !known ? NULL : r->res.from_walk ? "pagetable" : "pagemap");
	json_key(j, "residency_age_ms");
	known ? json_u64(j, t->t_snap > r->scanned ? (uint64_t)((t->t_snap - r->scanned) * 1e3) : 0) :
		json_null(j);
	if (r->res_err)
		json_kstr(j, "residency_error", strerror(-r->res_err));
	json_kinds(j, "faults", r->f);
	json_kinds(j, "delta", r->d_f);
	json_kbool(j, "new", r->mark & TOP_NEW);
	json_kbool(j, "changed", r->mark & TOP_CHANGED);
	json_kbool(j, "gone", r->mark & TOP_GONE);
	json_obj_end(j);
}

static void json_detail(struct json *j, struct top *t)
{
	const struct top_detail *d = &t->det;
	ssize_t i = top_find(t, t->detail_addr);
	const struct top_row *r;
	char fl[256];
	size_t k;
	unsigned int x;

	json_key(j, "detail");
	if (i < 0) {
		json_null(j);
		return;
	}
	r = &t->rows[i];
	json_obj_begin(j);
	json_khex(j, "start", r->start);
	json_khex(j, "end", r->end);
	json_kstr(j, "owner", top_owner(t, r) && strcmp(top_owner(t, r), "-") ? top_owner(t, r) :
		  NULL);
	json_kbool(j, "owner_known", r->owner_known);
	if (top_detail_read(t, r)) {
		json_kstr(j, "error", d->why ? d->why : strerror(-d->err));
	} else {
		json_kstr(j, "source", d->from_walk ? "pagetable" : "pagemap");
		json_ku64(j, "present_pages", d->present);
		json_key(j, "breaks");
		d->pfn_hidden ? json_null(j) : json_u64(j, d->frames_contig);
		json_kbool(j, "truncated", d->truncated);
		json_key(j, "runs");
		json_arr_begin(j);
		for (k = 0; k < d->n; k++) {
			const struct top_run *u = &d->runs[k];

			json_obj_begin(j);
			json_khex(j, "vaddr", u->vaddr);
			json_ku64(j, "pages", u->pages);
			json_kbool(j, "present", u->present);
			json_key(j, "pfn");
			u->present && !t->pfn_hidden ? json_hex(j, u->pfn) : json_null(j);
			json_key(j, "kpageflags");
			u->kflags_known ? json_hex(j, u->kflags) : json_null(j);
			if (u->kflags_known) {
				kpage_flags_str(u->kflags, fl, sizeof(fl));
				json_kstr(j, "flags", fl);
			}
			json_key(j, "mapcount");
			u->mapcount_known ? json_u64(j, u->mapcount) : json_null(j);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_key(j, "last_faults");
	json_arr_begin(j);
	for (x = r->nlast > TOP_LAST ? r->nlast - TOP_LAST : 0; x < r->nlast; x++) {
		const struct top_fault *lf = &r->last[x % TOP_LAST];

		json_obj_begin(j);
		json_key(j, "time");
		json_double(j, lf->t);
		json_khex(j, "addr", lf->addr);
		json_kstr(j, "result", flt_result_names[lf->result < FLT_NR_RESULTS ? lf->result : 0]);
		json_key(j, "pfn");
		lf->has_pfn ? json_hex(j, lf->pfn) : json_null(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void top_print_json(struct top *t, FILE *f)
{
	struct json j;
	size_t i;
	bool all;
	uint64_t res = top_resident(t, &all);

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "snapshot");
	json_ku64(&j, "seq", t->snapshots);
	json_key(&j, "time");
	json_double(&j, t->t_snap - t->s->t_start);
	/* CLOCK_MONOTONIC: every event before it is in this snapshot */
	json_ku64(&j, "mono_us", (uint64_t)(t->s->t_batch * 1e6));
	json_ku64(&j, "pid", (uint64_t)t->pid);
	json_kstr(&j, "comm", t->comm);
	json_key(&j, "mode");
	json_obj_begin(&j);
	json_kstr(&j, "mmap", t->mm_mode);
	json_kstr(&j, "faults", t->flt_mode);
	json_obj_end(&j);
	json_ku64(&j, "vma_count", t->n);
	json_ku64(&j, "resident_pages", res);
	json_kbool(&j, "resident_complete", all);
	json_key(&j, "kernel_rss_pages");
	t->statm_ok ? json_u64(&j, t->statm_rss) : json_null(&j);
	json_kinds(&j, "faults", t->f);
	json_ku64(&j, "faults_outside_vmas", t->novma);
	json_ku64(&j, "calls", t->calls);
	json_key(&j, "rates");
	json_obj_begin(&j);
	json_key(&j, "minor");
	json_double(&j, t->rate[TOP_MINOR]);
	json_key(&j, "major");
	json_double(&j, t->rate[TOP_MAJOR]);
	json_key(&j, "failed");
	json_double(&j, t->rate[TOP_FAILED]);
	json_key(&j, "calls");
	json_double(&j, t->rate_calls);
	json_obj_end(&j);
	json_ku64(&j, "lost", session_lost(t->s));
	json_kbool(&j, "pfn_hidden", t->pfn_hidden);
	json_key(&j, "scan_ms");
	json_double(&j, t->scan_secs * 1e3);
	json_key(&j, "vmas");
	json_arr_begin(&j);
	for (i = 0; i < t->n + t->ngone; i++)
		json_row(&j, t, top_row_at(t, i));
	json_arr_end(&j);
	if (t->have_detail)
		json_detail(&j, t);
	json_obj_end(&j);
	json_end_doc(&j);
	fflush(f);
}

void top_print_summary(struct top *t, FILE *f, double secs)
{
	struct rusage ru;
	struct json j;

	if (!t->c->json) {
		fprintf(f, "%" PRIu64 " snapshot%s in %.1f s, %" PRIu64 " events lost\n"
			"faults: %" PRIu64 " minor, %" PRIu64 " major, %" PRIu64 " failed; %" PRIu64
			" mmap-family calls\n", t->snapshots, t->snapshots == 1 ? "" : "s", secs,
			session_lost(t->s), t->f[TOP_MINOR], t->f[TOP_MAJOR], t->f[TOP_FAILED],
			t->calls);
		if (t->snapshots > 1)
			fprintf(f, "vmscope cpu a refresh: first %.1f ms, then %.1f ms mean, %.1f ms max\n",
				t->refresh_first * 1e3, t->refresh_sum * 1e3 / (double)(t->snapshots - 1),
				t->refresh_max * 1e3);
		return;
	}
	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_ku64(&j, "snapshots", t->snapshots);
	json_key(&j, "duration");
	json_double(&j, secs);
	json_kinds(&j, "faults", t->f);
	json_ku64(&j, "calls", t->calls);
	json_ku64(&j, "rescans", t->scans);
	json_ku64(&j, "lost", session_lost(t->s));
	/* what vmscope itself cost: CPU, a refresh's CPU, peak memory */
	getrusage(RUSAGE_SELF, &ru);	/* for ru_maxrss */
	json_key(&j, "self_cpu_s");
	json_double(&j, self_cpu_sec());
	json_key(&j, "duration_s");
	json_double(&j, secs);
	json_key(&j, "refresh_cpu_ms");
	json_obj_begin(&j);
	json_key(&j, "first");
	json_double(&j, t->refresh_first * 1e3);
	json_key(&j, "max_after_first");
	t->snapshots > 1 ? json_double(&j, t->refresh_max * 1e3) : json_null(&j);
	json_key(&j, "mean_after_first");
	t->snapshots > 1 ? json_double(&j, t->refresh_sum * 1e3 / (double)(t->snapshots - 1)) :
			   json_null(&j);
	json_obj_end(&j);
	json_ku64(&j, "max_rss_kib", (uint64_t)ru.ru_maxrss);
	json_kbool(&j, "target_exited", t->s->target_gone || t->s->have_exit);
	json_obj_end(&j);
	json_end_doc(&j);
}
