#!/usr/bin/env bash
# What each of vmscope's BPF programs costs per run, from the kernel's own
# accounting (kernel.bpf_stats_enabled, set for the run and restored): the
# part of trace's and faults' overhead spent in the traced process's
# context. Part of `make bench`. (The accounting itself adds two clock
# reads per run.) bench/bpfcost.sh [BUILD-DIR [trace|faults]]
set -u
OUT=${1:-build}
ONLY=${2:-}
cd "$(dirname "$0")/.." || exit 1
V=$OUT/vmscope
W=$OUT/workloads
old=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || {
	echo "== BPF cost per run: kernel.bpf_stats_enabled missing"
	exit 0
}
trap 'sysctl -q kernel.bpf_stats_enabled="$old"' EXIT
sysctl -q kernel.bpf_stats_enabled=1

# cost NAME-REGEX: "name: runs, ns each" of the loaded programs matching
cost() {
	bpftool -j prog show 2>/dev/null | jq -r --arg re "$1" '.[] |
	  select((.name // "") | test($re)) | select(.run_cnt > 1000) |
	  "    \(.name): \(.run_cnt) runs, \(.run_time_ns / .run_cnt | floor) ns each"'
}

# run_while CMD...: start vmscope (CMD), wait for the workload named by
# $WL_NAME to end, read the counters while vmscope still holds them
run_while() {
	"$@" >/dev/null 2>&1 &
	local vp=$! i
	for i in $(seq 200); do pgrep -f "$WL_NAME" >/dev/null && break; sleep 0.05; done
	for i in $(seq 600); do pgrep -f "$WL_NAME" >/dev/null || break; sleep 0.05; done
	cost "$PROGS"
	wait "$vp"
}

echo "== BPF cost per run (kernel accounting)"
[ "$ONLY" = faults ] || {
echo "  vmscope trace, 300,000 mmap/munmap pairs (each call: enter + exit):"
WL_NAME="mmcalls loop 300000" PROGS='^on_sys_' run_while \
	"$V" trace -f -o /dev/null -- sh -c 'sleep 0.3; "$0" loop 300000; sleep 1' "$W/mmcalls"
}
[ "$ONLY" = trace ] && exit 0
for mode in "" --summary; do
	echo "  vmscope faults ${mode:-(streaming)}, 512 MiB touched twice:"
	WL_NAME="faulter twice 512" PROGS='^pf_|^on_sig' run_while \
		"$V" --json faults -f $mode -o /dev/null -- sh -c 'sleep 0.3; "$0" twice 512; sleep 1' \
		"$W/faulter"
done
