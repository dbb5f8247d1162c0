// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "decode/vmflags.h"

/* fs/proc/task_mmu.c show_smap_vma_flags(), x86-64 bit positions. */
static const char *const mnemonics[64] = {
	[0] = "rd", [1] = "wr", [2] = "ex", [3] = "sh",
	[4] = "mr", [5] = "mw", [6] = "me", [7] = "ms",
	[8] = "gd", [9] = "um", [10] = "pf", [11] = "gu", [12] = "uw",
	[13] = "lo", [14] = "io", [15] = "sr", [16] = "rr",
	[17] = "dc", [18] = "de", [19] = "lf", [20] = "ac",
	[21] = "nr", [22] = "ht", [23] = "sf", [24] = "ar",
	[25] = "wf", [26] = "dd", [27] = "sd", [28] = "mm",
	[29] = "hg", [30] = "nh", [31] = "mg",
	[37] = "ss", [38] = "ui", [40] = "dp", [42] = "sl",
};

/* Bits the kernel sets but never names in smaps: protection keys (32-35). */
static int silent_bit(unsigned int bit)
{
	return bit >= 32 && bit <= 35;
}

const char *vmflag_mnemonic(unsigned int bit)
{
	if (bit >= 64 || silent_bit(bit))
		return NULL;
	return mnemonics[bit] ? mnemonics[bit] : "";
}

void vmflags_str(uint64_t flags, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int b;

	if (len)
		buf[0] = '\0';
	for (b = 0; b < 64; b++) {
		const char *m;
		int w;

		if (!(flags & (1ULL << b)))
			continue;
		m = vmflag_mnemonic(b);
		if (!m)
			continue;
		if (*m)
			w = snprintf(buf + off, len - off, "%s%s", off ? " " : "", m);
		else
			w = snprintf(buf + off, len - off, "%sbit%u", off ? " " : "", b);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
}

const char *cache_mode(uint64_t prot, int level)
{
	static const char *const pat[8] = {
		"wb", "wc", "uc-", "uc", "wb", "wp", "uc-", "wt",
	};
	/* _PAGE_PAT is bit 7 in a 4K PTE, bit 12 in a 2M/1G leaf */
	unsigned int pat_bit = level > 0 ? (prot >> 12) & 1 : (prot >> 7) & 1;
	unsigned int idx = (pat_bit << 2) | (((prot >> 4) & 1) << 1) | ((prot >> 3) & 1);

	return pat[idx];
}
