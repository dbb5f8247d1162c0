/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring buffer and traced set every tracer of a session shares.
 *
 * One ring carries the records of every BPF object that includes
 * bpf/mm_common.bpf.h (mmap, exec_vmas, mmap_region, fault, driver), so
 * their records arrive in the order the kernel wrote them and one epoll
 * fd wakes the session. Each tracer shares the two maps into its object
 * before loading it (trace_ring_share) and registers a decoder for the
 * record types it writes (trace_ring_on); the ring hands each record to
 * its type's decoder and nothing else.
 */
#ifndef VMSCOPE_TRACERS_RING_H
#define VMSCOPE_TRACERS_RING_H

#include <stddef.h>
#include <sys/types.h>

struct bpf_map;
struct trace_ring;

/* A decoder for one record type: raw bytes as BPF wrote them. Return <0
 * to stop the consume in progress (nothing else stops polling). */
typedef int (*ring_record_fn)(const void *data, size_t size, void *arg);

/* Record types are small numbers (include/vmscope_abi.h) */
#define RING_TYPES 32

/* ring_bytes: a power of two >= 4096. */
int trace_ring_new(struct trace_ring **r, size_t ring_bytes);
/* Make an object about to load write into this ring and follow this
 * traced set (its maps named events and traced). */
int trace_ring_share(const struct trace_ring *r, struct bpf_map *events,
		     struct bpf_map *traced);
/* Records of type go to fn; a type nobody registered is skipped. */
int trace_ring_on(struct trace_ring *r, unsigned int type, ring_record_fn fn, void *arg);
/* Trace this process (its tgid): every object filters on the set. */
int trace_ring_add(struct trace_ring *r, pid_t pid);
/* The fd to wait on; records may also arrive without a wake-up
 * (batched), so consume on a short timeout too. */
int trace_ring_fd(const struct trace_ring *r);
/* Hand every record written so far to its decoder: how many, or -errno. */
int trace_ring_consume(struct trace_ring *r);
void trace_ring_free(struct trace_ring *r);

#endif
