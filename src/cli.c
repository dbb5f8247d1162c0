// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output/json.h"
#include "procfs/proc.h"
#include "util.h"

int cli_common_opt(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'j': c->json = true; return 0;
	case 'v': c->verbose = true; return 0;
	case 'w': c->wide = true; return 0;
	case 'B': c->no_bpf = true; return 0;
	case 'h': return 1;
	case 'M':
		if (mech_parse(arg, &c->mode)) {
			cli_error(c, EXIT_USAGE, "bad --mode '%s': use fentry, kprobe, "
				  "tracepoint or auto", arg);
			return EXIT_USAGE;
		}
		return 0;
	}
	return -1;
}

int cli_command_opt(struct cli *c, int opt, const char *arg, const char *usage)
{
	int r = cli_common_opt(c, opt, arg);

	if (r == 0)
		return -1;
	if (r == 1) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (r < 0)
		fputs(usage, stderr);
	return EXIT_USAGE;
}

static void vmessage(const struct cli *c, const char *key, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fflush(stdout);
	if (c && c->json) {
		struct json j;

		json_init(&j, stderr);
		json_obj_begin(&j);
		json_kstr(&j, key, buf);
		json_obj_end(&j);
		json_end_doc(&j);
	} else {
		fprintf(stderr, "vmscope: %s%s\n", strcmp(key, "error") ? "note: " : "", buf);
	}
}

int cli_error(const struct cli *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(c, "error", fmt, ap);
	va_end(ap);
	return code;
}

void cli_note(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(c, "note", fmt, ap);
	va_end(ap);
}

int cli_parse_pid(const struct cli *c, const char *s, int *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > 0x3fffffff)
		return cli_error(c, EXIT_USAGE, "bad PID '%s': expected a positive "
				 "number", s);
	*pid = (int)v;
	return 0;
}

int cli_check_pid(const struct cli *c, int pid)
{
	int k = proc_kind(pid);

	if (k == -ESRCH)
		return cli_error(c, EXIT_RUNTIME, "no such process: %d", pid);
	if (k < 0)
		return cli_error(c, EXIT_RUNTIME, "cannot read /proc/%d/stat: %s",
				 pid, strerror(-k));
	if (k == PROC_KTHREAD)
		return cli_error(c, EXIT_RUNTIME, "process %d is a kernel thread: it "
				 "has no user address space", pid);
	if (proc_has_mm(pid) == 0)
		return cli_error(c, EXIT_RUNTIME, "process %d has exited (a zombie, or "
				 "exiting): it has no address space left", pid);
	return EXIT_OK;
}

int cli_finish(const struct cli *c, int code)
{
	if (fflush(stdout) || ferror(stdout)) {
		/* a reader that went away (| head) needs no message */
		if (errno == EPIPE)
			return code == EXIT_OK ? EXIT_RUNTIME : code;
		if (code == EXIT_OK)
			code = cli_error(c, EXIT_RUNTIME, "writing output failed: %s",
					 strerror(errno));
	}
	return code;
}

int cli_check_target(const struct cli *c, int pid, char **cmd, const char *comm)
{
	if (cmd && pid)
		return cli_error(c, EXIT_USAGE, "give -p PID or -- CMD, not both");
	if (comm && (cmd || pid))
		return cli_error(c, EXIT_USAGE, "--comm filters system-wide tracing; "
				 "it cannot be combined with -p or a command");
	return EXIT_OK;
}

int parse_ring_size(const char *s, size_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v, true) || v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = v;
	return 0;
}
