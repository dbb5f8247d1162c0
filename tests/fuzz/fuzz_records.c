// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: ring-buffer records with any size, type and counts, decoded
 * as user space does and applied to the VMA model. */
#include <stdint.h>
#include <string.h>

#include "records.h"
#include "vma_model.h"

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
		if (flt_record_decode(data, size, &fe) &&
		    (fe.result >= FLT_NR_RESULTS || fe.level > PTW_PUD))
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
