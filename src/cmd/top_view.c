// SPDX-License-Identifier: GPL-2.0
/* vmscope top's full-screen view, drawn with ncurses. */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd/top.h"
#include "decode/vmflags.h"
#include "tracers/records.h"
#include "util.h"

#define MIN_COLS 60
#define MIN_LINES 12

struct view {
	size_t *order, n;	/* rows as last drawn */
	size_t sel;		/* index into order */
	size_t first;		/* first row on screen */
	uint64_t sel_start;	/* the selected VMA, kept across reorders */
	bool detail, help;
	bool prompt;		/* typing a filter */
	char filter[128];
	size_t flen;
	SCREEN *screen;
};

bool top_view_too_small(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return false;	/* unknown: let curses find out */
	return ws.ws_col < MIN_COLS || ws.ws_row < MIN_LINES;
}

int top_view_open(struct top *t)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	/* newterm, not initscr: that exits on a terminal it does not know */
	v->screen = newterm(NULL, stdout, stdin);
	if (!v->screen) {
		free(v);
		return -ENOTTY;
	}
	if (t->filter) {
		snprintf(v->filter, sizeof(v->filter), "%s", t->filter);
		v->flen = strlen(v->filter);
	}
	cbreak();		/* Ctrl-C stays a signal: the session ends on it */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	t->view = v;
	return 0;
}

void top_view_close(struct top *t)
{
	struct view *v = t->view;

	if (!v)
		return;
	endwin();
	delscreen(v->screen);
	free(v->order);
	free(v);
	t->view = NULL;
	t->filter = NULL;	/* it pointed into the view */
}

static void put_line(int y, const char *s, attr_t a)
{
	attron(a);
	mvaddnstr(y, 0, s, COLS);
	clrtoeol();
	attroff(a);
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"vmscope top: keys",
		"",
		"  Up/Down, PgUp/PgDn, Home/End   select a VMA",
		"  Enter                          show or hide its detail: frames",
		"                                 as runs, its last faults",
		"  s                              sort: address, size, resident,",
		"                                 faults/s, recent activity",
		"  /                              filter by name (Enter ends)",
		"  p                              pause refreshes",
		"  q, Ctrl-C                      quit",
		"",
		"  strip: H huge  # resident  + partly  s swapped  g guard",
		"         z zero page  p PFN-mapped  . none",
		"  marks: + new  * changed  - gone",
		"",
		"  any key returns",
	};
	size_t i;

	erase();
	for (i = 0; i < ARRAY_SIZE(lines) && (int)i < LINES; i++)
		put_line((int)i, lines[i], i ? A_NORMAL : A_BOLD);
	refresh();
}

