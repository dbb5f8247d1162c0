/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_TEXT_H
#define VMSCOPE_TEXT_H

#include <stddef.h>

/*
 * Escape bytes for a terminal: control characters (newline, ESC, ...), DEL
 * and bytes that are not valid UTF-8 become \xNN, so a hostile file name
 * can neither forge lines nor send escape sequences. Returns a malloc'd
 * NUL-terminated string (NULL on allocation failure).
 */
char *text_escape(const char *s, size_t n);

/* Display columns of a UTF-8 string (one per code point). */
size_t text_width(const char *s);

/* Keep the last `width` columns of s, prefixed by "..." when cut; in place. */
void text_cut_left(char *s, size_t width);

#endif
