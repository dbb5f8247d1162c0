/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_UTIL_H
#define VMSCOPE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)



/* Parse an unsigned number: 0x-prefixed hex, or decimal; K/M/G/T suffix
 * when allow_suffix. Whole string must be consumed. */
int parse_u64(const char *s, uint64_t *out, bool allow_suffix);

/* "4K", "132K", "1.5M", "2G": at most 6 characters. */
void human_size(uint64_t bytes, char *buf, size_t len);

/* Does the process have this capability in its effective set? */
bool have_cap(int cap);

/* Seconds since an arbitrary start, monotonic. */
double now_sec(void);
/* vmscope's own CPU time so far (user + system), seconds */
double self_cpu_sec(void);

/* The same clock in nanoseconds: the clock of BPF's event timestamps. */
uint64_t mono_ns(void);

/* Make room for element n of the array *v (capacity *cap, elements of
 * elem bytes): doubles it, from 16. false when out of memory. */
bool grow_array(void **v, size_t *cap, size_t n, size_t elem);

/* Progress on a terminal for work longer than a second: a line on
 * stderr rewritten in place (only when stderr is a tty), cleared at the
 * end. */
struct progress {
	double t0, last;
	bool tty, shown;
};
void progress_start(struct progress *p);
void progress_show(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void progress_end(struct progress *p);

#endif
