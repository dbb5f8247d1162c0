# vmscope build.  `make` builds build/vmscope; `make run` and `make test` first
# install missing build dependencies (apt-get, when root), see README.md.

OUTPUT    ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   := 0.1.0
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# -Werror in CI (CI=true) and whenever asked for
WERROR    ?= $(if $(CI),1,)
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wno-unused-parameter $(if $(WERROR),-Werror,)
# SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer (clang) for vmscope
# and its unit tests; the test workloads stay plain so their address spaces
# look like any program's.
SAN       ?=
SAN_LIST  := address,undefined
SAN_FLAGS := $(if $(SAN),-fsanitize=$(SAN_LIST) -fno-sanitize-recover=undefined -fno-omit-frame-pointer,)
ALL_CFLAGS = $(CFLAGS) $(SAN_FLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP \
	     -Iinclude -Isrc -I$(OUTPUT)/skel -DVMSCOPE_VERSION='"$(VERSION)"'
LDLIBS    := -lbpf -ldw -lelf -lncursesw -ltinfo -lz -lpthread
# a static vmscope (the VM tests' guest): libdw.a's decompressors too
ifneq ($(filter -static,$(LDFLAGS)),)
LDLIBS    += -llzma -lbz2
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/skel/%.skel.h,$(BPF_SRCS))

