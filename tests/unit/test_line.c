// SPDX-License-Identifier: GPL-2.0
/* The hand-made number formatting of human lines says what printf says. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "output/line.h"

/* what the line writer made of one call of fn, as a string */
#define FORMAT(buf, call) do {						\
	FILE *f_ = fmemopen(buf, sizeof(buf), "w");			\
	struct line l_;							\
									\
	line_init(&l_, f_);						\
	call(&l_);							\
	line_flush(&l_);						\
	fclose(f_);							\
} while (0)

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	static const uint64_t edge[] = {
		0, 1, 499, 500, 501, 999, 1000, 999499, 999500, 999999499,
		999999500, 1000000000, 9999999999499ULL, 12345678901234ULL,
	};
	uint64_t s = 0x9e3779b97f4a7c15ULL, v;
	char got[64], want[64];
	int bad = 0, ties = 0, i;

	/* times: "%10.6f" of ns / 1e9, and "<%.6f>" */
	for (i = 0; i < 200000; i++) {
		/* up to 2^44 ns (4.9 hours): beyond that the double printf
		 * is given is the one that cannot hold every nanosecond */
		v = i < (int)(sizeof(edge) / sizeof(edge[0])) ? edge[i] :
		    next(&s) >> (next(&s) % 40 + 20);
#define SECS10(l) line_secs6(l, v, 10)
		FORMAT(got, SECS10);
		snprintf(want, sizeof(want), "%10.6f", (double)v / 1e9);
		if (strcmp(got, want)) {
			/* an exact half microsecond: printf rounds the double
			 * nearest to it, which may sit either side */
			if (v % 1000 == 500) {
				ties++;
				continue;
			}
			if (bad++ < 3)
				diag("%" PRIu64 " ns: got '%s', printf '%s'", v, got, want);
		}
	}
	ok(!bad, "times: 200,000 values as printf's %%10.6f (%d half-microsecond ties "
	   "rounded the other way)", ties);

#define SECS0(l) line_secs6(l, 1500000, 0)
	FORMAT(got, SECS0);
	ok(!strcmp(got, "0.001500"), "a duration without padding: '%s'", got);

	bad = 0;
	for (i = 0; i < 100000; i++) {
		v = next(&s) >> (next(&s) % 64);
#define NUMS(l) do { line_u64(l, v); line_ch(l, ' '); line_hex(l, v); line_ch(l, ' '); \
		      line_i64(l, (int64_t)v); line_ch(l, ' '); line_u64w(l, v % 1000, 7); } while (0)
		FORMAT(got, NUMS);
		snprintf(want, sizeof(want), "%" PRIu64 " 0x%" PRIx64 " %" PRId64 " %7" PRIu64,
			 v, v, (int64_t)v, v % 1000);
		if (strcmp(got, want) && bad++ < 3)
			diag("got '%s', printf '%s'", got, want);
	}
	ok(!bad, "numbers: 100,000 values in decimal, hex and signed as printf");

	{
		char big[4096];
		char text[3000];
		FILE *f = fmemopen(big, sizeof(big), "w");
		struct line l;

		memset(text, 'x', sizeof(text));
		line_init(&l, f);
		LINE_LIT(&l, "a");
		line_mem(&l, text, sizeof(text));
		LINE_LIT(&l, "b");
		line_flush(&l);
		fclose(f);
		ok(strlen(big) == sizeof(text) + 2 && big[0] == 'a' &&
		   big[sizeof(text) + 1] == 'b', "a line longer than the buffer comes out whole");
	}
	return tap_done();
}
