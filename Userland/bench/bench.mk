# Userland/bench/bench.mk - builds the benchmark programs; used by `make bench` as
#   $(MAKE) -f Makefile -f Userland/bench/bench.mk bench-programs
# so that Userland/Makefile.inc's rule `build/userland/%: Userland/%.c` (static, raw
# syscalls, the runtime objects) builds build/userland/bench/NAME from Userland/bench/NAME.c.
# This file only names the programs and adds bench.h as a prerequisite of each.

BENCH_PROGS := $(patsubst Userland/bench/%.c,build/userland/bench/%,$(wildcard Userland/bench/*.c))

.PHONY: bench-programs
bench-programs: $(BENCH_PROGS)

$(BENCH_PROGS): Userland/bench/bench.h
