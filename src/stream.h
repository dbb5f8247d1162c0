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
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "launch.h"

struct stream {
	struct cli *c;
	FILE *out;		/* stdout or -o FILE */
	pid_t pid;		/* -p PID, or the command's pid; 0 system-wide */
	char **cmd;		/* -- CMD, or NULL */
	bool have_exit;		/* the command ended: exit_code is its status */
	int exit_code;
	double t_start;		/* now_sec() when the stream began */
	/* private */
	struct launch child;
	int ep, sfd, pidfd;
	sigset_t oldmask;
};

/* Check the target, block the signals, open the output, start the command
 * held. Returns EXIT_OK or an exit status (the error is printed); call
 * stream_end in either case. */
int stream_begin(struct stream *s, struct cli *c, pid_t pid, char **cmd,
		 const char *outpath);

/* Everything is attached: note it on stderr, watch ring_fd, release the
 * command. what: "tracing" or "watching faults of". Returns EXIT_OK or the
 * exit status to return now (127/126: the command could not run). */
int stream_go(struct stream *s, int ring_fd, const char *what, const char *mode,
	      bool children);

/* Wait up to timeout_ms for the ring, a signal or an exit. Returns 1 when
 * the stream is over, 0 to go on, or an exit status < 0 negated on error. */
int stream_wait(struct stream *s, int timeout_ms);

/* Close the output (a write error turns ret into a failure), kill a command
 * never released, restore signals. Returns the status to exit with. */
int stream_end(struct stream *s, int ret);

#endif
