// SPDX-License-Identifier: GPL-2.0
/* vmscope: what the kernel does with a process's memory. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "maps", cmd_maps, "VMAs of a process with flags, owner, cache mode, RSS" },
	{ "pfn", cmd_pfn, "physical frames behind a range, with page flags" },
	{ "trace", cmd_trace, "mmap-family calls and the VMAs they make, live" },
	{ "faults", cmd_faults, "page faults live: result, latency, frame" },
	{ "driver", cmd_driver, "device-driver mmaps: what was installed, findings" },
	{ "top", cmd_top, "a process's address space live: VMAs, residency, faults" },
	{ "walk", cmd_walk, "MMU translation of an address, level by level" },
	{ "feature", cmd_feature, "hooks and kernel features this kernel offers" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"Usage: vmscope [--json] [-v] [--mode=MODE] COMMAND [ARGS...]\n"
"       vmscope COMMAND --help\n"
"       vmscope --version\n"
"\n"
"Show what the kernel does with a process's memory.\n"
"\n"
"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"Options:\n"
"  -j, --json        JSON output (snapshot commands: one document)\n"
"  -v, --verbose     more detail, and libbpf's messages\n"
"  -w, --wide        all columns (human output may exceed 80 columns)\n"
"      --mode=MODE   attach mode: auto (default), fentry, kprobe, tracepoint\n"
"      --no-bpf      use procfs only (fields only BPF can read are reported\n"
"                    as missing)\n"
"  -h, --help        this help\n"
"      --version     print the version\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 usage error,\n"
"3 missing privilege or kernel feature.\n");
}

static const struct cli *g_cli;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!g_cli || !g_cli->verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static char stdout_buf[1 << 16];

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .mode = MECH_AUTO, .out = stdout };
	int opt, r;
	size_t i;

	/* Keep freed memory for the next allocation rather than giving it
	 * back: libbpf reads and indexes the kernel's BTF (~5.5 MB) once per
	 * object, and each parse into fresh mmap'd pages cost ~1,400 page
	 * faults (10 ms to the third run's 2.5 ms on the same heap). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	/* a closed pipe is an error we report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	/* 64 KiB writes when not a terminal: `pfn` prints a line per page
	 * (glibc ignores the size unless given the buffer) */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	while ((opt = getopt_long(argc, argv, CLI_MAIN_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'V') {
			printf("vmscope %s\n", VMSCOPE_VERSION);
			return cli_finish(&c, EXIT_OK);
		}
		r = cli_common_opt(&c, opt, optarg);
		if (r == 1) {
			usage(stdout);
			return cli_finish(&c, EXIT_OK);
		}
		if (r) {
			if (r < 0)
				usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	g_cli = &c;
	libbpf_set_print(libbpf_print);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			/* the command parses its own options from argv[0] = name */
			argc -= optind;
			argv += optind;
			optind = 0;
			r = commands[i].fn(&c, argc, argv);
			return cli_finish(&c, r);
		}
	}
	return cli_error(&c, EXIT_USAGE, "unknown command '%s' (try vmscope --help)",
			 argv[optind]);
}
