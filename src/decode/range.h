/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_RANGE_H
#define VMSCOPE_RANGE_H

#include <stdint.h>

/*
 * Address syntax: hexadecimal, with or without 0x (as /proc/PID/maps prints
 * them). Lengths: decimal with an optional K/M/G/T suffix, or 0x hex.
 *   ADDR         the page holding ADDR
 *   START-END    [START, END)
 *   START+LEN    [START, START+LEN)
 * Results are page aligned: lo rounded down, hi rounded up.
 */
int addr_parse(const char *s, uint64_t *addr);
int range_parse(const char *s, uint64_t *lo, uint64_t *hi);

/* Highest user address + 1 for the paging mode (47 or 56 bits). */
uint64_t user_addr_limit(int paging_levels);

#endif
