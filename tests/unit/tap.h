/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP producer for unit tests: ok/not ok lines, plan at the end. */
#ifndef VMSCOPE_TAP_H
#define VMSCOPE_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

/* cond is evaluated once: it may have side effects */
#define ok(cond, ...) do { \
	int tap_c = !!(cond); \
	tap_n++; \
	if (tap_c) { printf("ok %d - ", tap_n); } \
	else { tap_failed++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!tap_c) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
} while (0)

/* a comment line for a failure's details */
#define diag(...) do { printf("#   "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
