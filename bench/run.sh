#!/usr/bin/env bash
# vmscope benchmarks: ratios measured side by side in one run (never
# absolute thresholds: these machines are noisy). `make bench`.
# BENCH_ONLY="trace faults" runs only those parts (pfn maps trace faults top).
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.." || exit 1
V=$OUT/vmscope
W=$OUT/workloads
B=$OUT/bench
mkdir -p "$B"
cc -O2 -o "$B/pagemap_floor" bench/pagemap_floor.c || exit 1
PIDS=()
# bpftrace and perf trace find tracepoints through tracefs (vmscope does
# not need it): mounted for the run where it is not, unmounted after
TRACEFS=
if [ "$(id -u)" -eq 0 ] && ! grep -q '^tracefs /sys/kernel/tracing ' /proc/mounts &&
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
	TRACEFS=/sys/kernel/tracing
	echo "bench: mounted tracefs on $TRACEFS for bpftrace and perf trace (unmounted at the end)"
fi
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done
      [ -z "$TRACEFS" ] || umount "$TRACEFS"' EXIT

# best of N wall-clock seconds of a command (stdout discarded)
best() {
	local n=$1 b=999 t
	shift
	for _ in $(seq "$n"); do
		t=$(python3 -c "import time,subprocess,sys; s=time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(f'{time.perf_counter()-s:.4f}')" "$@")
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# keep NAME SECONDS: one run's time; best_of / median_of NAME. These VMs'
# speed swings 2x between runs, so ratios are given of both.
declare -A RUNS
keep() { RUNS[$1]+="$2 "; }
runs_of() { echo "${RUNS[$1]}" | tr ' ' '\n' | grep .; }
best_of() { runs_of "$1" | sort -g | head -1; }
# median: of the numbers on stdin, one a line (nothing for none)
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
median_of() { runs_of "$1" | median; }
# paired_of NAME BASE: the median of NAME's run over BASE's run of the same
# round (alternate() runs them back to back): slow drift of the machine's
# speed, which moves best and median, cancels
paired_of() {
	paste -d' ' <(runs_of "$1") <(runs_of "$2") |
		awk '$1 > 0 && $2 > 0 { printf "%.2f\n", $1 / $2 }' | median
}
# ratios NAME BASE: best, median and paired ratios, in the columns
# ratio_head names
ratios() {
	printf '%6sx %6sx %6sx' "$(ratio "$(best_of "$1")" "$(best_of "$2")")" \
		"$(ratio "$(median_of "$1")" "$(median_of "$2")")" "$(paired_of "$1" "$2")"
}
ratio_head() { printf '  %-39s%7s %7s %7s\n' "$1" best median paired; }

# wall CMD...: the "wall S" a workload prints of its own work
wall() { "$@" 2>/dev/null | awk '/^wall/ { print $2 }'; }

# bpftrace_vs WHAT BASE_SECONDS SCRIPT COMMAND: bpftrace running SCRIPT on
# COMMAND (its own wall time), as a ratio to BASE_SECONDS, or why it
# cannot run
bpftrace_vs() {
	local bt
	if ! command -v bpftrace >/dev/null; then
		echo "  bpftrace: not installed"
		return
	fi
	bt=$(wall bpftrace -o "$B/bt.txt" -e "$3" -c "$4")
	if [ -z "$bt" ]; then
		echo "  bpftrace $1: failed ($(bpftrace -e "$3" -c /bin/true 2>&1 | grep -m1 ERROR))"
		return
	fi
	echo "  bpftrace $1: ${bt}s = $(ratio "$bt" "$2")x"
}

# FL=fl: one counter per event (bench/floor.bpf.c), the floor of what any
# per-event BPF costs, joins the alternating runs; BT=bt: bpftrace's count
FL= BT=
if [ -x "$B/floor" ] && [ -f "$B/floor.bpf.o" ]; then FL=fl; else
	echo "bench: $B/floor not built (make bench builds it): no per-event floors"
fi
if ! command -v bpftrace >/dev/null; then
	echo "bench: bpftrace not installed: not compared (apt-get install bpftrace)"
elif ! bpftrace -e 'tracepoint:exceptions:page_fault_user { @ = count(); }' -c /bin/true >/dev/null 2>&1; then
	echo "bench: bpftrace cannot attach here, not compared: $(bpftrace -e \
		'tracepoint:exceptions:page_fault_user { @ = count(); }' -c /bin/true 2>&1 | grep -m1 ERROR)"
else
	BT=bt
fi

start() {
	local f=$B/wl.$$.out
	"$W/bigmap" "$@" >"$f" &
	PIDS+=($!)
	WPID=$!
	for _ in $(seq 600); do grep -q ready "$f" && break; sleep 0.1; done
	read -r WSTART WEND <"$f"
}

bench_pfn() {
	echo "== pfn over 2 GiB of populated anonymous memory (4K pages)"
	start anon 2048
	floor=$(best 5 "$B/pagemap_floor" "$WPID" "${WSTART#0x}" "${WEND#0x}")
	kfloor=$(best 5 "$B/pagemap_floor" -k "$WPID" "${WSTART#0x}" "${WEND#0x}")
	ffloor=$(best 5 "$B/pagemap_floor" -f "$WPID" "${WSTART#0x}" "${WEND#0x}")
	runs=$(best 5 "$V" pfn "$WPID" "$WSTART-$WEND")
	json=$(best 3 "$V" --json pfn "$WPID" "$WSTART-$WEND")
	echo "  bare 8 MiB-chunk pagemap read (floor): ${floor}s"
	echo "  the same + bare kpageflags/kpagecount reads of its PFNs, sorted,"
	echo "    one pread per adjacent run (the kernel's cost of the data):"
	echo "                                         ${kfloor}s  = $(ratio "$kfloor" "$floor")x floor"
	echo "    the same with kpageflags only:       ${ffloor}s  = $(ratio "$ffloor" "$floor")x floor"
	echo "  vmscope pfn (runs, human):             ${runs}s  = $(ratio "$runs" "$floor")x floor (target <= 3x), $(ratio "$runs" "$kfloor")x the kernel's"
	echo "  vmscope --json pfn:                    ${json}s  = $(ratio "$json" "$floor")x floor"
	kill "$WPID"

	echo "== pfn over a sparse 1 TiB mapping with 1 GiB touched (512 pieces)"
	start sparse 1024 1024
	sparse=$(best 3 "$V" pfn "$WPID" "$WSTART-$WEND")
	sfloor=$(best 1 "$B/pagemap_floor" "$WPID" "${WSTART#0x}" "${WEND#0x}")
	echo "  vmscope pfn:                           ${sparse}s (target < 0.3s)"
	echo "  bare pagemap read of the whole range:  ${sfloor}s  = $(ratio "$sfloor" "$sparse")x slower than vmscope"
	rss=$( { /usr/bin/time -f %M "$V" pfn "$WPID" "$WSTART-$WEND" >/dev/null; } 2>&1 | tail -1)
	echo "  vmscope peak RSS on 1 TiB:             ${rss} KiB (bounded: streamed)"
	kill "$WPID"
}

bench_maps() {
	echo "== maps of a process with 20,000 VMAs"
	start vmas 20000
	n=$(wc -l <"/proc/$WPID/maps")
	m=$(best 5 "$V" maps "$WPID")
	if command -v pmap >/dev/null; then
		p=$(best 5 pmap -X "$WPID")
		echo "  $n VMAs: vmscope maps ${m}s, pmap -X ${p}s = vmscope $(ratio "$p" "$m")x faster (target > 1x)"
	else
		echo "  $n VMAs: vmscope maps ${m}s (pmap missing: install procps)"
	fi
	kill "$WPID"
}

# one configuration of each alternating part; wall keeps its "wall S"
run_t() {
	case $1 in
	base) "$MM" loop "$N" ;;
	fl) "$B/floor" "$B/floor.bpf.o" calls "$MM" loop "$N" ;;
	bt) bpftrace -o /dev/null -e "$BT_CALLS" -c "$MM loop $N" ;;
	human) "$V" trace -o "$B/trace.txt" -- "$MM" loop "$N" ;;
	json) "$V" --json trace -o "$B/trace.json" -- "$MM" loop "$N" ;;
	jnull) "$V" --json trace -o /dev/null -- "$MM" loop "$N" ;;
	esac
}
run_f() {
	case $1 in
	base) "$F" twice "$FMB" ;;
	fl) "$B/floor" "$B/floor.bpf.o" faults "$F" twice "$FMB" ;;
	bt) bpftrace -o /dev/null -e "$BT_FAULTS" -c "$F twice $FMB" ;;
	json) "$V" --json faults -o "$B/faults.json" -- "$F" twice "$FMB" ;;
	# JSON into a pipe, the last line (the summary, with vmscope's CPU)
	# kept: vmscope without a file system's cost; the workload's own
	# "wall" goes to a file of its own
	jpipe) "$V" --json faults -- sh -c 'exec "$0" twice "$1" >"$2"' "$F" "$FMB" \
		"$B/wall.pipe" 2>/dev/null | tail -n 1 >"$B/faults.pipe"
		cat "$B/wall.pipe" ;;
	summary) "$V" --json faults --summary -o "$B/faults.sum" -- "$F" twice "$FMB" ;;
	latency_json) "$V" --json faults -L -o /dev/null -- "$F" twice "$FMB" ;;
	latency_summary) "$V" faults -L --summary -o /dev/null -- "$F" twice "$FMB" ;;
	esac
}

