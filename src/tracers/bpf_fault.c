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
#include "decode/mmcalls.h"
#include "tracers/records.h"
#include "tracers/ring.h"
#include "fault.skel.h"

struct fltrace {
	struct fault_bpf *skel;
	struct bpf_link **links;
	size_t nlinks;
	fltrace_cb cb;
	void *arg;
};

static int on_record(const void *data, size_t size, void *arg)
{
	struct fltrace *f = arg;
	struct flt_event e;

	if (!flt_record_decode(data, size, &e))
		return 0;	/* malformed: ignore, never stop polling */
	return f->cb(&e, f->arg);
}

int fltrace_outcome_mode(enum mech request, enum mech *chosen, char *why, size_t whylen)
{
	struct hook_status hs;

	hook_probe(hook_find("handle_mm_fault"), request, &hs);
	if (hs.err) {
		const struct probe_result *r = request == MECH_FENTRY ? &hs.fentry :
			request == MECH_KPROBE ? &hs.kprobe : &hs.tracepoint;

		snprintf(why, whylen, "--mode=%s unavailable for handle_mm_fault: %s",
			 mech_name(request), r->why);
		return -EOPNOTSUPP;
	}
	*chosen = hs.chosen;
	return 0;
}

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

int fltrace_open(struct fltrace **fp, struct trace_ring *ring, const struct fltrace_opts *o,
		 fltrace_cb cb, void *arg, char *why, size_t whylen)
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
	f->cb = cb;
	f->arg = arg;
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
	err = trace_ring_share(ring, f->skel->maps.events, f->skel->maps.traced);
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
	trace_ring_on(ring, FLT_EV_TYPE, on_record, f);
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

int fltrace_set_bounds(struct fltrace *f, pid_t pid, const struct flt_bounds *b)
{
	__u32 key = (__u32)pid;

	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.bounds), &key, b, BPF_ANY) ?
	       -errno : 0;
}

static uint64_t percpu_sum(int fd, const void *key, uint64_t *vals, int ncpu)
{
	uint64_t s = 0;
	int i;

	if (bpf_map_lookup_elem(fd, key, vals))
		return 0;
	for (i = 0; i < ncpu; i++)
		s += vals[i];
	return s;
}

int fltrace_read_counts(struct fltrace *f, const struct fltrace_counts_cb *cb,
			uint64_t lat[FLT_NR_RESULTS][FLT_LAT_BUCKETS])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(f->skel->maps.agg);
	struct flt_agg_key k, *prev = NULL;
	struct flt_ip_key ik, *iprev = NULL;
	uint64_t *vals;
	__u32 slot;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		prev = &k;
		cb->by_where(&k, percpu_sum(fd, &k, vals, ncpu), cb->arg);
	}
	fd = bpf_map__fd(f->skel->maps.agg_ip);
	while (!bpf_map_get_next_key(fd, iprev, &ik)) {
		iprev = &ik;
		cb->by_ip(&ik, percpu_sum(fd, &ik, vals, ncpu), cb->arg);
	}
	fd = bpf_map__fd(f->skel->maps.lat_hist);
	for (slot = 0; slot < FLT_NR_RESULTS * FLT_LAT_BUCKETS; slot++)
		lat[slot / FLT_LAT_BUCKETS][slot % FLT_LAT_BUCKETS] =
			percpu_sum(fd, &slot, vals, ncpu);
	free(vals);
	return 0;
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
