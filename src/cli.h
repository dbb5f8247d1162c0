/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_CLI_H
#define VMSCOPE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "tracers/feature.h"

/* Exit statuses (docs/ARCHITECTURE.md, "JSON output contract") */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_PRIVILEGE = 3,	/* missing privilege or kernel feature */
};

struct cli {
	bool json;
	bool verbose;
	bool wide;
	bool no_bpf;
	enum mech mode;
	FILE *out;
};

/* Options every command accepts (before or after the command name). */
#define CLI_COMMON_LONGOPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "wide", no_argument, NULL, 'w' }, \
	{ "mode", required_argument, NULL, 'M' }, \
	{ "no-bpf", no_argument, NULL, 'B' }, \
	{ "help", no_argument, NULL, 'h' }
#define CLI_MAIN_SHORTOPTS "+jvwh"	/* stop at the command name */
#define CLI_COMMON_SHORTOPTS "jvwh"	/* commands: options anywhere */

/* Handle a common option; returns 0 if handled, 1 for --help,
 * -1 if opt is not common, EXIT_USAGE on a bad value. */
int cli_common_opt(struct cli *c, int opt, const char *arg);

/* The same inside a command's option loop, with its usage text: --help
 * prints it to stdout, an unknown option to stderr. Returns -1 to go on
 * parsing, else the exit status the command returns now. */
int cli_command_opt(struct cli *c, int opt, const char *arg, const char *usage);

/* Report an error (stderr, {"error":...} in JSON mode); returns code. */
int cli_error(const struct cli *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note for the user: never silent about hidden or missing data. */
void cli_note(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a PID argument: 0 ok, else prints a usage error and returns 2. */
int cli_parse_pid(const struct cli *c, const char *s, int *pid);

/* Check pid is a live user process: EXIT_OK or an exit code after an
 * error message ("no such process", "kernel thread"). */
int cli_check_pid(const struct cli *c, int pid);

/* Streaming commands: -p PID, -- CMD and --comm exclude each other. */
int cli_check_target(const struct cli *c, int pid, char **cmd, const char *comm);
/* --ring-size: a power of two from 4K to 1G (K/M/G suffixes). */
int parse_ring_size(const char *s, size_t *out);

/* Flush stdout and turn a write error (EPIPE, ENOSPC) into a failure. */
int cli_finish(const struct cli *c, int code);

int cmd_maps(struct cli *c, int argc, char **argv);
int cmd_pfn(struct cli *c, int argc, char **argv);
int cmd_feature(struct cli *c, int argc, char **argv);
int cmd_walk(struct cli *c, int argc, char **argv);
int cmd_trace(struct cli *c, int argc, char **argv);
int cmd_faults(struct cli *c, int argc, char **argv);
int cmd_driver(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);

#endif
