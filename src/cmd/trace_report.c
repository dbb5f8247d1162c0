// SPDX-License-Identifier: GPL-2.0
/* vmscope trace: calls, the VMAs they left, exec's and mmap_region's
 * VMAs, and the summary, as lines or NDJSON objects. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tracers/bpf_mmap.h"
#include "cli.h"
#include "decode/mmcalls.h"
#include "output/json.h"
#include "output/line.h"
#include "output/text.h"
#include "procfs/maps.h"
#include "session/session.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"
#include "cmd/trace.h"

/* ---- human output ------------------------------------------------------ */

/* "A|B|C": the names of a decoded argument */
struct names {
	struct line *l;
	bool more;
};

static void name_cat(const char *name, void *arg)
{
	struct names *nm = arg;

	if (nm->more)
		line_ch(nm->l, '|');
	line_str(nm->l, name);
	nm->more = true;
}

static void plain_arg(struct line *l, enum arg_kind k, uint64_t v)
{
	switch (k) {
	case ARG_ADDR:
		if (v)
			line_hex(l, v);
		else
			LINE_LIT(l, "NULL");
		break;
	case ARG_HEX:
		if (!v) {
			line_ch(l, '0');
			break;
		}
		/* fall through */
	case ARG_PTR:
		line_hex(l, v);
		break;
	case ARG_INT:
		line_i64(l, (int)v);
		break;
	case ARG_ULONG:
		line_u64(l, v);
		break;
	default:
		if (!v && k != ARG_PROT && k != ARG_ADVICE) {
			line_ch(l, '0');
			break;
		}
		mm_arg_names(k, v, name_cat, &(struct names){ .l = l });
		break;
	}
}

/* An escaped name (control bytes and invalid UTF-8 as \xNN) */
static void line_escaped(struct line *l, const char *s, size_t n)
{
	char *esc = text_escape(s, n);

	line_str(l, esc ? esc : "?");
	free(esc);
}

/* One VMA line under a call: path escaped, "?" for a file whose path is
 * unknown, "[anon]" without a file. */
static void plain_vma_line(struct tracer *t, const char *mark, uint64_t start,
			   uint64_t end, const char *perms, const char *path,
			   bool has_file)
{
	struct line l;

	line_init(&l, t->out);
	LINE_LIT(&l, "    ");
	line_str(&l, mark);
	line_ch(&l, ' ');
	line_hex(&l, start);
	line_ch(&l, '-');
	line_hex(&l, end);
	line_ch(&l, ' ');
	line_str(&l, perms);
	line_ch(&l, ' ');
	if (path)
		line_escaped(&l, path, strlen(path));
	else
		line_str(&l, has_file ? "?" : "[anon]");
	line_ch(&l, '\n');
	line_flush(&l);
}

/* The path of v as /proc/PID/maps shows it; anon: the name of a VMA
 * without a file when the event gave one ([vdso], [heap] ...), or NULL. */
static const char *vma_label(struct tracer *t, const struct mm_vma *v, const char *anon)
{
	return !v->has_file && anon ? anon : vm_model_vma_path(t->vm, v);
}

void trace_plain_vma(struct tracer *t, const struct mm_vma *v, const char *mark,
		     const char *anon)
{
	char perms[5];

	mm_vma_perms(v, perms);
	plain_vma_line(t, mark, v->start, v->end, perms, vma_label(t, v, anon),
		       v->has_file);
}

/* "time pid" that starts a line */
void trace_plain_when(struct tracer *t, struct line *l, const struct mm_event *ev)
{
	line_secs6(l, ev->ts_ns - t->t0, 10);
	line_ch(l, ' ');
	line_i64(l, (int)ev->pid);
}

/* "time pid[/tid]" that starts a call's line */
static void plain_who(struct tracer *t, struct line *l, const struct mm_event *ev)
{
	trace_plain_when(t, l, ev);
	if (ev->tid != ev->pid) {
		line_ch(l, '/');
		line_i64(l, (int)ev->tid);
	}
}

/* A return value: -1 and the errno name for a failure, else an address
 * (addr) or a number. */
static void plain_ret(struct line *l, int64_t ret, bool addr)
{
	if (ret < 0 && ret >= -4095) {
		const char *e = errno_name((int)-ret);

		if (e) {
			LINE_LIT(l, "-1 ");
			line_str(l, e);
		} else {
			LINE_LIT(l, "-1 errno ");
			line_i64(l, -ret);
		}
	} else if (addr) {
		line_hex(l, (uint64_t)ret);
	} else {
		line_i64(l, ret);
	}
}

