// SPDX-License-Identifier: GPL-2.0
/*
 * The least any per-event BPF costs here: one per-CPU counter bump per
 * event, on the attach points vmscope uses in tracepoint mode (tp_btf).
 * bench/run.sh runs workloads under it beside vmscope: the difference is
 * what vmscope's own programs add.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int bump(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		*v += 1;
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(fault)
{
	return bump();
}

SEC("tp_btf/sys_enter")
int BPF_PROG(enter)
{
	return bump();
}

SEC("tp_btf/sys_exit")
int BPF_PROG(leave)
{
	return bump();
}
