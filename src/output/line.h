/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A line of human output gathered in memory and handed to stdio in one
 * piece, numbers formatted by hand: fprintf's format parsing and its
 * floating point (for "%10.6f" times) were half of `trace`'s own time at
 * a million calls a second. A line longer than the buffer goes out in
 * parts, never cut.
 */
#ifndef VMSCOPE_LINE_H
#define VMSCOPE_LINE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output/digits.h"

struct line {
	FILE *f;
	size_t n;
	char s[1024];
};

static inline void line_init(struct line *l, FILE *f)
{
	l->f = f;
	l->n = 0;
}

static inline void line_flush(struct line *l)
{
	if (l->n)
		fwrite_unlocked(l->s, 1, l->n, l->f);
	l->n = 0;
}

static inline void line_mem(struct line *l, const void *p, size_t n)
{
	if (n > sizeof(l->s) - l->n) {
		line_flush(l);
		if (n > sizeof(l->s)) {
			fwrite_unlocked(p, 1, n, l->f);
			return;
		}
	}
	memcpy(l->s + l->n, p, n);
	l->n += n;
}

static inline void line_str(struct line *l, const char *s)
{
	line_mem(l, s, strlen(s));
}

/* a literal: its length known when compiling */
#define LINE_LIT(l, lit) line_mem((l), "" lit, sizeof(lit) - 1)

static inline void line_ch(struct line *l, char c)
{
	line_mem(l, &c, 1);
}

/* v in decimal, right-aligned in width columns (0: no padding) */
static inline void line_u64w(struct line *l, uint64_t v, unsigned int width)
{
	char b[24], *e = b + sizeof(b), *q = digits_dec(e, v);

	while ((size_t)(e - q) < width && q > b)
		*--q = ' ';
	line_mem(l, q, (size_t)(e - q));
}

static inline void line_u64(struct line *l, uint64_t v)
{
	line_u64w(l, v, 0);
}

static inline void line_i64(struct line *l, int64_t v)
{
	if (v < 0) {
		line_ch(l, '-');
		line_u64(l, -(uint64_t)v);
	} else {
		line_u64(l, (uint64_t)v);
	}
}

/* "0x" and v in lower-case hex */
static inline void line_hex(struct line *l, uint64_t v)
{
	char b[24], *e = b + sizeof(b), *q = digits_hex(e, v);

	*--q = 'x';
	*--q = '0';
	line_mem(l, q, (size_t)(e - q));
}

/* ns as seconds with 6 decimals, rounded to the nearest microsecond,
 * right-aligned in width columns: printf's "%*.6f" of ns / 1e9 */
static inline void line_secs6(struct line *l, uint64_t ns, unsigned int width)
{
	uint64_t us = ns / 1000 + (ns % 1000 >= 500);
	char frac[7];
	int i;

	line_u64w(l, us / 1000000, width > 7 ? width - 7 : 0);
	us %= 1000000;
	frac[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + us % 10);
		us /= 10;
	}
	line_mem(l, frac, sizeof(frac));
}

#endif
