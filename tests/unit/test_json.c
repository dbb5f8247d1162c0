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
	return tap_done();
}
