// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope driver: for every mmap of a device, anon-inode or other special
 * file, what the driver installed and what is wrong with it.
 *
 * The VMA comes from the task_vma iterator right after the mmap event; the
 * frames from a page-table walk at that moment and from the faults that
 * follow (bpf/fault.bpf.c, which reads the page table as each fault ends);
 * page flags from kpageflags/kpagecount. Checks run on each of these as it
 * arrives, and the ones that compare mappings (same frame at two file
 * offsets, two cache modes) use one frame table for the whole session.
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "tracers/bpf_driver.h"
#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"
#include "tracers/bpf_ptwalk.h"
#include "tracers/bpf_vma.h"
#include "cli.h"
#include "cmd/driver_checks.h"
#include "tracers/feature.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kallsyms.h"
#include "procfs/kpage.h"
#include "procfs/maps.h"
#include "procfs/proc.h"
#include "tracers/records.h"
#include "session/session.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"
#include "cmd/driver.h"

static const char driver_usage[] =
"Usage: vmscope driver [options] -p PID\n"
"       vmscope driver [options] -- CMD [ARGS...]\n"
"       vmscope driver [options] [--dev PATH]        (system-wide)\n"
"\n"
"Every mmap of a device, anon-inode, socket or other special file: the VMA\n"
"the driver made (flags, owner functions, cache mode), the frames it\n"
"installed (page-table walk right after the mmap, then each fault) with\n"
"their page flags, and findings: accesses past what the driver backs,\n"
"pages missing at mmap time, vm_pgoff ignored, IO mappings that mremap can\n"
"grow, device memory mapped write-back, conflicting cache modes, faults\n"
"that install nothing, slab pages given to user space.\n"
"\n"
"Options:\n"
"  -p, --pid PID       this process: its driver mappings now, then live\n"
"  -f, --follow        also watch children forked after the start\n"
"      --dev PATH      system-wide: only mappings of this file (a device\n"
"                      node, or a name as /proc/PID/maps shows it, e.g.\n"
"                      anon_inode:[io_uring]; a trailing * matches any end)\n"
"      --comm NAME     system-wide: only processes with this command name\n"
"  -o, --output FILE   write to FILE instead of standard output\n"
"      --ring-size N   ring buffer size (default 8M; power of two)\n"
"  -j, --json          NDJSON: mapping, finding and mapping_end objects,\n"
"                      then a summary\n"
"  -h, --help          this help\n"
"\n"
"With -- CMD the command starts held before exec until every probe is\n"
"attached and vmscope exits with its status. See vmscope-driver(8) for\n"
"each finding and which attach modes see it.\n";

static int driver_opt(struct cli *c, int opt, const char *arg, void *dev_arg)
{
	if (opt != 'D')
		return -1;
	*(const char **)dev_arg = arg;
	return 0;
}

/* options: -1 to go on, else the exit status to return now (--help: 0) */
static int driver_options(struct cli *c, int argc, char **argv, struct session_args *sa,
			  const char **dev_arg)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int r = session_options(c, argc, argv, sa, &(struct session_cmd_opts){
		.usage = driver_usage, .longopts = longopts, .opt = driver_opt,
		.arg = dev_arg });

	if (r >= 0)
		return r;
	if (*dev_arg && (sa->pid || sa->cmd))
		return cli_error(c, EXIT_USAGE, "--dev is for system-wide runs: "
				 "not with -p or -- CMD");
	if (*dev_arg && !**dev_arg)
		return cli_error(c, EXIT_USAGE, "--dev needs a path");
	return -1;
}

/* --dev PATH: a node to match by (dev, inode), else a name; EXIT_OK or
 * the exit status */
static int dev_setup(struct drv *d, const char *dev_arg)
{
	struct stat st;

	d->dev_arg = dev_arg;
	if (!stat(dev_arg, &st)) {
		d->dev_is_node = true;
		d->dev_ino = st.st_ino;
		d->dev_sdev = (major(st.st_dev) << 20) | minor(st.st_dev);
		if (S_ISCHR(st.st_mode))
			d->dev_rdev = (major(st.st_rdev) << 20) | minor(st.st_rdev);
	} else if (strchr(dev_arg, '/') && dev_arg[0] == '/') {
		return cli_error(d->c, EXIT_USAGE, "--dev %s: %s", dev_arg, strerror(errno));
	}
	return EXIT_OK;
}

/* Symbols, page flags and the page-table walker, each noted when it
 * cannot be had; fo gets the walker's base. EXIT_OK or the exit status. */
