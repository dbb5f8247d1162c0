// SPDX-License-Identifier: GPL-2.0
/* vmscope top: a process's address space live, VMAs, residency, faults
 * and frames joined, in a full-screen view or as snapshots. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cli.h"
#include "cmd/top.h"
#include "model/symbolize.h"
#include "model/vma_stream.h"
#include "procfs/pagemap.h"
#include "procfs/proc.h"
#include "session/session.h"
#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"
#include "tracers/bpf_ptwalk.h"
#include "util.h"

static const char top_usage[] =
"Usage: vmscope top [options] -p PID\n"
"       vmscope top [options] -- CMD [ARGS...]\n"
"\n"
"A process's address space, live: one row per VMA with its size, perms,\n"
"resident and swapped pages, faults per second and a strip of where its\n"
"pages are resident; the detail of one VMA gives its frames and its last\n"
"faults. Kept current from the mmap-family and fault events; residency\n"
"is read again, within a budget, where events made it stale.\n"
"\n"
"Options:\n"
"  -p, --pid PID       the process to show\n"
"  -d, --delay SECS    seconds between refreshes (default 1)\n"
"  -b, --batch         plain-text snapshots, as top -b (also without a\n"
"                      terminal)\n"
"  -n, --count N       stop after N snapshots\n"
"  -s, --sort KEY      address, size, resident, faults or recent\n"
"      --filter TEXT   only VMAs whose name holds TEXT\n"
"      --detail ADDR   with -b or --json: also the frames and last faults\n"
"                      of the VMA holding ADDR\n"
"      --budget MS     rescans of residency per refresh (default 5)\n"
"  -o, --output FILE   write snapshots to FILE (implies -b)\n"
"      --ring-size N   ring buffer size (default 8M; power of two)\n"
"  -j, --json          NDJSON: a snapshot object per refresh, then a\n"
"                      summary\n"
"  -w, --wide          full ranges and paths, a 16-cell strip\n"
"  -h, --help          this help\n"
"\n"
"Keys: arrows, PgUp/PgDn, Home/End move; Enter shows or hides the\n"
"detail; s changes the sort; / filters by name; p pauses; ? helps;\n"
"q quits.\n"
"\n"
"Residency strip cells: H huge-mapped, # mostly resident, + partly,\n"
"s swapped, g guard, z zero page only, p frames of a PFN mapping (not\n"
"in RSS, as smaps counts), . nothing. Row marks: + new, * changed,\n"
"- removed in the last interval.\n";

struct top_opts {
	struct session_args sa;
	struct top *t;
	const char *detail;
};

static int top_opt(struct cli *c, int opt, const char *arg, void *p)
{
	struct top_opts *o = p;
	struct top *t = o->t;
	uint64_t v;
	char *end;
	int k;

	switch (opt) {
	case 'd':
		t->delay = strtod(arg, &end);
		if (*arg == '\0' || *end || !isfinite(t->delay) || t->delay < 0.1 ||
		    t->delay > 86400)
			return cli_error(c, EXIT_USAGE, "bad --delay '%s': seconds, 0.1 to 86400",
					 arg);
		return 0;
	case 'b':
		t->batch = true;
		return 0;
	case 'n':
		if (parse_u64(arg, &v, false) || !v || v > 1000000000)
			return cli_error(c, EXIT_USAGE, "bad --count '%s': a number of snapshots",
					 arg);
		t->count = (long)v;
		return 0;
	case 's':
		for (k = 0; k < SORT_NR; k++)
			if (!strcmp(arg, top_sort_names[k]))
				break;
		if (k == SORT_NR)
			return cli_error(c, EXIT_USAGE, "bad --sort '%s': address, size, "
					 "resident, faults or recent", arg);
		t->sort = (enum top_sort)k;
		return 0;
	case 'F':
		t->filter = *arg ? arg : NULL;
		return 0;
	case 'D':
		if (parse_u64(arg, &t->detail_addr, false))
			return cli_error(c, EXIT_USAGE, "bad --detail '%s': an address", arg);
		t->have_detail = true;
		return 0;
	case 'G':
		if (parse_u64(arg, &v, false) || v > 10000)
			return cli_error(c, EXIT_USAGE, "bad --budget '%s': milliseconds, 0 to "
					 "10000", arg);
		t->budget = (double)v / 1e3;
		return 0;
	}
	return -1;
}

static int top_options(struct cli *c, int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'F' },
		{ "detail", required_argument, NULL, 'D' },
		{ "budget", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	int r = session_options(c, argc, argv, &o->sa, &(struct session_cmd_opts){
		.usage = top_usage, .shortopts = "d:bn:s:", .longopts = longopts,
		.opt = top_opt, .arg = o });

	if (r >= 0)
		return r;
	if (!o->sa.pid && !o->sa.cmd)
		return cli_error(c, EXIT_USAGE, "top shows one process: give -p PID or "
				 "-- CMD");
	if (o->sa.follow)
		return cli_error(c, EXIT_USAGE, "top shows one process: -f does not apply");
	return -1;
}

/* ---- handlers ------------------------------------------------------------------- */

