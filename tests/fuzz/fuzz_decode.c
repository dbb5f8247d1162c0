// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: decoders of kernel words: pagemap entries, kpageflags,
 * page-table entries at every level, swap entries. */
#include <stdint.h>
#include <string.h>

#include "decode/pgtable.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"

static void sink(const char *name, void *arg)
{
	size_t *n = arg;

	*n += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t w;
	struct pm_entry pe;
	struct swap_entry se;
	char buf[64];
	size_t n = 0;
	int level;

	while (size >= sizeof(w)) {
		memcpy(&w, data, sizeof(w));
		data += sizeof(w);
		size -= sizeof(w);
		pagemap_decode(w, &pe);
		kpage_flags_str(w, buf, sizeof(buf));
		kpage_flags_str(w, buf, 5);	/* a short buffer stays terminated */
		if (memchr(buf, '\0', 5) == NULL)
			__builtin_trap();
		for (level = 0; level <= 4; level++) {
			bool leaf = pgtable_is_leaf(w, level);

			pgtable_flags(w, level, leaf, sink, &n);
			(void)pgtable_target(w, level);
			(void)pgtable_level_name(level, 4);
			(void)pgtable_level_name(level, 5);
		}
		pgtable_swap_decode(w, &se);
	}
	return 0;
}
