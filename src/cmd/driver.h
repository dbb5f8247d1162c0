/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmscope driver, shared by its parts: cmd_driver.c (options, set-up, the
 * session), driver_maps.c (events to mappings), driver_frames.c (frames,
 * vmalloc space and the checks on them; the checks themselves are in
 * driver_checks.c) and driver_report.c (output).
 */
#ifndef VMSCOPE_CMD_DRIVER_H
#define VMSCOPE_CMD_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "cmd/driver_checks.h"
#include "model/symbolize.h"
#include "output/json.h"
#include "procfs/kpage.h"
#include "session/session.h"
#include "tracers/bpf_ptwalk.h"
#include "tracers/bpf_vma.h"
#include "vmscope_abi.h"

#define MAX_PAGES	(1u << 20)	/* frames kept per mapping (4 GiB) */

#define NO_PAGE_REPEAT	8		/* same page refaulting without a frame */

/* Last time a frame was seen in a live mapping. */
struct frame_slot {
	uint64_t pfn;		/* + 1; 0: empty */
	uint32_t map;		/* index in drv.maps */
	uint64_t fpage;		/* file page (vm_pgoff + index) */
	const char *cache;
};

struct drv {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;
	enum mech fault_mode;
	struct session *s;		/* its tracers: s->mt, s->ft, s->dt */
	enum mech hmode[DH_NR];		/* each helper's mechanism */
	bool helpers_on;
	int vmemmap_state;		/* 0 unknown, 1 found, -1 unavailable */
	uint64_t vmemmap;
	uint32_t page_struct;
	/* helper calls made inside an mmap, before its event arrives */
	struct drv_event *hpend;
	size_t nhpend, caphpend;
	struct ptwalk *pw;
	char pw_why[200];
	struct kpage_reader kp;
	struct symbolizer *sym;
	struct dmap **maps;
	size_t nmaps, capmaps;
	struct vma_iter *it;	/* loaded once, attached per read */
	/* --dev */
	const char *dev_arg;
	bool dev_is_node;
	uint32_t dev_sdev, dev_rdev;
	uint64_t dev_ino;
	bool system_wide;
	/* frames of live mappings */
	struct frame_slot *frames;
	size_t capframes, nframes;
	uint64_t ended_frames;		/* in the table, of ended mappings */
	/* frames from faults, waiting for one kpageflags read per batch */
	struct { uint32_t map; uint64_t idx; } *pend;
	size_t npend, cappend;
	uint64_t faults, findings, by_check[CK_NR], lost_seen;
	/* the kernel's 4K mappings outside the direct map (vmalloc space),
	 * read once per batch when a VM_PFNMAP mapping has RAM frames */
	struct kleaf { uint64_t kaddr, pfn; } *kmap;	/* by address */
	struct kleaf *kmap_by_pfn;			/* the same, by frame */
	size_t nkmap, capkmap;
	bool kmap_valid;
	int kmap_err;
	uint64_t kmap_ns, kmap_len_ns;	/* the last walk: its end, its length */
	size_t vmalloc_unknown;		/* mappings that ended uncounted */
	bool vmalloc_any_due;
	bool refs_unavailable;
	char why[256];
};

/* One finding in m (at file offset when has_offset), counted and shown. */
void report_finding(struct drv *d, struct dmap *m, enum check ck,
		    uint64_t offset, bool has_offset, const char *detail);

/* A helper call as an object: alone (a fault's, after the mapping was
 * shown) or inside the mapping's. */
void json_helper(struct drv *d, const struct dmap *m, const struct drv_event *e,
		 bool alone);

/* A driver mapping as first seen (when: "mmap", "existing" ...). */
void report_mapping(struct drv *d, struct dmap *m, const char *when, uint64_t ts);

/* A mapping's end (why: "munmap", "exit", "end" ...), with its frames. */
void report_end(struct drv *d, struct dmap *m, const char *why);

/* The closing line or object: mappings, findings, checks not run. */
void driver_summary(struct drv *d, double secs, uint64_t lost);

/* Say how the helpers are seen: one line, at start. */
void driver_helpers_note(struct drv *d);

/* The slot of a frame in the table of live mappings' frames (add: make
 * one), or NULL. */
struct frame_slot *frame_slot(struct drv *d, uint64_t pfn, bool add);

/* The frame table again, from the live mappings only. */
void frames_rebuild(struct drv *d);

/* Were m's frames ever read (its page tables at mmap, or a fault's)?
 * If not, "no frame" is not data: the process went first. */
bool frames_known(const struct dmap *m);

/* Reference counts of the pages of m in [lo, hi) that have them. */
void read_refs(struct drv *d, struct dmap *m, uint64_t lo, uint64_t hi);

/* The checks on the frames [lo, hi) of mapping mi, as they arrive. */
void frame_checks(struct drv *d, uint32_t mi, uint64_t lo, uint64_t hi);

/* The vmalloc_remap check of the mappings that got RAM frames. */
void vmalloc_checks(struct drv *d);

/* How many of m's RAM frames the kernel maps in its vmalloc space
 * (vmalloc'd buffers), or -1 when unknown. */
int64_t vmalloc_pages(struct drv *d, const struct dmap *m);

/* m ended at ts (an event's time; 0: vmscope stops, m is still mapped).
 * A count of its vmalloc'd frames is data only from a kernel walk that
 * ended before it did: the buffers may be freed with the mapping (a BPF
 * array is, at exit), and a walk after that finds none. */
void vmalloc_final(struct drv *d, struct dmap *m, uint64_t ts);

/* m ended at ts (0: vmscope stops): its report, its frames let go. */
void end_mapping(struct drv *d, struct dmap *m, const char *why, uint64_t ts);

/* The session's handlers: a VMA change, a helper call, a fault. */
int driver_on_mm(const struct mm_event *ev, void *arg);
/* A helper call: inside an mmap (its mapping is not known yet: kept for
 * it), or later, from a fault handler, in a mapping we know. */
int driver_on_helper(const struct drv_event *ep, void *arg);
int driver_on_fault(const struct flt_event *ep, void *arg);

/* Page flags of the frames faults installed since the last batch, then
 * the checks on them. */
void driver_flush_pending(struct drv *d);

/* -p PID: the driver mappings it has now. */
void driver_existing(struct drv *d, pid_t pid);

#endif
