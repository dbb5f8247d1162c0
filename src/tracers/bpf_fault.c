// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_fault.h"
#include "model/mmcalls.h"
#include "fault.skel.h"

struct fltrace {
	struct fault_bpf *skel;
	struct bpf_link **links;
	size_t nlinks;
};

/* One software event per CPU, sampling every event into prog. */
static int attach_sw_event(struct fltrace *f, struct bpf_program *prog,
			   unsigned long long config, int cpu)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = config,
		.sample_period = 1,
	};
	struct bpf_link *l;
	int fd, err;

	fd = (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	l = bpf_program__attach_perf_event(prog, fd);
	if (!l) {
		err = -errno;
		close(fd);
		return err;
	}
	f->links[f->nlinks++] = l;	/* the link owns fd now */
	return 0;
}

int fltrace_open(struct fltrace **fp, struct mmtrace *mt, const struct fltrace_opts *o,
		 char *why, size_t whylen)
{
	bool hmf = o->outcome == MECH_FENTRY || o->outcome == MECH_KPROBE;
	struct fltrace *f;
	int err, cpu, ncpu = libbpf_num_possible_cpus(), attached = 0;

	*fp = NULL;
	if (ncpu < 0)
		return ncpu;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->links = calloc((size_t)ncpu * 2, sizeof(*f->links)))) {
		free(f);
		return -ENOMEM;
	}
	f->skel = fault_bpf__open();
	if (!f->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the fault tracer: %s", strerror(-err));
		goto fail;
	}
	MMTRACE_SET_FILTER(f->skel->rodata, o->mm);
	f->skel->rodata->direct_base = o->direct_base;
	f->skel->rodata->top_level = o->top_level;
	f->skel->rodata->summary_only = o->summary;
	f->skel->rodata->exact = o->exact && !hmf;
	f->skel->rodata->hmf = hmf;
	/* only the chosen handle_mm_fault programs load (lockdown refuses
	 * fentry and kprobes outright) */
	bpf_program__set_autoload(f->skel->progs.hmf_fexit, o->outcome == MECH_FENTRY);
	bpf_program__set_autoload(f->skel->progs.hmf_kentry, o->outcome == MECH_KPROBE);
	bpf_program__set_autoload(f->skel->progs.hmf_kret, o->outcome == MECH_KPROBE);
	f->skel->rodata->access_mask = o->access_mask;
	f->skel->rodata->result_mask = o->result_mask;
	f->skel->rodata->addr_lo = o->addr_lo;
	f->skel->rodata->addr_hi = o->addr_hi;
	if (!o->summary) {
		/* streaming: the counting maps stay unused; creating them
		 * full-size costs tens of ms */
		bpf_map__set_max_entries(f->skel->maps.agg, 1);
		bpf_map__set_max_entries(f->skel->maps.agg_ip, 1);
		bpf_map__set_max_entries(f->skel->maps.bounds, 1);
	}
	err = bpf_map__reuse_fd(f->skel->maps.events, mmtrace_events_fd(mt));
	if (!err)
		err = bpf_map__reuse_fd(f->skel->maps.traced, mmtrace_traced_fd(mt));
	if (err) {
		snprintf(why, whylen, "cannot share the ring buffer: %s", strerror(-err));
		goto fail;
	}
	err = fault_bpf__load(f->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the fault tracer: %s", strerror(-err));
		goto fail;
	}
	/* exact and hmf modes learn every fault's end: no need to run a
	 * program on every system call of the machine */
	if (o->exact || hmf)
		bpf_program__set_autoattach(f->skel->progs.pf_syscall, false);
	err = fault_bpf__attach(f->skel);	/* the tracepoints */
	if (err) {
		snprintf(why, whylen, "cannot attach to exceptions:page_fault_user/"
			 "kernel, signal:signal_generate%s: %s",
			 hmf ? " or handle_mm_fault" : "", strerror(-err));
		goto fail;
	}
	for (cpu = 0; cpu < ncpu && !hmf; cpu++) {
		err = !o->exact ? 0 : attach_sw_event(f, f->skel->progs.pf_minor,
						      PERF_COUNT_SW_PAGE_FAULTS_MIN, cpu);
		if (!err)
			err = attach_sw_event(f, f->skel->progs.pf_major,
					      PERF_COUNT_SW_PAGE_FAULTS_MAJ, cpu);
		if (err == -ENODEV)
			continue;	/* possible but not online */
		if (err) {
			snprintf(why, whylen, "cannot attach to the PAGE_FAULTS_MIN/MAJ "
				 "software events on cpu %d: %s", cpu, strerror(-err));
			goto fail;
		}
		attached++;
	}
	if (!attached && !hmf) {
		err = -ENODEV;
		snprintf(why, whylen, "no online CPU took the page-fault events");
		goto fail;
	}
	*fp = f;
	return 0;
fail:
	fltrace_close(f);
	return err;
}

uint64_t fltrace_lost(const struct fltrace *f)
{
	return f->skel->bss->lost;
}

uint64_t fltrace_agg_dropped(const struct fltrace *f)
{
	return f->skel->bss->agg_dropped;
}

int fltrace_bounds_fd(const struct fltrace *f)
{
	return bpf_map__fd(f->skel->maps.bounds);
}

int fltrace_agg_fd(const struct fltrace *f)
{
	return bpf_map__fd(f->skel->maps.agg);
}

int fltrace_agg_ip_fd(const struct fltrace *f)
{
	return bpf_map__fd(f->skel->maps.agg_ip);
}

int fltrace_lat_fd(const struct fltrace *f)
{
	return bpf_map__fd(f->skel->maps.lat_hist);
}

void fltrace_close(struct fltrace *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nlinks; i++)
		bpf_link__destroy(f->links[i]);
	free(f->links);
	fault_bpf__destroy(f->skel);
	free(f);
}
