// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_mmap.h"
#include "mmcalls.h"
#include "records.h"
#include "exec_vmas.skel.h"
#include "mmap.skel.h"

struct mmtrace {
	struct mmap_bpf *skel;
	struct exec_vmas_bpf *exec;	/* NULL before 6.7 */
	struct ring_buffer *rb;
	mmtrace_cb cb;
	void *arg;
	mmtrace_raw_cb other;	/* records of objects sharing the ring */
	void *other_arg;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct mmtrace *t = ctx;
	struct mm_event ev;

	if (record_type(data, size) >= MM_EV_FOREIGN)
		return t->other && t->other(data, size, t->other_arg) < 0 ? -ECANCELED : 0;
	if (!mm_record_decode(data, size, &ev))
		return 0;	/* malformed: ignore, never stop polling */
	return t->cb(&ev, t->arg) < 0 ? -ECANCELED : 0;
}

static int open_exec_vmas(struct mmtrace *t, const struct mmtrace_opts *o)
{
	struct exec_vmas_bpf *e = exec_vmas_bpf__open();
	int err;

	if (!e)
		return -errno;
	MMTRACE_SET_FILTER(e->rodata, o);
	err = bpf_map__reuse_fd(e->maps.events, bpf_map__fd(t->skel->maps.events));
	if (!err)
		err = bpf_map__reuse_fd(e->maps.traced, bpf_map__fd(t->skel->maps.traced));
	if (!err)
		err = exec_vmas_bpf__load(e);
	if (!err)
		err = exec_vmas_bpf__attach(e);
	if (err) {
		exec_vmas_bpf__destroy(e);
		return err;
	}
	t->exec = e;
	return 0;
}

int mmtrace_open(struct mmtrace **tp, const struct mmtrace_opts *o,
		 mmtrace_cb cb, void *arg, char *why, size_t whylen)
{
	struct mmtrace *t;
	int err;

	*tp = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cb = cb;
	t->arg = arg;
	t->skel = mmap_bpf__open();
	if (!t->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the mmap tracer: %s", strerror(-err));
		goto fail;
	}
	MMTRACE_SET_FILTER(t->skel->rodata, o);
	bpf_map__set_max_entries(t->skel->maps.events, o->ring_bytes);
	err = mmap_bpf__load(t->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the mmap tracer: %s", strerror(-err));
		goto fail;
	}
	err = mmap_bpf__attach(t->skel);
	if (err) {
		snprintf(why, whylen, "cannot attach to the raw syscall tracepoints: %s",
			 strerror(-err));
		goto fail;
	}
	/* optional: older kernels get a snapshot from user space instead */
	open_exec_vmas(t, o);
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_record, t, NULL);
	if (!t->rb) {
		err = -errno;
		snprintf(why, whylen, "cannot map the ring buffer: %s", strerror(-err));
		goto fail;
	}
	*tp = t;
	return 0;
fail:
	mmtrace_close(t);
	return err;
}

int mmtrace_add(struct mmtrace *t, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.traced), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

void mmtrace_set_other(struct mmtrace *t, mmtrace_raw_cb cb, void *arg)
{
	t->other = cb;
	t->other_arg = arg;
}

int mmtrace_events_fd(const struct mmtrace *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

int mmtrace_traced_fd(const struct mmtrace *t)
{
	return bpf_map__fd(t->skel->maps.traced);
}

int mmtrace_fd(const struct mmtrace *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int mmtrace_consume(struct mmtrace *t)
{
	int n = ring_buffer__consume(t->rb);

	return n == -ECANCELED ? 0 : n;
}

uint64_t mmtrace_lost(const struct mmtrace *t)
{
	return t->skel->bss->lost + (t->exec ? t->exec->bss->lost : 0);
}

bool mmtrace_has_exec_vmas(const struct mmtrace *t)
{
	return t->exec != NULL;
}

void mmtrace_close(struct mmtrace *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	exec_vmas_bpf__destroy(t->exec);
	mmap_bpf__destroy(t->skel);
	free(t);
}

void mmtrace_at_exec(void *t)
{
	mmtrace_consume(t);
}
