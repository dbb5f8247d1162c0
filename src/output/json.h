/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal streaming JSON writer. Always emits valid JSON: strings are
 * escaped, bytes that are not valid UTF-8 become U+FFFD (callers that must
 * keep the exact bytes add a hex field beside it, see json_bytes_lossless).
 */
#ifndef VMSCOPE_JSON_H
#define VMSCOPE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

/* Output is gathered in buf and handed to stdio once per document (or
 * when full): one fwrite per event instead of one per token. */
#define JSON_BUF 4096

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool is_array[JSON_MAX_DEPTH];
	bool after_key;
	size_t len;
	char buf[JSON_BUF];
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* key: one of the program's own names (written as is, not escaped) */
void json_keyn(struct json *j, const char *key, size_t n);
/* inline, so that a literal key's length is known when compiling */
static inline void json_key(struct json *j, const char *key)
{
	json_keyn(j, key, strlen(key));
}
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_hex(struct json *j, uint64_t v);	/* "0x..." string */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* End a top-level document with a newline (and hand it to stdio). */
void json_end_doc(struct json *j);

/*
 * Documents of a fixed shape, written piece by piece without the
 * separator bookkeeping: the caller's literal pieces carry the keys,
 * commas and braces ("{\"type\":\"fault\",\"ts_ns\":"), the json_raw_*
 * calls the values. For a million events a second (faults); the document
 * still ends with json_end_doc.
 */
void json_raw_slow(struct json *j, const void *p, size_t n);
static inline void json_raw(struct json *j, const void *p, size_t n)
{
	if (j->len + n > sizeof(j->buf)) {
		json_raw_slow(j, p, n);
		return;
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}
/* a literal piece: its length known when compiling, copied inline */
#define JSON_RAW(j, lit) json_raw((j), "" lit, sizeof(lit) - 1)
void json_raw_u64(struct json *j, uint64_t v);
void json_raw_hex(struct json *j, uint64_t v);	/* "0x..." string */
/* an escaped string, or null for NULL */
void json_raw_str(struct json *j, const char *s, size_t n);

/* Is [s, s+n) valid UTF-8? */
bool utf8_valid(const char *s, size_t n);

/* key/value shorthands */
static inline void json_kstr(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	if (v)
		json_str(j, v);
	else
		json_null(j);
}
static inline void json_ku64(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_u64(j, v);
}
static inline void json_khex(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_hex(j, v);
}
static inline void json_kbool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

#endif