/* "ret" (and "error" for a failure), as plain_ret decides */
static void json_ret(struct json *j, int64_t ret, bool addr)
{
	json_key(j, "ret");
	if (ret < 0 && ret >= -4095) {
		json_i64(j, ret);
		json_kstr(j, "error", errno_name((int)-ret));
	} else if (addr) {
		json_hex(j, (uint64_t)ret);
	} else {
		json_i64(j, ret);
	}
}

/* what brk leaves without a file is the heap */
static const char *heap_of(const struct mm_call *call)
{
	return strcmp(call->name, "brk") ? NULL : "[heap]";
}

void trace_plain_call(struct tracer *t, const struct mm_event *ev,
		      const struct mm_call *call, const char *path, size_t plen,
		      bool made)
{
	struct line l;
	unsigned int i;

	line_init(&l, t->out);
	plain_who(t, &l, ev);
	line_ch(&l, ' ');
	line_str(&l, call->name);
	line_ch(&l, '(');
	for (i = 0; i < 6 && call->args[i].name; i++) {
		if (i)
			LINE_LIT(&l, ", ");
		plain_arg(&l, call->args[i].kind, ev->args[i]);
		if (path && call->args[i].kind == ARG_INT && !strcmp(call->args[i].name, "fd")) {
			line_ch(&l, '<');
			line_escaped(&l, path, plen);
			line_ch(&l, '>');
		}
	}
	LINE_LIT(&l, ") = ");
	plain_ret(&l, ev->ret, call->ret == RET_ADDR);
	LINE_LIT(&l, " <");
	line_secs6(&l, ev->dur_ns, 0);
	LINE_LIT(&l, ">\n");
	line_flush(&l);
	if (made && ev->vma_when == MM_VMAS_AFTER)
		return;	/* the VMAs as mmap_region made them follow */
	if (ev->vma_when == MM_VMAS_BUSY) {
		fputs("    ? VMAs not read: mmap_lock contended\n", t->out);
		return;
	}
	for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
		trace_plain_vma(t, &ev->vma[i], ev->vma_when == MM_VMAS_BEFORE ? "-" : "+",
			  heap_of(call));
	if (ev->vma_more)
		fputs("    ... more VMAs in the range\n", t->out);
}

/* ---- JSON output ------------------------------------------------------- */