static int readers_setup(struct drv *d, struct fltrace_opts *fo)
{
	char b[8];

	d->sym = sym_new();
	if (!d->sym)
		return cli_error(d->c, EXIT_RUNTIME, "out of memory");
	if (!sym_kernel(d->sym, 1, b, sizeof(b)) && kallsyms_visible() != 1)
		cli_note(d->c, "owner functions unknown: kallsyms hides addresses");
	kpage_open(&d->kp);
	if (d->kp.flags_fd < 0)
		cli_note(d->c, "page flags unavailable: kpageflags: %s",
			 strerror(-d->kp.flags_err));
	if (ptwalk_open(&d->pw, d->pw_why, sizeof(d->pw_why))) {
		cli_note(d->c, "frames unavailable: %s", d->pw_why);
	} else {
		fo->direct_base = ptwalk_direct_base(d->pw);
		fo->top_level = ptwalk_top_level(d->pw);
	}
	return EXIT_OK;
}

/* After each batch: page flags of the new frames and their checks; the
 * kernel walk for vmalloc'd frames (10-20 ms here) follows the batch
 * that brought RAM frames, while their process most likely lives: a
 * short-lived one's buffers go when it exits. While events keep coming,
 * walks take at most a tenth of the time. */
static void on_batch(void *arg, int got, bool last)
{
	struct drv *d = arg;

	driver_flush_pending(d);
	if (last || got <= 0 || mono_ns() - d->kmap_ns >= 9 * d->kmap_len_ns)
		vmalloc_checks(d);
	/* the kernel's mappings change until the next batch; after the
	 * last, the walk just made serves the mappings' ends */
	if (!last)
		d->kmap_valid = false;
}

static void drv_free(struct drv *d)
{
	size_t i;

	if (!d)
		return;
	ptwalk_close(d->pw);
	kpage_close(&d->kp);
	sym_free(d->sym);
	vma_iter_close(d->it);
	for (i = 0; i < d->nmaps; i++)
		dmap_free(d->maps[i]);
	free(d->maps);
	free(d->frames);
	free(d->pend);
	free(d->kmap);
	free(d->hpend);
	free(d->kmap_by_pfn);
	free(d);
}

int cmd_driver(struct cli *c, int argc, char **argv)
{
	struct session_args sa = { .ring_bytes = 8 << 20 };
	struct mmtrace_opts mo = { 0 }, fmo;
	struct fltrace_opts fo = { .mm = &fmo, .access_mask = 7, .result_mask = 0x7f };
	struct drv *d = NULL;
	struct session s;
	const char *dev_arg = NULL;
	int r, ret;
	size_t i;

	ret = driver_options(c, argc, argv, &sa, &dev_arg);
	if (ret >= 0)
		return ret;
	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "driver needs root: CAP_BPF, "
				 "CAP_PERFMON and CAP_SYS_ADMIN (page tables, frames)");
	ret = session_fault_mode(c, "driver", &fo.outcome);
	if (ret)
		return ret;
	session_mmtrace_opts(&sa, &mo);
	mo.wake_each = true;	/* a mapping is read as soon as it is made */
	fmo = mo;
	/* system-wide: every mmap, but only the faults of processes that
	 * map a driver (added as they do) */
	fmo.system_wide = false;

	ret = session_begin(&s, c, &sa);
	if (ret)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	d->c = c;
	d->s = &s;
	d->out = s.out;
	d->kp.flags_fd = d->kp.count_fd = -1;
	d->fault_mode = fo.outcome == MECH_NONE ? MECH_TRACEPOINT : fo.outcome;
	d->system_wide = mo.system_wide;
	d->t0 = (uint64_t)(s.t_start * 1e9);
	json_init(&d->j, d->out);
	ret = dev_arg ? dev_setup(d, dev_arg) : EXIT_OK;
	if (!ret)
		ret = readers_setup(d, &fo);
	if (ret)
		goto out;
	r = vma_iter_open(&d->it, 0, d->why, sizeof(d->why));
	if (r) {
		ret = cli_error(c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE :
				EXIT_RUNTIME, "%s%s", d->why, r == -EPERM ?
				" (needs root: CAP_BPF and CAP_PERFMON)" : "");
		goto out;
	}
	ret = session_open_mm(&s, &mo, driver_on_mm, d);
	if (!ret)
		ret = session_open_faults(&s, &fo, driver_on_fault, d);
	/* helpers run inside the mmap, before we know its process maps a
	 * driver: they follow the mmap tracer's filter */
	if (!ret)
		ret = session_open_helpers(&s, &mo, d->hmode, driver_on_helper, d);
	if (ret)
		goto out;
	d->helpers_on = s.dt != NULL;
	driver_helpers_note(d);
	ret = session_add_target(&s, "watch");
	if (ret)
		goto out;
	if (s.pid && !sa.cmd)
		driver_existing(d, s.pid);
	d->kmap_valid = false;		/* the kernel's mappings change */
	ret = session_run(&s, &(struct session_loop){
		.what = "watching mmaps of", .mode = mech_name(d->fault_mode),
		.children = sa.follow, .batch = on_batch, .arg = d });
	if (ret)
		goto out;
	for (i = 0; i < d->nmaps; i++)
		end_mapping(d, d->maps[i], "end", 0);
	driver_summary(d, now_sec() - s.t_start, session_lost(&s));
out:
	drv_free(d);
	return session_end(&s, ret);
}
