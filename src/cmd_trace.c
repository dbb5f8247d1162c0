// SPDX-License-Identifier: GPL-2.0
/* vmscope trace: every mmap-family call and the VMAs it leaves, live. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpf_mmap.h"
#include "cli.h"
#include "launch.h"
#include "mmcalls.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/maps.h"
#include "util.h"
#include "vmflags.h"

static const char trace_usage[] =
"Usage: vmscope trace [options] -p PID\n"
"       vmscope trace [options] -- CMD [ARGS...]\n"
"       vmscope trace [options] [--comm NAME]      (system-wide)\n"
"\n"
"Every mmap-family call (mmap, munmap, mprotect, mremap, brk, madvise,\n"
"mlock*, msync, mincore, shm*, ...) with decoded arguments, the file of\n"
"an fd, the result, the duration and the VMAs the call left or removed,\n"
"as the kernel made them; and the VMAs exec creates by itself.\n"
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

/* (dev, inode) -> path, learned from events and snapshots */
struct path_ent {
	uint64_t key;
	char *path;
};

struct tracer {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;		/* CLOCK_MONOTONIC at start (bpf_ktime_get_ns) */
	uint64_t events;
	struct call_stat stat[MM_NR_MAX];
	struct path_ent *paths;
	size_t npaths, cap;	/* open addressing, cap a power of two */
	struct mmtrace *mt;
	bool exec_vmas;		/* the kernel sends exec's VMAs */
};

static uint64_t path_key(uint32_t dev, uint64_t ino)
{
	return (ino * 0x9e3779b97f4a7c15ULL) ^ dev;
}

static struct path_ent *path_slot(struct tracer *t, uint64_t key)
{
	size_t i = (key ^ (key >> 29)) & (t->cap - 1);

	while (t->paths[i].path && t->paths[i].key != key)
		i = (i + 1) & (t->cap - 1);
	return &t->paths[i];
}

static void path_learn(struct tracer *t, uint32_t dev, uint64_t ino,
		       const char *path, size_t len)
{
	uint64_t key = path_key(dev, ino);
	struct path_ent *e;

	if ((t->npaths + 1) * 2 > t->cap) {
		struct path_ent *old = t->paths;
		size_t oldcap = t->cap, i;

		t->cap = oldcap ? oldcap * 2 : 256;
		t->paths = calloc(t->cap, sizeof(*t->paths));
		if (!t->paths) {
			t->paths = old;
			t->cap = oldcap;
			return;
		}
		for (i = 0; i < oldcap; i++)
			if (old[i].path)
				*path_slot(t, old[i].key) = old[i];
		free(old);
	}
	e = path_slot(t, key);
	if (e->path) {
		if (strlen(e->path) == len && !memcmp(e->path, path, len))
			return;
		free(e->path);
		t->npaths--;
	}
	e->key = key;
	e->path = strndup(path, len);
	if (e->path)
		t->npaths++;
}

static const char *path_lookup(struct tracer *t, uint32_t dev, uint64_t ino)
{
	if (!t->cap)
		return NULL;
	return path_slot(t, path_key(dev, ino))->path;
}

/* Seed the path table from /proc/PID/maps (attach to a running process,
 * or a kernel without exec VMA records). */
static void paths_from_maps(struct tracer *t, pid_t pid)
{
	struct maps_list ml = { 0 };
	size_t i;

	if (maps_read(pid, &ml))
		return;
	for (i = 0; i < ml.n; i++) {
		const struct maps_entry *m = &ml.v[i];

		if (m->inode && m->path)
			path_learn(t, (m->dev_major << 20) | m->dev_minor, m->inode,
				   m->path, m->path_len);
	}
	maps_free(&ml);
}

static const char *vma_path(struct tracer *t, const struct mm_vma *v)
{
	if (v->has_file)
		return path_lookup(t, v->dev, v->ino);
	if (v->flags & VMF_GROWSDOWN)
		return "[stack]";
	return NULL;
}

