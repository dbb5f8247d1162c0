// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_mmap.h"
#include "decode/mmcalls.h"
#include "tracers/records.h"
#include "tracers/ring.h"
#include "exec_vmas.skel.h"
#include "mmap.skel.h"
#include "mmap_region.skel.h"

struct mmtrace {
	struct mmap_bpf *skel;
	struct exec_vmas_bpf *exec;	/* NULL before 6.7 */
	struct mmap_region_bpf *region;	/* NULL in tracepoint mode */
	struct trace_ring *ring;
	mmtrace_cb cb;
	void *arg;
};

static int on_record(const void *data, size_t size, void *arg)
{
	struct mmtrace *t = arg;
	struct mm_event ev;

	if (!mm_record_decode(data, size, &ev))
		return 0;	/* malformed: ignore, never stop polling */
	return t->cb(&ev, t->arg);
}

/* Load, not attach: its program must run after on_exec, which says
 * that an exec happened, so it attaches after the mmap object. */
static int load_exec_vmas(struct mmtrace *t, const struct mmtrace_opts *o)
{
	struct exec_vmas_bpf *e = exec_vmas_bpf__open();
	int err;

	if (!e)
		return -errno;
	MMTRACE_SET_FILTER(e->rodata, o);
	err = trace_ring_share(t->ring, e->maps.events, e->maps.traced);
	if (!err)
		err = exec_vmas_bpf__load(e);
	if (err) {
		exec_vmas_bpf__destroy(e);
		return err;
	}
	t->exec = e;
	return 0;
}

struct exec_vmas_load {
	struct mmtrace *t;
	const struct mmtrace_opts *o;
};

static void *exec_vmas_thread(void *arg)
{
	struct exec_vmas_load *l = arg;

	load_exec_vmas(l->t, l->o);	/* optional: its failure is no error */
	return NULL;
}

int mmtrace_open(struct mmtrace **tp, struct trace_ring *ring, const struct mmtrace_opts *o,
		 mmtrace_cb cb, void *arg, char *why, size_t whylen)
{
	struct exec_vmas_load exec_load;
	struct mmtrace *t;
	pthread_t exec_th;
	unsigned int type;
	bool threaded;
	int err;

	*tp = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ring = ring;
	t->cb = cb;
	t->arg = arg;
	t->skel = mmap_bpf__open();
	if (!t->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the mmap tracer: %s", strerror(-err));
		goto fail;
	}
	MMTRACE_SET_FILTER(t->skel->rodata, o);
	err = trace_ring_share(ring, t->skel->maps.events, t->skel->maps.traced);
	if (err) {
		snprintf(why, whylen, "cannot share the ring buffer: %s", strerror(-err));
		goto fail;
	}
	/* exec's VMAs (optional: older kernels get a snapshot from user
	 * space instead) load on the other CPU meanwhile: each object's
	 * load is mostly libbpf matching its types against the kernel's
	 * BTF and the verifier, 15-25 ms for that one here */
	exec_load = (struct exec_vmas_load){ .t = t, .o = o };
	threaded = !pthread_create(&exec_th, NULL, exec_vmas_thread, &exec_load);
	err = mmap_bpf__load(t->skel);
	if (err)
		snprintf(why, whylen, "cannot load the mmap tracer: %s", strerror(-err));
	else if ((err = mmap_bpf__attach(t->skel)))
		snprintf(why, whylen, "cannot attach to the raw syscall tracepoints: %s",
			 strerror(-err));
	if (threaded)
		pthread_join(exec_th, NULL);
	else if (!err)
		load_exec_vmas(t, o);
	if (err)
		goto fail;
	if (t->exec && exec_vmas_bpf__attach(t->exec)) {
		exec_vmas_bpf__destroy(t->exec);
		t->exec = NULL;
	}
	for (type = 1; type < MM_EV_FOREIGN; type++)
		trace_ring_on(ring, type, on_record, t);
	*tp = t;
	return 0;
fail:
	mmtrace_close(t);
	return err;
}

/* fentry when fentry is the choice, else kprobe (the caller checked) */
static void region_autoload(struct mmap_region_bpf *r, enum mech region, enum mech prot)
{
	bpf_program__set_autoload(r->progs.region_fentry, region == MECH_FENTRY);
	bpf_program__set_autoload(r->progs.region_fexit, region == MECH_FENTRY);
	bpf_program__set_autoload(r->progs.region_kprobe, region == MECH_KPROBE);
	bpf_program__set_autoload(r->progs.region_kretprobe, region == MECH_KPROBE);
	bpf_program__set_autoload(r->progs.prot_fentry, prot == MECH_FENTRY);
	bpf_program__set_autoload(r->progs.prot_kprobe, prot == MECH_KPROBE);
}

int mmtrace_open_regions(struct mmtrace *t, const struct mmtrace_opts *o,
			 enum mech request, struct mmtrace_regions *res,
			 char *why, size_t whylen)
{
	struct hook_status hs, ps;
	struct mmap_region_bpf *r;
	int err;

	memset(res, 0, sizeof(*res));
	hook_probe(hook_find("mmap_region"), request, &hs);
	if (hs.err) {
		snprintf(why, whylen, "--mode=%s is unavailable for mmap_region: %s "
			 "(see vmscope feature)", mech_name(request),
			 request == MECH_FENTRY ? hs.fentry.why :
			 request == MECH_KPROBE ? hs.kprobe.why : hs.tracepoint.why);
		return hs.err;
	}
	res->mech = hs.chosen;
	if (hs.chosen != MECH_FENTRY && hs.chosen != MECH_KPROBE) {
		res->mech = MECH_TRACEPOINT;	/* syscall tracepoints, bpf_find_vma */
		return 0;
	}
	/* the VMA itself: same request; without it, what was asked only */
	hook_probe(hook_find("vma_set_page_prot"), request, &ps);
	res->vma_mech = ps.err ? MECH_NONE : ps.chosen;
	if (res->vma_mech != MECH_FENTRY && res->vma_mech != MECH_KPROBE)
		res->vma_mech = MECH_NONE;
	r = mmap_region_bpf__open();
	if (!r) {
		err = -errno;
		snprintf(why, whylen, "cannot open the mmap_region tracer: %s",
			 strerror(-err));
		return err;
	}
	MMTRACE_SET_FILTER(r->rodata, o);
	region_autoload(r, res->mech, res->vma_mech);
	err = trace_ring_share(t->ring, r->maps.events, r->maps.traced);
	if (!err)
		err = mmap_region_bpf__load(r);
	if (!err)
		err = mmap_region_bpf__attach(r);
	if (err) {
		snprintf(why, whylen, "cannot attach to mmap_region (%s): %s",
			 mech_name(res->mech), strerror(-err));
		mmap_region_bpf__destroy(r);
		return err;
	}
	t->region = r;
	return 0;
}

uint64_t mmtrace_lost(const struct mmtrace *t)
{
	return t->skel->bss->lost + (t->exec ? t->exec->bss->lost : 0) +
	       (t->region ? t->region->bss->lost : 0);
}

bool mmtrace_has_exec_vmas(const struct mmtrace *t)
{
	return t->exec != NULL;
}

void mmtrace_close(struct mmtrace *t)
{
	if (!t)
		return;
	exec_vmas_bpf__destroy(t->exec);
	mmap_region_bpf__destroy(t->region);
	mmap_bpf__destroy(t->skel);
	free(t);
}
