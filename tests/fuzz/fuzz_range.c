// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the address, range and number parsers of the command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/range.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t lo, hi, v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!range_parse(s, &lo, &hi) && (lo > hi || (lo & 4095) || (hi & 4095)))
		abort();	/* the promise: page-aligned, ordered */
	(void)addr_parse(s, &v);
	(void)parse_u64(s, &v, true);
	(void)parse_u64(s, &v, false);
	free(s);
	return 0;
}
