// SPDX-License-Identifier: GPL-2.0
/* vmscope trace: every mmap-family call and the VMAs it leaves, live. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tracers/bpf_mmap.h"
#include "cli.h"
#include "model/mmcalls.h"
#include "output/json.h"
#include "output/line.h"
#include "output/text.h"
#include "procfs/maps.h"
#include "session/session.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "model/vmflags.h"

static const char trace_usage[] =
"Usage: vmscope trace [options] -p PID\n"
"       vmscope trace [options] -- CMD [ARGS...]\n"
"       vmscope trace [options] [--comm NAME]      (system-wide)\n"
"\n"
"Every mmap-family call (mmap, munmap, mprotect, mremap, brk, madvise,\n"
"mlock*, msync, mincore, shm*, ...) with decoded arguments, the file of\n"
"an fd, the result, the duration and the VMAs the call left or removed,\n"
"as the kernel made them; and the VMAs exec creates by itself. Where\n"
"fentry or kprobes work, every VMA mmap_region() makes is shown with\n"
"its final vm_flags, the flags the driver added, owner and cache mode.\n"
"\n"
"Options:\n"
"  -p, --pid PID     trace this process (all its threads)\n"
"  -f, --follow      also trace children forked after the start\n"
"      --comm NAME   system-wide: only processes with this command name\n"
"  -o, --output FILE write events to FILE instead of standard output\n"
"      --ring-size N ring buffer size (default 4M; power of two)\n"
"  -j, --json        NDJSON: one object per event, then a summary\n"
"  -h, --help        this help\n"
"\n"
"With -- CMD the command starts held before exec until tracing is on and\n"
"vmscope exits with its status (127: not found, 126: not executable).\n";

struct call_stat {
	uint64_t count, errors, time_ns;
};

/* A VMA mmap_region() made, held until the call that led to it ends */
struct made {
	struct mm_event ev;
	char *path;		/* the VMA's file */
	size_t plen;
};

struct tracer {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;		/* CLOCK_MONOTONIC at start (bpf_ktime_get_ns) */
	uint64_t events;
	struct call_stat stat[MM_NR_MAX];
	struct vm_model *vm;	/* for paths: (dev, inode) -> path */
	bool exec_vmas;		/* the kernel sends exec's VMAs */
	struct mmtrace_regions regions;	/* mmap_region's mechanism */
	struct made *made;	/* MM_EV_REGION records waiting for their call */
	size_t nmade, made_cap;
	struct symbolizer *sym;	/* owners: kernel functions */
};

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

static void plain_vma(struct tracer *t, const struct mm_vma *v, const char *mark,
		      const char *anon)
{
	char perms[5];

	mm_vma_perms(v, perms);
	plain_vma_line(t, mark, v->start, v->end, perms, vma_label(t, v, anon),
		       v->has_file);
}

/* "time pid" that starts a line */
static void plain_when(struct tracer *t, struct line *l, const struct mm_event *ev)
{
	line_secs6(l, ev->ts_ns - t->t0, 10);
	line_ch(l, ' ');
	line_i64(l, (int)ev->pid);
}

