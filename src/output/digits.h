/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers to text without printf (its format parsing was most of the
 * time of every writer that prints a line or object per page or event):
 * the digits are written backwards so that they end at `end`, and the
 * first one is returned. 20 bytes hold any 64-bit value in decimal, 16
 * in hex.
 */
#ifndef VMSCOPE_DIGITS_H
#define VMSCOPE_DIGITS_H

#include <stdint.h>

static inline char *digits_dec(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static inline char *digits_hex(char *end, uint64_t v)
{
	do {
		*--end = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	return end;
}

/* How many characters digits_dec / digits_hex write for v: from the
 * number of its bits, then one compare (the writers can put the digits
 * straight where they belong) */
static inline unsigned int digits_dec_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
		100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL,
	};
	/* log10(2) ~ 1233 / 4096: t is the digit count or one less */
	unsigned int t = ((64 - (unsigned int)__builtin_clzll(v | 1)) * 1233) >> 12;

	return v < 10 ? 1 : t + 1 - (v < pow10[t]);
}

static inline unsigned int digits_hex_len(uint64_t v)
{
	return (64 - (unsigned int)__builtin_clzll(v | 1) + 3) / 4;
}

#endif
