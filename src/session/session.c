// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tracers/kernel_btf.h"
#include "session/session.h"
#include "tracers/ring.h"
#include "util.h"

/* -1 when opt is not one of the session's, 0 when taken, else the exit
 * status (a usage error was printed) */
static int session_opt(const struct cli *c, struct session_args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		return cli_parse_pid(c, arg, &a->pid);
	case 'f':
		a->follow = true;
		return 0;
	case 'C':
		a->comm = arg;
		return 0;
	case 'o':
		a->outpath = arg;
		return 0;
	case 'R':
		if (parse_ring_size(arg, &a->ring_bytes))
			return cli_error(c, EXIT_USAGE, "bad --ring-size '%s': a power "
					 "of two from 4K to 1G", arg);
		return 0;
	}
	return -1;
}


int session_options(struct cli *c, int argc, char **argv, struct session_args *a,
		    const struct session_cmd_opts *o)
{
	static const struct option shared[] = { CLI_COMMON_LONGOPTS, SESSION_LONGOPTS };
	struct option longopts[48];
	char shortopts[64];
	size_t n = 0, i;
	int opt, r;

	for (i = 0; i < ARRAY_SIZE(shared); i++)
		longopts[n++] = shared[i];
	for (i = 0; o->longopts && o->longopts[i].name && n < ARRAY_SIZE(longopts) - 1; i++)
		longopts[n++] = o->longopts[i];
	memset(&longopts[n], 0, sizeof(longopts[n]));
	/* "+": stop at the command of "-- CMD" or a first word that is not
	 * an option */
	snprintf(shortopts, sizeof(shortopts), "+" SESSION_SHORTOPTS "%s" CLI_COMMON_SHORTOPTS,
		 o->shortopts ? o->shortopts : "");
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		r = session_opt(c, a, opt, optarg);
		if (r < 0 && o->opt)
			r = o->opt(c, opt, optarg, o->arg);
		if (r > 0)
			return r;
		if (r == 0)
			continue;
		r = cli_command_opt(c, opt, optarg, o->usage);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		a->cmd = argv + optind;
	r = cli_check_target(c, a->pid, a->cmd, a->comm);
	return r ? r : -1;
}

void session_mmtrace_opts(const struct session_args *a, struct mmtrace_opts *mo)
{
	mo->system_wide = !a->pid && !a->cmd;
	mo->follow_forks = a->follow;
	mo->comm = a->comm;
	mo->ring_bytes = a->ring_bytes;
}

static void note_lost(struct session *s, uint64_t lost)
{
	if (lost <= s->lost_seen)
		return;
	cli_note(s->c, "%" PRIu64 " events lost: the ring buffer was full "
		 "(try --ring-size)", lost - s->lost_seen);
	s->lost_seen = lost;
}

int session_begin(struct session *s, struct cli *c, const struct session_args *a)
{
	pid_t pid = a->pid;
	char **cmd = a->cmd;
	const char *outpath = a->outpath;
	sigset_t mask;
	int r;

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->out = stdout;
	s->pid = pid;
	s->cmd = cmd;
	s->child = (struct launch){ .pid = -1, .go_fd = -1, .err_fd = -1 };
	s->ep = s->sfd = s->pidfd = s->input_fd = -1;
	s->ring_bytes = a->ring_bytes;
	/* signals arrive through a signalfd; SIGCHLD tells a command ended */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &s->oldmask);
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || s->sfd < 0)
		return cli_error(c, EXIT_RUNTIME, "epoll/signalfd: %s", strerror(errno));
	if (pid) {
		r = cli_check_pid(c, pid);
		if (r)
			return r;
		/* now, not once attached: a process that exits while the
		 * programs load (a second under TCG) still ends the run */
		s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (s->pidfd < 0 && errno == ESRCH)	/* gone since the check */
			return cli_error(c, EXIT_RUNTIME, "no such process: %d", (int)pid);
	}
	if (outpath) {
		s->out = fopen(outpath, "we");
		if (!s->out) {
			s->out = stdout;
			return cli_error(c, EXIT_RUNTIME, "cannot write %s: %s", outpath,
					 strerror(errno));
		}
		/* fewer writes at 1M events/s; glibc ignores the size of a
		 * buffer it is not given (it used 4 KiB) */
		s->outbuf = malloc(SESSION_OUTBUF);
		if (s->outbuf)
			setvbuf(s->out, s->outbuf, _IOFBF, SESSION_OUTBUF);
	}
	{
		struct stat st;

		s->out_is_file = !fstat(fileno(s->out), &st) && S_ISREG(st.st_mode);
	}
	if (cmd) {
		r = launch_prepare(&s->child, cmd, &s->oldmask);
		if (r)
			return cli_error(c, EXIT_RUNTIME, "cannot start %s: %s", cmd[0],
					 strerror(-r));
		s->pid = s->child.pid;
	}
	s->t_start = now_sec();
	return EXIT_OK;
}