# one folder per layer: see docs/ARCHITECTURE.md
SRC_DIRS  := cmd session tracers model procfs decode output
SRCS      := $(wildcard src/*.c $(patsubst %,src/%/*.c,$(SRC_DIRS)))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
OBJS      := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(SRCS))
LIB_OBJS  := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS)) \
	     $(patsubst tests/unit/%.sh,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.sh))
WORKLOADS := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(wildcard tests/workloads/*.c))

# vmlinux.h: from the running kernel's BTF when there is one, else the copy
# committed in bpf/vmlinux/ (generated from a 6.18 kernel).
VMLINUX_BTF ?= $(wildcard /sys/kernel/btf/vmlinux)
VMLINUX_H  := $(OUTPUT)/vmlinux/vmlinux.h

.SECONDARY:
.PHONY: all deps deps-bench run test test-unit test-integration test-san test-vm check-valgrind fuzz soak install clean bench bench-compare demo
all: $(OUTPUT)/vmscope $(WORKLOADS)

# ---- dependencies ---------------------------------------------------------
DEB_BUILD := make gcc clang llvm libbpf-dev libelf-dev libdw-dev libncurses-dev zlib1g-dev bpftool \
	     pkg-config
DEB_TEST  := jq strace util-linux bsdutils time procps valgrind libclang-rt-dev \
	     liblzma-dev libbz2-dev libc6-dbg binutils tmux \
	     qemu-system-x86 busybox-static
# the peers make bench compares vmscope with
DEB_BENCH := bpftrace linux-perf strace
deps:
	$(Q)./tests/install-deps.sh $(DEB_BUILD) -- $(DEB_TEST)
deps-bench:
	$(Q)./tests/install-deps.sh $(DEB_BUILD) -- $(DEB_TEST) $(DEB_BENCH)

# ---- BPF ------------------------------------------------------------------
$(VMLINUX_H): | $(OUTPUT)/vmlinux
ifneq ($(VMLINUX_BTF),)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@
else
	$(call msg,CP,$@ (committed copy: no /sys/kernel/btf/vmlinux))
	$(Q)cp bpf/vmlinux/vmlinux.h $@
endif

BPF_CFLAGS = -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT)/vmlinux

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/vmscope_abi.h $(VMLINUX_H) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Iinclude -c $< -o $@

$(OUTPUT)/skel/%.skel.h: $(OUTPUT)/bpf/%.bpf.o | $(OUTPUT)/skel
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# ---- user space -----------------------------------------------------------
$(OUTPUT)/obj/%.o: src/%.c $(SKELS) | $(patsubst %,$(OUTPUT)/obj/%,$(SRC_DIRS))
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/vmscope: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/workloads/%: tests/workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread $(WL_FLAGS) $< -o $@

# bigmap maps up to 128 TiB: a PIE's biggest gap is ~86 TiB, a program
# at 0x400000 leaves ~127 TiB
$(OUTPUT)/workloads/bigmap: WL_FLAGS = -no-pie

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDLIBS) $(SAN_FLAGS) $(TEST_LDFLAGS) -o $@

# shell unit tests run from the tree (tests/run.sh starts them at its top)
$(OUTPUT)/tests/%: tests/unit/%.sh | $(OUTPUT)/tests
	$(Q)install -m 0755 $< $@

# kernel_btf's fallback, for kernels that refuse the mapping, is reached by
# refusing it (the test's __wrap_mmap)
$(OUTPUT)/tests/test_kernel_btf: TEST_LDFLAGS = -Wl,--wrap=mmap

$(OUTPUT)/bpf $(OUTPUT)/skel $(OUTPUT)/vmlinux $(patsubst %,$(OUTPUT)/obj/%,$(SRC_DIRS)) \
$(OUTPUT)/workloads $(OUTPUT)/tests $(OUTPUT)/bench:
	$(Q)mkdir -p $@

-include $(OBJS:.o=.d)

# ---- the two README commands ------------------------------------------------
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/demo.sh $(OUTPUT)

test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)-san SAN=1 CC=clang all \
		$(patsubst $(OUTPUT)/%,$(OUTPUT)-san/%,$(UNIT_BINS))
	$(Q)./tests/all.sh $(OUTPUT) $(OUTPUT)-san

# the integration suite on Debian's 6.1 and 6.12 kernels under qemu, once
# per attach mode (part of `make test`); kernels cached in $(OUTPUT)/vm
test-vm: deps all
	$(Q)./tests/vm/run.sh $(OUTPUT)

# the snapshot commands under valgrind (part of `make test`)
check-valgrind: all
	$(Q)./tests/valgrind/run.sh $(OUTPUT)

# each libFuzzer harness for FUZZ_SECONDS (30) (part of `make test`)
fuzz:
	$(Q)./tests/fuzz/run.sh $(OUTPUT)

# the suite once under ASan+UBSan (build-san/)
test-san: all
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)-san SAN=1 CC=clang all \
		$(patsubst $(OUTPUT)/%,$(OUTPUT)-san/%,$(UNIT_BINS))
	$(Q)./tests/run.sh --sanitized $(OUTPUT)-san

test-unit: all $(UNIT_BINS)
	$(Q)./tests/run.sh --unit $(OUTPUT)

test-integration: all
	$(Q)./tests/run.sh --integration $(OUTPUT)

# bench/floor: the cheapest per-event BPF, for the benchmark's floors
BENCH_TOOLS := $(OUTPUT)/bench/floor $(OUTPUT)/bench/floor.bpf.o

$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c $(VMLINUX_H) | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/floor: bench/floor.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 $< -lbpf -o $@

bench: deps-bench
	$(Q)$(MAKE) --no-print-directory all $(BENCH_TOOLS)
	$(Q)./bench/run.sh $(OUTPUT)
	$(Q)./bench/bpfcost.sh $(OUTPUT)

# this tree against BASE (a git revision, default HEAD~1) side by side:
# BASE is built from its own sources in $(OUTPUT)/base
BASE ?= HEAD~1
bench-compare: all
	$(Q)rm -rf $(OUTPUT)/base-src && mkdir -p $(OUTPUT)/base-src
	$(Q)git archive "$(BASE)" | tar -x -C $(OUTPUT)/base-src
	$(Q)$(MAKE) --no-print-directory -C $(OUTPUT)/base-src OUTPUT=$(abspath $(OUTPUT))/base \
		$(abspath $(OUTPUT))/base/vmscope
	$(Q)./bench/compare.sh $(OUTPUT)/base $(OUTPUT)

# faults and trace at full rate for SOAK_SECONDS (60): RSS, lost, totals
soak: all
	$(Q)./bench/soak.sh $(OUTPUT)

install: all
	install -D -m 0755 $(OUTPUT)/vmscope $(DESTDIR)$(PREFIX)/sbin/vmscope
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf $(OUTPUT) $(OUTPUT)-san $(OUTPUT)-static
