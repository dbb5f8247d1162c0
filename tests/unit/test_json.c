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
	return tap_done();
}
