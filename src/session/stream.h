/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loop the streaming commands (trace, faults) share: a target given as
 * -p PID, -- CMD (started held before exec) or nothing (system-wide);
 * output to stdout or -o FILE; SIGINT/SIGTERM, the command's exit and the
 * traced process's exit end it, seen through a signalfd and a pidfd.
 */
#ifndef VMSCOPE_STREAM_H
#define VMSCOPE_STREAM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracers/bpf_mmap.h"
#include "cli.h"
#include "session/launch.h"

/* The options every streaming command takes. */
struct stream_args {
	int pid;		/* -p PID */
	bool follow;		/* -f */
	const char *comm;	/* --comm NAME (system-wide) */
	const char *outpath;	/* -o FILE */
	size_t ring_bytes;	/* --ring-size N; set the default first */
	char **cmd;		/* -- CMD ARGS */
};

#define STREAM_LONGOPTS \
	{ "pid", required_argument, NULL, 'p' }, \
	{ "follow", no_argument, NULL, 'f' }, \
	{ "comm", required_argument, NULL, 'C' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "ring-size", required_argument, NULL, 'R' }
#define STREAM_SHORTOPTS "p:fo:"

/* In the option loop: -1 when opt is not one of them, 0 when taken, else
 * the exit status to return now (a usage error was printed). */
int stream_opt(const struct cli *c, struct stream_args *a, int opt, const char *arg);
/* After it: the command after "--", and -p/--/--comm excluding each
 * other. EXIT_OK or the exit status. */
int stream_args_end(const struct cli *c, struct stream_args *a, int argc, char **argv);
/* The mmap tracer's filter for these arguments. */
void stream_mmtrace_opts(const struct stream_args *a, struct mmtrace_opts *mo);

#define STREAM_OUTBUF (1 << 22)

struct stream {
	struct cli *c;
	FILE *out;		/* stdout or -o FILE */
	pid_t pid;		/* -p PID, or the command's pid; 0 system-wide */
	char **cmd;		/* -- CMD, or NULL */
	bool have_exit;		/* the command ended: exit_code is its status */
	int exit_code;
	double t_start;		/* now_sec() when the stream began */
	uint64_t lost_seen;	/* lost events already reported */
	/* set before stream_go: with -- CMD, called once while the command
	 * is stopped right after its exec (see launch_seize) */
	void (*at_exec)(void *arg);
	void *at_exec_arg;
	/* private */
	struct launch child;
	int ep, sfd, pidfd;
	bool out_is_file;	/* a regular file: flushed at most once a second */
	char *outbuf;		/* -o FILE's stdio buffer */
	double last_flush;
	sigset_t oldmask;
};

/* Check the target, block the signals, open the output, start the command
 * held. Returns EXIT_OK or an exit status (the error is printed); call
 * stream_end in either case. */
int stream_begin(struct stream *s, struct cli *c, const struct stream_args *a);

/* Everything is attached: note it on stderr, watch ring_fd, release the
 * command. what: "tracing" or "watching faults of". Returns EXIT_OK or the
 * exit status to return now (127/126: the command could not run). */
int stream_go(struct stream *s, int ring_fd, const char *what, const char *mode,
	      bool children);

/* Hand what was written to the kernel: at once to a pipe or terminal
 * (someone is watching), at most once a second to a regular file. Call
 * after each batch of events. */
void stream_flush_live(struct stream *s);

/* Wait up to timeout_ms for the ring, a signal or an exit. Returns 1 when
 * the stream is over, 0 to go on, or an exit status < 0 negated on error. */
int stream_wait(struct stream *s, int timeout_ms);

/* Say on stderr how many events were lost since the last call, if any
 * (lost: the running total). */
void stream_note_lost(struct stream *s, uint64_t lost);

/* How fault outcomes are learnt: handle_mm_fault's mode by --mode (fexit,
 * kretprobe, or MECH_TRACEPOINT/MECH_NONE: the tracepoint fallback).
 * 0, or the exit status after saying why a forced mode is unavailable. */
int stream_fault_mode(const struct cli *c, const char *cmd, enum mech *chosen);

/* Close the output (a write error turns ret into a failure), kill a command
 * never released, restore signals. Returns the status to exit with. */
int stream_end(struct stream *s, int ret);

#endif
