#!/usr/bin/env bash
# The layers of docs/ARCHITECTURE.md, as the includes show them: each file
# of src/<layer>/ includes only the layers beneath it (TAP).
set -u
cd "${VMSCOPE_SRC:-.}" || exit 1
declare -A may=(
	[decode]="decode"
	[output]="output"
	[procfs]="procfs"
	[tracers]="tracers procfs decode"
	[model]="model tracers procfs decode"
	[session]="session tracers"
	[cmd]="cmd session tracers model procfs decode output"
)
n=0 bad=0
check() {	# check OK TEXT
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=$((bad + 1)); fi
}
for layer in decode output procfs tracers model session cmd; do
	out=""
	for f in src/"$layer"/*.[ch]; do
		while IFS= read -r inc; do
			case $inc in
			util.h|vmscope_abi.h) continue ;;
			cli.h) [ "$layer" = session ] || [ "$layer" = cmd ] && continue ;;
			*.skel.h) [ "$layer" = tracers ] && continue ;;
			*/*) case " ${may[$layer]} " in *" ${inc%%/*} "*) continue ;; esac ;;
			esac
			out+="$f includes \"$inc\"; "
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	check "$([ -z "$out" ]; echo $?)" "src/$layer/ includes only ${may[$layer]// /, } (and util.h)"
	[ -z "$out" ] || echo "#   $out"
done
# every source file sits in a layer's folder (or is main.c, cli.c, util.c)
stray=$(ls src/*.c src/*.h | grep -vE '^src/(main|cli|util)\.[ch]$' | tr '\n' ' ')
check "$([ -z "$stray" ]; echo $?)" "every source file of src/ is in a layer's folder${stray:+: $stray}"
echo "1..$n"
[ "$bad" -eq 0 ]