static void vma_perms(const struct mm_vma *v, char p[5])
{
	p[0] = v->flags & VMF_READ ? 'r' : '-';
	p[1] = v->flags & VMF_WRITE ? 'w' : '-';
	p[2] = v->flags & VMF_EXEC ? 'x' : '-';
	p[3] = v->flags & VMF_MAYSHARE ? 's' : 'p';	/* as maps prints it */
	p[4] = '\0';
}

/* mmtrace_consume clears MM_PATH_SET when the record held no path */
static bool event_path(const struct mm_event *ev, const char **p, size_t *len)
{
	if (!(ev->path_flags & MM_PATH_SET) || ev->path_off >= MM_PATH_MAX)
		return false;
	*p = ev->path + ev->path_off;
	*len = MM_PATH_MAX - ev->path_off;
	return true;
}

/* ---- human output ------------------------------------------------------ */

struct namebuf {
	char s[256];
	size_t n;
};

static void name_cat(const char *name, void *arg)
{
	struct namebuf *b = arg;
	int w = snprintf(b->s + b->n, sizeof(b->s) - b->n, "%s%s", b->n ? "|" : "", name);

	if (w > 0 && (size_t)w < sizeof(b->s) - b->n)
		b->n += (size_t)w;
}

static void plain_arg(FILE *f, enum arg_kind k, uint64_t v)
{
	struct namebuf b = { .n = 0 };

	switch (k) {
	case ARG_ADDR:
		if (v)
			fprintf(f, "0x%" PRIx64, v);
		else
			fputs("NULL", f);
		break;
	case ARG_HEX:
		if (!v) {
			fputc('0', f);
			break;
		}
		/* fall through */
	case ARG_PTR:
		fprintf(f, "0x%" PRIx64, v);
		break;
	case ARG_INT:
		fprintf(f, "%d", (int)v);
		break;
	case ARG_ULONG:
		fprintf(f, "%" PRIu64, v);
		break;
	default:
		if (!v && k != ARG_PROT && k != ARG_ADVICE) {
			fputc('0', f);
			break;
		}
		mm_arg_names(k, v, name_cat, &b);
		fputs(b.s, f);
		break;
	}
}

static void plain_vma(struct tracer *t, const struct mm_vma *v, const char *mark)
{
	const char *path = vma_path(t, v);
	char perms[5], *esc = NULL;

	vma_perms(v, perms);
	if (path)
		esc = text_escape(path, strlen(path));
	fprintf(t->out, "    %s 0x%" PRIx64 "-0x%" PRIx64 " %s %s\n", mark, (uint64_t)v->start,
		(uint64_t)v->end, perms, esc ? esc : v->has_file ? "?" : "[anon]");
	free(esc);
}

