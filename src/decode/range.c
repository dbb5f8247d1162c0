// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode/range.h"
#include "util.h"

int addr_parse(const char *s, uint64_t *addr)
{
	const char *p = s;
	uint64_t v = 0;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -EINVAL;
		if (++digits > 16)
			return -ERANGE;
		v = (v << 4) | d;
	}
	if (!digits)
		return -EINVAL;
	*addr = v;
	return 0;
}

static uint64_t page_down(uint64_t a)
{
	return a & ~(PAGE_SIZE - 1);
}

static int page_up(uint64_t a, uint64_t *out)
{
	if (a > UINT64_MAX - (PAGE_SIZE - 1))
		return -ERANGE;
	*out = (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return 0;
}

int range_parse(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *sep = strpbrk(s, "-+");
	char first[32];
	uint64_t a, b;
	size_t n;
	int err;

	if (!sep) {
		err = addr_parse(s, &a);
		if (err)
			return err;
		*lo = page_down(a);
		if (*lo > UINT64_MAX - PAGE_SIZE)
			return -ERANGE;
		*hi = *lo + PAGE_SIZE;
		return 0;
	}
	n = sep - s;
	if (!n || n >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	err = addr_parse(first, &a);
	if (err)
		return err;
	if (*sep == '-')
		err = addr_parse(sep + 1, &b);
	else {
		uint64_t len;

		err = parse_u64(sep + 1, &len, true);
		if (!err && (len == 0 || a > UINT64_MAX - len))
			err = -ERANGE;
		b = a + len;
	}
	if (err)
		return err;
	if (b <= a)
		return -ERANGE;
	*lo = page_down(a);
	return page_up(b, hi);
}

uint64_t user_addr_limit(int paging_levels)
{
	return paging_levels == 5 ? 1ULL << 56 : 1ULL << 47;
}
