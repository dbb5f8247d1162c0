#!/usr/bin/env bash
# vmscope driver on the test driver (tests/vm/drvtest): every correct
# variant gives no finding, every buggy one exactly its finding. The driver
# is a kernel module: the VM matrix (make test-vm) loads it in each guest.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

if [ ! -e /dev/vmscope_drvtest ]; then
	if [ -r /proc/modules ]; then
		fail "the test driver is not loaded (/dev/vmscope_drvtest missing)"
	else
		skip "this kernel loads no modules (CONFIG_MODULES off): the test driver runs in make test-vm"
	fi
	exit 0
fi
U=$WL/drvuser
mode=${VMSCOPE_TEST_MODE:-auto}
echo "# driver checks on the test driver in $mode mode"

# variant: the checks expected (space separated, "" for none). A check may
# also appear in ALSO when the bug makes it possible but not certain.
declare -A WANT=(
	[kmalloc]="" [vmalloc_fault]="" [remap_vmalloc]=""
	[past_end]="past_end" [tail]="unmapped_at_mmap" [pgoff]="pgoff_ignored"
	[vmalloc_remap]="vmalloc_remap" [flags]="pfnmap_flags"
	[cached_io]="cached_device_memory" [noref]="page_refcount"
	[nopage]="fault_no_page" [slab]="slab_page" [cache_conflict]="cache_conflict"
)
# the frames a vmalloc'd buffer remapped as if contiguous are any RAM:
# some may be slab pages
declare -A ALSO=([vmalloc_remap]="slab_page")
declare -A OWNER=(
	[kmalloc]='.owner.mmap == "drvtest_mmap"'
	[vmalloc_fault]='.owner.fault == "fault_vmalloc"'
	[remap_vmalloc]='.owner.mmap == "drvtest_mmap"'
	[past_end]='.owner.fault == "fault_vmalloc"'
	[noref]='.owner.fault == "fault_noref"'
	[nopage]='.owner.fault == "fault_nopage"'
	[flags]='.owner.fault == "fault_pfn"'
)

for v in kmalloc vmalloc_fault remap_vmalloc past_end tail pgoff vmalloc_remap \
	flags cached_io noref nopage slab cache_conflict; do
	"$VMSCOPE" --json driver -o "$TMP/$v.json" -- "$U" "$v" >"$TMP/$v.out" 2>"$TMP/$v.err"
	st=$?
	if [ "$st" -ne 0 ] || ! grep -q '^touched' "$TMP/$v.out"; then
		fail "$v: vmscope driver -- drvuser $v ran (exit $st)"
		sed 's/^/#   /' "$TMP/$v.err" "$TMP/$v.out" | head -5
		# the BPF verifier's last words, when a program was refused
		"$VMSCOPE" -v driver -- "$U" "$v" 2>&1 | grep -B12 -m1 'failed to load' | sed 's/^/#   /'
		continue
	fi
	got=$(jq -r 'select(.type == "finding") | .check' "$TMP/$v.json" | sort | tr '\n' ' ')
	want=${WANT[$v]}
	extra=$(for c in $got; do
		case " $want ${ALSO[$v]:-} " in *" $c "*) ;; *) echo "$c" ;; esac
	done | tr '\n' ' ')
	missing=$(for c in $want; do
		case " $got " in *" $c "*) ;; *) echo "$c" ;; esac
	done | tr '\n' ' ')
	# what each finding told the driver author (in the log, for reading)
	jq -r 'select(.type == "finding") | "# \(.check): \(.detail)"' "$TMP/$v.json"
	if [ -z "$extra" ] && [ -z "$missing" ]; then
		pass "$v: findings: ${want:-none}"
	else
		fail "$v: findings '$got', want '${want:-none}'"
		jq -c 'select(.type == "finding") | {check, detail}' "$TMP/$v.json" | sed 's/^/#   /'
	fi
	read -r _ _ s _ < <(grep '^map ' "$TMP/$v.out" | grep -v '^map wb ' | head -1)
	check "$v: the mapping at $s is reported once, as /dev/vmscope_drvtest (chr)" \
		jq -se --arg s "$s" '[.[] | select(.type == "mapping" and .vma.start == $s)] |
		  length == 1 and .[0].vma.path == "/dev/vmscope_drvtest" and .[0].file.kind == "chr"' "$TMP/$v.json"
	if [ -n "${OWNER[$v]:-}" ]; then
		check "$v: owner ${OWNER[$v]}" jq -se --arg s "$s" \
			"[.[] | select(.type == \"mapping\" and .vma.start == \$s)][0] | ${OWNER[$v]}" "$TMP/$v.json"
	fi
done

# what the findings say, where it matters to a driver author
check "past_end: at offset 0x4000, the first page past the 4-page buffer" \
	jq -se '[.[] | select(.type == "finding")][0] | .offset == "0x4000" and (.detail | test("4 pages"))' "$TMP/past_end.json"
check "tail: 4 of the VMA's 8 pages mapped, the hole at 0x4000" \
	jq -se '[.[] | select(.type == "finding")][0] | .offset == "0x4000" and (.detail | test("4 of the VMA.s 8 pages"))' "$TMP/tail.json"
check "pgoff: reported on the second mapping (file page 1 shows page 0's frame)" \
	jq -se --arg s "$(awk '/^map second/ { print $3 }' "$TMP/pgoff.out")" \
	'[.[] | select(.type == "finding")][0].vma.start == $s' "$TMP/pgoff.json"