static void plain_call(struct tracer *t, const struct mm_event *ev,
		       const struct mm_call *call, const char *path, size_t plen)
{
	FILE *f = t->out;
	unsigned int i;

	fprintf(f, "%10.6f %d", (double)(ev->ts_ns - t->t0) / 1e9, ev->pid);
	if (ev->tid != ev->pid)
		fprintf(f, "/%d", ev->tid);
	fprintf(f, " %s(", call->name);
	for (i = 0; i < 6 && call->args[i].name; i++) {
		if (i)
			fputs(", ", f);
		plain_arg(f, call->args[i].kind, ev->args[i]);
		if (path && call->args[i].kind == ARG_INT && !strcmp(call->args[i].name, "fd")) {
			char *esc = text_escape(path, plen);

			fprintf(f, "<%s>", esc ? esc : "?");
			free(esc);
		}
	}
	fputs(") = ", f);
	if (ev->ret < 0 && ev->ret >= -4095) {
		const char *e = errno_name((int)-ev->ret);

		if (e)
			fprintf(f, "-1 %s", e);
		else
			fprintf(f, "-1 errno %d", (int)-ev->ret);
	} else if (call->ret == RET_ADDR) {
		fprintf(f, "0x%" PRIx64, (uint64_t)ev->ret);
	} else {
		fprintf(f, "%" PRId64, (int64_t)ev->ret);
	}
	fprintf(f, " <%.6f>\n", (double)ev->dur_ns / 1e9);
	if (ev->vma_when == MM_VMAS_BUSY) {
		fputs("    ? VMAs not read: mmap_lock contended\n", f);
		return;
	}
	for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
		plain_vma(t, &ev->vma[i], ev->vma_when == MM_VMAS_BEFORE ? "-" : "+");
	if (ev->vma_more)
		fputs("    ... more VMAs in the range\n", f);
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

static void json_vma(struct tracer *t, const struct mm_vma *v)
{
	const char *path = vma_path(t, v);
	char perms[5];

	vma_perms(v, perms);
	json_obj_begin(&t->j);
	json_khex(&t->j, "start", v->start);
	json_khex(&t->j, "end", v->end);
	json_kstr(&t->j, "perms", perms);
	json_kstr(&t->j, "path", path);
	json_khex(&t->j, "vm_flags", v->flags);
	json_khex(&t->j, "pgoff", v->pgoff);
	if (v->has_file)
		json_ku64(&t->j, "inode", v->ino);
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
	json_key(j, "ret");
	if (ev->ret < 0 && ev->ret >= -4095) {
		json_i64(j, ev->ret);
		json_kstr(j, "error", errno_name((int)-ev->ret));
	} else if (call->ret == RET_ADDR) {
		json_hex(j, (uint64_t)ev->ret);
	} else {
		json_i64(j, ev->ret);
	}
	json_ku64(j, "dur_ns", ev->dur_ns);
	if (ev->vma_when == MM_VMAS_BUSY) {
		json_kstr(j, "vmas_unknown", "mmap_lock contended");
	} else if (ev->vma_when != MM_VMAS_NONE && ev->ret >= 0) {
		bool after = ev->vma_when == MM_VMAS_AFTER;

		if (after && call->ret == RET_ADDR) {
			json_key(j, "vma");
			if (ev->nvma)
				json_vma(t, &ev->vma[0]);
			else
				json_null(j);
		}
		json_key(j, after ? "vmas" : "vmas_removed");
		json_arr_begin(j);
		for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
			json_vma(t, &ev->vma[i]);
		json_arr_end(j);
		if (ev->vma_more)
			json_kbool(j, "vmas_truncated", true);
	}
	json_obj_end(j);
	json_end_doc(j);
}

/* ---- events ------------------------------------------------------------ */

static int on_event(const struct mm_event *ev, void *arg)
{
	struct tracer *t = arg;
	const char *path = NULL;
	size_t plen = 0;
	bool has_path = event_path(ev, &path, &plen);

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
			path_learn(t, ev->vma[0].dev, ev->vma[0].ino, path, plen);
		if (t->c->json)
			json_call(t, ev, call, has_path ? path : NULL, plen);
		else
			plain_call(t, ev, call, has_path ? path : NULL, plen);
		break;
	}
	case MM_EV_EXEC_VMA:
		if (has_path && ev->nvma)
			path_learn(t, ev->vma[0].dev, ev->vma[0].ino, path, plen);
		if (!ev->nvma)
			break;
		if (t->c->json) {
			json_head(t, "exec_vma", ev);
			json_key(&t->j, "vma");
			json_vma(t, &ev->vma[0]);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			plain_vma(t, &ev->vma[0], "exec");
		}
		break;
	case MM_EV_EXEC:
		if (!t->exec_vmas)
			paths_from_maps(t, ev->pid);
		if (t->c->json) {
			json_head(t, "exec", ev);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			fprintf(t->out, "%10.6f %d exec %.16s%s\n",
				(double)(ev->ts_ns - t->t0) / 1e9, ev->pid, ev->comm,
				t->exec_vmas ? ", VMAs it made:" : "");
		}
		break;
	case MM_EV_FORK:
		if (t->c->json) {
			json_head(t, "fork", ev);
			json_ku64(&t->j, "child", (uint64_t)ev->ret);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			fprintf(t->out, "%10.6f %d fork -> %" PRId64 "\n",
				(double)(ev->ts_ns - t->t0) / 1e9, ev->pid, (int64_t)ev->ret);
		}
		break;
	case MM_EV_EXIT:
		if (t->c->json) {
			json_head(t, "exit", ev);
			json_ku64(&t->j, "code", (uint64_t)(ev->ret >> 8) & 0xff);
			json_ku64(&t->j, "signal", (uint64_t)ev->ret & 0x7f);
			json_obj_end(&t->j);
			json_end_doc(&t->j);
		} else {
			fprintf(t->out, "%10.6f %d exit %d%s\n",
				(double)(ev->ts_ns - t->t0) / 1e9, ev->pid,
				(int)(ev->ret >> 8) & 0xff,
				ev->ret & 0x7f ? " (signal)" : "");
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
		json_kstr(j, "mode", "tracepoint");
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
	fprintf(t->out, "mode tracepoint, %.2f s, %" PRIu64 " events, %" PRIu64 " lost\n",
		secs, t->events, lost);
}

static int parse_size(const char *s, size_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v, true) || v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = v;
	return 0;
}

