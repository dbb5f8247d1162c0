// SPDX-License-Identifier: GPL-2.0
/* vmscope faults: the output, a fault per line or object, and the tables. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
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

/* ---- output ---------------------------------------------------------------- */

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else
		snprintf(buf, len, "%.1fms", ns / 1e6);
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;

	return b && b[1] ? b + 1 : p;
}

/* A name as a terminal may show it: control bytes and invalid UTF-8 as
 * \xNN (file and symbol names come from whoever made the file). */
static const char *shown(const char *s, char *buf, size_t len)
{
	char *e = text_escape(s, strlen(s));

	snprintf(buf, len, "%s", e ? e : "?");
	free(e);
	return buf;
}

void faults_plain_row(struct watcher *w, const struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	char lat[16] = "-", pfn[24] = "-", line[768], where[512];
	int n;

	if (e->flags & FLT_HAS_LAT)
		fmt_ns(e->latency_ns, lat, sizeof(lat));
	if (e->flags & FLT_HAS_PFN)
		snprintf(pfn, sizeof(pfn), "0x%" PRIx64, (uint64_t)e->pfn);
	char n1[128], n2[128], n3[128];

	if (r->has_vma)
		n = snprintf(where, sizeof(where), "%s+0x%" PRIx64,
			     r->vpath ? shown(base_name(r->vpath), n1, sizeof(n1)) : "[anon]",
			     (uint64_t)(e->addr - r->vstart));
	else
		n = snprintf(where, sizeof(where), "[no vma]");
	if (r->sym[0])
		snprintf(where + n, sizeof(where) - (size_t)n, " %s%s%s%s",
			 shown(r->sym, n2, sizeof(n2)), r->ipfile ? " (" : "",
			 r->ipfile ? shown(base_name(r->ipfile), n3, sizeof(n3)) : "",
			 r->ipfile ? ")" : "");
	else
		snprintf(where + n, sizeof(where) - (size_t)n, " ip 0x%" PRIx64, (uint64_t)e->ip);
	n = snprintf(line, sizeof(line), "%9.6f %7u %c%c %-7s %7s 0x%012" PRIx64
		     " %-10s %s", (double)(e->ts_ns - w->t0) / 1e9, e->tid,
		     "rwx"[faults_access_of(e->error_code)], e->flags & FLT_KERNEL ? 'k' : ' ',
		     result_names[e->result], lat,
		     (uint64_t)e->addr, pfn, where);
	if (!w->c->wide && n > 80)
		line[80] = '\0';
	fprintf(w->out, "%s\n", line);
}

/* A page_flags array as written, with a small cache by flags word: a
 * workload's pages have a handful of flag sets between them. */
static void json_flags(struct watcher *w, uint64_t flags)
{
	struct flagtext *t = &w->flagtext[(flags ^ flags >> 17 ^ flags >> 31) %
					  ARRAY_SIZE(w->flagtext)];
	size_t n = 0, l;
	unsigned int b;

	if (!t->len || t->flags != flags) {
		/* the kernel's names: nothing to escape */
		t->text[n++] = '[';
		for (b = 0; b < 64; b++) {
			const char *name = (flags >> b) & 1 ? kpage_flag_name(b) : NULL;

			if (!name)
				continue;
			l = strlen(name);
			if (n + l + 4 > sizeof(t->text)) {	/* cannot happen */
				n = 1;
				memcpy(t->text + n, "\"?\"", 3);
				n += 3;
				break;
			}
			if (n > 1)
				t->text[n++] = ',';
			t->text[n++] = '"';
			memcpy(t->text + n, name, l);
			n += l;
			t->text[n++] = '"';
		}
		t->text[n++] = ']';
		t->len = (uint16_t)n;
		t->flags = flags;
	}
	json_raw(&w->j, t->text, t->len);
}

static void raw_cstr(struct json *j, const char *s)
{
	json_raw_str(j, s, s ? strlen(s) : 0);
}

/* One fault as NDJSON. Written in pieces with its keys in literals: the
 * general writer's per-token bookkeeping was most of vmscope's own time
 * streaming a million faults. */