check "vmalloc_remap: names the kernel's vmalloc address and the pages that differ" \
	jq -se '[.[] | select(.type == "finding" and .check == "vmalloc_remap")][0].detail |
	  test("vmalloc memory \\(kernel address 0xff") and test("remap_vmalloc_range")' "$TMP/vmalloc_remap.json"
check "cached_io: the frame has no struct page and is mapped wb" \
	jq -se '[.[] | select(.type == "mapping")][0].installed.runs[0] |
	  (.flags | index("nopage")) and .cache == "wb" and .pfn == "0x7ff000"' "$TMP/cached_io.json"
check "noref: the installed page has refcount 1 for mapcount 1" \
	jq -se '[.[] | select(.type == "finding")][0].detail | test("1 reference for 1 mapping")' "$TMP/noref.json"
check "nopage: the workload's read never completed (SIGALRM broke the loop)" grep -q '^loop ' "$TMP/nopage.out"
check "cache_conflict: on the uncached mapping, naming both modes" \
	jq -se --arg s "$(awk '/^map cache_conflict/ { print $3 }' "$TMP/cache_conflict.out")" \
	'[.[] | select(.type == "finding")][0] | .vma.start == $s and (.detail | test("mapped uc-? here and wb"))' \
	"$TMP/cache_conflict.json"
check "correct variants: the kmalloc buffer's frames are reserved RAM, refcounts not needed" \
	jq -se '[.[] | select(.type == "mapping")][0].installed | .pages_mapped == 4 and
	  all(.runs[]; .flags | index("reserved"))' "$TMP/kmalloc.json"
check "vmalloc'd buffers are named as such: 4 vmalloc pages for vmalloc_fault and remap_vmalloc, none for kmalloc" \
	sh -c "jq -se '[.[] | select(.type == \"mapping_end\")][0].vmalloc_pages == 4' '$TMP/vmalloc_fault.json' >/dev/null &&
	  jq -se '[.[] | select(.type == \"mapping_end\")][0].vmalloc_pages == 4' '$TMP/remap_vmalloc.json' >/dev/null &&
	  jq -se '[.[] | select(.type == \"mapping_end\")][0].vmalloc_pages == 0' '$TMP/kmalloc.json' >/dev/null"
check "correct variants: every summary is clean and lists no check as not run" \
	sh -c "cat '$TMP/kmalloc.json' '$TMP/vmalloc_fault.json' '$TMP/remap_vmalloc.json' |
	  jq -se '[.[] | select(.type == \"summary\")] | length == 3 and
	    all(.[]; .findings == 0 and .checks_not_run == [] and .lost == 0)' >/dev/null"

# the helper calls: traced in fentry and kprobe modes, null in tracepoint
hmode=$mode
[ "$hmode" = auto ] && hmode=$("$VMSCOPE" --json feature |
	jq -r '.hooks[] | select(.hook == "remap_pfn_range") | .mode')
if [ "$hmode" = fentry ] || [ "$hmode" = kprobe ]; then
	echo "# helpers traced by $hmode"
	ret=$([ "$hmode" = fentry ] && echo '.ret == 0' || echo '.ret == null')
	check "kmalloc: the mmap's remap_pfn_range call: offset 0, 16K, the frame the walk found ($ret)" \
		jq -se "[.[] | select(.type == \"mapping\")][0] | .installed.runs[0].pfn as \$p |
		  (.helpers | length == 1) and (.helpers[0] | .helper == \"remap_pfn_range\" and
		  .offset == \"0x0\" and .size == 16384 and .pfn == \$p and .cache == \"wb\" and $ret)" "$TMP/kmalloc.json"
	check "kmalloc: the mapping at file page 1 remaps the buffer's second frame" \
		jq -se '[.[] | select(.type == "mapping")] | (.[0].helpers[0].pfn) as $a | (.[1].helpers[0].pfn) as $b |
		  ($a | ltrimstr("0x") | explode | length) > 0 and $b != $a' "$TMP/kmalloc.json"
	check "vmalloc_fault: 4 vm_ops->fault calls, all returning 0 (a page in vmf->page)" \
		jq -se --arg s "$(awk '/^map vmalloc_fault/ { print $3 }' "$TMP/vmalloc_fault.out")" \
		'[.[] | select(.type == "mapping_end" and .vma.start == $s)][0] |
		  .helper_calls.fault == 4 and .fault_returns == {"0x0": 4}' "$TMP/vmalloc_fault.json"
	check "remap_vmalloc: remap_vmalloc_range called in the mmap with the vmalloc address" \
		jq -se '[.[] | select(.type == "mapping")][0].helpers | any(.[]; .helper == "remap_vmalloc_range" and
		  (.kaddr | startswith("0xff")))' "$TMP/remap_vmalloc.json"
	check "flags: each fault inserts a PFN (vmf_insert_pfn helper records, 4 frames)" \
		jq -se '[.[] | select(.type == "helper" and .helper == "vmf_insert_pfn")] |
		  length == 4 and all(.[]; .pfn != null)' "$TMP/flags.json"
	check "past_end: the fault past the buffer returned VM_FAULT_SIGBUS (0x2)" \
		jq -se '[.[] | select(.type == "mapping_end")][0].fault_returns["0x2"] == 1' "$TMP/past_end.json"
	check "nopage: the fault handler returned VM_FAULT_NOPAGE (0x100) again and again" \
		jq -se '[.[] | select(.type == "mapping_end")][0].fault_returns["0x100"] >= 8' "$TMP/nopage.json"
else
	check "tracepoint mode: no helper is traced, and the records say so (null)" \
		sh -c "cat '$TMP'/*.json | jq -se '[.[] | select(.type == \"mapping\")] | length > 10 and
		  all(.[]; .helpers == null)' >/dev/null"
fi
