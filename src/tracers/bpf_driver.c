// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_driver.h"
#include "decode/mmcalls.h"
#include "tracers/records.h"
#include "tracers/ring.h"
#include "driver.skel.h"

struct drvtrace {
	struct driver_bpf *skel;
	drvtrace_cb cb;
	void *arg;
};

static int on_record(const void *data, size_t size, void *arg)
{
	struct drvtrace *d = arg;
	struct drv_event e;

	if (!drv_record_decode(data, size, &e))
		return 0;	/* malformed: ignore, never stop polling */
	return d->cb(&e, d->arg);
}

static const struct {
	const char *hook, *name;
} helpers[DH_NR] = {
	[DH_REMAP_PFN_RANGE] = { "remap_pfn_range", "remap_pfn_range" },
	[DH_VM_INSERT_PAGE] = { "vm_insert_page", "vm_insert_page" },
	[DH_VM_INSERT_PAGES] = { "vm_insert_pages", "vm_insert_pages" },
	[DH_VMF_INSERT_PFN] = { "vmf_insert_pfn", "vmf_insert_pfn" },
	[DH_VMF_INSERT_MIXED] = { "vmf_insert_mixed", "vmf_insert_mixed" },
	[DH_REMAP_VMALLOC_RANGE] = { "remap_vmalloc_range", "remap_vmalloc_range" },
	[DH_FAULT] = { "vm_ops->fault", "fault" },
};

const char *drv_helper_hook(unsigned int h)
{
	return h < DH_NR ? helpers[h].hook : "?";
}

const char *drv_helper_name(unsigned int h)
{
	return h < DH_NR ? helpers[h].name : "?";
}

/* The programs of each helper: [0] fexit or fentry, [1] kprobe, [2]
 * kretprobe (only __do_fault has one). */
static void progs_of(struct driver_bpf *s, unsigned int h, struct bpf_program *p[3])
{
	p[2] = NULL;
	switch (h) {
	case DH_REMAP_PFN_RANGE: p[0] = s->progs.remap_fexit; p[1] = s->progs.remap_kprobe; break;
	case DH_VM_INSERT_PAGE: p[0] = s->progs.insert_page_fexit; p[1] = s->progs.insert_page_kprobe; break;
	case DH_VM_INSERT_PAGES: p[0] = s->progs.insert_pages_fentry; p[1] = s->progs.insert_pages_kprobe; break;
	case DH_VMF_INSERT_PFN: p[0] = s->progs.insert_pfn_fexit; p[1] = s->progs.insert_pfn_kprobe; break;
	case DH_VMF_INSERT_MIXED: p[0] = s->progs.insert_mixed_fexit; p[1] = s->progs.insert_mixed_kprobe; break;
	case DH_REMAP_VMALLOC_RANGE: p[0] = s->progs.vmalloc_fexit; p[1] = s->progs.vmalloc_kprobe; break;
	default:
		p[0] = s->progs.fault_fexit;
		p[1] = s->progs.fault_kprobe;
		p[2] = s->progs.fault_kretprobe;
	}
}

int drvtrace_open(struct drvtrace **dp, struct trace_ring *ring, const struct mmtrace_opts *mo,
		  enum mech request, enum mech chosen[DH_NR], drvtrace_cb cb, void *arg,
		  char *why, size_t whylen)
{
	struct bpf_program *p[3];
	struct hook_status hs;
	struct drvtrace *d;
	unsigned int h, any = 0, forced_out = 0;
	int err;

	*dp = NULL;
	for (h = 0; h < DH_NR; h++) {
		hook_probe(hook_find(helpers[h].hook), request, &hs);
		chosen[h] = hs.err ? MECH_NONE : hs.chosen;
		if (chosen[h] != MECH_FENTRY && chosen[h] != MECH_KPROBE)
			chosen[h] = MECH_NONE;
		if (hs.err)
			forced_out++;
		any += chosen[h] != MECH_NONE;
	}
	if (!any) {
		if (forced_out && request != MECH_TRACEPOINT) {
			snprintf(why, whylen, "--mode=%s is unavailable for every driver "
				 "helper (see vmscope feature)", mech_name(request));
			return -EOPNOTSUPP;
		}
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cb = cb;
	d->arg = arg;
	d->skel = driver_bpf__open();
	if (!d->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the driver-helper tracer: %s", strerror(-err));
		goto fail;
	}
	MMTRACE_SET_FILTER(d->skel->rodata, mo);
	for (h = 0; h < DH_NR; h++) {
		progs_of(d->skel, h, p);
		bpf_program__set_autoload(p[0], chosen[h] == MECH_FENTRY);
		bpf_program__set_autoload(p[1], chosen[h] == MECH_KPROBE);
		if (p[2])
			bpf_program__set_autoload(p[2], chosen[h] == MECH_KPROBE);
	}
	bpf_map__set_max_entries(d->skel->maps.scratch, 1);
	err = trace_ring_share(ring, d->skel->maps.events, d->skel->maps.traced);
	if (err) {
		snprintf(why, whylen, "cannot share the ring buffer: %s", strerror(-err));
		goto fail;
	}
	err = driver_bpf__load(d->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the driver-helper tracer: %s", strerror(-err));
		goto fail;
	}
	err = driver_bpf__attach(d->skel);
	if (err) {
		snprintf(why, whylen, "cannot attach the driver-helper probes: %s",
			 strerror(-err));
		goto fail;
	}
	trace_ring_on(ring, DRV_EV_TYPE, on_record, d);
	*dp = d;
	return 0;
fail:
	drvtrace_close(d);
	return err;
}

uint64_t drvtrace_lost(const struct drvtrace *d)
{
	return d ? d->skel->bss->lost : 0;
}

void drvtrace_close(struct drvtrace *d)
{
	if (!d)
		return;
	driver_bpf__destroy(d->skel);
	free(d);
}
