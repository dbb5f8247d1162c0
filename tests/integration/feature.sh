#!/usr/bin/env bash
# vmscope feature: the per-hook choice follows fentry -> kprobe -> tracepoint,
# matches what this kernel offers, and --mode forces (or refuses) a choice.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
# the checks below force modes themselves: use the binary as it is
forced=${VMSCOPE_TEST_MODE:-auto}
VMSCOPE=$VMSCOPE_PLAIN

expect_status "feature --json exits 0" 0 "$VMSCOPE" --json feature
cp "$TMP/stdout" "$TMP/f.json"
check "feature --json is one valid document" jq -e '.hooks | length > 10' "$TMP/f.json"
check "every function hook takes the best mechanism that attached" \
	jq -e '[.hooks[] | select(.type == "function") |
		(if .fentry.available then "fentry" elif .kprobe.available then "kprobe"
		 elif .tracepoint.available then "tracepoint" else null end) == .mode] | all' "$TMP/f.json"
for h in do_mmap mmap_region vma_set_page_prot handle_mm_fault remap_pfn_range vm_insert_page vm_insert_pages \
	vmf_insert_pfn vmf_insert_mixed remap_vmalloc_range io_remap_pfn_range; do
	check "hook $h is reported" jq -e --arg h "$h" 'any(.hooks[]; .hook == $h)' "$TMP/f.json"
done

# Independent oracle for kprobes: the kprobe PMU exists iff CONFIG_KPROBES.
if [ -e /sys/bus/event_source/devices/kprobe/type ]; then
	check "kprobe PMU present: handle_mm_fault can use fentry or kprobe" \
		jq -e 'any(.hooks[]; .hook == "handle_mm_fault" and (.mode == "fentry" or .mode == "kprobe"))' "$TMP/f.json"
else
	check "no kprobe PMU: kprobe reported unavailable with the reason" \
		jq -e 'all(.hooks[] | select(.type == "function"); (.kprobe.available | not) and (.kprobe.error | test("CONFIG_KPROBES")))' "$TMP/f.json"
fi
# the per-hook fallback on the kernels of the VM matrix (KERNELS.md): 6.1
# trampolines take at most 6 arguments, do_mmap has 9
mode_of() { jq -r --arg h "$1" '.hooks[] | select(.hook == $h) | .mode' "$TMP/f.json"; }
case "$(uname -r)" in
6.1.*-cloud-amd64)
	check "6.1: do_mmap falls back to kprobe, handle_mm_fault and mmap_region keep fentry" \
		test "$(mode_of do_mmap) $(mode_of handle_mm_fault) $(mode_of mmap_region)" = "kprobe fentry fentry" ;;
6.12.*-cloud-amd64)
	check "6.12: do_mmap, handle_mm_fault and mmap_region all take fentry" \
		test "$(mode_of do_mmap) $(mode_of handle_mm_fault) $(mode_of mmap_region)" = "fentry fentry fentry" ;;
esac
check "tracepoints used for fallback attach here (raw_syscalls, exceptions)" \
	jq -e 'all(.hooks[] | select(.hook == "sys_enter" or .hook == "page_fault_user"); .mode == "tracepoint")' "$TMP/f.json"
check "features: iterator, walk, paging levels from cpuinfo" \
	jq -e --argjson l "$(grep -qw la57 /proc/cpuinfo && echo 5 || echo 4)" \
	'.features.bpf_iter_task_vma.available and .features.page_table_walk.available and .features.paging_levels == $l' "$TMP/f.json"
check "features: kpageflags readable as root" jq -e '.features.kpageflags.available' "$TMP/f.json"

# forced modes
if jq -e 'any(.hooks[] | select(.type == "function" and (.fentry.error // "" | test("not a function") | not));
	.fentry.available | not)' "$TMP/f.json" >/dev/null; then
	expect_status "--mode=fentry where fentry cannot attach: exit 3" 3 "$VMSCOPE" --mode=fentry feature
	check "--mode=fentry: the error says why" grep -q -- "--mode=fentry unavailable" "$TMP/stderr"
else
	expect_status "--mode=fentry where fentry works: exit 0" 0 "$VMSCOPE" --mode=fentry feature
fi
expect_status "--mode=tracepoint: exit 0" 0 "$VMSCOPE" --json --mode=tracepoint feature
check "--mode=tracepoint: do_mmap uses its tracepoint" \
	jq -e 'any(.hooks[]; .hook == "do_mmap" and .mode == "tracepoint")' "$TMP/stdout"
expect_status "--mode=bogus: usage error 2" 2 "$VMSCOPE" --mode=bogus feature
"$VMSCOPE" feature >"$TMP/plain"
check "human output fits 80 columns" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMP/plain")" -le 80

# the VM matrix runs this once per mode: a forced mode is taken by every
# hook this kernel has (not io_remap_pfn_range, a macro on x86), or
# refused with exit 3 saying why
case $forced in
fentry|kprobe)
	"$VMSCOPE" --json --mode="$forced" feature >"$TMP/forced.json" 2>"$TMP/forced.err"
	st=$?
	if [ "$st" -eq 0 ]; then
		check "--mode=$forced: exit 0, and every function hook this kernel has uses it" \
			jq -e --arg m "$forced" --slurpfile f "$TMP/f.json" '
			  [$f[0].hooks[] | select(.type == "function" and
			    (.fentry.error // "" | test("not a function"))) | .hook] as $absent |
			  all(.hooks[] | select(.type == "function" and (.hook | IN($absent[]) | not)); .mode == $m)' \
			"$TMP/forced.json"
	else
		check "--mode=$forced refused: exit 3, naming the mode" \
			sh -c "test $st -eq 3 && grep -q -- '--mode=$forced unavailable' '$TMP/forced.err'"
	fi
	# what the matrix kernels are known to do (KERNELS.md)
	case "$forced $(uname -r)" in
	"fentry 6.1."*-cloud-amd64) want=3 ;;	# do_mmap: 9 arguments
	*" 6.1."*-cloud-amd64 | *" 6.12."*-cloud-amd64) want=0 ;;
	*) want= ;;
	esac
	[ -z "$want" ] || check "--mode=$forced on $(uname -r): exit $want" test "$st" -eq "$want" ;;
esac
