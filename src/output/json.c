// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Separator before a value: a comma inside containers, and a newline
 * before each element of a top-level array so documents stay greppable. */
static void pre_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			putc_unlocked(',', j->f);
		if (j->depth == 1 && j->is_array[1])
			putc_unlocked('\n', j->f);
		j->need_comma[j->depth] = true;
	}
}

static void push(struct json *j, char c)
{
	pre_value(j);
	putc_unlocked(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
	j->is_array[j->depth] = c == '[';
}

static void pop(struct json *j, char c)
{
	if (j->depth == 1 && j->need_comma[1] && c == ']')
		putc_unlocked('\n', j->f);
	if (j->depth > 0)
		j->depth--;
	putc_unlocked(c, j->f);
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

static void put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l, run;

	putc_unlocked('"', j->f);
	while (i < n) {
		unsigned char c = p[i];

		for (run = i; run < n && plain(p[run]); run++)
			;
		if (run > i) {
			fwrite_unlocked(p + i, 1, run - i, j->f);
			i = run;
			continue;
		}
		switch (c) {
		case '"': fputs_unlocked("\\\"", j->f); i++; continue;
		case '\\': fputs_unlocked("\\\\", j->f); i++; continue;
		case '\n': fputs_unlocked("\\n", j->f); i++; continue;
		case '\t': fputs_unlocked("\\t", j->f); i++; continue;
		case '\r': fputs_unlocked("\\r", j->f); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(j->f, "\\u%04x", c);
			i++;
			continue;
		}
		l = utf8_seq(p + i, n - i);
		if (!l) {
			fputs_unlocked("\\ufffd", j->f);
			i++;
			continue;
		}
		fwrite_unlocked(p + i, 1, l, j->f);
		i += l;
	}
	putc_unlocked('"', j->f);
}

/* Digits without printf's format parsing; constant divisors compile to
 * multiplications. */
static void put_dec(FILE *f, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *q = e;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(q, 1, (size_t)(e - q), f);
}

static void put_hex(FILE *f, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *q = e;

	do {
		*--q = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	fwrite_unlocked(q, 1, (size_t)(e - q), f);
}

void json_key(struct json *j, const char *key)
{
	size_t n = strlen(key);

	pre_value(j);
	/* keys are the program's own snake_case literals: nothing to escape */
	putc_unlocked('"', j->f);
	fwrite_unlocked(key, 1, n, j->f);
	fwrite_unlocked("\":", 1, 2, j->f);
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
	put_dec(j->f, v);
}

void json_i64(struct json *j, int64_t v)
{
	pre_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_double(struct json *j, double v)
{
	pre_value(j);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs_unlocked("null", j->f);
}

void json_hex(struct json *j, uint64_t v)
{
	pre_value(j);
	fwrite_unlocked("\"0x", 1, 3, j->f);
	put_hex(j->f, v);
	putc_unlocked('"', j->f);
}

void json_bool(struct json *j, bool v)
{
	pre_value(j);
	fputs_unlocked(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	pre_value(j);
	fputs_unlocked("null", j->f);
}

void json_end_doc(struct json *j)
{
	putc_unlocked('\n', j->f);
	j->depth = 0;
	j->need_comma[0] = false;
}
