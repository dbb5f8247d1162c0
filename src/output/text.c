// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/text.h"
#include "output/json.h"

char *text_escape(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(n * 4 + 1), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = p[i];
		size_t l = 1;

		if (c >= 0x80) {
			/* find the longest valid sequence starting here */
			for (l = 4; l > 1; l--)
				if (i + l <= n && utf8_valid(s + i, l))
					break;
			if (l == 1) {
				o += sprintf(o, "\\x%02x", c);
				i++;
				continue;
			}
			memcpy(o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = c;
		i++;
	}
	*o = '\0';
	return out;
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void text_cut_left(char *s, size_t width)
{
	size_t w = text_width(s), skip;
	char *p = s;

	if (w <= width || width < 4)
		return;
	skip = w - (width - 3);
	while (*p && skip) {
		p++;
		while (((unsigned char)*p & 0xc0) == 0x80)
			p++;
		skip--;
	}
	memmove(s + 3, p, strlen(p) + 1);
	memcpy(s, "...", 3);
}
