// SPDX-License-Identifier: GPL-2.0
/* vmscope faults: page faults live, their outcome and the frame they got. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
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

static const char faults_usage[] =
"Usage: vmscope faults [options] -p PID\n"
"       vmscope faults [options] -- CMD [ARGS...]\n"
"       vmscope faults [options] [--comm NAME]      (system-wide)\n"
"\n"
"Page faults as they happen: address, ip (symbolized), access, user or\n"
"kernel mode, result (minor, major, sigbus, sigsegv, error), latency, the\n"
"VMA, and the frame the fault installed with its page flags.\n"
"\n"
"Options:\n"
"  -p, --pid PID       watch this process (all its threads)\n"
"  -f, --follow        also watch children forked after the start\n"
"      --comm NAME     system-wide: only processes with this command name\n"
"      --vma ADDR|PATH only faults in the VMA holding ADDR (with -p), or\n"
"                      in mappings of the file PATH (or its base name)\n"
"      --access LIST   only these accesses: read,write,exec\n"
"      --result LIST   only these results: minor,major,sigbus,sigsegv,\n"
"                      error,unknown\n"
"  -s, --summary       count in the kernel, print no events: per VMA,\n"
"                      top ips, latency histogram, faults per second\n"
"  -L, --latency       the latency of every fault (else of major and\n"
"                      failed ones only); costs ~25% on fault-bound work\n"
"  -i, --interval N    with --summary: also print every N seconds\n"
"  -o, --output FILE   write to FILE instead of standard output\n"
"      --ring-size N   ring buffer size (default 8M; power of two)\n"
"  -j, --json          NDJSON: one object per fault, then a summary\n"
"  -w, --wide          do not cut lines at 80 columns\n"
"  -h, --help          this help\n"
"\n"
"With -- CMD the command starts held before exec until every probe is\n"
"attached and vmscope exits with its status (127: not found, 126: not\n"
"executable).\n";

/* ---- options ---------------------------------------------------------------- */

static int parse_list(const char *s, const char *const *names, size_t n, uint32_t *mask)
{
	char *dup = strdup(s), *tok, *save = NULL;
	size_t i;

	if (!dup)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (names[i] && !strcmp(tok, names[i]))
				break;
		if (i == n) {
			free(dup);
			return -EINVAL;
		}
		*mask |= 1U << i;
	}
	free(dup);
	return *mask ? 0 : -EINVAL;
}

/* --vma ADDR with -p: the VMA's bounds become a filter in the kernel. */
static int vma_bounds(struct cli *c, pid_t pid, const char *arg, uint64_t *lo, uint64_t *hi)
{
	struct maps_list ml = { 0 };
	uint64_t addr;
	ssize_t i;
	int err;

	if (parse_u64(arg, &addr, false))
		return 1;	/* not a number: a path */
	if (!pid)
		return -cli_error(c, EXIT_USAGE, "--vma ADDR needs -p PID (the VMA is "
				  "looked up in that process)");
	err = maps_read(pid, &ml);
	if (err)
		return -cli_error(c, EXIT_RUNTIME, "cannot read the maps of %d: %s", pid,
				  strerror(-err));
	i = maps_find(&ml, addr);
	if (i < 0) {
		maps_free(&ml);
		return -cli_error(c, EXIT_RUNTIME, "0x%" PRIx64 " is not mapped in %d",
				  addr, pid);
	}
	*lo = ml.v[i].start;
	*hi = ml.v[i].end;
	maps_free(&ml);
	return 0;
}

struct faults_opts {
	struct session_args sa;
	struct fltrace_opts fo;
	const char *vma_arg;
	uint64_t interval;
};

