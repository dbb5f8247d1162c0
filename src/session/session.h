/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream session every live command (trace, faults, driver) runs on,
 * as perf's session is to its builtins.
 *
 * It owns the target (-p PID, -f, -- CMD started held before exec,
 * system-wide with --comm), the output (stdout or -o FILE), the ring
 * buffer and traced set the tracers share, the tracers a command plugs
 * in (each opened by the mechanism feature.c picks), the wait / consume
 * / flush loop with its drain, the lost-event notes, SIGINT/SIGTERM, the
 * command's and the traced process's exit (a signalfd and a pidfd), and
 * the exit status. A command parses its options, opens the tracers it
 * needs with its typed handlers, runs the loop with a batch callback,
 * and reports: see docs/ARCHITECTURE.md.
 */
#ifndef VMSCOPE_SESSION_H
#define VMSCOPE_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>
#include <sys/types.h>

#include "cli.h"
#include "session/launch.h"
#include "tracers/bpf_driver.h"
#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"

/* The options every live command takes. */
struct session_args {
	int pid;		/* -p PID */
	bool follow;		/* -f */
	const char *comm;	/* --comm NAME (system-wide) */
	const char *outpath;	/* -o FILE */
	size_t ring_bytes;	/* --ring-size N; set the default first */
	char **cmd;		/* -- CMD ARGS */
};

#define SESSION_LONGOPTS \
	{ "pid", required_argument, NULL, 'p' }, \
	{ "follow", no_argument, NULL, 'f' }, \
	{ "comm", required_argument, NULL, 'C' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "ring-size", required_argument, NULL, 'R' }
#define SESSION_SHORTOPTS "p:fo:"

/* A live command's own options, beside the session's and the common ones. */
struct session_cmd_opts {
	const char *usage;		/* --help prints it */
	const char *shortopts;		/* e.g. "sLi:"; NULL: none */
	const struct option *longopts;	/* ended by a zero entry; NULL: none */
	/* one of them: -1 not its own, 0 taken, else the exit status (a
	 * usage error was printed) */
	int (*opt)(struct cli *c, int opt, const char *val, void *arg);
	void *arg;
};

/* The option loop of a live command, then the command after "--", and
 * -p/--/--comm excluding each other. -1 to go on, else the exit status to
 * return now (--help: 0). */
int session_options(struct cli *c, int argc, char **argv, struct session_args *a,
		    const struct session_cmd_opts *o);
/* The tracers' filter for these arguments. */
void session_mmtrace_opts(const struct session_args *a, struct mmtrace_opts *mo);
/* How fault outcomes are learnt under --mode (see fltrace_outcome_mode):
 * 0, or the exit status after saying why a forced mode is unavailable. */
int session_fault_mode(const struct cli *c, const char *cmd, enum mech *chosen);

#define SESSION_OUTBUF (1 << 22)

struct session {
	struct cli *c;
	FILE *out;		/* stdout or -o FILE */
	pid_t pid;		/* -p PID, or the command's pid; 0 system-wide */
	char **cmd;		/* -- CMD, or NULL */
	bool have_exit;		/* the command ended: exit_code is its status */
	int exit_code;
	double t_start;		/* now_sec() when the session began */
	double t_batch;		/* now_sec() before the last consume: every
				 * record sent before it reached the handlers */
	bool stop;		/* a handler's wish: end the loop, as SIGINT does */
	bool target_gone;	/* the loop ended because the process exited */
	/* the tracers opened (NULL: not plugged in) */
	struct mmtrace *mt;
	struct fltrace *ft;
	struct drvtrace *dt;
	/* private */
	struct trace_ring *ring;
	size_t ring_bytes;
	uint64_t lost_seen;	/* lost events already reported */
	int wait_err;		/* the loop's wait failed: the exit status */
	struct launch child;
	int ep, sfd, pidfd;
	int input_fd;		/* session_loop's, or -1 */
	void (*input)(void *arg);
	void *input_arg;
	bool out_is_file;	/* a regular file: flushed at most once a second */
	char *outbuf;		/* -o FILE's stdio buffer */
	double last_flush;
	sigset_t oldmask;
};

/* Check the target, block the signals, open the output, start the command
 * held. Returns EXIT_OK or an exit status (the error is printed); call
 * session_end in either case. */
int session_begin(struct session *s, struct cli *c, const struct session_args *a);

/* Plug in a tracer: its records reach the handler decoded. Each returns
 * EXIT_OK or the exit status (the error printed: 3 for privilege or a
 * forced mode the kernel lacks). The mmap tracer comes first: it is the
 * one every live command needs. */
int session_open_mm(struct session *s, const struct mmtrace_opts *o, mmtrace_cb cb, void *arg);
int session_open_faults(struct session *s, const struct fltrace_opts *o, fltrace_cb cb,
			void *arg);
/* The driver helpers: chosen[h] gets each helper's mechanism; s->dt stays
 * NULL when none can be hooked (tracepoint mode). */
int session_open_helpers(struct session *s, const struct mmtrace_opts *o,
			 enum mech chosen[DH_NR], drvtrace_cb cb, void *arg);

/* Trace one more process (its tgid), e.g. one that mapped a driver. */
int session_watch(struct session *s, pid_t pid);
/* Trace the target process, if there is one (verb: "trace", "watch"). */
int session_add_target(struct session *s, const char *verb);

/* Records dropped by every tracer plugged in, so far. */
uint64_t session_lost(const struct session *s);

struct session_loop {
	const char *what;	/* "tracing", "watching faults of" ... */
	const char *mode;	/* the attach mode, as the note says it */
	bool children;		/* -f */
	/* -- CMD: hand the records to the handlers while the command is
	 * stopped right after its exec (a handler reads /proc then) */
	bool consume_at_exec;
	/* after each batch of records (got: how many, <0 an error), and
	 * once more after the drain (last) */
	void (*batch)(void *arg, int got, bool last);
	/* a terminal to read keys from: input(arg) when it is readable */
	int input_fd;
	void (*input)(void *arg);
	int wait_ms;		/* longest wait between batches; 0: 100 */
	void *arg;
};

/* Note what is attached, release the command, then wait / consume /
 * batch / flush until SIGINT, SIGTERM or the target's end; drain.
 * EXIT_OK or the exit status (127/126: the command could not run). A
 * failed wait ends the loop as an end would: the command still reports,
 * and session_end returns the failure. */
int session_run(struct session *s, const struct session_loop *l);

/* Close the tracers and the output (a write error turns ret into a
 * failure), kill a command never released, restore signals. Returns the
 * status to exit with: the command's own when all else went well. */
int session_end(struct session *s, int ret);

#endif
