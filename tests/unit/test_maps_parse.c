// SPDX-License-Identifier: GPL-2.0
/* maps-line parser on fixtures taken from real /proc/PID/maps output. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "procfs/maps.h"
#include "util.h"
#include "procfs/proc.h"

static int parse(const char *line, struct maps_entry *e)
{
	return maps_parse_line(line, strlen(line), e);
}

int main(void)
{
	struct maps_entry e;
	struct maps_list l;
	char *text;
	size_t len;
	int r;

	r = parse("55cc295c6000-55cc295c7000 r--p 00000000 fd:01 1053461                    /usr/bin/cat", &e);
	ok(r == 0, "file mapping parses");
	ok(e.start == 0x55cc295c6000ULL && e.end == 0x55cc295c7000ULL, "start/end");
	ok(!strcmp(e.perms, "r--p"), "perms");
	ok(e.dev_major == 0xfd && e.dev_minor == 1 && e.inode == 1053461, "dev and inode");
	ok(e.path && !strcmp(e.path, "/usr/bin/cat"), "path");
	free(e.path);

	r = parse("7ffc7041b000-7ffc7043c000 rw-p 00000000 00:00 0                          [stack]", &e);
	ok(r == 0 && e.path && !strcmp(e.path, "[stack]"), "special name");
	free(e.path);

	r = parse("7f1ed04c4000-7f1ed04c6000 rw-p 00000000 00:00 0 ", &e);
	ok(r == 0 && e.path == NULL, "anonymous mapping has no path");

	r = parse("7f1ed04c4000-7f1ed04c6000 rw-s 00001000 00:01 42                         /a dir/with spaces (deleted)", &e);
	ok(r == 0 && e.path && !strcmp(e.path, "/a dir/with spaces (deleted)"),
	   "spaces and (deleted) survive");
	ok(e.offset == 0x1000, "offset");
	free(e.path);

	r = parse("1000-2000 r--p 00000000 00:01 7 /x\\012y\xff", &e);
	ok(r == 0 && e.path_len == 8 && !memcmp(e.path, "/x\\012y\xff", 8),
	   "escaped newline and non-UTF-8 bytes kept as printed");
	free(e.path);

	r = parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]", &e);
	ok(r == 0 && e.start == 0xffffffffff600000ULL, "64-bit address");
	free(e.path);

	ok(parse("1000-2000 r--x 00000000 00:00 0", &e) != 0, "bad share flag rejected");
	ok(parse("2000-1000 r--p 00000000 00:00 0", &e) != 0, "end before start rejected");
	ok(parse("1000-2000 r--p 0 00:00", &e) != 0, "missing inode rejected");
	ok(parse("zzzz-2000 r--p 00000000 00:00 0", &e) != 0, "non-hex rejected");
	ok(parse("10000000000000000-2000 r--p 00000000 00:00 0", &e) != 0,
	   "17-digit address rejected");
	ok(parse("1000-2000 r--p 00000000 00:00 0x", &e) != 0, "junk after inode rejected");

	r = read_file("tests/fixtures/maps-bash.txt", &text, &len);
	ok(r == 0, "fixture readable");
	if (!r) {
		r = maps_parse(text, len, &l);
		ok(r == 0 && l.n == 26, "whole fixture parses (%zu entries)", l.n);
		ok(maps_find(&l, 0x7f1ed0247000ULL) == 9, "maps_find hits the right VMA");
		ok(maps_find(&l, 0x1000) == -1, "maps_find misses below all VMAs");
		maps_free(&l);
		free(text);
	}
	return tap_done();
}