int cmd_trace(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "pid", required_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "comm", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "ring-size", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmtrace_opts mo = { .ring_bytes = 4 << 20 };
	struct tracer *t = NULL;
	struct launch child = { .pid = -1, .go_fd = -1, .err_fd = -1 };
	struct epoll_event evs[4], ee = { .events = EPOLLIN };
	const char *outpath = NULL, *comm = NULL;
	char why[256], **cmd = NULL;
	int opt, r, pid = 0, ret = EXIT_OK, ep = -1, sfd = -1, pidfd = -1;
	int exit_code = 0;
	bool have_exit = false, done = false;
	uint64_t lost = 0, lost_seen = 0;
	sigset_t mask, oldmask;
	double t_start;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+p:fo:" CLI_COMMON_SHORTOPTS, longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'p':
			r = cli_parse_pid(c, optarg, &pid);
			if (r)
				return r;
			continue;
		case 'f':
			mo.follow_forks = true;
			continue;
		case 'C':
			comm = optarg;
			continue;
		case 'o':
			outpath = optarg;
			continue;
		case 'R':
			if (parse_size(optarg, &mo.ring_bytes))
				return cli_error(c, EXIT_USAGE, "bad --ring-size '%s': a power "
						 "of two from 4K to 1G", optarg);
			continue;
		}
		r = cli_command_opt(c, opt, optarg, trace_usage);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		cmd = argv + optind;
	if (cmd && pid)
		return cli_error(c, EXIT_USAGE, "give -p PID or -- CMD, not both");
	if (comm && (cmd || pid))
		return cli_error(c, EXIT_USAGE, "--comm filters system-wide tracing; "
				 "it cannot be combined with -p or a command");
	if (c->mode == MECH_FENTRY || c->mode == MECH_KPROBE)
		return cli_error(c, EXIT_PRIVILEGE, "trace: --mode=%s is not available: "
				 "trace attaches to the syscall tracepoints only (use "
				 "--mode=tracepoint or auto)", mech_name(c->mode));
	if (pid) {
		r = cli_check_pid(c, pid);
		if (r)
			return r;
	}
	mo.system_wide = !pid && !cmd;
	mo.comm = comm;

	/* signals arrive through a signalfd; SIGCHLD tells a command ended */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	t->c = c;
	t->out = stdout;
	if (outpath) {
		t->out = fopen(outpath, "we");
		if (!t->out) {
			ret = cli_error(c, EXIT_RUNTIME, "cannot write %s: %s", outpath,
					strerror(errno));
			t->out = NULL;
			goto out;
		}
		setvbuf(t->out, NULL, _IOFBF, 1 << 16);
	}
	json_init(&t->j, t->out);
	if (cmd) {
		r = launch_prepare(&child, cmd);
		if (r) {
			ret = cli_error(c, EXIT_RUNTIME, "cannot start %s: %s", cmd[0],
					strerror(-r));
			goto out;
		}
		pid = child.pid;
	}
	t_start = now_sec();
	t->t0 = (uint64_t)(t_start * 1e9);
	r = mmtrace_open(&t->mt, &mo, on_event, t, why, sizeof(why));
	if (r) {
		ret = cli_error(c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE :
				EXIT_RUNTIME, "%s%s", why, r == -EPERM ?
				" (needs root: CAP_BPF and CAP_PERFMON)" : "");
		goto out;
	}
	t->exec_vmas = mmtrace_has_exec_vmas(t->mt);
	if (pid) {
		r = mmtrace_add(t->mt, pid);
		if (r) {
			ret = cli_error(c, EXIT_RUNTIME, "cannot trace %d: %s", pid,
					strerror(-r));
			goto out;
		}
		paths_from_maps(t, pid);
	}
	{
		const char *who = cmd ? strrchr(cmd[0], '/') : NULL;

		who = who ? who + 1 : cmd ? cmd[0] : NULL;
		if (who)
			cli_note(c, "tracing %.32s%s, tracepoint mode, ready in %.0f ms",
				 who, mo.follow_forks ? " (+children)" : "",
				 (now_sec() - t_start) * 1e3);
		else if (pid)
			cli_note(c, "tracing process %d%s, tracepoint mode, ready in %.0f ms",
				 pid, mo.follow_forks ? " (+children)" : "",
				 (now_sec() - t_start) * 1e3);
		else
			cli_note(c, "tracing all processes, tracepoint mode, ready in %.0f ms",
				 (now_sec() - t_start) * 1e3);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (ep < 0 || sfd < 0) {
		ret = cli_error(c, EXIT_RUNTIME, "epoll/signalfd: %s", strerror(errno));
		goto out;
	}
	ee.data.fd = mmtrace_fd(t->mt);
	epoll_ctl(ep, EPOLL_CTL_ADD, ee.data.fd, &ee);
	ee.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ee);
	if (pid && !cmd) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0) {
			ee.data.fd = pidfd;
			epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ee);
		}
	}
	if (cmd) {
		int e = launch_go(&child);

		if (e) {
			int st;

			waitpid(child.pid, &st, 0);
			child.pid = -1;
			cli_error(c, EXIT_RUNTIME, "cannot execute %s: %s", cmd[0],
				  strerror(e));
			ret = launch_status(st);	/* 127 or 126, as a shell */
			goto out;
		}
	}
	while (!done) {
		int n = epoll_wait(ep, evs, 4, 100), i;

		if (n < 0 && errno != EINTR) {
			ret = cli_error(c, EXIT_RUNTIME, "epoll: %s", strerror(errno));
			break;
		}
		mmtrace_consume(t->mt);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo != SIGCHLD) {
					done = true;
				} else if (cmd) {
					int st;

					if (waitpid(child.pid, &st, WNOHANG) == child.pid) {
						exit_code = launch_status(st);
						have_exit = true;
						child.pid = -1;
						done = true;
					}
				}
			} else if (evs[i].data.fd == pidfd) {
				done = true;	/* the traced process exited */
			}
		}
		lost = mmtrace_lost(t->mt);
		if (lost > lost_seen) {
			cli_note(c, "%" PRIu64 " events lost: the ring buffer was full "
				 "(try --ring-size)", lost - lost_seen);
			lost_seen = lost;
		}
	}
	mmtrace_consume(t->mt);	/* what arrived before the end */
	lost = mmtrace_lost(t->mt);
	if (lost > lost_seen)
		cli_note(c, "%" PRIu64 " events lost: the ring buffer was full "
			 "(try --ring-size)", lost - lost_seen);
	summary(t, now_sec() - t_start, lost, exit_code, have_exit);
	if (fflush(t->out) || ferror(t->out))
		ret = cli_error(c, EXIT_RUNTIME, "writing events: %s", strerror(errno));
	else if (have_exit)
		ret = exit_code;
out:
	if (child.pid > 0) {
		launch_abort(&child);
	}
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	if (pidfd >= 0)
		close(pidfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (t) {
		size_t i;

		mmtrace_close(t->mt);
		for (i = 0; i < t->cap; i++)
			free(t->paths[i].path);
		free(t->paths);
		if (t->out && t->out != stdout)
			fclose(t->out);
		free(t);
	}
	return ret;
}
