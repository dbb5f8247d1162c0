// SPDX-License-Identifier: GPL-2.0
/* vmscope trace: every mmap-family call and the VMAs it leaves, live. */
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
		trace_made_alone(t, &m);
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
			trace_made_alone(t, m);
		} else if (t->c->json) {
			if (!any) {
				json_key(&t->j, "made");
				json_arr_begin(&t->j);
			}
			json_obj_begin(&t->j);
			trace_json_made_fields(t, m);
			json_obj_end(&t->j);
		} else {
			trace_plain_made(t, m);
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
			trace_json_call(t, ev, call, has_path ? path : NULL, plen);
			made_release(t, 0, (pid_t)ev->tid, false);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			trace_plain_call(t, ev, call, has_path ? path : NULL, plen,
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
			trace_json_head(t, "exec_vma", ev);
			json_key(&t->j, "vma");
			trace_json_vma(t, &ev->vma[0], anon);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			trace_plain_vma(t, &ev->vma[0], "exec", anon);
		}
		break;
	}
	case MM_EV_EXEC:
		if (!t->exec_vmas)
			vm_model_seed(t->vm, ev->pid);
		if (t->c->json) {
			trace_json_head(t, "exec", ev);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			trace_plain_when(t, &l, ev);
			LINE_LIT(&l, " exec ");
			line_mem(&l, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
			line_str(&l, t->exec_vmas ? ", VMAs it made:\n" :
				 ", VMAs read from /proc just after (before 6.7):\n");
			line_flush(&l);
		}
		if (!t->exec_vmas)
			trace_exec_snapshot(t, ev);
		break;
	case MM_EV_FORK:
		if (t->c->json) {
			trace_json_head(t, "fork", ev);
			json_ku64(&t->j, "child", (uint64_t)ev->ret);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			trace_plain_when(t, &l, ev);
			LINE_LIT(&l, " fork -> ");
			line_i64(&l, ev->ret);
			line_ch(&l, '\n');
			line_flush(&l);
		}
		break;
	case MM_EV_EXIT:
		made_release(t, (pid_t)ev->pid, 0, true);
		if (t->c->json) {
			trace_json_head(t, "exit", ev);
			json_ku64(&t->j, "code", (uint64_t)(ev->ret >> 8) & 0xff);
			json_ku64(&t->j, "signal", (uint64_t)ev->ret & 0x7f);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			line_init(&l, t->out);
			trace_plain_when(t, &l, ev);
			LINE_LIT(&l, " exit ");
			line_i64(&l, (ev->ret >> 8) & 0xff);
			line_str(&l, ev->ret & 0x7f ? " (signal)\n" : "\n");
			line_flush(&l);
		}
		break;
	}
	return 0;
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

	ret = session_options(c, argc, argv, &sa,
			      &(struct session_cmd_opts){ .usage = trace_usage });
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
	trace_summary(t, now_sec() - s.t_start, session_lost(&s), s.exit_code, s.have_exit);
out:
	tracer_free(t);
	return session_end(&s, ret);
}