static void watch(struct session *s, int fd)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.fd = fd };

	epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ee);
}

static int go(struct session *s, const char *what, const char *mode, bool children,
	      bool consume_at_exec)
{
	const char *who = s->cmd ? strrchr(s->cmd[0], '/') : NULL;
	double ms = (now_sec() - s->t_start) * 1e3;
	bool seized;
	int e, st, r;

	who = who ? who + 1 : s->cmd ? s->cmd[0] : NULL;
	if (who)
		cli_note(s->c, "%s %.32s%s, %s mode, ready in %.0f ms", what, who,
			 children ? " (+children)" : "", mode, ms);
	else if (s->pid)
		cli_note(s->c, "%s process %d%s, %s mode, ready in %.0f ms", what,
			 (int)s->pid, children ? " (+children)" : "", mode, ms);
	else
		cli_note(s->c, "%s all processes, %s mode, ready in %.0f ms", what,
			 mode, ms);
	watch(s, trace_ring_fd(s->ring));
	watch(s, s->sfd);
	if (s->input_fd >= 0)
		watch(s, s->input_fd);
	if (s->pidfd >= 0)
		watch(s, s->pidfd);
	if (!s->cmd) {
		kernel_btf_drop();	/* every object is loaded */
		return EXIT_OK;
	}
	seized = consume_at_exec && !launch_seize(&s->child);
	e = launch_go(&s->child);
	kernel_btf_drop();	/* every object is loaded: the command runs */
	if (!e && seized) {
		r = launch_exec_stop(&s->child, &st);
		if (r == 0) {
			trace_ring_consume(s->ring);
			launch_detach(&s->child);
		} else if (r == 1) {
			s->exit_code = launch_status(st);
			s->have_exit = true;
			s->child.pid = -1;
		}
		/* r < 0: no stop to wait for (waitpid failed); run on */
	}
	if (!e)
		return EXIT_OK;
	waitpid(s->child.pid, &st, 0);
	s->child.pid = -1;
	cli_error(s->c, EXIT_RUNTIME, "cannot execute %s: %s", s->cmd[0], strerror(e));
	return launch_status(st);	/* 127 or 126, as a shell */
}

static void flush_live(struct session *s)
{
	double t;

	if (!s->out_is_file) {
		fflush(s->out);
		return;
	}
	/* every write that ends inside a new page-cache folio makes ext4
	 * zero the rest of it: per-batch flushes were a third of vmscope's
	 * time streaming a million faults to a file */
	t = now_sec();
	if (t - s->last_flush >= 1.0) {
		fflush(s->out);
		s->last_flush = t;
	}
}