/* options: -1 to go on, else the exit status to return now (--help: 0) */
static int faults_opt(struct cli *c, int opt, const char *arg, void *fo)
{
	struct faults_opts *o = fo;
	uint32_t m;

	switch (opt) {
	case 'V':
		o->vma_arg = arg;
		return 0;
	case 'A':
		if (parse_list(arg, access_names, 3, &o->fo.access_mask))
			return cli_error(c, EXIT_USAGE, "bad --access '%s': a list of "
					 "read, write, exec", arg);
		return 0;
	case 'r':
		if (parse_list(arg, result_names, FLT_NR_RESULTS, &m))
			return cli_error(c, EXIT_USAGE, "bad --result '%s': a list of "
					 "minor, major, sigbus, sigsegv, error, unknown", arg);
		o->fo.result_mask = m;
		return 0;
	case 's':
		o->fo.summary = true;
		return 0;
	case 'L':
		o->fo.exact = true;
		return 0;
	case 'i':
		if (parse_u64(arg, &o->interval, false) || !o->interval || o->interval > 86400)
			return cli_error(c, EXIT_USAGE, "bad --interval '%s': seconds, "
					 "1 to 86400", arg);
		return 0;
	}
	return -1;
}

static int faults_options(struct cli *c, int argc, char **argv, struct faults_opts *o)
{
	static const struct option longopts[] = {
		{ "vma", required_argument, NULL, 'V' },
		{ "access", required_argument, NULL, 'A' },
		{ "result", required_argument, NULL, 'r' },
		{ "summary", no_argument, NULL, 's' },
		{ "latency", no_argument, NULL, 'L' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int r = session_options(c, argc, argv, &o->sa, &(struct session_cmd_opts){
		.usage = faults_usage, .shortopts = "sLi:", .longopts = longopts,
		.opt = faults_opt, .arg = o });

	if (r >= 0)
		return r;
	if (o->interval && !o->fo.summary)
		return cli_error(c, EXIT_USAGE, "--interval goes with --summary");
	return -1;
}

/* Frames come from a page-table read at the fault's end; it needs the
 * direct-map base that bpf/ptwalk finds. */
static void frames_setup(struct watcher *w, struct fltrace_opts *fo)
{
	struct ptwalk *pw = NULL;
	char why[256];

	if (ptwalk_open(&pw, why, sizeof(why))) {
		w->pfn_hidden = true;
		cli_note(w->c, "frames unavailable: %s", why);
	} else {
		fo->direct_base = ptwalk_direct_base(pw);
		fo->top_level = ptwalk_top_level(pw);
		ptwalk_close(pw);
	}
	if (w->kp.flags_fd < 0)
		cli_note(w->c, "page flags unavailable: kpageflags: %s",
			 strerror(-w->kp.flags_err));
}

static struct watcher *watcher_new(struct cli *c, struct session *s)
{
	struct watcher *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->c = c;
	w->s = s;
	w->out = s->out;
	w->kp.flags_fd = w->kp.count_fd = -1;
	w->t0 = (uint64_t)(s->t_start * 1e9);
	json_init(&w->j, w->out);
	if (!(w->vm = vm_model_new()) || !(w->sym = sym_new()) ||
	    !(w->ipc = calloc(IPCACHE, sizeof(*w->ipc))))
		return w;	/* the caller sees no ipc: out of memory */
	kpage_open(&w->kp);
	return w;
}

static void watcher_free(struct watcher *w)
{
	if (!w)
		return;
	kpage_close(&w->kp);
	sym_free(w->sym);
	vm_model_free(w->vm);
	free(w->rows);
	free(w->vrows);
	free(w->cls);
	free(w->clshash);
	free(w->iprows);
	free(w->pids);
	free(w->ipc);
	free(w);
}

/* After each batch: page flags and output; --summary: the kernel's VMA
 * tables, and the --interval report when due. */
static void on_batch(void *arg, int got, bool last)
{
	struct watcher *w = arg;
	double t;

	faults_flush_batch(w);
	if (!w->summary_mode || last)
		return;
	faults_push_bounds(w);
	if (!w->interval || (t = now_sec()) < w->next_print)
		return;
	faults_read_counts(w);
	faults_report(w, "interval", t - w->s->t_start,
	       (double)(w->faults - w->last_faults) / (t - w->last_print), NULL);
	w->last_faults = w->faults;
	w->last_print = t;
	w->next_print = t + (double)w->interval;
}

int cmd_faults(struct cli *c, int argc, char **argv)
{
	struct faults_opts o = {
		.sa = { .ring_bytes = 8 << 20 },
		.fo = { .access_mask = 7, .result_mask = 0x7f },
	};
	struct mmtrace_opts mo = { 0 };
	struct watcher *w = NULL;
	struct session s;
	double secs;
	int ret;

	o.fo.mm = &mo;
	ret = faults_options(c, argc, argv, &o);
	if (ret >= 0)
		return ret;
	/* fail before any note about what a privileged run would lack */
	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "faults needs root: CAP_BPF and "
				 "CAP_PERFMON (CAP_SYS_ADMIN for frames and page flags)");
	/* outcomes: handle_mm_fault's exit by fexit or kretprobe where the
	 * kernel allows, else (tracepoint mode) perf events and signals */
	ret = session_fault_mode(c, "faults", &o.fo.outcome);
	if (ret)
		return ret;
	session_mmtrace_opts(&o.sa, &mo);
	mo.wake_each = o.fo.summary;	/* only VMA changes go through the ring */

	ret = session_begin(&s, c, &o.sa);
	if (ret)
		goto out;
	if (o.vma_arg) {
		int r = vma_bounds(c, o.sa.pid, o.vma_arg, &o.fo.addr_lo, &o.fo.addr_hi);

		if (r < 0) {
			ret = -r;
			goto out;
		}
	}
	w = watcher_new(c, &s);
	if (!w || !w->ipc) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	vm_model_drop_exited(w->vm, mo.system_wide);
	w->summary_mode = o.fo.summary;
	w->interval = o.interval;
	w->mode = o.fo.outcome == MECH_NONE ? MECH_TRACEPOINT : o.fo.outcome;
	/* handle_mm_fault's exit measures every fault */
	w->exact = o.fo.exact || w->mode != MECH_TRACEPOINT;
	w->vma_path = o.vma_arg && !o.fo.addr_hi ? o.vma_arg : NULL;
	if (!o.fo.summary)
		frames_setup(w, &o.fo);
	ret = session_open_mm(&s, &mo, faults_on_mm, w);
	if (!ret)
		ret = session_open_faults(&s, &o.fo, faults_on_fault, w);
	if (!ret)
		ret = session_add_target(&s, "watch");
	if (ret)
		goto out;
	if (s.pid) {
		faults_note_pid(w, s.pid);
		/* with -- CMD, the child held before its exec still runs a
		 * few instructions of vmscope's launcher when released (COW
		 * writes, libc text): its VMAs are a copy of ours until the
		 * exec record replaces them */
		vm_model_seed(w->vm, s.pid);
	}
	if (o.fo.summary)
		faults_push_bounds(w);
	if (!c->json && !o.fo.summary)
		fprintf(w->out, "%9s %7s %-2s %-7s %7s %-14s %-10s %s\n", "TIME", "TID", "A",
			"RESULT", "LAT", "ADDRESS", "PFN", "WHERE");
	w->last_print = now_sec();
	w->next_print = w->last_print + (double)o.interval;
	/* no exec VMA records: read /proc while the command is stopped
	 * at its exec (the ring holds the exec event by then) */
	ret = session_run(&s, &(struct session_loop){
		.what = "watching faults of", .mode = mech_name(w->mode),
		.children = o.sa.follow, .consume_at_exec = !mmtrace_has_exec_vmas(s.mt),
		.batch = on_batch, .arg = w });
	if (ret)
		goto out;
	if (o.fo.summary) {
		faults_read_counts(w);
		if (fltrace_agg_dropped(s.ft))
			cli_note(c, "%" PRIu64 " faults not counted: a counting map was full",
				 fltrace_agg_dropped(s.ft));
	}
	secs = now_sec() - s.t_start;
	faults_report(w, "summary", secs, secs > 0 ? (double)w->faults / secs : 0, &s);
out:
	watcher_free(w);
	return session_end(&s, ret);
}
