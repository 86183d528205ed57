# MiniKernel — build, run, test.
#
#   make          the kernel (build/minikernel) and the user programs
#   make run      build and boot the demo in QEMU
#   make shell    build and boot into busybox's shell, job control on the console (LINUX=1: Debian's Linux)
#   make test     the test suite (swift test: boots QEMU per case); LOAD=N beside N busy processes
#   make debug    QEMU waiting for gdb, and a gdb that attaches to it
#   make clean
#
# Tools: the Swift 6.3 toolchain (swiftc, clang, ld.lld), nasm, gcc,
# qemu-system-x86_64. `make check-tools` says what is missing and how to get it.

SWIFTC   ?= swiftc
CLANG    ?= clang
LD       := ld.lld
NASM     ?= nasm
HOSTCC   ?= gcc
QEMU     ?= qemu-system-x86_64

BUILD    := build
KERNEL   := $(BUILD)/minikernel

SWIFT_SRCS := $(shell find Sources/MiniKernel -name '*.swift' | sort)
ASM_SRCS   := $(wildcard Sources/Boot/*.asm)
ASM_OBJS   := $(patsubst Sources/Boot/%.asm,$(BUILD)/boot/%.o,$(ASM_SRCS))
SHIM_DIR   := Sources/SwiftRuntimeShim

# Embedded Swift for a freestanding x86-64 target. No red zone (interrupts
# would clobber it), no SSE in kernel code (so entering the kernel never has
# to save the user's vector registers), no stack protector (no runtime for it).
SWIFTFLAGS := -enable-experimental-feature Embedded -target x86_64-unknown-none-elf \
  -wmo -parse-as-library -Osize -module-name MiniKernel \
  -I $(SHIM_DIR)/include -Xcc -mno-red-zone -Xcc -mno-sse -Xcc -mcmodel=kernel \
  -Xfrontend -disable-stack-protector
CFLAGS_SHIM := --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib \
  -mno-red-zone -mno-sse -mcmodel=kernel -fno-stack-protector -O2 -Wall
LDFLAGS := -n -T linker.ld -nostdlib -static -z max-page-size=4096

QEMU_FLAGS := -accel tcg -m 128M -display none -monitor none -serial stdio -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04

.PHONY: all kernel userland run shell test debug clean check-tools check-test-tools check-linux bench profile conformance
all: check-tools kernel userland

kernel: $(KERNEL)

include Userland/Makefile.inc

$(BUILD)/boot/%.o: Sources/Boot/%.asm $(wildcard Sources/Boot/*.inc)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -I Sources/Boot/ -o $@ $<

$(BUILD)/shim.o: $(SHIM_DIR)/runtime.c $(SHIM_DIR)/include/shim.h
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS_SHIM) -c -o $@ $<

$(BUILD)/kernel.o: $(SWIFT_SRCS) $(SHIM_DIR)/include/shim.h $(SHIM_DIR)/include/module.modulemap
	@mkdir -p $(dir $@)
	$(SWIFTC) $(SWIFTFLAGS) -c -o $@ $(SWIFT_SRCS)

KOBJS := $(ASM_OBJS) $(BUILD)/kernel.o $(BUILD)/shim.o

# Two links, as Linux's kallsyms: the first finds every function's address,
# the second embeds the table; it sits last in the image so nothing moves.
$(BUILD)/kallsyms0.o: scripts/kallsyms.sh
	@mkdir -p $(dir $@)
	printf 'section .kallsyms progbits alloc noexec nowrite align=8\nglobal kallsyms_num, kallsyms_addresses, kallsyms_name_offsets, kallsyms_names\nkallsyms_num: dq 0\nkallsyms_addresses:\nkallsyms_name_offsets:\nkallsyms_names: db 0\n' > $(BUILD)/kallsyms0.asm
	$(NASM) -f elf64 -o $@ $(BUILD)/kallsyms0.asm

$(KERNEL): $(KOBJS) $(BUILD)/kallsyms0.o linker.ld scripts/kallsyms.sh
	$(LD) $(LDFLAGS) -o $(BUILD)/minikernel.stage1 $(KOBJS) $(BUILD)/kallsyms0.o
	scripts/kallsyms.sh $(BUILD)/minikernel.stage1 $(BUILD)/kallsyms.asm
	$(NASM) -f elf64 -o $(BUILD)/kallsyms.o $(BUILD)/kallsyms.asm
	$(LD) $(LDFLAGS) -o $@ $(KOBJS) $(BUILD)/kallsyms.o
	@cmp -s <(llvm-nm -n $(BUILD)/minikernel.stage1 | grep -v kallsyms | grep -v __kernel_end) \
	        <(llvm-nm -n $@ | grep -v kallsyms | grep -v __kernel_end) \
	  || { echo "kallsyms: symbols moved between the two links" >&2; rm -f $@; exit 1; }

SHELL := /bin/bash

# The demo: init is Userland/demo_init.c.
$(BUILD)/demo.cpio: $(BUILD)/userland/demo_init $(BUILD)/host/gen_init_cpio
	$(BUILD)/host/gen_init_cpio $@ /init=$(BUILD)/userland/demo_init

# PROG="dash -c 'exit 3'": instead, one of this machine's programs as init, packed with its
# loader and libraries by tools/mkinitramfs (scripts/run_prog.py; EXTRA, TRACE=1, SMP=N).
run: all $(BUILD)/demo.cpio
ifeq ($(PROG),)
	timeout 60 $(QEMU) $(QEMU_FLAGS) -smp 2 -kernel $(KERNEL) -initrd $(BUILD)/demo.cpio \
	  -append "console=ttyS0 init=/init trace=exit" ; \
	  status=$$?; echo "(QEMU exited with status $$status; see README: QEMU exit status)"
else
	QEMU=$(QEMU) QEMU_FLAGS="$(QEMU_FLAGS)" python3 scripts/run_prog.py
endif

# Busybox's shell on the console as a terminal: scripts/tty_session.py's initramfs, whose /init
# runs `setsid cttyhack sh` on /dev/ttyS0 (job control on), attached to this terminal; `exit`
# ends the boot, Ctrl-A X quits QEMU. TRACE=1 adds trace=exit; LINUX=1 boots Debian's Linux
# with the same archive. `timeout --foreground` (an hour) keeps QEMU in this terminal's foreground
# process group, so ^C and ^Z reach the guest rather than QEMU.
shell: all $(if $(filter-out 0,$(LINUX)),check-linux)
	python3 scripts/tty_session.py --build-initramfs $(BUILD)/tty.cpio
	@kernel=$(if $(filter-out 0,$(LINUX)),$$(python3 scripts/linux_kernel.py 2>/dev/null | tail -n 1),$(KERNEL)); \
	timeout --foreground 3600 $(QEMU) -accel tcg,thread=multi -smp 2 -m $(if $(filter-out 0,$(LINUX)),512M,256M) -display none \
	  -serial mon:stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $$kernel \
	  -initrd $(BUILD)/tty.cpio -append "console=ttyS0 quiet panic=-1 rdinit=/init$(if $(filter-out 0,$(TRACE)), trace=exit)"; \
	  status=$$?; echo "(QEMU exited with status $$status; see README: QEMU exit status)"

# LOAD=N: N busy processes beside the suite (README, "Testing on a busy host").
# Every boot and host program has its own deadline; TEST_TIMEOUT (seconds) bounds
# the whole suite as well, so a harness bug ends in a failure, never a silent hang.
TEST_TIMEOUT ?= 1800
test: check-tools check-test-tools check-linux
	@scripts/with-load.sh $(or $(LOAD),0) timeout --kill-after=10 $(TEST_TIMEOUT) swift test; \
	  status=$$?; [ $$status -ne 124 ] || echo "make test: the suite ran past TEST_TIMEOUT=$(TEST_TIMEOUT) s and was stopped"; \
	  exit $$status

# Benchmarks against Linux (Userland/bench, scripts/bench/bench.py): every program as init
# under MiniKernel and under Debian's kernel (fetched once into ~/.cache/minikernel/), at
# -smp 1 and 4. ICOUNT=1: deterministic mode (-icount). RUNS=N: boots per cell (default 3).
bench: all
	$(MAKE) --no-print-directory -f Makefile -f Userland/bench/bench.mk bench-programs
	QEMU=$(QEMU) python3 scripts/bench/bench.py $(if $(filter-out 0,$(ICOUNT)),--icount) $(if $(RUNS),--runs $(RUNS))

# CPython's own process tests (scripts/conformance.py) on MiniKernel and on Debian's Linux in
# the same QEMU with the same initramfs: a table of passed/failed/skipped per module, and the
# tests that pass on Linux but not here. Too slow for every run of make test. MODULES= picks
# modules (default: test_subprocess test_threading test_signal test_os test_posix), SMP=,
# MARKDOWN=1 prints the table as README carries it.
conformance: all check-test-tools check-linux
	QEMU=$(QEMU) python3 scripts/conformance.py $(if $(SMP),--smp $(SMP)) $(if $(filter-out 0,$(MARKDOWN)),--markdown) $(MODULES)

# Where the instructions go (scripts/profile.py): one bench program under -icount with the
# TCG plugin tools/qemu_insn_profile.c, kernel instructions by function. PROGRAM= (default
# busybox_spawn), PER= rounds to divide by (busybox_spawn runs 205), SMP=, LINUX=1.
PROGRAM ?= busybox_spawn
profile: all
	$(MAKE) --no-print-directory -f Makefile -f Userland/bench/bench.mk bench-programs
	@mkdir -p $(BUILD)/host
	$(HOSTCC) -shared -fPIC -O2 -Wall -o $(BUILD)/host/qemu_insn_profile.so tools/qemu_insn_profile.c -lpthread
	QEMU=$(QEMU) python3 scripts/profile.py $(PROGRAM) $(if $(PER),--per $(PER)) $(if $(SMP),--smp $(SMP)) $(if $(filter-out 0,$(LINUX)),--linux)

debug: all $(BUILD)/demo.cpio
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb -x scripts/gdbinit"
	$(QEMU) $(QEMU_FLAGS) -s -S -kernel $(KERNEL) -initrd $(BUILD)/demo.cpio -append "console=ttyS0 init=/init"

clean:
	rm -rf $(BUILD) .build

# Say what is missing, and how to get it. CI (.ci/run) installs it itself.
check-tools:
	@missing=""; \
	for t in $(SWIFTC) $(CLANG) $(LD) llvm-nm; do command -v $$t >/dev/null || missing="$$missing $$t(Swift 6.3 toolchain)"; done; \
	command -v $(NASM) >/dev/null || missing="$$missing nasm(apt-get install nasm)"; \
	command -v $(HOSTCC) >/dev/null || missing="$$missing gcc(apt-get install gcc)"; \
	command -v $(QEMU) >/dev/null || missing="$$missing qemu-system-x86_64(apt-get install qemu-system-x86)"; \
	if [ -n "$$missing" ]; then \
	  echo "Missing tools:$$missing"; \
	  echo "On Debian: sudo apt-get install -y nasm qemu-system-x86 gcc  (Swift: https://swift.org/install)"; \
	  exit 1; fi

# The tests also drive QEMU through gdb and Python (scripts/stall), and read core files with
# gdb and accounting files with dump-acct (package acct; it also installs an acct service).
check-test-tools:
	@missing=""; \
	command -v gdb >/dev/null || missing="$$missing gdb"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	{ [ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q INTERP; } || missing="$$missing busybox-static"; \
	[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$$missing libc6-dev"; \
	command -v dump-acct >/dev/null || [ -x /usr/sbin/dump-acct ] || missing="$$missing acct"; \
	[ -x /usr/bin/python3.11 ] || missing="$$missing python3.11"; \
	[ -f /usr/lib/python3.11/test/test_wait3.py ] || missing="$$missing libpython3.11-testsuite"; \
	if [ -n "$$missing" ]; then \
	  echo "Missing tools for the tests:$$missing"; \
	  echo "On Debian: sudo apt-get install -y$$missing"; \
	  exit 1; fi

# The tests' second oracle (Tests/QEMUTests/Harness/LinuxQEMU.swift) and make bench's other
# kernel: Debian's own kernel, fetched once into ~/.cache/minikernel/linux/ by
# scripts/linux_kernel.py (apt-get download; never into the repository).
check-linux: check-test-tools
	@timeout 1200 python3 scripts/linux_kernel.py >/dev/null || { \
	  echo "make test: Debian's kernel could not be fetched into $${XDG_CACHE_HOME:-$$HOME/.cache}/minikernel/linux/ (see above)."; \
	  echo "The Linux-oracle tests boot it in QEMU. It needs apt-get, dpkg-deb and network to a Debian mirror;"; \
	  echo "on a fresh machine run 'sudo apt-get update' first. Try: python3 scripts/linux_kernel.py"; \
	  exit 1; }

# The reader's guide's diagrams (docs/): each docs/diagrams/NAME.dot is rendered
# to the committed docs/diagrams/NAME.svg. Needs Graphviz (apt-get install graphviz).
DOCS_DOT := $(wildcard docs/diagrams/*.dot)
.PHONY: docs
docs: $(DOCS_DOT:.dot=.svg)

docs/diagrams/%.svg: docs/diagrams/%.dot
	dot -Tsvg -o $@ $<