void faults_json_row(struct watcher *w, const struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	struct json *j = &w->j;

	JSON_RAW(j, "{\"type\":\"fault\",\"ts_ns\":");
	json_raw_u64(j, e->ts_ns);
	JSON_RAW(j, ",\"pid\":");
	json_raw_u64(j, e->pid);
	JSON_RAW(j, ",\"tid\":");
	json_raw_u64(j, e->tid);
	JSON_RAW(j, ",\"comm\":");
	json_raw_str(j, e->comm, strnlen(e->comm, sizeof(e->comm)));
	JSON_RAW(j, ",\"addr\":");
	json_raw_hex(j, e->addr);
	JSON_RAW(j, ",\"ip\":");
	json_raw_hex(j, e->ip);
	JSON_RAW(j, ",\"ip_sym\":");
	raw_cstr(j, r->sym[0] ? r->sym : NULL);
	JSON_RAW(j, ",\"ip_file\":");
	raw_cstr(j, r->ipfile);
	JSON_RAW(j, ",\"access\":");
	raw_cstr(j, access_names[faults_access_of(e->error_code)]);
	if (e->flags & FLT_KERNEL)
		JSON_RAW(j, ",\"user\":false,\"error_code\":");
	else
		JSON_RAW(j, ",\"user\":true,\"error_code\":");
	json_raw_hex(j, e->error_code);
	JSON_RAW(j, ",\"result\":");
	raw_cstr(j, e->result ? result_names[e->result] : NULL);
	if (e->flags & FLT_INFERRED)
		JSON_RAW(j, ",\"inferred\":true");
	if (e->result == FLT_SIGBUS || e->result == FLT_SIGSEGV) {
		JSON_RAW(j, ",\"si_code\":");
		json_raw_u64(j, (uint64_t)e->si_code);
	}
	if (e->flags & FLT_HAS_LAT) {
		JSON_RAW(j, ",\"latency_ns\":");
		json_raw_u64(j, e->latency_ns);
	} else {
		JSON_RAW(j, ",\"latency_ns\":null");
	}
	if (r->has_vma) {
		JSON_RAW(j, ",\"vma\":{\"start\":");
		json_raw_hex(j, r->vstart);
		JSON_RAW(j, ",\"end\":");
		json_raw_hex(j, r->vend);
		JSON_RAW(j, ",\"path\":");
		raw_cstr(j, r->vpath);
		JSON_RAW(j, "},\"pfn\":");
	} else {
		JSON_RAW(j, ",\"vma\":null,\"pfn\":");
	}
	if (e->flags & FLT_HAS_PFN) {
		json_raw_hex(j, e->pfn);
		if (e->level == PTW_PMD)
			JSON_RAW(j, ",\"page_size\":\"2M\"");
		else if (e->level == PTW_PUD)
			JSON_RAW(j, ",\"page_size\":\"1G\"");
		else
			JSON_RAW(j, ",\"page_size\":\"4K\"");
		if (r->has_k) {
			JSON_RAW(j, ",\"page_flags\":");
			json_flags(w, r->kflags);
			JSON_RAW(j, ",\"mapcount\":");
			json_raw_u64(j, r->kcount);
			if (!r->kcount)
				JSON_RAW(j, ",\"pfn_note\":\"the page was freed again "
					 "before its flags were read\"");
		}
	} else {
		JSON_RAW(j, "null,\"pfn_note\":");
		raw_cstr(j, e->result != FLT_MINOR && e->result != FLT_MAJOR ?
			 "no frame: the fault did not complete" :
			 w->pfn_hidden ? "frames unavailable (see the start-up note)" :
			 "the page was gone again when the fault completed");
	}
	JSON_RAW(j, "}");
	json_end_doc(j);
}