/* "time pid[/tid]" that starts a call's line */
static void plain_who(struct tracer *t, struct line *l, const struct mm_event *ev)
{
	plain_when(t, l, ev);
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

static void plain_call(struct tracer *t, const struct mm_event *ev,
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
		plain_vma(t, &ev->vma[i], ev->vma_when == MM_VMAS_BEFORE ? "-" : "+",
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

static void json_vma(struct tracer *t, const struct mm_vma *v, const char *anon)
{
	json_obj_begin(&t->j);
	json_vma_fields(t, v, anon);
	json_obj_end(&t->j);
}

static void json_head(struct tracer *t, const char *type, const struct mm_event *ev)
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
static void exec_snapshot(struct tracer *t, const struct mm_event *ev)
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
		json_head(t, "exec_vma", ev);
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

static void json_call(struct tracer *t, const struct mm_event *ev,
		      const struct mm_call *call, const char *path, size_t plen)
{
	struct json *j = &t->j;
	unsigned int i;

	json_head(t, "call", ev);
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
				json_vma(t, &ev->vma[0], heap_of(call));
			else
				json_null(j);
			return;
		}
		json_key(j, after ? "vmas" : "vmas_removed");
		json_arr_begin(j);
		for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
			json_vma(t, &ev->vma[i], heap_of(call));
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
static void plain_made(struct tracer *t, const struct made *m)
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
static void json_made_fields(struct tracer *t, const struct made *m)
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
static void made_alone(struct tracer *t, const struct made *m)
{
	const struct mm_event *ev = &m->ev;
	const struct mm_call *call = mm_call_by_nr(ev->nr);
	struct line l;

	if (t->c->json) {
		json_head(t, "vma_made", ev);
		json_kstr(&t->j, "during", call ? call->name : NULL);
		json_made_fields(t, m);
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
	plain_made(t, m);
}

static void made_free(struct made *m)
{
	free(m->path);
	m->path = NULL;
}

/* Hold a record until its call's exit record comes (same thread). */
static void made_hold(struct tracer *t, const struct mm_event *ev,
		      const char *path, size_t plen)
{
	struct made m = { .ev = *ev };

	if (path && (m.path = malloc(plen + 1))) {
		memcpy(m.path, path, plen);
		m.path[plen] = '\0';
		m.plen = plen;
	}
	/* a call that never ends (exec past the point of no return that
	 * fails) leaves them: bounded, shown on their own */
	if (!mm_call_by_nr(ev->nr) || t->nmade >= 4096 ||
	    !grow_array((void **)&t->made, &t->made_cap, t->nmade, sizeof(*t->made))) {
		made_alone(t, &m);
		made_free(&m);
		return;
	}
	t->made[t->nmade++] = m;
}

/* Write (after the call line, or alone) and drop the held records of
 * thread tid (of process pid when tid is 0; all when both are 0). */
static void made_release(struct tracer *t, pid_t pid, pid_t tid, bool alone)
{
	size_t i, k = 0;
	bool any = false;

	for (i = 0; i < t->nmade; i++) {
		struct made *m = &t->made[i];

		if ((tid && (pid_t)m->ev.tid != tid) || (!tid && pid && (pid_t)m->ev.pid != pid)) {
			t->made[k++] = *m;
			continue;
		}
		if (alone) {
			made_alone(t, m);
		} else if (t->c->json) {
			if (!any) {
				json_key(&t->j, "made");
				json_arr_begin(&t->j);
			}
			json_obj_begin(&t->j);
			json_made_fields(t, m);
			json_obj_end(&t->j);
		} else {
			plain_made(t, m);
		}
		any = true;
		made_free(m);
	}
	t->nmade = k;
	if (any && !alone && t->c->json)
		json_arr_end(&t->j);
}

static bool made_pending(const struct tracer *t, pid_t tid)
{
	size_t i;

	for (i = 0; i < t->nmade; i++)
		if ((pid_t)t->made[i].ev.tid == tid)
			return true;
	return false;
}

/* ---- events ------------------------------------------------------------ */

static int on_event(const struct mm_event *ev, void *arg)
{
	struct tracer *t = arg;
	char cut[MM_PATH_CUT_BUF];
	const char *path = NULL;
	size_t plen = 0;
	bool has_path = mm_event_path(ev, cut, &path, &plen);
	struct line l;

	t->events++;
	switch (ev->type) {
	case MM_EV_CALL: {
		const struct mm_call *call = mm_call_by_nr(ev->nr);
		struct call_stat *st;

		if (!call)
			return 0;
		st = &t->stat[ev->nr];
		st->count++;
		st->time_ns += ev->dur_ns;
		if (ev->ret < 0 && ev->ret >= -4095)
			st->errors++;
		if (has_path && ev->nvma && ev->vma[0].has_file)
			vm_model_learn_path(t->vm, ev->vma[0].dev, ev->vma[0].ino, path, plen);
		if (t->c->json) {
			json_call(t, ev, call, has_path ? path : NULL, plen);
			made_release(t, 0, (pid_t)ev->tid, false);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			plain_call(t, ev, call, has_path ? path : NULL, plen,
				   made_pending(t, (pid_t)ev->tid));
			made_release(t, 0, (pid_t)ev->tid, false);
		}
		break;
	}
	case MM_EV_REGION:
		if (has_path && ev->nvma && ev->vma[0].has_file)
			vm_model_learn_path(t->vm, ev->vma[0].dev, ev->vma[0].ino, path, plen);
		made_hold(t, ev, has_path ? path : NULL, plen);
		break;
	case MM_EV_EXEC_VMA: {
		char anon_buf[64];
		const char *anon = NULL;

		if (!ev->nvma)
			break;
		if (has_path && ev->vma[0].has_file)
			vm_model_learn_path(t->vm, ev->vma[0].dev, ev->vma[0].ino, path, plen);
		else if (has_path) {	/* [vdso], [heap] ... */
			snprintf(anon_buf, sizeof(anon_buf), "%.*s", (int)plen, path);
			anon = anon_buf;
		}
		if (t->c->json) {
			json_head(t, "exec_vma", ev);
			json_key(&t->j, "vma");
			json_vma(t, &ev->vma[0], anon);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			plain_vma(t, &ev->vma[0], "exec", anon);
		}
		break;
	}
	case MM_EV_EXEC:
		if (!t->exec_vmas)
			vm_model_seed(t->vm, ev->pid);
		if (t->c->json) {
			json_head(t, "exec", ev);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			plain_when(t, &l, ev);
			LINE_LIT(&l, " exec ");
			line_mem(&l, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
			line_str(&l, t->exec_vmas ? ", VMAs it made:\n" :
				 ", VMAs read from /proc just after (before 6.7):\n");
			line_flush(&l);
		}
		if (!t->exec_vmas)
			exec_snapshot(t, ev);
		break;
	case MM_EV_FORK:
		if (t->c->json) {
			json_head(t, "fork", ev);
			json_ku64(&t->j, "child", (uint64_t)ev->ret);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			plain_when(t, &l, ev);
			LINE_LIT(&l, " fork -> ");
			line_i64(&l, ev->ret);
			line_ch(&l, '\n');
			line_flush(&l);
		}
		break;
	case MM_EV_EXIT:
		made_release(t, (pid_t)ev->pid, 0, true);
		if (t->c->json) {
			json_head(t, "exit", ev);
			json_ku64(&t->j, "code", (uint64_t)(ev->ret >> 8) & 0xff);
			json_ku64(&t->j, "signal", (uint64_t)ev->ret & 0x7f);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			plain_when(t, &l, ev);
			LINE_LIT(&l, " exit ");
			line_i64(&l, (ev->ret >> 8) & 0xff);
			line_str(&l, ev->ret & 0x7f ? " (signal)\n" : "\n");
			line_flush(&l);
		}
		break;
	}
	return 0;
}

static void summary(struct tracer *t, double secs, uint64_t lost, int exit_code,
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


/* options: -1 to go on, else the exit status to return now (--help: 0) */
static int trace_options(struct cli *c, int argc, char **argv, struct session_args *sa)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		SESSION_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+" SESSION_SHORTOPTS CLI_COMMON_SHORTOPTS,
				  longopts, NULL)) != -1) {
		r = session_opt(c, sa, opt, optarg);
		if (r > 0)
			return r;
		if (r == 0)
			continue;
		r = cli_command_opt(c, opt, optarg, trace_usage);
		if (r >= 0)
			return r;
	}
	r = session_args_end(c, sa, argc, argv);
	return r ? r : -1;
}

/* mmap_region's VMAs where fentry or kprobes allow; EXIT_OK or the exit
 * status */
static int open_regions(struct tracer *t, struct session *s, const struct mmtrace_opts *mo)
{
	char why[256];
	int r = mmtrace_open_regions(s->mt, mo, t->c->mode, &t->regions, why, sizeof(why));

	if (r && t->c->mode == MECH_AUTO) {
		/* probed fine, yet the real programs did not load: the calls
		 * are still all there */
		cli_note(t->c, "%s; tracepoint mode instead", why);
		t->regions.mech = MECH_TRACEPOINT;
		r = 0;
	}
	if (r)
		return cli_error(t->c, r == -EOPNOTSUPP || r == -EPERM ? EXIT_PRIVILEGE :
				 EXIT_RUNTIME, "%s", why);
	if (t->regions.mech != MECH_TRACEPOINT && t->regions.vma_mech == MECH_NONE)
		cli_note(t->c, "vma_set_page_prot cannot be hooked: the VMAs mmap_region "
			 "makes are shown as asked, not as made");
	return EXIT_OK;
}

static void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	vm_model_free(t->vm);
	while (t->nmade)
		made_free(&t->made[--t->nmade]);
	free(t->made);
	sym_free(t->sym);
	free(t);
}

int cmd_trace(struct cli *c, int argc, char **argv)
{
	struct session_args sa = { .ring_bytes = 4 << 20 };
	struct mmtrace_opts mo = { 0 };
	struct tracer *t = NULL;
	struct session s;
	int ret;

	ret = trace_options(c, argc, argv, &sa);
	if (ret >= 0)
		return ret;
	session_mmtrace_opts(&sa, &mo);
	ret = session_begin(&s, c, &sa);
	if (ret)
		goto out;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->vm = vm_model_new())) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	t->c = c;
	t->out = s.out;
	json_init(&t->j, t->out);
	t->t0 = (uint64_t)(s.t_start * 1e9);
	ret = session_open_mm(&s, &mo, on_event, t);
	if (!ret)
		ret = open_regions(t, &s, &mo);
	if (!ret)
		ret = session_add_target(&s, "trace");
	if (ret)
		goto out;
	t->exec_vmas = mmtrace_has_exec_vmas(s.mt);
	if (s.pid)
		vm_model_seed(t->vm, s.pid);
	/* no exec VMA records: read /proc while the command is stopped
	 * at its exec (the ring holds the exec event by then) */
	ret = session_run(&s, &(struct session_loop){
		.what = "tracing", .mode = mech_name(t->regions.mech),
		.children = sa.follow, .consume_at_exec = !t->exec_vmas });
	if (ret)
		goto out;
	made_release(t, 0, 0, true);	/* calls that never ended */
	summary(t, now_sec() - s.t_start, session_lost(&s), s.exit_code, s.have_exit);
out:
	tracer_free(t);
	return session_end(&s, ret);
}