# alternate P RUNS CFG...: RUNS rounds of every CFG once (run_P CFG), each
# run's time kept as P_CFG
alternate() {
	local p=$1 runs=$2 cfg
	shift 2
	for _ in $(seq "$runs"); do
		for cfg in "$@"; do
			keep "${p}_$cfg" "$(wall "run_$p" "$cfg")"
		done
	done
}

bench_trace() {
	echo "== trace: ${BENCH_PAIRS:-1000000} mmap/munmap pairs (BENCH_PAIRS to change)"
	# The workload times its own pairs ("wall S"): vmscope's start-up is
	# measured on its own below. Configurations alternate.
	N=${BENCH_PAIRS:-1000000}
	MM=$W/mmcalls
	# bpftrace counting at entry and exit of every system call (its
	# tracepoint programs copy the arguments first: above the floor)
	BT_CALLS='tracepoint:raw_syscalls:sys_enter,tracepoint:raw_syscalls:sys_exit { @ = count(); }'
	alternate t "${BENCH_TRACE_RUNS:-5}" base human json jnull $FL $BT
	lost=$(tail -1 "$B/trace.json" | sed -E 's/.*"lost":([0-9]+).*/\1/')
	printf '  %-39s%ss best, %ss median\n' "untraced pairs (${BENCH_TRACE_RUNS:-5} runs):" \
		"$(best_of t_base)" "$(median_of t_base)"
	ratio_head "time over untraced:"
	echo "  vmscope trace -o FILE:                 $(ratios t_human t_base)  (<= 1.3x)"
	echo "  vmscope --json trace -o FILE:          $(ratios t_json t_base)  lost $lost"
	echo "    the same JSON to /dev/null:          $(ratios t_jnull t_base)"
	if [ -n "$FL" ]; then
		echo "  floor: a counter at entry and exit:    $(ratios t_fl t_base)"
	fi
	if [ -n "$BT" ]; then
		echo "  bpftrace counting at entry and exit:   $(ratios t_bt t_base)"
	fi
	whole=$(best 1 "$V" trace -o "$B/trace.txt" -- "$MM" loop "$N")
	wbase=$(best 1 "$MM" loop "$N")
	echo "  whole runs, start-up and drain included: $(ratio "$whole" "$wbase")x"
	# the others are one to two orders slower: a tenth of the pairs, same ratio
	n10=$((N / 10))
	base10=$(wall "$MM" loop "$n10")
	st=$(wall strace -f -e trace=%memory -o "$B/strace.txt" "$MM" loop "$n10")
	echo "  strace -f -e trace=%memory ($n10 pairs): $(ratio "$st" "$base10")x"
	if perf trace -e mmap -o /dev/null true >/dev/null 2>&1; then
		pt=$(wall perf trace -e mmap,munmap -o "$B/perf.txt" "$MM" loop "$n10")
		echo "  perf trace -e mmap,munmap ($n10 pairs): $(ratio "$pt" "$base10")x"
	else
		echo "  perf trace: cannot run here ($(perf trace -e mmap -o /dev/null true 2>&1 | head -1))"
	fi
	bpftrace_vs "printf per call ($n10 pairs)" "$base10" \
		'tracepoint:syscalls:sys_exit_mmap,tracepoint:syscalls:sys_exit_munmap { printf("%d\n", args->ret); }' \
		"$MM loop $n10"
	rm -f "$B/trace.txt" "$B/trace.json" "$B/strace.txt" "$B/perf.txt" "$B/bt.txt"

	echo "== trace: start to attached"
	for _ in 1 2 3; do "$V" trace -o /dev/null -- true 2>&1 | sed -n 's/.*ready in/  ready in/p'; done
	tt=$(best 5 "$V" trace -o /dev/null -- true)
	echo "  whole 'vmscope trace -- true': ${tt}s (target: attached <= 0.1s)"
}

