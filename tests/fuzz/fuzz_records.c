// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: ring-buffer records with any size, type and counts, decoded
 * as user space does and applied to the VMA model; fault records also to
 * a driver mapping and its checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/driver_checks.h"
#include "tracers/records.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"

/* A 64-page driver mapping the fault records land in. */
static void driver_fault(struct flt_event *fe)
{
	static struct dmap *dm;
	struct check_result cr[CK_NR], one;
	struct frame_run *runs;
	size_t n;

	if (!dm) {
		struct vma_rec k = {
			.start = 0x10000000, .end = 0x10000000 + 64 * 4096,
			.flags = VMF_READ | VMF_WRITE | VMF_SHARED | VMF_PFNMAP,
			.has_file = 1, .page_shift = 12,
		};

		dm = dmap_new(1, &k, NULL, 64);
		if (!dm)
			return;
	}
	fe->addr = dm->start + fe->addr % (dm->end - dm->start);
	dmap_fault(dm, fe, &one);
	if (fe->flags & FLT_HAS_PFN)
		dmap_set_kpage(dm, (fe->addr - dm->start) >> 12, fe->ip, true, fe->ts_ns & 7);
	n = dmap_frame_checks(dm, 0, dm->npages, cr);
	if (n > CK_NR)
		__builtin_trap();
	dm->found |= n ? 1u << cr[0].check : 0;
	dmap_runs(dm, &runs, &n);
	if (n > dm->npages)
		__builtin_trap();
	free(runs);
	if (dmap_pages_with_frame(dm) > dm->npages)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_model *m;
	struct mm_event ev;
	struct flt_event fe;
	char cut[MM_PATH_CUT_BUF];
	const char *p;
	size_t len, n, i;

	if (!m)
		m = vm_model_new();
	if (record_type(data, size) >= MM_EV_FOREIGN) {
		struct drv_event de;

		if (flt_record_decode(data, size, &fe)) {
			if (fe.result >= FLT_NR_RESULTS || fe.level > PTW_PUD)
				__builtin_trap();
			driver_fault(&fe);
		}
		if (drv_record_decode(data, size, &de) &&
		    (de.helper >= DH_NR || de.npage > DRV_MAX_PAGES))
			__builtin_trap();
		return 0;
	}
	if (!mm_record_decode(data, size, &ev))
		return 0;
	if (ev.nvma > MM_MAX_VMAS)
		__builtin_trap();
	if (mm_event_path(&ev, cut, &p, &len) &&
	    !(p >= ev.path && p + len <= ev.path + MM_PATH_MAX) &&
	    !(p == cut && len <= sizeof(cut)))
		__builtin_trap();
	/* keep the model to a few processes: pids from the input, folded */
	ev.pid = 0x3ffff000 + (ev.pid & 7);
	if (ev.type == MM_EV_FORK)
		ev.ret = 0x3ffff000 + (ev.ret & 7);
	vm_model_event(m, &ev);
	{
		const struct vm_ent *v = vm_model_vmas(m, (pid_t)ev.pid, &n);

		for (i = 1; i < n; i++)	/* sorted, never overlapping */
			if (v[i].start < v[i - 1].end)
				__builtin_trap();
	}
	return 0;
}
