#!/usr/bin/env bash
# Readers against a process that maps, mprotects and unmaps in 4 threads
# as fast as it can: no crash, no error but a clear "kept changing" one,
# every output self-consistent (sorted, disjoint, valid JSON).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

"$WL/mmcalls" churn 900 >"$TMP/churn.out" &	# killed at the end (slow VMs take long)
cpid=$!
PIDS+=("$cpid")
wait_for has "$TMP/churn.out" 'ready'

bad=0 runs=0 changed=0
for i in $(seq 15); do
	for cmd in "--json maps $cpid" "--json pfn --all $cpid" "--json walk $cpid 0x400000"; do
		# shellcheck disable=SC2086
		"$VMSCOPE" $cmd >"$TMP/o.json" 2>"$TMP/e.txt"
		st=$?
		runs=$((runs + 1))
		if [ "$st" -gt 1 ]; then
			echo "# $cmd: exit $st: $(head -c 300 "$TMP/e.txt")"; bad=$((bad + 1)); continue
		fi
		if [ "$st" -eq 1 ]; then
			if grep -q 'kept changing\|changed while' "$TMP/e.txt"; then
				changed=$((changed + 1)); continue
			fi
			echo "# $cmd: exit 1 without saying it changed: $(head -c 300 "$TMP/e.txt")"
			bad=$((bad + 1)); continue
		fi
		case $cmd in
		*maps*) q='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
			  [.[] | [(.start | hex), (.end | hex)]] as $v |
			  all(range(1; $v | length); $v[.][0] >= $v[. - 1][1]) and all($v[]; .[0] < .[1])' ;;
		*pfn*) q='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
			  [.[] | .vaddr | hex] as $a | all(range(1; $a | length); $a[.] > $a[. - 1])' ;;
		*) q='type == "object" or type == "array"' ;;
		esac
		if ! jq -e "$q" "$TMP/o.json" >/dev/null 2>&1; then
			echo "# $cmd: output not self-consistent: $(head -c 300 "$TMP/o.json")"
			bad=$((bad + 1))
		fi
	done
done
if [ "$bad" -eq 0 ]; then
	pass "$runs reads of a churning process: no crash, sorted disjoint output ($changed said it kept changing)"
else
	fail "$bad of $runs reads of a churning process failed"
fi
check "the churning process is still alive (readers never disturbed it)" kill -0 "$cpid"