bench_faults() {
	echo "== faults: touch ${BENCH_FAULT_MB:-2048} MiB twice, 4K pages (BENCH_FAULT_MB to change)"
	# The workload times its own touching ("wall S"), so vmscope's start-up is
	# not in the ratio; configurations alternate.
	FMB=${BENCH_FAULT_MB:-2048}
	F=$W/faulter
	# bpftrace counting on the fault tracepoint (arguments copied first)
	BT_FAULTS='tracepoint:exceptions:page_fault_user { @ = count(); }'
	alternate f "${BENCH_FAULT_RUNS:-5}" base json jpipe summary latency_json latency_summary $FL $BT
	nev=$(grep -c '"type":"fault"' "$B/faults.json")
	printf '  %-39s%ss best, %ss median\n' "untraced touching (${BENCH_FAULT_RUNS:-5} runs):" \
		"$(best_of f_base)" "$(median_of f_base)"
	ratio_head "time over untraced:"
	echo "  vmscope --json faults -o FILE:         $(ratios f_json f_base)  (<= 1.15x)"
	jq -r '"    \(.faults) faults streamed ('"$nev"' lines), lost \(.lost)\n    vmscope cpu \(.self_cpu_s * 1000 | floor) ms over \(.duration_s * 1000 | floor) ms = \(.self_cpu_s / .duration_s * 100 | round)% of a core (<= 25%), \(.self_cpu_s / .faults * 1e9 | round) ns a fault"' <(tail -1 "$B/faults.json")
	echo "    the same JSON into a pipe:           $(ratios f_jpipe f_base)"
	jq -r '"      vmscope cpu \(.self_cpu_s * 1000 | floor) ms over \(.duration_s * 1000 | floor) ms = \(.self_cpu_s / .duration_s * 100 | round)% of a core, \(.self_cpu_s / .faults * 1e9 | round) ns a fault"' "$B/faults.pipe"
	echo "  vmscope faults --summary:              $(ratios f_summary f_base)  (<= 1.10x)"
	jq -r '"    \(.faults) faults counted, lost \(.lost), not counted \(.not_counted)"' "$B/faults.sum"
	if [ -n "$FL" ]; then
		echo "  floor: a counter on page_fault_user:   $(ratios f_fl f_base)"
	fi
	if [ -n "$BT" ]; then
		echo "  bpftrace counting on the tracepoint:   $(ratios f_bt f_base)"
	fi
	echo "  with --latency (every fault's outcome sampled):"
	echo "    --json faults -L:                    $(ratios f_latency_json f_base)"
	echo "    faults -L --summary:                 $(ratios f_latency_summary f_base)"
	fbase=$(wall "$F" twice "$FMB")
	if perf trace --pf=all -o /dev/null true >/dev/null 2>&1; then
		pf=$(wall perf trace --no-syscalls --pf=all -o "$B/perf.txt" "$F" twice "$FMB")
		echo "  perf trace --pf=all:                   ${pf}s = $(ratio "$pf" "$fbase")x"
	else
		echo "  perf trace --pf=all: cannot run here ($(perf trace --pf=all -o /dev/null true 2>&1 | head -1))"
	fi
	bpftrace_vs "printf per fault" "$fbase" \
		'tracepoint:exceptions:page_fault_user { printf("%lx %lx\n", args->address, args->error_code); }' \
		"$F twice $FMB"
	rm -f "$B/faults.json" "$B/faults.sum" "$B/faults.pipe" "$B/wall.pipe" "$B/perf.txt" "$B/bt.txt"

	echo "== faults: start to attached"
	for _ in 1 2 3; do "$V" faults -o /dev/null -- true 2>&1 | sed -n 's/.*ready in/  ready in/p'; done
}