/* The detail pane from line y to the bottom - 1. */
static void draw_detail(struct top *t, const struct top_row *r, int y, int h)
{
	const struct top_detail *d = &t->det;
	char buf[1024], vf[512] = "?";
	int end = y + h, rows_h;
	size_t k;
	unsigned int x, nf;

	if (r->flags_known)
		vmflags_str(r->flags, vf, sizeof(vf));
	snprintf(buf, sizeof(buf), "%012" PRIx64 "-%012" PRIx64 " %s %s", r->start, r->end,
		 r->perms, top_row_name(r));
	put_line(y++, buf, A_REVERSE);
	snprintf(buf, sizeof(buf), "flags: %s  cache: %s  owner: %s", vf,
		 r->flags_known ? cache_mode(r->prot, 0) : "?", top_owner(t, r) ?: "?");
	put_line(y++, buf, A_NORMAL);
	if (r->mark & TOP_GONE) {
		put_line(y++, "unmapped in the last interval", A_DIM);
	} else if (top_detail_read(t, r)) {
		snprintf(buf, sizeof(buf), "frames: unavailable: %s",
			 d->why ? d->why : strerror(-d->err));
		put_line(y++, buf, A_NORMAL);
	} else {
		char br[24];

		snprintf(buf, sizeof(buf), "frames (%s): %s%" PRIu64 " present in %zu runs, %s"
			 " breaks in contiguity%s",
			 d->from_walk ? "page-table walk" : "pagemap",
			 d->truncated ? ">= " : "", d->present, d->n, breaks_str(d, br, sizeof(br)),
			 t->pfn_hidden ? " (PFNs hidden)" : "");
		put_line(y++, buf, A_NORMAL);
		/* the runs and the last faults share what is left, half each
		 * at most for the faults */
		nf = r->nlast < TOP_LAST ? r->nlast : TOP_LAST;
		if ((int)nf > (end - y) / 2 - 1)
			nf = (end - y) / 2 > 1 ? (unsigned int)((end - y) / 2 - 1) : 0;
		rows_h = end - y - (int)nf - 1;
		if (d->n > (size_t)(rows_h > 0 ? rows_h : 0))
			rows_h--;	/* a line to say how many more */
		for (k = 0; k < d->n && rows_h > 0; k++, rows_h--) {
			top_format_run(&d->runs[k], d->pfn_hidden, buf + 2, sizeof(buf) - 2);
			buf[0] = buf[1] = ' ';
			put_line(y++, buf, A_NORMAL);
		}
		if (k < d->n && y < end) {
			snprintf(buf, sizeof(buf), "  ... %zu more runs%s", d->n - k,
				 d->truncated ? ", and more not read" : "");
			put_line(y++, buf, A_DIM);
		}
	}
	if (y >= end)
		return;
	put_line(y++, r->nlast ? "last faults:" : "last faults: none", A_NORMAL);
	nf = (unsigned int)(end - y);	/* the newest that fit */
	x = r->nlast > TOP_LAST ? r->nlast - TOP_LAST : 0;
	if (r->nlast - x > nf)
		x = r->nlast - nf;
	for (; x < r->nlast && y < end; x++) {
		const struct top_fault *lf = &r->last[x % TOP_LAST];
		char pfn[32] = "-";

		if (lf->has_pfn)
			snprintf(pfn, sizeof(pfn), "%#" PRIx64, lf->pfn);
		else if (t->pfn_hidden)
			snprintf(pfn, sizeof(pfn), "hidden");
		snprintf(buf, sizeof(buf), "  %9.3f %012" PRIx64 " %-7s pfn %s", lf->t, lf->addr,
			 flt_result_names[lf->result < FLT_NR_RESULTS ? lf->result : 0], pfn);
		put_line(y++, buf, A_NORMAL);
	}
}

static attr_t row_attr(const struct top_row *r, bool selected)
{
	attr_t a = selected ? A_REVERSE : A_NORMAL;

	if (r->mark & TOP_GONE)
		a |= A_DIM;
	else if (r->mark & (TOP_NEW | TOP_CHANGED))
		a |= A_BOLD;
	return a;
}

/* Keep the selection on the same VMA when the order changes. */
static void reselect(struct top *t, struct view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (top_row_at(t, v->order[i])->start == v->sel_start &&
		    !(top_row_at(t, v->order[i])->mark & TOP_GONE))
			break;
	if (i < v->n)
		v->sel = i;
	else if (v->sel >= v->n)
		v->sel = v->n ? v->n - 1 : 0;
}