static int on_mm(const struct mm_event *ev, void *arg)
{
	struct top *t = arg;
	uint32_t i;

	if ((pid_t)ev->pid != t->pid)
		return 0;
	vm_model_event(t->vm, ev);
	if (ev->type == MM_EV_CALL)
		t->calls++;
	if (ev->type == MM_EV_EXEC) {
		proc_comm(t->pid, t->comm, sizeof(t->comm));
		top_forget_rows(t);	/* a new address space: no counter carries */
		/* pagemap opened before holds the old address space */
		if (t->pagemap_fd >= 0)
			close(t->pagemap_fd);
		t->pagemap_fd = pagemap_open(t->pid);
		if (!mmtrace_has_exec_vmas(t->s->mt))
			vm_model_seed(t->vm, t->pid);
	}
	if ((ev->type == MM_EV_CALL && ev->vma_when == MM_VMAS_AFTER) ||
	    ev->type == MM_EV_EXEC_VMA)
		for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
			top_note_flags(t, &ev->vma[i], false, 0);
	return 0;
}

static int on_fault(const struct flt_event *e, void *arg)
{
	struct top *t = arg;

	if ((pid_t)e->pid == t->pid)
		top_fault(t, e, now_sec());
	return 0;
}

/* ---- snapshots ------------------------------------------------------------------ */

/* Bring the rows up to now: the model (re-read only where events left
 * gaps), residency within the budget, the kernel's RSS. */
static void refresh(struct top *t, double now)
{
	if (vm_model_unsure(t->vm, t->pid))
		vm_model_seed(t->vm, t->pid);
	top_join(t);
	top_rescan(t, now, t->snapshots == 0);
	t->statm_ok = t->statm_fd >= 0 && !proc_statm_rss(t->statm_fd, &t->statm_rss);
}

static void snapshot(struct top *t)
{
	double c0 = self_cpu_sec(), now = now_sec();

	/* the view opens at the first snapshot: the session's notes have
	 * been written by then, not over the screen */
	if (t->want_view && !t->view && top_view_open(t)) {
		t->view_failed = true;
		t->s->stop = true;
		return;
	}
	refresh(t, now);
	/* the first is the baseline: with -- CMD the rows before it were
	 * the launcher's, replaced at exec, and nothing is news yet */
	if (!t->snapshots)
		top_end_interval(t);
	top_take_interval(t, now);
	if (t->view)
		top_view_draw(t);
	else if (t->c->json)
		top_print_json(t, t->s->out);
	else
		top_print_text(t, t->s->out);
	top_end_interval(t);
	t->refresh_cpu = self_cpu_sec() - c0;
	if (!t->snapshots) {
		t->refresh_first = t->refresh_cpu;
	} else {
		t->refresh_sum += t->refresh_cpu;
		if (t->refresh_cpu > t->refresh_max)
			t->refresh_max = t->refresh_cpu;
	}
	t->snapshots++;
	if (t->count && t->snapshots >= (uint64_t)t->count)
		t->s->stop = true;
	t->next_snap = now + t->delay;
}

static void on_batch(void *arg, int got, bool last)
{
	struct top *t = arg;

	(void)got;
	if (last || t->s->stop)
		return;
	if (t->view)
		top_view_key(t);	/* KEY_RESIZE comes with no input to wake us */
	if (now_sec() >= t->next_snap && !t->paused)
		snapshot(t);
}

/* ---- set-up --------------------------------------------------------------------- */

static void frames_setup(struct top *t, struct fltrace_opts *fo)
{
	char why[256];

	if (ptwalk_open(&t->pw, why, sizeof(why))) {
		t->pw = NULL;
		cli_note(t->c, "frames of faults and of VM_PFNMAP VMAs unavailable: %s", why);
		return;
	}
	fo->direct_base = ptwalk_direct_base(t->pw);
	fo->top_level = ptwalk_top_level(t->pw);
}

