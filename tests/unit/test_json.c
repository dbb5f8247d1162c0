// SPDX-License-Identifier: GPL-2.0
/* The JSON writer produces exactly the expected text for tricky input. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "output/json.h"

int main(void)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "s", "q\"b\\n\nt\x01");
	json_key(&j, "bad");
	json_strn(&j, "a\xff" "b", 3);
	json_khex(&j, "pfn", 0xffffffffffffffffULL);
	json_key(&j, "arr");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_null(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_doc(&j);
	fclose(f);
	ok(!strcmp(buf, "{\"s\":\"q\\\"b\\\\n\\nt\\u0001\",\"bad\":\"a\\ufffdb\","
		   "\"pfn\":\"0xffffffffffffffff\",\"arr\":[1,null]}\n"),
	   "object with escapes, invalid UTF-8 and 64-bit hex: %s", buf);
	free(buf);

	f = open_memstream(&buf, &len);
	json_init(&j, f);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_end_doc(&j);
	fclose(f);
	ok(!strcmp(buf, "[]\n"), "empty top-level array");
	free(buf);

	/* fixed-shape documents in pieces: values escaped and formatted as
	 * the general writer does them */
	f = open_memstream(&buf, &len);
	json_init(&j, f);
	JSON_RAW(&j, "{\"n\":");
	json_raw_u64(&j, 18446744073709551615ULL);
	JSON_RAW(&j, ",\"z\":");
	json_raw_u64(&j, 0);
	JSON_RAW(&j, ",\"h\":");
	json_raw_hex(&j, 0);
	JSON_RAW(&j, ",\"s\":");
	json_raw_str(&j, "q\"\x01\xff", 4);
	JSON_RAW(&j, ",\"x\":");
	json_raw_str(&j, NULL, 0);
	JSON_RAW(&j, "}");
	json_end_doc(&j);
	fclose(f);
	ok(!strcmp(buf, "{\"n\":18446744073709551615,\"z\":0,\"h\":\"0x0\","
		   "\"s\":\"q\\\"\\u0001\\ufffd\",\"x\":null}\n"),
	   "raw pieces: numbers, hex, escapes, null: %s", buf);
	free(buf);

	/* a document longer than the writer's buffer: pieces cross it */
	f = open_memstream(&buf, &len);
	json_init(&j, f);
	JSON_RAW(&j, "[");
	for (int i = 0; i < 1000; i++) {
		json_raw_str(&j, "abcdefgh", 8);
		JSON_RAW(&j, ",");
	}
	JSON_RAW(&j, "0]");
	json_end_doc(&j);
	fclose(f);
	{
		size_t want = 1 + 1000 * 11 + 2 + 1;
		bool same = len == want && buf[0] == '[' && !strcmp(buf + len - 3, "0]\n");

		for (size_t i = 0; same && i < 1000; i++)
			same = !memcmp(buf + 1 + i * 11, "\"abcdefgh\",", 11);
		ok(same, "raw document of %zu bytes (buffer %d) comes out whole",
		   len, JSON_BUF);
	}
	free(buf);

	/* numbers are written straight into the buffer, their length
	 * worked out first: every length, both sides of every power of ten
	 * and of two, as printf writes them */
	{
		static const unsigned long long edges[] = { 0, 1, 9, 15, 16, 17 };
		char want[64];
		int bad = 0, n = 0;

		f = open_memstream(&buf, &len);
		json_init(&j, f);
		for (unsigned long long p = 1, q = 1; ; p *= 10, q <<= 1) {
			for (int d = -1; d <= 1; d++) {
				unsigned long long a = p + (unsigned long long)d,
						   b = q + (unsigned long long)d;

				json_raw_u64(&j, a);
				JSON_RAW(&j, " ");
				json_raw_hex(&j, b);
				JSON_RAW(&j, " ");
				n += 2;
			}
			if (q >> 63)
				break;
		}
		for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
			json_raw_u64(&j, ~0ULL - edges[i]);
			JSON_RAW(&j, " ");
			json_raw_hex(&j, ~0ULL - edges[i]);
			JSON_RAW(&j, " ");
			n += 2;
		}
		json_end_doc(&j);
		fclose(f);
		{
			char *at = buf;

			for (unsigned long long p = 1, q = 1; ; p *= 10, q <<= 1) {
				for (int d = -1; d <= 1; d++) {
					snprintf(want, sizeof(want), "%llu \"0x%llx\" ",
						 p + (unsigned long long)d,
						 q + (unsigned long long)d);
					if (strncmp(at, want, strlen(want)))
						bad++;
					at += strlen(want);
				}
				if (q >> 63)
					break;
			}
			for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
				snprintf(want, sizeof(want), "%llu \"0x%llx\" ",
					 ~0ULL - edges[i], ~0ULL - edges[i]);
				if (strncmp(at, want, strlen(want)))
					bad++;
				at += strlen(want);
			}
			if (strcmp(at, "\n"))
				bad++;
		}
		ok(!bad, "%d numbers at every length, decimal and hex, as printf", n);
		free(buf);
	}

	/* strings are scanned 8 bytes at a time: a byte to escape at every
	 * position of strings of every length up to 40 still is */
	{
		static const struct { const char *in, *out; } special[] = {
			{ "\"", "\\\"" }, { "\\", "\\\\" }, { "\n", "\\n" },
			{ "\x01", "\\u0001" }, { "\x1f", "\\u001f" }, { "\x7f", "\\u007f" },
			{ "\x80", "\\ufffd" }, { "\xc3\xa9", "\xc3\xa9" },
		};
		char in[64], want[128];
		int bad = 0, n = 0;

		for (size_t s = 0; s < sizeof(special) / sizeof(special[0]); s++) {
			size_t sl = strlen(special[s].in);

			for (size_t l = sl; l <= 40; l++) {
				for (size_t k = 0; k + sl <= l; k++) {
					memset(in, 'a', l);
					memcpy(in + k, special[s].in, sl);
					snprintf(want, sizeof(want), "\"%.*s%s%.*s\"\n", (int)k, in,
						 special[s].out, (int)(l - k - sl), in + k + sl);
					f = open_memstream(&buf, &len);
					json_init(&j, f);
					json_raw_str(&j, in, l);
					json_end_doc(&j);
					fclose(f);
					if (strcmp(buf, want)) {
						if (!bad)
							diag("got %s want %s", buf, want);
						bad++;
					}
					free(buf);
					n++;
				}
			}
		}
		ok(!bad, "%d strings with a byte to escape at every position", n);
	}
	return tap_done();
}
