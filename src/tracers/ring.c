// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/records.h"
#include "tracers/ring.h"

struct trace_ring {
	int events_fd, traced_fd;
	struct ring_buffer *rb;
	struct {
		ring_record_fn fn;
		void *arg;
	} on[RING_TYPES];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace_ring *r = ctx;
	unsigned int type = record_type(data, size);

	if (type >= RING_TYPES || !r->on[type].fn)
		return 0;	/* unknown or malformed: never stop polling */
	return r->on[type].fn(data, size, r->on[type].arg) < 0 ? -ECANCELED : 0;
}

/*
 * The maps are made here, before any object loads, rather than by the
 * first object's load: the objects that share them can then load at the
 * same time (trace's exec_vmas loads on a second thread). Their shape is
 * bpf/mm_common.bpf.h's; libbpf takes size and limits from the fd.
 */
int trace_ring_new(struct trace_ring **rp, size_t ring_bytes)
{
	struct trace_ring *r = calloc(1, sizeof(*r));
	int err;

	*rp = NULL;
	if (!r)
		return -ENOMEM;
	r->traced_fd = -1;
	r->events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0,
				      (__u32)ring_bytes, NULL);
	if (r->events_fd < 0)
		goto fail;
	r->traced_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "traced", sizeof(__u32),
				      sizeof(__u8), VMS_TRACED_MAX, NULL);
	if (r->traced_fd < 0)
		goto fail;
	r->rb = ring_buffer__new(r->events_fd, on_record, r, NULL);
	if (!r->rb)
		goto fail;
	*rp = r;
	return 0;
fail:
	err = -errno;
	trace_ring_free(r);
	return err;
}

int trace_ring_share(const struct trace_ring *r, struct bpf_map *events,
		     struct bpf_map *traced)
{
	int err = bpf_map__reuse_fd(events, r->events_fd);

	return err ? err : bpf_map__reuse_fd(traced, r->traced_fd);
}

int trace_ring_on(struct trace_ring *r, unsigned int type, ring_record_fn fn, void *arg)
{
	if (type >= RING_TYPES)
		return -EINVAL;
	r->on[type].fn = fn;
	r->on[type].arg = arg;
	return 0;
}

int trace_ring_add(struct trace_ring *r, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;

	return bpf_map_update_elem(r->traced_fd, &key, &one, BPF_ANY) ? -errno : 0;
}

int trace_ring_fd(const struct trace_ring *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

int trace_ring_consume(struct trace_ring *r)
{
	int n = ring_buffer__consume(r->rb);

	return n == -ECANCELED ? 0 : n;
}

void trace_ring_free(struct trace_ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	if (r->events_fd >= 0)
		close(r->events_fd);
	if (r->traced_fd >= 0)
		close(r->traced_fd);
	free(r);
}