/* The model, once: /proc/PID/maps, the iterator's flags, pagemap open. */
static int seed(struct top *t)
{
	struct vma_table vt = { 0 };
	uint64_t zero;
	size_t i;
	int r;

	r = vm_model_seed(t->vm, t->pid);
	if (r)
		return cli_error(t->c, EXIT_RUNTIME, "cannot read the maps of %d: %s",
				 (int)t->pid, strerror(-r));
	if (!vma_stream_read_all(t->pid, t->c->no_bpf ? 0 : VT_USE_BPF, &vt)) {
		for (i = 0; i < vt.n; i++) {
			struct mm_vma v = { .start = vt.v[i].m.start, .end = vt.v[i].m.end,
					    .flags = vt.v[i].flags,
					    .page_prot = vt.v[i].has_kernel ? vt.v[i].k.page_prot : 0 };
			const struct vma_rec *k = &vt.v[i].k;

			if (vt.v[i].has_flags)
				top_note_flags(t, &v, vt.v[i].has_kernel,
					       k->fn_fault ? k->fn_fault : k->fn_open ? k->fn_open :
					       k->fn_mmap ? k->fn_mmap : k->fn_name);
		}
		if (vt.kernel_err)
			cli_note(t->c, "cache modes unavailable: %s", vt.kernel_why);
	}
	vma_table_free(&vt);
	t->pagemap_fd = pagemap_open(t->pid);
	if (t->pagemap_fd < 0)
		cli_note(t->c, "residency unavailable: cannot open /proc/%d/pagemap: %s",
			 (int)t->pid, strerror(-t->pagemap_fd));
	t->statm_fd = proc_open(t->pid, "statm");
	t->pfn_hidden = pagemap_zero_pfn(&zero) == -ENOENT && !have_cap(CAP_SYS_ADMIN);
	if (t->pfn_hidden)
		cli_note(t->c, "PFNs hidden: pagemap shows frames only with CAP_SYS_ADMIN");
	proc_comm(t->pid, t->comm, sizeof(t->comm));
	/* what was there at the start is not news */
	top_join(t);
	top_end_interval(t);
	return EXIT_OK;
}

static void top_free(struct top *t)
{
	top_rows_free(t);
	top_detail_free(&t->det);
	sym_free(t->sym);
	vm_model_free(t->vm);
	kpage_close(&t->kp);
	ptwalk_close(t->pw);
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	if (t->statm_fd >= 0)
		close(t->statm_fd);
}

int cmd_top(struct cli *c, int argc, char **argv)
{
	struct top t = { .c = c, .delay = 1, .budget = 0.005, .width = 80,
			 .pagemap_fd = -1, .statm_fd = -1,
			 .kp = { .flags_fd = -1, .count_fd = -1 } };
	struct top_opts o = { .sa = { .ring_bytes = 8 << 20 }, .t = &t };
	struct fltrace_opts fo = { .access_mask = 7, .result_mask = 0x7f };
	struct mmtrace_opts mo = { 0 };
	enum mech fmode;
	struct session s;
	int ret;

	ret = top_options(c, argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "top needs root: CAP_BPF and CAP_PERFMON "
				 "(CAP_SYS_ADMIN for frames and page flags)");
	ret = session_fault_mode(c, "top", &fo.outcome);
	if (ret)
		return ret;
	fmode = fo.outcome == MECH_NONE ? MECH_TRACEPOINT : fo.outcome;
	t.mm_mode = "tracepoint";	/* the raw syscall tracepoints */
	t.flt_mode = mech_name(fmode);
	t.wide = c->wide;
	/* a full screen only on a terminal, and never into a file */
	if (c->json || o.sa.outpath || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		t.batch = true;
	if (t.have_detail && !t.batch)
		return cli_error(c, EXIT_USAGE, "--detail goes with -b or --json (the view "
				 "shows a VMA's detail on Enter)");
	if (!t.batch && top_view_too_small())
		return cli_error(c, EXIT_RUNTIME, "the terminal is too small for top: it "
				 "needs 60x12 or more (use -b for snapshots)");
	session_mmtrace_opts(&o.sa, &mo);
	fo.mm = &mo;
	ret = session_begin(&s, c, &o.sa);
	if (ret)
		goto out;
	t.s = &s;
	t.pid = s.pid;
	if (!(t.vm = vm_model_new())) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	kpage_open(&t.kp);
	frames_setup(&t, &fo);
	ret = session_open_mm(&s, &mo, on_mm, &t);
	if (!ret)
		ret = session_open_faults(&s, &fo, on_fault, &t);
	if (!ret)
		ret = session_add_target(&s, "watch");
	if (!ret)
		ret = seed(&t);
	if (ret)
		goto out;
	t.want_view = !t.batch;
	ret = session_run(&s, &(struct session_loop){
		.what = "showing", .mode = t.flt_mode,
		.consume_at_exec = !mmtrace_has_exec_vmas(s.mt),
		.batch = on_batch, .arg = &t,
		.input_fd = STDIN_FILENO, .input = t.want_view ? top_view_key : NULL,
		.wait_ms = 50 });
	top_view_close(&t);
	if (!ret && t.view_failed)
		ret = cli_error(c, EXIT_RUNTIME, "cannot start the full-screen view (TERM=%s)",
				getenv("TERM") ? getenv("TERM") : "");
	if (ret)
		goto out;
	if (t.pend_dropped || t.gone_dropped)
		cli_note(c, "%" PRIu64 " VMAs' flags from events not kept (a join's backlog was "
			 "full), %" PRIu64 " removed VMAs not shown", t.pend_dropped, t.gone_dropped);
	if (s.target_gone || s.have_exit)
		cli_note(c, "process %d (%s) exited after %" PRIu64 " snapshot%s", (int)t.pid,
			 t.comm, t.snapshots, t.snapshots == 1 ? "" : "s");
	if (t.batch)
		top_print_summary(&t, s.out, now_sec() - s.t_start);
out:
	top_view_close(&t);
	top_free(&t);
	return session_end(&s, ret);
}
