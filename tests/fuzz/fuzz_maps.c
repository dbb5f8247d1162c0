// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: /proc/PID/maps text, a line and a whole file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maps_list l = { 0 };
	struct maps_entry e;
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!maps_parse_line(text, size, &e))
		free(e.path);
	if (!maps_parse(text, size, &l)) {
		for (i = 1; i < l.n; i++)	/* what every reader relies on */
			if (l.v[i].start < l.v[i - 1].start)
				abort();
		if (l.n)
			(void)maps_find(&l, l.v[l.n / 2].start);
	}
	maps_free(&l);
	free(text);
	return 0;
}
