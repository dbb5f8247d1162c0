// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "output/digits.h"
#include "output/json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, offsetof(struct json, buf));
	j->f = f;
}

static void flush_buf(struct json *j)
{
	if (j->len)
		fwrite_unlocked(j->buf, 1, j->len, j->f);
	j->len = 0;
}

/* hot: inlined into every writer */
#define HOT static inline __attribute__((always_inline))

HOT void put(struct json *j, const void *p, size_t n)
{
	const char *s = p;
	char *d;
	size_t i;

	if (j->len + n > sizeof(j->buf)) {
		flush_buf(j);
		if (n > sizeof(j->buf)) {
			fwrite_unlocked(p, 1, n, j->f);
			return;
		}
	}
	d = j->buf + j->len;
	j->len += n;
	/* most pieces are a few bytes: overlapping fixed-size copies, which
	 * compile to a few moves, are cheaper than a call to memcpy (and a
	 * byte loop here became one: gcc turns such loops into memcpy) */
	if (n >= 8 && n <= 16) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n < 4) {
		for (i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		memcpy(d, s, n);
	}
}

HOT void putch(struct json *j, char c)
{
	if (j->len == sizeof(j->buf))
		flush_buf(j);
	j->buf[j->len++] = c;
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Separator before a value: a comma inside containers, and a newline
 * before each element of a top-level array so documents stay greppable. */
HOT void pre_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			putch(j, ',');
		if (j->depth == 1 && j->is_array[1])
			putch(j, '\n');
		j->need_comma[j->depth] = true;
	}
}

static void push(struct json *j, char c)
{
	pre_value(j);
	putch(j, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
	j->is_array[j->depth] = c == '[';
}

static void pop(struct json *j, char c)
{
	if (j->depth == 1 && j->need_comma[1] && c == ']')
		putch(j, '\n');
	if (j->depth > 0)
		j->depth--;
	putch(j, c);
}

void json_obj_begin(struct json *j) { push(j, '{'); }
void json_obj_end(struct json *j) { pop(j, '}'); }
void json_arr_begin(struct json *j) { push(j, '['); }
void json_arr_end(struct json *j) { pop(j, ']'); }

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		l = utf8_seq((const unsigned char *)s + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* Bytes that go out as they are: printable ASCII but the quote and the
 * backslash. Runs of them are written with one call: vmscope writes a
 * million events a second through here. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Whether all 8 bytes of x are plain, a word at a time: no byte below
 * 0x20 or from 0x7f up, none a quote or a backslash (the "has a byte
 * less than n" and "has a zero byte" tests are exact for the word). */
static bool plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
#define HAS_ZERO(v) (((v) - ones) & ~(v) & high)
	uint64_t bad = ((x - ones * 0x20) & ~x & high) | (x & high) |
		       HAS_ZERO(x ^ (ones * '"')) | HAS_ZERO(x ^ (ones * '\\')) |
		       HAS_ZERO(x ^ (ones * 0x7f));
#undef HAS_ZERO
	return !bad;
}

/* The end of the run of plain bytes from p[i] (p has n). */
static size_t plain_run(const unsigned char *p, size_t i, size_t n)
{
	uint64_t x;

	while (i + 8 <= n) {
		memcpy(&x, p + i, 8);
		if (!plain8(x))
			break;
		i += 8;
	}
	while (i < n && plain(p[i]))
		i++;
	return i;
}

static void put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l, run;

	putch(j, '"');
	while (i < n) {
		unsigned char c = p[i];

		run = plain_run(p, i, n);
		if (run > i) {
			put(j, p + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"': puts_(j, "\\\""); i++; continue;
		case '\\': puts_(j, "\\\\"); i++; continue;
		case '\n': puts_(j, "\\n"); i++; continue;
		case '\t': puts_(j, "\\t"); i++; continue;
		case '\r': puts_(j, "\\r"); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			char u[8];

			snprintf(u, sizeof(u), "\\u%04x", c);
			puts_(j, u);
			i++;
			continue;
		}
		l = utf8_seq(p + i, n - i);
		if (!l) {
			puts_(j, "\\ufffd");
			i++;
			continue;
		}
		put(j, p + i, l);
		i += l;
	}
	putch(j, '"');
}

/* numbers written straight into the buffer: no copy of their digits */
static void put_dec(struct json *j, uint64_t v)
{
	unsigned int n = digits_dec_len(v);

	if (j->len + n > sizeof(j->buf))
		flush_buf(j);
	digits_dec(j->buf + j->len + n, v);
	j->len += n;
}

static void put_hex(struct json *j, uint64_t v)
{
	unsigned int n = digits_hex_len(v);

	if (j->len + n > sizeof(j->buf))
		flush_buf(j);
	digits_hex(j->buf + j->len + n, v);
	j->len += n;
}

void json_keyn(struct json *j, const char *key, size_t n)
{
	pre_value(j);
	/* keys are the program's own snake_case literals: nothing to escape */
	putch(j, '"');
	put(j, key, n);
	put(j, "\":", 2);
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	pre_value(j);
	put_escaped(j, s, n);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, strlen(s));
}

void json_u64(struct json *j, uint64_t v)
{
	pre_value(j);
	put_dec(j, v);
}

void json_i64(struct json *j, int64_t v)
{
	pre_value(j);
	if (v < 0) {
		putch(j, '-');
		put_dec(j, -(uint64_t)v);
	} else {
		put_dec(j, (uint64_t)v);
	}
}

void json_double(struct json *j, double v)
{
	char d[32];

	pre_value(j);
	if (isfinite(v)) {
		snprintf(d, sizeof(d), "%.6g", v);
		puts_(j, d);
	} else {
		puts_(j, "null");
	}
}

void json_hex(struct json *j, uint64_t v)
{
	pre_value(j);
	put(j, "\"0x", 3);
	put_hex(j, v);
	putch(j, '"');
}

void json_bool(struct json *j, bool v)
{
	pre_value(j);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	pre_value(j);
	puts_(j, "null");
}

void json_raw_slow(struct json *j, const void *p, size_t n)
{
	put(j, p, n);
}

void json_raw_u64(struct json *j, uint64_t v)
{
	put_dec(j, v);
}

void json_raw_hex(struct json *j, uint64_t v)
{
	put(j, "\"0x", 3);
	put_hex(j, v);
	putch(j, '"');
}

void json_raw_str(struct json *j, const char *s, size_t n)
{
	if (s)
		put_escaped(j, s, n);
	else
		put(j, "null", 4);
}

void json_end_doc(struct json *j)
{
	putch(j, '\n');
	j->depth = 0;
	j->need_comma[0] = false;
	flush_buf(j);
}