static int wait_once(struct session *s, int timeout_ms)
{
	struct epoll_event evs[4];
	int n = epoll_wait(s->ep, evs, 4, timeout_ms), i, done = 0;

	if (n < 0 && errno != EINTR)
		return -cli_error(s->c, EXIT_RUNTIME, "epoll: %s", strerror(errno));
	if (s->have_exit)
		done = 1;	/* it ended while stopped at exec */
	if (s->stop)
		done = 1;
	for (i = 0; i < n; i++) {
		if (evs[i].data.fd == s->sfd) {
			struct signalfd_siginfo si;
			int st;

			if (read(s->sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGCHLD) {
				done = 1;
			} else if (s->cmd && s->child.pid > 0 &&
				   waitpid(s->child.pid, &st, WNOHANG) == s->child.pid) {
				s->exit_code = launch_status(st);
				s->have_exit = true;
				s->child.pid = -1;
				done = 1;
			}
		} else if (evs[i].data.fd == s->pidfd) {
			done = 1;	/* the traced process exited */
			s->target_gone = true;
		} else if (evs[i].data.fd == s->input_fd && s->input) {
			s->input(s->input_arg);
		}
	}
	/* no pidfd (before 5.3): look */
	if (s->pid && !s->cmd && s->pidfd < 0 && kill(s->pid, 0) && errno == ESRCH) {
		done = 1;
		s->target_gone = true;
	}
	return done || s->stop;
}

int session_end(struct session *s, int ret)
{
	drvtrace_close(s->dt);
	fltrace_close(s->ft);
	mmtrace_close(s->mt);
	trace_ring_free(s->ring);
	s->dt = NULL;
	s->ft = NULL;
	s->mt = NULL;
	s->ring = NULL;
	if (ret == EXIT_OK && s->wait_err)
		ret = s->wait_err;
	else if (ret == EXIT_OK && s->have_exit)
		ret = s->exit_code;
	if (s->out && (fflush(s->out) || ferror(s->out)) && ret == EXIT_OK)
		ret = cli_error(s->c, EXIT_RUNTIME, "writing events: %s", strerror(errno));
	if (s->out && s->out != stdout)
		fclose(s->out);
	free(s->outbuf);
	s->outbuf = NULL;
	if (s->child.pid > 0)
		launch_abort(&s->child);
	if (s->ep >= 0)
		close(s->ep);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	return ret;
}

int session_fault_mode(const struct cli *c, const char *cmd, enum mech *chosen)
{
	char why[256];

	if (fltrace_outcome_mode(c->mode, chosen, why, sizeof(why)))
		return cli_error(c, EXIT_PRIVILEGE, "%s: %s", cmd, why);
	return 0;
}

/* A tracer that could not be had: privilege, or another failure. */
static int open_error(struct session *s, int r, const char *why)
{
	return cli_error(s->c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE : EXIT_RUNTIME,
			 "%s%s", why, r == -EPERM ? " (needs root: CAP_BPF and CAP_PERFMON)" : "");
}

int session_open_mm(struct session *s, const struct mmtrace_opts *o, mmtrace_cb cb, void *arg)
{
	char why[256];
	int r;

	if (!s->ring) {
		r = trace_ring_new(&s->ring, o->ring_bytes);
		if (r) {
			snprintf(why, sizeof(why), "cannot create the ring buffer: %s",
				 strerror(-r));
			return open_error(s, r, why);
		}
	}
	r = mmtrace_open(&s->mt, s->ring, o, cb, arg, why, sizeof(why));
	return r ? open_error(s, r, why) : EXIT_OK;
}

int session_open_faults(struct session *s, const struct fltrace_opts *o, fltrace_cb cb,
			void *arg)
{
	char why[256];
	int r = fltrace_open(&s->ft, s->ring, o, cb, arg, why, sizeof(why));

	return r ? open_error(s, r, why) : EXIT_OK;
}

int session_open_helpers(struct session *s, const struct mmtrace_opts *o,
			 enum mech chosen[DH_NR], drvtrace_cb cb, void *arg)
{
	char why[256];
	int r = drvtrace_open(&s->dt, s->ring, o, s->c->mode, chosen, cb, arg, why,
			      sizeof(why));

	if (r == -EOPNOTSUPP)
		return cli_error(s->c, EXIT_PRIVILEGE, "driver: %s", why);
	return r ? open_error(s, r, why) : EXIT_OK;
}

int session_watch(struct session *s, pid_t pid)
{
	return trace_ring_add(s->ring, pid);
}

int session_add_target(struct session *s, const char *verb)
{
	int r;

	if (!s->pid)
		return EXIT_OK;
	r = trace_ring_add(s->ring, s->pid);
	if (r)
		return cli_error(s->c, EXIT_RUNTIME, "cannot %s %d: %s", verb, (int)s->pid,
				 strerror(-r));
	return EXIT_OK;
}

uint64_t session_lost(const struct session *s)
{
	return (s->mt ? mmtrace_lost(s->mt) : 0) + (s->ft ? fltrace_lost(s->ft) : 0) +
	       drvtrace_lost(s->dt);
}

int session_run(struct session *s, const struct session_loop *l)
{
	int r, got, ret;

	s->input_fd = l->input ? l->input_fd : -1;
	s->input = l->input;
	s->input_arg = l->arg;
	ret = go(s, l->what, l->mode, l->children, l->consume_at_exec);
	if (ret)
		return ret;
	while (!(r = wait_once(s, l->wait_ms ? l->wait_ms : 100))) {
		s->t_batch = now_sec();
		got = trace_ring_consume(s->ring);
		if (l->batch)
			l->batch(l->arg, got, false);
		flush_live(s);
		note_lost(s, session_lost(s));
	}
	if (r < 0)
		s->wait_err = -r;
	got = trace_ring_consume(s->ring);	/* what arrived before the end */
	if (l->batch)
		l->batch(l->arg, got, true);
	note_lost(s, session_lost(s));
	return EXIT_OK;
}
