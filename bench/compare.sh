#!/usr/bin/env bash
# Two builds of vmscope side by side in one run: the same workloads, the
# same configurations, rounds alternating base / new, so the machine's
# drift falls on both. For refactors that must cost nothing.
#   compare.sh BASE_BUILD NEW_BUILD     (`make bench-compare BASE=REV`)
# COMPARE_RUNS (5) rounds; COMPARE_PAIRS (1000000) mmap/munmap pairs;
# COMPARE_FAULT_MB (1024) MiB touched twice; COMPARE_ONLY="f_json f_sum"
# some of t_text t_json f_json f_sum.
set -u
cd "$(dirname "$0")/.." || exit 1
OLD=$1 NEW=$2
RUNS=${COMPARE_RUNS:-5}
N=${COMPARE_PAIRS:-1000000}
FMB=${COMPARE_FAULT_MB:-1024}
KINDS=${COMPARE_ONLY:-t_text t_json f_json f_sum}
MM=$NEW/workloads/mmcalls
F=$NEW/workloads/faulter
TMP=$(mktemp -d /tmp/vmscope-compare.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for b in "$OLD" "$NEW"; do
	[ -x "$b/vmscope" ] || { echo "compare: no $b/vmscope"; exit 1; }
done

# the "wall S" a workload prints of its own work
wall() { "$@" 2>/dev/null | awk '/^wall/ { print $2 }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
declare -A T
keep() { T[$1]+="$2 "; }
med() { echo "${T[$1]}" | tr ' ' '\n' | grep . | median; }
# paired: the median over rounds of A's run over B's run of that round
paired() {
	paste -d' ' <(echo "${T[$1]}" | tr ' ' '\n' | grep .) \
		<(echo "${T[$2]}" | tr ' ' '\n' | grep .) |
		awk '$1 > 0 && $2 > 0 { printf "%.3f\n", $1 / $2 }' | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }'; }

run() {	# run KIND BUILD: one configuration, its workload's wall time
	local v=$2/vmscope
	case $1 in
	t_base) wall "$MM" loop "$N" ;;
	t_text) wall "$v" trace -o "$TMP/t" -- "$MM" loop "$N" ;;
	t_json) wall "$v" --json trace -o "$TMP/t" -- "$MM" loop "$N" ;;
	f_base) wall "$F" twice "$FMB" ;;
	f_json) wall "$v" --json faults -o "$TMP/f" -- "$F" twice "$FMB" ;;
	f_sum) wall "$v" --json faults --summary -o "$TMP/f" -- "$F" twice "$FMB" ;;
	esac
}
ready() {	# ready BUILD CMD: "ready in N ms" of one start
	"$1/vmscope" "$2" -o /dev/null -- true 2>&1 | sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p'
}

echo "== compare: base $OLD, new $NEW; $RUNS rounds, $N pairs, $FMB MiB twice"
for r in $(seq "$RUNS"); do
	for k in $KINDS; do
		base=${k%%_*}_base
		keep "$base" "$(run "$base" "$NEW")"
		# the order of the two builds alternates from round to round
		if [ $((r % 2)) -eq 1 ]; then
			keep "old_$k" "$(run "$k" "$OLD")"; keep "new_$k" "$(run "$k" "$NEW")"
		else
			keep "new_$k" "$(run "$k" "$NEW")"; keep "old_$k" "$(run "$k" "$OLD")"
		fi
	done
	for c in trace faults; do
		keep "old_ready_$c" "$(ready "$OLD" "$c")"
		keep "new_ready_$c" "$(ready "$NEW" "$c")"
	done
done
printf '  %-28s %10s %10s %10s %10s\n' "" "base x" "new x" "new/base" "paired"
for k in $KINDS; do
	base=${k%%_*}_base
	case $k in
	t_text) name="trace -o FILE" ;; t_json) name="--json trace -o FILE" ;;
	f_json) name="--json faults -o FILE" ;; f_sum) name="faults --summary" ;;
	esac
	printf '  %-28s %10s %10s %10s %10s\n' "$name" \
		"$(ratio "$(med "old_$k")" "$(med "$base")")" \
		"$(ratio "$(med "new_$k")" "$(med "$base")")" \
		"$(ratio "$(med "new_$k")" "$(med "old_$k")")" "$(paired "new_$k" "old_$k")"
done
for c in trace faults; do
	printf '  %-28s %8s ms %8s ms %10s\n' "ready ($c, median)" "$(med "old_ready_$c")" \
		"$(med "new_ready_$c")" "$(ratio "$(med "new_ready_$c")" "$(med "old_ready_$c")")"
done
echo "  (x: the workload's own time over its untraced run; new/base: medians;"
echo "   paired: median of new over base in the same round; 1.00 = no change)"