void top_view_draw(struct top *t)
{
	struct view *v = t->view;
	char buf[8192];
	int y, h, list_h, l, detail_h;
	size_t i;

	if (!v)
		return;
	if (v->help) {
		draw_help();
		return;
	}
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		snprintf(buf, sizeof(buf), "terminal too small (%dx%d): top needs %dx%d", COLS,
			 LINES, MIN_COLS, MIN_LINES);
		put_line(0, buf, A_BOLD);
		refresh();
		return;
	}
	for (l = 0; l < TOP_HEAD_LINES; l++) {
		top_format_head_line(t, (unsigned int)l, (unsigned int)COLS, buf, sizeof(buf));
		put_line(l, buf, l ? A_NORMAL : A_BOLD);
	}
	free(v->order);
	t->filter = v->flen ? v->filter : NULL;
	v->n = top_order(t, &v->order);
	reselect(t, v);
	top_format_header(t, (unsigned int)COLS, buf, sizeof(buf));
	y = TOP_HEAD_LINES + 1;
	put_line(y++, buf, A_REVERSE);
	h = LINES - y - 1;
	detail_h = v->detail && v->n ? h / 2 : 0;
	list_h = h - detail_h;
	if (v->sel < v->first)
		v->first = v->sel;
	if (v->sel >= v->first + (size_t)list_h)
		v->first = v->sel - (size_t)list_h + 1;
	for (i = v->first; i < v->n && y < TOP_HEAD_LINES + 2 + list_h; i++) {
		const struct top_row *r = top_row_at(t, v->order[i]);

		top_format_row(t, r, (unsigned int)COLS, buf, sizeof(buf));
		put_line(y++, buf, row_attr(r, i == v->sel));
	}
	if (!v->n)
		put_line(y, t->filter ? "no VMA matches the filter" : "no VMAs", A_DIM);
	if (detail_h)
		draw_detail(t, top_row_at(t, v->order[v->sel]), LINES - 1 - detail_h, detail_h);
	if (v->prompt)
		snprintf(buf, sizeof(buf), "filter: %s_", v->filter);
	else
		snprintf(buf, sizeof(buf), "q quit  arrows select  Enter detail  s sort: %s  "
			 "/ filter%s%s  p %s  ? help", top_sort_names[t->sort],
			 v->flen ? ": " : "", v->flen ? v->filter : "",
			 t->paused ? "resume" : "pause");
	put_line(LINES - 1, buf, A_REVERSE);
	refresh();
}

static void move_sel(struct top *t, struct view *v, long by)
{
	long s = (long)v->sel + by;

	if (s < 0 || !v->n)
		s = 0;
	else if ((size_t)s >= v->n)
		s = (long)v->n - 1;
	v->sel = (size_t)s;
	if (v->n)
		v->sel_start = top_row_at(t, v->order[v->sel])->start;
}

/* Returns true when the screen needs drawing again. */
static bool key(struct top *t, struct view *v, int ch)
{
	int page = LINES > 10 ? LINES - 8 : 1;

	if (v->help) {
		v->help = false;
		return true;
	}
	if (v->prompt) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == 27) {
			v->prompt = false;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && v->flen) {
			v->filter[--v->flen] = '\0';
		} else if (ch >= 32 && ch < 127 && v->flen + 1 < sizeof(v->filter)) {
			v->filter[v->flen++] = (char)ch;
			v->filter[v->flen] = '\0';
		}
		return true;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		t->s->stop = true;
		return false;
	case KEY_UP:
	case 'k':
		move_sel(t, v, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(t, v, 1);
		break;
	case KEY_PPAGE:
		move_sel(t, v, -page);
		break;
	case KEY_NPAGE:
	case ' ':
		move_sel(t, v, page);
		break;
	case KEY_HOME:
	case 'g':
		move_sel(t, v, -(long)v->n);
		break;
	case KEY_END:
	case 'G':
		move_sel(t, v, (long)v->n);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		v->detail = !v->detail;
		break;
	case 's':
		t->sort = (enum top_sort)((t->sort + 1) % SORT_NR);
		break;
	case '/':
		v->prompt = true;
		break;
	case 'p':
		t->paused = !t->paused;
		break;
	case '?':
	case 'h':
		v->help = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		return false;
	}
	return true;
}

void top_view_key(void *arg)
{
	struct top *t = arg;
	struct view *v = t->view;
	bool redraw = false;
	int ch;

	if (!v)
		return;
	/* the rows may have been joined since the last draw (a fault in a
	 * new VMA), and the removed ones dropped: order them again first */
	free(v->order);
	v->n = top_order(t, &v->order);
	reselect(t, v);
	while ((ch = getch()) != ERR)
		redraw |= key(t, v, ch);
	if (redraw && !t->s->stop)
		top_view_draw(t);
}
