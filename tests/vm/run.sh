#!/usr/bin/env bash
# `make test-vm`: the integration suite on stock Debian kernels under qemu
# (TCG), once per attach mode each kernel supports.
#
#   run.sh BUILD_DIR [KERNEL...]      KERNEL: 6.1, 6.12 (default: both)
#
# Kernel packages come from Debian's archive with `apt-get download` (newest
# version available) and are cached in BUILD_DIR/vm/debs.  The initramfs
# holds busybox-static, a statically linked vmscope (BUILD_DIR-static), the
# test workloads and scripts, and the host's bash, jq, strace & co. with
# their shared libraries.  Prints TAP-like lines prefixed "[kernel mode]"
# and a final "N passed, N failed, N skipped" line.
#
# Environment: VM_MODES (default "auto fentry kprobe tracepoint"),
# VM_TESTS (integration scripts run in mode auto), VM_MODE_TESTS (those run
# in the other modes), VM_TIMEOUT (seconds per boot), VM_CMDLINE (kernel
# arguments instead of "quiet", e.g. loglevel=7 to see oopses).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build}
[ $# -gt 0 ] && shift
kernels=("$@")
[ $# -gt 0 ] || kernels=(6.1 6.12)
VM=$OUT/vm
MODES=${VM_MODES:-auto fentry kprobe tracepoint}
TESTS=${VM_TESTS:-feature maps pfn walk trace faults top driver drvmod hostile races}
# in modes other than auto: the tests whose commands attach by mode
MODE_TESTS=${VM_MODE_TESTS:-feature trace faults top driver drvmod}
TIMEOUT=${VM_TIMEOUT:-2400}
STATIC=$OUT-static

die() { echo "test-vm: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

for t in qemu-system-x86_64 busybox apt-get dpkg; do
	command -v "$t" >/dev/null || die "$t is missing (make deps installs it)"
done
mkdir -p "$VM/debs" "$VM/kernels" || die "cannot create $VM"

# newest package for a kernel series, e.g. linux-image-6.1.0-56-cloud-amd64-unsigned
package_of() {
	local re
	case "$1" in
	6.1) re='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
	*) return 1 ;;
	esac
	apt-cache search --names-only "$re" | awk '{ print $1 }' | sort -V | tail -1
}

# fetch (cached) and extract one kernel; prints the vmlinuz path
kernel_image() {
	local pkg=$1 deb dir
	dir=$VM/kernels/$pkg
	if ! ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then
		deb=$(ls "$VM"/debs/"${pkg}"_*.deb 2>/dev/null | tail -1)
		if [ -z "$deb" ]; then
			(cd "$VM/debs" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
				return 1
			deb=$(ls "$VM"/debs/"${pkg}"_*.deb | tail -1)
		fi
		mkdir -p "$dir" && dpkg -x "$deb" "$dir" || return 1
	fi
	ls "$dir"/boot/vmlinuz-*
}

# fetch (cached) a package by exact name into the debs cache; prints its path
fetch_deb() {
	local deb
	deb=$(ls "$VM"/debs/"${1}"_*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		(cd "$VM/debs" && apt-get download -q "$1" >/dev/null 2>&1) || return 1
		deb=$(ls "$VM"/debs/"${1}"_*.deb | tail -1)
	fi
	echo "$deb"
}

# the test driver (tests/vm/drvtest) built against the kernel's headers
# packages, unpacked in a private root (the arch headers' Makefile includes
# the common one by absolute path: pointed there); prints the .ko path
build_module() {
	local kver=$1 hroot=$VM/headers/$kver out=$VM/drvtest/$kver pkg deb hdr
	if [ ! -e "$hroot/.done" ]; then
		rm -rf "$hroot"
		mkdir -p "$hroot"
		for pkg in "linux-headers-$kver" $(apt-cache depends "linux-headers-$kver" 2>/dev/null |
			awk '/Depends: linux-(headers-.*-common|kbuild-)/ { print $2 }'); do
			deb=$(fetch_deb "$pkg") && dpkg -x "$deb" "$hroot" || return 1
		done
		hdr=$hroot/usr/src/linux-headers-$kver
		sed -i "s|^include /usr/src/|include $(readlink -f "$hroot")/usr/src/|" "$hdr/Makefile" ||
			return 1
		touch "$hroot/.done"
	fi
	rm -rf "$out"
	mkdir -p "$out"
	cp tests/vm/drvtest/Kbuild tests/vm/drvtest/*.[ch] "$out/"
	# no module BTF: kbuild would want pahole, and vmscope needs none
	make -s -C "$hroot/usr/src/linux-headers-$kver" M="$(readlink -f "$out")" \
		CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$out/build.log" 2>&1 || {
		sed 's/^/# /' "$out/build.log" | tail -20 >&2
		return 1
	}
	echo "$out/vmscope_drvtest.ko"
}

# copy a host program and every shared library it needs into the root
add_prog() {
	local root=$1 prog=$2 path lib
	path=$(type -P "$prog") || { echo "# test-vm: $prog not on the host"; return 0; }
	path=$(readlink -f "$path")
	rm -f "$root/usr/bin/$prog"
	cp "$path" "$root/usr/bin/$prog"
	for lib in $(ldd "$path" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

build_initramfs() {
	local root=$VM/root img=$VM/initramfs.cpio.gz a
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root} \
		"$root"/vmscope/build/workloads || return 1
	cp "$(readlink -f "$(command -v busybox)")" "$root/bin/busybox"
	for a in $(busybox --list-full); do
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	# the host's tools where the tests rely on GNU/procps/util-linux behaviour
	for a in bash jq strace perl setarch setpriv ps awk mawk sed grep sort seq \
		head tail wc diff cut tr od readlink stat mktemp timeout date id \
		sleep cat cp mv rm ls ln mkdir chmod touch env printf basename \
		dirname tee kill nproc uname getconf xargs find mke2fs; do
		add_prog "$root" "$a"
	done
	ln -sf /usr/bin/bash "$root/bin/bash"
	cp "$STATIC/vmscope" "$root/vmscope/build/vmscope"
	cp "$OUT"/workloads/* "$root/vmscope/build/workloads/"
	cp -r tests "$root/vmscope/tests"
	rm -rf "$root/vmscope/tests/fuzz/corpus"
	cp "$VM/qemu_exit" "$root/usr/bin/qemu_exit"
	# each kernel's loop driver (a module in the cloud kernels), unpacked
	for a in "$VM"/kernels/*/lib/modules/*/kernel/drivers/block/loop.ko*; do
		[ -e "$a" ] || continue
		k=${a#"$VM"/kernels/*/lib/modules/}; k=${k%%/*}
		mkdir -p "$root/lib/modules/$k"
		case "$a" in
		*.xz) xz -dc "$a" >"$root/lib/modules/$k/loop.ko" ;;
		*) cp "$a" "$root/lib/modules/$k/loop.ko" ;;
		esac
	done
	# the test driver, built per kernel
	for a in "$VM"/drvtest/*/vmscope_drvtest.ko; do
		[ -e "$a" ] || continue
		k=$(basename "$(dirname "$a")")
		mkdir -p "$root/lib/modules/$k"
		cp "$a" "$root/lib/modules/$k/"
	done
	cp tests/vm/init "$root/init"
	chmod +x "$root/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$img" || return 1
	echo "$img"
}

# ---- build ---------------------------------------------------------------
echo "# test-vm: static vmscope in $STATIC"
make --no-print-directory -s OUTPUT="$STATIC" LDFLAGS=-static "$STATIC/vmscope" >/dev/null ||
	die "static build failed"
gcc -O2 -static -Wall -o "$VM/qemu_exit" tests/vm/qemu_exit.c || die "qemu_exit build failed"

passed=0 failed=0 skipped=0
note_fail() { echo "not ok - $*"; failed=$((failed + 1)); }

# the kernels first: the initramfs carries their loop modules
ready=()
for k in "${kernels[@]}"; do
	pkg=$(package_of "$k")
	[ -n "$pkg" ] || { note_fail "[$k] no package for kernel $k in the archive"; continue; }
	vmlinuz=$(kernel_image "$pkg") || { note_fail "[$k] cannot fetch $pkg"; continue; }
	kver=${pkg#linux-image-}
	kver=${kver%-unsigned}
	if ko=$(build_module "$kver"); then
		echo "# test-vm: test driver for $kver built"
	else
		note_fail "[$k] cannot build the test driver against linux-headers-$kver"
	fi
	ready+=("$k:$pkg:$vmlinuz")
done
img=$(build_initramfs) || die "initramfs build failed"
echo "# test-vm: initramfs $(du -h "$img" | cut -f1)"

# one boot: console in console-K.log, qemu's status and seconds in boot-K
boot() {
	local k=$1 vmlinuz=$2 log=$VM/console-$1.log start qrc
	start=$(date +%s)
	# one vCPU: under TCG, two vCPUs let a text_poke's int3 (a tracepoint's
	# static key flipped while another CPU faults) oops the guest
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
		-nographic -no-reboot -monitor none -serial stdio -nic none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$vmlinuz" -initrd "$img" \
		-append "console=ttyS0 panic=-1 panic_on_oops=1 ${VM_CMDLINE:-quiet} transparent_hugepage=madvise hugepages=8 vmscope.modes=${MODES// /,} vmscope.tests=${TESTS// /,} vmscope.mtests=${MODE_TESTS// /,}" \
		</dev/null 2>&1 | tr -d '\r' >"$log"
	qrc=${PIPESTATUS[0]}
	echo "$qrc $(($(date +%s) - start))" >"$VM/boot-$k"
}

# the kernels boot side by side, one core each
booted=()
for r in "${ready[@]}"; do
	k=${r%%:*} r=${r#*:} pkg=${r%%:*} vmlinuz=${r#*:}
	echo "# test-vm: booting $pkg (modes: $MODES)"
	rm -f "$VM/boot-$k"
	boot "$k" "$vmlinuz" &
	booted+=("$k:$pkg")
done
wait

for kp in "${booted[@]}"; do
	k=${kp%%:*} pkg=${kp#*:} log=$VM/console-${kp%%:*}.log
	read -r qrc secs <"$VM/boot-$k" || { qrc=255 secs=?; }
	seen=$((passed + failed + skipped))
	# the guest's lines; a mode's summary line follows its tests
	while IFS= read -r line; do
		case "$line" in
		"["*"] ok "*"# SKIP"*) echo "[$k ${line#\[}"; skipped=$((skipped + 1)) ;;
		"["*"] ok "*) echo "[$k ${line#\[}"; passed=$((passed + 1)) ;;
		"["*"] not ok "*) echo "[$k ${line#\[}"; failed=$((failed + 1)) ;;
		"["*"] #"*) echo "[$k ${line#\[}" ;;
		VMSCOPE-VM\ mode=*)
			echo "# $k: ${line#VMSCOPE-VM }"
			m=${line#*mode=}; m=${m%% *}
			case "$line" in *" passed= "* | *" failed= "*)
				note_fail "[$k $m] the suite did not run" ;;
			esac
			# every result the guest counted must have reached us
			read -r gp gf gs < <(echo "$line" | sed -E 's/.*passed=([0-9]*) failed=([0-9]*) skipped=([0-9]*).*/\1 \2 \3/')
			if [ "$((gp + gf + gs))" -ne "$((passed + failed + skipped - seen))" ]; then
				note_fail "[$k $m] $((gp + gf + gs)) results in the guest, $((passed + failed + skipped - seen)) read from its console"
			fi
			seen=$((passed + failed + skipped)) ;;
		esac
	done < <(sed -E 's/^.*(\[(auto|fentry|kprobe|tracepoint)\] (ok|not ok|#))/\1/; s/^.*(VMSCOPE-VM )/\1/' "$log")
	if ! grep -q '^VMSCOPE-VM end rc=' "$log"; then
		note_fail "[$k] guest did not finish (qemu status $qrc, ${secs}s); console: $log"
		grep -a -m1 -A12 'Oops\|BUG:\|panic' "$log" | sed 's/^/#   /'
		tail -5 "$log" | sed 's/^/#   /'
	elif [ "$qrc" -ne 1 ] && [ "$qrc" -ne 3 ]; then
		note_fail "[$k] qemu exit status $qrc: not from the guest's qemu_exit"
	else
		echo "# $k: $pkg booted and tested in ${secs}s (console: $log)"
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
