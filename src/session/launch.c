// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "session/launch.h"

int launch_prepare(struct launch *l, char **argv, const sigset_t *mask)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(go[0]); close(go[1]); close(err[0]); close(err[1]);
		return -e;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		signal(SIGPIPE, SIG_DFL);
		/* the session blocks SIGINT, SIGTERM and SIGCHLD for its
		 * signalfd: the command must not inherit that */
		sigprocmask(SIG_SETMASK, mask, NULL);
		/* EOF without the byte: the tracer died before attaching */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == EACCES || e == ENOEXEC || e == EISDIR ? 126 : 127);
	}
	close(go[0]);
	close(err[1]);
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = err[0];
	return 0;
}

int launch_go(struct launch *l)
{
	char c = 1;
	int e = 0;
	ssize_t r;

	if (write(l->go_fd, &c, 1) != 1)
		e = errno;
	close(l->go_fd);
	l->go_fd = -1;
	do {
		r = read(l->err_fd, &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(l->err_fd);
	l->err_fd = -1;
	return r == sizeof(e) ? e : 0;
}

int launch_seize(struct launch *l)
{
	if (ptrace(PTRACE_SEIZE, l->pid, NULL, (void *)(long)PTRACE_O_TRACEEXEC))
		return -errno;
	return 0;
}

int launch_exec_stop(struct launch *l, int *wstatus)
{
	int st;

	for (;;) {
		if (waitpid(l->pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st)) {
			*wstatus = st;
			return 1;
		}
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
			return 0;
		/* a signal on its way in: deliver it and wait on */
		ptrace(PTRACE_CONT, l->pid, NULL, (void *)(long)WSTOPSIG(st));
	}
}

void launch_detach(struct launch *l)
{
	ptrace(PTRACE_DETACH, l->pid, NULL, NULL);
}

void launch_abort(struct launch *l)
{
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	l->go_fd = l->err_fd = -1;
	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
	}
}

int launch_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}