run_p() {
	case $1 in
	base) "$F" twice "$FMB" ;;
	top) "$V" --json top -d 1 -o "$B/top.json" -- "$F" twice "$FMB" ;;
	esac
}

# top_of VMAS: a process with VMAS VMAs watched for 8 refreshes, 0.5 s
# apart: the summary's line (refresh CPU, peak memory) into $B/top.vmas
top_of() {
	local out=$B/bigmap.out bp
	"$W/bigmap" vmas "$1" >"$out" &
	bp=$!
	PIDS+=("$bp")
	for _ in $(seq 200); do grep -q '^ready' "$out" && break; sleep 0.05; done
	"$V" --json top -d 0.5 -n 8 -p "$bp" -o "$B/top.vmas" 2>/dev/null
	"$V" top -b -d 0.5 -n 8 -p "$bp" -o "$B/top.text" 2>/dev/null
	kill "$bp"
	wait "$bp" 2>/dev/null
}

bench_top() {
	FMB=${BENCH_FAULT_MB:-2048}
	F=$W/faulter
	echo "== top: the fault benchmark (touch $FMB MiB twice, 4K pages) under top --json -d 1 -o FILE"
	alternate p "${BENCH_TOP_RUNS:-5}" base top
	ratio_head "time over untraced:"
	echo "  vmscope top -d 1:                      $(ratios p_top p_base)  (<= 1.15x)"
	jq -r '"    \(.faults.minor + .faults.major) faults, \(.snapshots) snapshots, lost \(.lost); vmscope cpu \(.self_cpu_s * 1000 | floor) ms over \(.duration_s * 1000 | floor) ms = \(.self_cpu_s / .duration_s * 100 | round)% of a core (<= 25%)"' \
		<(tail -1 "$B/top.json")
	echo "== top: the CPU of a refresh (after the first) and peak memory, by VMA count"
	for n in 2000 20000; do
		top_of "$n"
		jq -r --arg n "$n" '"  \($n) VMAs, --json into a file: refresh \(.refresh_cpu_ms.mean_after_first * 10 | round / 10) ms mean, \(.refresh_cpu_ms.max_after_first * 10 | round / 10) ms max (<= 50 ms; the first \(.refresh_cpu_ms.first | round) ms), peak RSS \(.max_rss_kib) KiB"' \
			<(tail -1 "$B/top.vmas")
		echo "    the same as text (top -b, 80 columns): $(tail -1 "$B/top.text" | sed 's/^vmscope cpu a refresh: //')"
	done
	echo "== top: peak memory by faults seen (bounded by VMAs, not events)"
	for mb in 128 1024; do
		"$V" --json top -d 1 -o "$B/top.mem" -- "$F" twice "$mb" >/dev/null 2>&1
		jq -r --arg mb "$mb" '"  \($mb) MiB touched twice: \(.faults.minor) faults, peak RSS \(.max_rss_kib) KiB"' \
			<(tail -1 "$B/top.mem")
	done
	rm -f "$B/top.json" "$B/top.vmas" "$B/top.text" "$B/top.mem" "$B/bigmap.out"
}

# BENCH_ONLY="trace faults": only these parts
for part in ${BENCH_ONLY:-pfn maps trace faults top}; do
	"bench_$part"
done
