/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `-- CMD ARGS`: start a command held before exec until the tracer is
 * attached, so nothing from its first instruction on is missed.
 */
#ifndef VMSCOPE_LAUNCH_H
#define VMSCOPE_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int go_fd;	/* write end: a byte releases the child */
	int err_fd;	/* read end: the child's exec errno, EOF on success */
};

/* Fork the child, held; it runs with the signal mask given (the one
 * vmscope had before blocking signals for itself). Returns 0 or -errno. */
int launch_prepare(struct launch *l, char **argv, const sigset_t *mask);
/* Release it; returns 0 when exec succeeded, else the exec errno as a
 * positive number (the child has exited 127/126 then). */
int launch_go(struct launch *l);
/*
 * Stop the command once, right after its exec, before its first
 * instruction (kernels without exec VMA records: /proc/PID/maps read then
 * is exactly what exec made).  launch_seize before launch_go (0 or
 * -errno: not traceable, e.g. vmscope is itself being traced);
 * launch_exec_stop after a successful launch_go waits for the stop
 * (0), or the child's end (1, *wstatus set), or fails (-errno);
 * launch_detach lets it run on.
 */
int launch_seize(struct launch *l);
int launch_exec_stop(struct launch *l, int *wstatus);
void launch_detach(struct launch *l);
/* Kill a child that was never released. */
void launch_abort(struct launch *l);
/* Exit status as a shell reports it: code, or 128 + signal. */
int launch_status(int wstatus);

#endif
