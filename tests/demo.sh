#!/usr/bin/env bash
# `make run`: start the bundled demo workload and show vmscope on it.
set -u
OUT=${1:-build}
V=$OUT/vmscope
cd "$(dirname "$0")/.." || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "vmscope demo: needs root (BPF, pagemap PFNs); try: sudo make run" >&2
	exit 3
fi
out=$(mktemp)
"$OUT/workloads/demo" >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" /tmp/vmscope-demo.dat' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$out" && break; sleep 0.05; done
reg() { awk -v n="$1" '$1 == n { print $2 "-" $3 }' "$out"; }

run() {
	printf '\n$ %s\n' "vmscope $*"
	"$V" "$@"
}
echo "demo workload: pid $pid (anonymous, file, shared, THP and a perf ring buffer)"
run feature
run maps "$pid"
run pfn "$pid" "$(reg anon | sed 's/-.*//')+64K"
run pfn "$pid" "$(reg thp)"
ring=$(reg perf_ring)
[ -n "$ring" ] && run pfn "$pid" "$ring"
run --json pfn "$pid" "$(reg shared | sed 's/-.*//')+8K"
run walk "$pid" "$(reg anon | sed 's/-.*//')"
[ -n "$ring" ] && run walk "$pid" "${ring%-*}"
run top -b -n 3 -d 0.5 -p "$pid"
printf '\n$ %s\n' "vmscope trace -- $OUT/workloads/mmcalls fork   (first 24 lines)"
"$V" trace -f -- "$OUT/workloads/mmcalls" fork 2>&1 | head -24
printf '\n$ %s\n' "vmscope faults -- $OUT/workloads/faulter count 1   (first 12 lines)"
"$V" faults -- "$OUT/workloads/faulter" count 1 2>&1 | head -12
run faults --summary -- "$OUT/workloads/faulter" outcomes "$OUT"
# driver mmaps: the perf ring (remapped at mmap) and a KVM vcpu mapped one
# page longer than the kernel serves (the past_end finding)
kinds="perf bpfmap"
[ -e /dev/kvm ] && kinds="$kinds kvm-past"
printf '\n$ %s\n' "vmscope driver -- $OUT/workloads/drivers $kinds"
# shellcheck disable=SC2086
DRIVERS_HOLD_MS=100 "$V" driver -- "$OUT/workloads/drivers" $kinds 2>&1 | grep -v '^map \|^kvm_size\|^sigbus \|^touched'