static void json_lower(const char *name, void *arg)
{
	char buf[48];
	size_t i;

	for (i = 0; name[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
	buf[i] = '\0';
	json_str(arg, buf);
}

/* The fields of a VMA, into the open object. */
static void json_vma_fields(struct tracer *t, const struct mm_vma *v, const char *anon)
{
	const char *path = vma_label(t, v, anon);
	char perms[5];

	mm_vma_perms(v, perms);
	json_khex(&t->j, "start", v->start);
	json_khex(&t->j, "end", v->end);
	json_kstr(&t->j, "perms", perms);
	json_kstr(&t->j, "path", path);
	json_khex(&t->j, "vm_flags", v->flags);
	json_khex(&t->j, "pgoff", v->pgoff);
	if (v->has_file)
		json_ku64(&t->j, "inode", v->ino);
	json_kstr(&t->j, "cache", cache_mode(v->page_prot, 0));
}

void trace_json_vma(struct tracer *t, const struct mm_vma *v, const char *anon)
{
	json_obj_begin(&t->j);
	json_vma_fields(t, v, anon);
	json_obj_end(&t->j);
}

void trace_json_head(struct tracer *t, const char *type, const struct mm_event *ev)
{
	json_obj_begin(&t->j);
	json_kstr(&t->j, "type", type);
	json_ku64(&t->j, "ts_ns", ev->ts_ns);
	json_ku64(&t->j, "pid", ev->pid);
	json_ku64(&t->j, "tid", ev->tid);
	json_key(&t->j, "comm");
	json_strn(&t->j, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
}

/*
 * Kernels before 6.7 have no open-coded VMA iterator for the exec program:
 * report exec's VMAs from the /proc/PID/maps read that seeded the model
 * just after the exec.  The program may have run a little by then (the
 * loader's first mappings can be there too): "snapshot": true says so.
 */
void trace_exec_snapshot(struct tracer *t, const struct mm_event *ev)
{
	const struct vm_ent *v;
	size_t i, n;

	v = vm_model_vmas(t->vm, (pid_t)ev->pid, &n);
	for (i = 0; v && i < n; i++) {
		if (!t->c->json) {
			plain_vma_line(t, "exec", v[i].start, v[i].end, v[i].perms,
				       v[i].path, v[i].path != NULL);
			continue;
		}
		trace_json_head(t, "exec_vma", ev);
		json_key(&t->j, "vma");
		json_obj_begin(&t->j);
		json_khex(&t->j, "start", v[i].start);
		json_khex(&t->j, "end", v[i].end);
		json_kstr(&t->j, "perms", v[i].perms);
		json_kstr(&t->j, "path", v[i].path);
		json_khex(&t->j, "pgoff", v[i].pgoff);
		json_obj_end(&t->j);
		json_kbool(&t->j, "snapshot", true);
		json_obj_end(&t->j);
		json_end_doc(&t->j);
	}
}

void trace_json_call(struct tracer *t, const struct mm_event *ev,
		     const struct mm_call *call, const char *path, size_t plen)
{
	struct json *j = &t->j;
	unsigned int i;

	trace_json_head(t, "call", ev);
	json_kstr(j, "call", call->name);
	for (i = 0; i < 6 && call->args[i].name; i++) {
		enum arg_kind k = call->args[i].kind;
		uint64_t v = ev->args[i];

		json_key(j, call->args[i].name);
		if (k == ARG_ADDR || k == ARG_PTR || k == ARG_HEX)
			json_hex(j, v);
		else if (k == ARG_INT)
			json_i64(j, (int)v);
		else
			json_u64(j, v);
		if (mm_arg_decoded(k)) {
			char key[32];

			snprintf(key, sizeof(key), "%s_names", call->args[i].name);
			json_key(j, key);
			json_arr_begin(j);
			mm_arg_names(k, v, json_lower, j);
			json_arr_end(j);
		}
		if (path && k == ARG_INT && !strcmp(call->args[i].name, "fd")) {
			json_key(j, "fd_path");
			json_strn(j, path, plen);
		}
	}
	json_ret(j, ev->ret, call->ret == RET_ADDR);
	json_ku64(j, "dur_ns", ev->dur_ns);
	if (ev->vma_when == MM_VMAS_BUSY) {
		json_kstr(j, "vmas_unknown", "mmap_lock contended");
	} else if (ev->vma_when != MM_VMAS_NONE && ev->ret >= 0) {
		bool after = ev->vma_when == MM_VMAS_AFTER;

		/* a call returning an address made or moved one mapping: the
		 * VMA holding it is all there is (a "vmas" array beside it was
		 * the same VMA again, a fifth of the JSON of an mmap loop) */
		if (after && call->ret == RET_ADDR) {
			json_key(j, "vma");
			if (ev->nvma)
				trace_json_vma(t, &ev->vma[0], heap_of(call));
			else
				json_null(j);
			return;
		}
		json_key(j, after ? "vmas" : "vmas_removed");
		json_arr_begin(j);
		for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
			trace_json_vma(t, &ev->vma[i], heap_of(call));
		json_arr_end(j);
		if (ev->vma_more)
			json_kbool(j, "vmas_truncated", true);
	}
	/* left open: the VMAs mmap_region made may follow */
}

/* ---- VMAs mmap_region made (fentry/kprobe modes) ---------------------- */

/* vm_flags the file's ->mmap added to those asked for. mmap_region adds
 * VM_ACCOUNT and VM_SOFTDIRTY itself: not the driver's doing. */
static uint64_t made_added(const struct mm_event *ev)
{
	return ev->vma[0].flags & ~ev->args[2] & ~(VMF_ACCOUNT | VMF_SOFTDIRTY);
}

/* The kernel function owning the VMA: vm_ops->fault, else f_op->mmap. */
static const char *made_owner(struct tracer *t, const struct mm_event *ev)
{
	uint64_t a = ev->args[4] ? ev->args[4] : ev->args[5];

	if (!a || (!t->sym && !(t->sym = sym_new())))
		return NULL;
	return sym_kernel_exact(t->sym, a);
}

static const char *made_path(struct tracer *t, const struct made *m)
{
	return m->path ? m->path : vm_model_vma_path(t->vm, &m->ev.vma[0]);
}

/* "+ START-END perms path", then the flags as made, those the file's
 * ->mmap added to what was asked, owner and cache mode. */
void trace_plain_made(struct tracer *t, const struct made *m)
{
	const struct mm_event *ev = &m->ev;
	const struct mm_vma *v = &ev->vma[0];
	char fl[256], added[256], perms[5];
	const char *owner, *cache;

	if (!ev->nvma)
		return;	/* failed, or vma_set_page_prot not hooked */
	mm_vma_perms(v, perms);
	plain_vma_line(t, "+", v->start, v->end, perms, made_path(t, m), v->has_file);
	vmflags_str(v->flags, fl, sizeof(fl));
	vmflags_str(made_added(ev), added, sizeof(added));
	owner = made_owner(t, ev);
	cache = cache_mode(v->page_prot, 0);
	fprintf(t->out, "      flags %s", fl);
	if (added[0])
		fprintf(t->out, " (->mmap added %s)", added);
	if (owner)
		fprintf(t->out, ", owner %s", owner);
	if (strcmp(cache, "wb"))
		fprintf(t->out, ", cache %s", cache);
	fputc('\n', t->out);
}

static void json_flag_names(struct json *j, const char *key, uint64_t flags)
{
	char buf[256], *save = NULL, *tok;

	vmflags_str(flags, buf, sizeof(buf));
	json_key(j, key);
	json_arr_begin(j);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		json_str(j, tok);
	json_arr_end(j);
}

/* The fields of one mmap_region record, into the open object. */
void trace_json_made_fields(struct tracer *t, const struct made *m)
{
	const struct mm_event *ev = &m->ev;
	struct json *j = &t->j;

	json_khex(j, "addr", ev->args[0]);
	json_ku64(j, "len", ev->args[1]);
	json_flag_names(j, "vm_flags_asked", ev->args[2]);
	json_ret(j, ev->ret, true);
	json_ku64(j, "dur_ns", ev->dur_ns);
	json_key(j, "vma");
	if (!ev->nvma) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_vma_fields(t, &ev->vma[0], NULL);
	json_flag_names(j, "vm_flags_names", ev->vma[0].flags);
	json_flag_names(j, "vm_flags_added", made_added(ev));
	json_kstr(j, "owner", made_owner(t, ev));
	json_obj_end(j);
}

/* A record with no traced call to wait for: its own line or object. */
void trace_made_alone(struct tracer *t, const struct made *m)
{
	const struct mm_event *ev = &m->ev;
	const struct mm_call *call = mm_call_by_nr(ev->nr);
	struct line l;

	if (t->c->json) {
		trace_json_head(t, "vma_made", ev);
		json_kstr(&t->j, "during", call ? call->name : NULL);
		trace_json_made_fields(t, m);
		json_obj_end(&t->j);
		json_end_doc(&t->j);
		return;
	}
	line_init(&l, t->out);
	plain_who(t, &l, ev);
	LINE_LIT(&l, " mmap_region by the kernel");
	if (call) {
		LINE_LIT(&l, " in ");
		line_str(&l, call->name);
	}
	LINE_LIT(&l, " = ");
	plain_ret(&l, ev->ret, true);
	line_ch(&l, '\n');
	line_flush(&l);
	trace_plain_made(t, m);
}

void trace_summary(struct tracer *t, double secs, uint64_t lost, int exit_code,
		   bool have_exit)
{
	size_t i, n;
	const struct mm_call *calls = mm_calls(&n);
	uint64_t total = 0, errors = 0;

	for (i = 0; i < n; i++) {
		total += t->stat[calls[i].nr].count;
		errors += t->stat[calls[i].nr].errors;
	}
	if (t->c->json) {
		struct json *j = &t->j;

		json_obj_begin(j);
		json_kstr(j, "type", "summary");
		json_kstr(j, "mode", mech_name(t->regions.mech));
		json_key(j, "duration_s");
		json_double(j, secs);
		json_ku64(j, "calls_total", total);
		json_ku64(j, "errors_total", errors);
		json_ku64(j, "events", t->events);
		json_ku64(j, "lost", lost);
		if (have_exit)
			json_ku64(j, "exit_status", (uint64_t)exit_code);
		json_key(j, "calls");
		json_obj_begin(j);
		for (i = 0; i < n; i++) {
			const struct call_stat *st = &t->stat[calls[i].nr];

			if (!st->count)
				continue;
			json_key(j, calls[i].name);
			json_obj_begin(j);
			json_ku64(j, "count", st->count);
			json_ku64(j, "errors", st->errors);
			json_ku64(j, "time_ns", st->time_ns);
			json_obj_end(j);
		}
		json_obj_end(j);
		json_obj_end(j);
		json_end_doc(j);
		return;
	}
	fprintf(t->out, "\n%-18s %10s %8s %12s\n", "CALL", "COUNT", "ERRORS", "TIME(us)");
	for (i = 0; i < n; i++) {
		const struct call_stat *st = &t->stat[calls[i].nr];

		if (st->count)
			fprintf(t->out, "%-18s %10" PRIu64 " %8" PRIu64 " %12.1f\n",
				calls[i].name, st->count, st->errors, st->time_ns / 1e3);
	}
	fprintf(t->out, "%-18s %10" PRIu64 " %8" PRIu64 "\n", "total", total, errors);
	fprintf(t->out, "mode %s, %.2f s, %" PRIu64 " events, %" PRIu64 " lost\n",
		mech_name(t->regions.mech), secs, t->events, lost);
}
