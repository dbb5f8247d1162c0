// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/maps.h"
#include "procfs/smaps.h"
#include "util.h"

int smaps_open(struct smaps_reader *s, pid_t pid)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = lines_open(&s->lr, pid, "smaps");
	s->ok = !err;
	return err;
}

/* Keep the VmFlags line: the next lines_next overwrites the buffer. */
static void keep_flags(struct smaps_reader *s, const char *line, size_t n)
{
	if (n + 1 > s->flags_cap) {
		char *p = realloc(s->flags, n + 1);

		if (!p) {
			s->have = false;
			return;
		}
		s->flags = p;
		s->flags_cap = n + 1;
	}
	memcpy(s->flags, line, n);
	s->flags[n] = '\0';
	s->flags_len = n;
	s->have = true;
}

bool smaps_vmflags(struct smaps_reader *s, uint64_t start, const char **out, size_t *outn)
{
	const char *line;
	size_t n;

	while (s->ok && !s->done) {
		if (s->start > start)
			return false;
		if (s->start == start && s->have) {
			*out = s->flags;
			*outn = s->flags_len;
			return true;
		}
		if (lines_next(&s->lr, &line, &n) != 1) {
			s->done = true;
			break;
		}
		if (n > 8 && !strncmp(line, "VmFlags:", 8)) {
			keep_flags(s, line, n);
		} else {
			struct maps_entry e;

			/* a header line: a VMA starts */
			if (maps_parse_line(line, n, &e) == 0) {
				free(e.path);
				s->start = e.start;
				s->have = false;
			}
		}
	}
	return false;
}

void smaps_close(struct smaps_reader *s)
{
	if (s->ok)
		lines_close(&s->lr);
	free(s->flags);
	memset(s, 0, sizeof(*s));
}
