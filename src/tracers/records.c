// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "tracers/records.h"

unsigned int record_type(const void *data, size_t size)
{
	__u32 t;

	if (size < sizeof(t))
		return 0;
	memcpy(&t, data, sizeof(t));
	return t;
}

bool mm_record_decode(const void *data, size_t size, struct mm_event *ev)
{
	static const size_t base = MM_EVENT_HDR - sizeof(((struct mm_event *)0)->vma);
	size_t nvma;

	if (size < base)
		return false;
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	memcpy(ev, data, size);
	memset((char *)ev + size, 0, sizeof(*ev) - size);
	nvma = (size - base) / sizeof(struct mm_vma);
	if (nvma > MM_MAX_VMAS)
		nvma = MM_MAX_VMAS;
	if (ev->nvma > nvma)
		ev->nvma = (__u32)nvma;
	if (size < sizeof(*ev) || ev->path_off >= MM_PATH_MAX)
		ev->path_flags &= ~MM_PATH_SET;
	return true;
}

bool flt_record_decode(const void *data, size_t size, struct flt_event *ev)
{
	if (size < sizeof(*ev) || record_type(data, size) != FLT_EV_TYPE)
		return false;
	memcpy(ev, data, sizeof(*ev));
	if (ev->result >= FLT_NR_RESULTS)
		ev->result = FLT_UNKNOWN;
	if (ev->level > PTW_PUD) {
		ev->level = 0;
		ev->flags &= ~FLT_HAS_PFN;
	}
	return true;
}

bool drv_record_decode(const void *data, size_t size, struct drv_event *ev)
{
	if (size < sizeof(*ev) || record_type(data, size) != DRV_EV_TYPE)
		return false;
	memcpy(ev, data, sizeof(*ev));
	if (ev->helper >= DH_NR)
		return false;
	if (ev->npage > DRV_MAX_PAGES)
		ev->npage = DRV_MAX_PAGES;
	return true;
}

const char *const flt_result_names[FLT_NR_RESULTS] = {
	[FLT_UNKNOWN] = "unknown", [FLT_MINOR] = "minor", [FLT_MAJOR] = "major",
	[FLT_SIGBUS] = "sigbus", [FLT_SIGSEGV] = "sigsegv", [FLT_RETRY] = "retry",
	[FLT_ERROR] = "error",
};

const char *flt_result_name(unsigned int r)
{
	return r < FLT_NR_RESULTS ? flt_result_names[r] : "?";
}
