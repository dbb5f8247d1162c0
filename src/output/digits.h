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

#endif