static void json_tables(struct watcher *w)
{
	struct json *j = &w->j;
	size_t i, a, r;

	json_key(j, "results");
	json_obj_begin(j);
	for (r = 0; r < FLT_NR_RESULTS; r++)
		json_ku64(j, result_names[r], w->by_result[r]);
	json_obj_end(j);
	json_key(j, "access");
	json_obj_begin(j);
	for (a = 0; a < 3; a++)
		json_ku64(j, access_names[a], w->by_access[a]);
	json_obj_end(j);
	json_ku64(j, "kernel_mode", w->kernel_mode);
	json_key(j, "vmas");
	json_arr_begin(j);
	for (i = 0; i < w->nvrows; i++) {
		const struct vrow *v = &w->vrows[i];

		json_obj_begin(j);
		json_ku64(j, "pid", (uint64_t)v->pid);
		json_key(j, "start");
		if (v->start)
			json_hex(j, v->start);
		else
			json_null(j);
		json_key(j, "end");
		if (v->start)
			json_hex(j, v->end);
		else
			json_null(j);
		json_kstr(j, "path", v->path);
		/* unmapped since: start and end span the regions that went */
		json_kbool(j, "unmapped", v->gone);
		if (v->gone)
			json_ku64(j, "regions", v->regions);
		json_ku64(j, "faults", v->total);
		for (a = 0; a < 3; a++) {
			uint64_t s = 0;

			for (r = 0; r < FLT_NR_RESULTS; r++)
				s += v->by[a][r];
			json_ku64(j, access_names[a], s);
		}
		for (r = 0; r < FLT_NR_RESULTS; r++)
			json_ku64(j, result_names[r], v->by[0][r] + v->by[1][r] + v->by[2][r]);
		json_ku64(j, "kernel_mode", v->kernel);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "top_ips");
	json_arr_begin(j);
	for (i = 0; i < w->niprows && i < TOP; i++) {
		char buf[SYM_LEN];
		const char *file, *s = faults_ip_name(w, &w->iprows[i], buf, sizeof(buf), &file);

		json_obj_begin(j);
		json_ku64(j, "pid", (uint64_t)w->iprows[i].pid);
		json_khex(j, "ip", w->iprows[i].ip);
		json_kstr(j, "sym", s);
		json_kstr(j, "file", file);
		json_ku64(j, "faults", w->iprows[i].count);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "latency_ns");
	json_obj_begin(j);
	for (r = 0; r < FLT_NR_RESULTS; r++) {
		uint64_t any = 0;

		for (a = 0; a < FLT_LAT_BUCKETS; a++)
			any += w->lat[r][a];
		if (!any)
			continue;
		json_key(j, result_names[r]);
		json_arr_begin(j);
		for (a = 0; a < FLT_LAT_BUCKETS; a++) {
			if (!w->lat[r][a])
				continue;
			json_obj_begin(j);
			json_ku64(j, "ge", a ? 1ULL << a : 0);
			json_ku64(j, "lt", 2ULL << a);
			json_ku64(j, "count", w->lat[r][a]);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);
}

static void plain_tables(struct watcher *w)
{
	FILE *f = w->out;
	size_t i, a, r;

	fprintf(f, "%" PRIu64 " faults:", w->faults);
	for (r = 1; r < FLT_NR_RESULTS; r++)
		if (w->by_result[r])
			fprintf(f, " %s %" PRIu64, result_names[r], w->by_result[r]);
	if (w->by_result[FLT_UNKNOWN])
		fprintf(f, " unknown %" PRIu64, w->by_result[FLT_UNKNOWN]);
	/* a line of its own: with every result present, one line would
	 * pass 80 columns */
	fprintf(f, "\n  read %" PRIu64 ", write %" PRIu64 ", exec %" PRIu64
		"; kernel mode %" PRIu64 "\n", w->by_access[0], w->by_access[1],
		w->by_access[2], w->kernel_mode);
	if (w->nvrows) {
		fprintf(f, "\n%7s %8s %7s %7s %6s %5s %4s  %s\n", "PID", "FAULTS", "READ",
			"WRITE", "EXEC", "MAJOR", "FAIL", "VMA");
		for (i = 0; i < w->nvrows && i < TOP; i++) {
			const struct vrow *v = &w->vrows[i];
			uint64_t acc[3] = { 0 }, major = 0, fail = 0;
			char where[64];

			for (a = 0; a < 3; a++) {
				for (r = 0; r < FLT_NR_RESULTS; r++)
					acc[a] += v->by[a][r];
				major += v->by[a][FLT_MAJOR];
				fail += v->by[a][FLT_SIGBUS] + v->by[a][FLT_SIGSEGV] +
					v->by[a][FLT_ERROR];
			}
			char nb[128];

			const char *name = v->path ? shown(base_name(v->path), nb, sizeof(nb)) :
					   "[anon]";

			if (v->gone && v->regions > 1)
				snprintf(where, sizeof(where), "%.*s, %" PRIu64 " unmapped",
					 w->c->wide ? 60 : 13, name, v->regions);
			else if (v->gone)
				snprintf(where, sizeof(where), "%.*s unmapped",
					 w->c->wide ? 60 : 13, name);
			else if (v->start)
				snprintf(where, sizeof(where), "%.*s 0x%" PRIx64,
					 w->c->wide ? 60 : 13, name, v->start);
			else
				snprintf(where, sizeof(where), "[no vma]");
			fprintf(f, "%7d %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %6" PRIu64
				" %5" PRIu64 " %4" PRIu64 "  %s\n", (int)v->pid, v->total,
				acc[0], acc[1], acc[2], major, fail, where);
		}
		if (w->nvrows > TOP)
			fprintf(f, "(%zu more VMAs; --json lists all)\n", w->nvrows - TOP);
	}
	if (w->niprows) {
		fprintf(f, "\n%9s %7s  %s\n", "FAULTS", "PID", "IP");
		for (i = 0; i < w->niprows && i < TOP; i++) {
			char buf[SYM_LEN];
			const char *file, *s = faults_ip_name(w, &w->iprows[i], buf, sizeof(buf), &file);

			char nb[128], fb[128];
			const char *fs = file ? shown(base_name(file), fb, sizeof(fb)) : "?";

			if (s)
				fprintf(f, "%9" PRIu64 " %7d  %.48s (%.20s)\n", w->iprows[i].count,
					(int)w->iprows[i].pid, shown(s, nb, sizeof(nb)), fs);
			else
				fprintf(f, "%9" PRIu64 " %7d  0x%" PRIx64 " (%.20s)\n",
					w->iprows[i].count, (int)w->iprows[i].pid,
					w->iprows[i].ip, fs);
		}
	}
	for (r = 0; r < FLT_NR_RESULTS; r++) {
		uint64_t max = 0;
		size_t lo = FLT_LAT_BUCKETS, hi = 0;

		for (a = 0; a < FLT_LAT_BUCKETS; a++) {
			if (!w->lat[r][a])
				continue;
			max = w->lat[r][a] > max ? w->lat[r][a] : max;
			lo = a < lo ? a : lo;
			hi = a;
		}
		if (!max)
			continue;
		fprintf(f, "\nlatency of %s faults (exception to outcome):\n", result_names[r]);
		for (a = lo; a <= hi; a++) {
			char l1[16], l2[16];
			int bar = (int)(w->lat[r][a] * 40 / max);

			fmt_ns(a ? 1ULL << a : 0, l1, sizeof(l1));
			fmt_ns(2ULL << a, l2, sizeof(l2));
			fprintf(f, "%8s .. %-8s %9" PRIu64 " |%-40.*s|\n", l1, l2,
				w->lat[r][a], bar, "########################################");
		}
	}
}

void faults_report(struct watcher *w, const char *type, double secs, double rate,
		   const struct session *s)
{
	double cpu = self_cpu_sec();
	/* fault records, and VMA-change records of the ring */
	uint64_t lost = session_lost(w->s);

	faults_settle_vmas(w);
	if (w->nvrows)		/* qsort(NULL, 0) is undefined */
		qsort(w->vrows, w->nvrows, sizeof(*w->vrows), faults_cmp_vrow);
	if (w->niprows)
		qsort(w->iprows, w->niprows, sizeof(*w->iprows), faults_cmp_iprow);
	if (w->c->json) {
		struct json *j = &w->j;

		json_obj_begin(j);
		json_kstr(j, "type", type);
		json_kstr(j, "mode", mech_name(w->mode));
		json_kbool(j, "latency", w->exact);
		json_key(j, "duration_s");
		json_double(j, secs);
		json_ku64(j, "faults", w->faults);
		json_key(j, "faults_per_s");
		json_double(j, rate);
		json_key(j, "self_cpu_s");
		json_double(j, cpu);
		json_ku64(j, "lost", lost);
		/* of which fault records (the rest: VMA-change records) */
		json_ku64(j, "lost_faults", fltrace_lost(w->s->ft));
		if (w->summary_mode) {
			json_ku64(j, "not_counted", fltrace_agg_dropped(w->s->ft));
			/* faulted before their VMA reached the kernel's
			 * table: placed by user space, from their page */
			json_ku64(j, "by_page", w->by_page);
		}
		else
			json_ku64(j, "no_pfn", w->no_pfn);
		if (s && s->have_exit)
			json_ku64(j, "exit_status", (uint64_t)s->exit_code);
		json_tables(w);
		json_obj_end(j);
		json_end_doc(j);
	} else {
		fprintf(w->out, "\n--- %s: %.2f s, %.0f faults/s, %" PRIu64 " lost, "
			"vmscope cpu %.0f%% ---\n", type, secs, rate, lost,
			secs > 0 ? cpu * 100 / secs : 0);
		plain_tables(w);
	}
	fflush(w->out);
}
