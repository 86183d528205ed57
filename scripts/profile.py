#!/usr/bin/env python3
"""Where the instructions go: one bench program under -icount, counted by kernel function.

`make profile PROGRAM=busybox_spawn` boots build/userland/bench/PROGRAM as init under QEMU
-icount with the TCG plugin tools/qemu_insn_profile.c, which counts every guest instruction
by translation block. This script maps the blocks to the kernel's symbols (llvm-nm/nm of
build/minikernel) and prints: user and kernel instructions in all, then the kernel functions
that executed most, with how often each was entered (a block starting at the function's
address ran). The counts cover the whole boot, start-up included (tsc_init, mem_init and the
initramfs are boot-only); --per N divides by the rounds the program runs (busybox_spawn: 205)
so the table reads per round. `rep movs`/`rep stos` count one instruction per iteration, as
-icount does. --linux profiles Debian's kernel instead (its vmlinux has no symbols: the user
and kernel totals only).
"""
import argparse
import bisect
import collections
import os
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
sys.path.insert(0, str(REPO / "scripts" / "bench"))
import bench  # noqa: E402  (make_initramfs, the Linux kernel's path)

KERNEL_BASE = 0xFFFF800000000000


def symbols(elf):
    nm = shutil.which("llvm-nm") or "nm"
    out = subprocess.run([nm, "-n", "--defined-only", str(elf)], capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    return syms


def demangle(names):
    tool = shutil.which("swift")
    if not tool or not names:
        return names
    out = subprocess.run([tool, "demangle", "--simplified", "--compact"], input="\n".join(names),
                         capture_output=True, text=True).stdout.splitlines()
    return out if len(out) == len(names) else names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program", help="a program of Userland/bench (e.g. busybox_spawn)")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--top", type=int, default=40, help="kernel functions to list (default 40)")
    ap.add_argument("--per", type=float, default=1.0, help="divide every count by this (rounds)")
    ap.add_argument("--linux", action="store_true", help="profile Debian's kernel (totals only)")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    plugin = BUILD / "host" / "qemu_insn_profile.so"
    if not plugin.exists():
        sys.exit(f"profile: {plugin} is missing: run `make profile`")
    if not (BUILD / "userland" / "bench" / args.program).exists():
        sys.exit(f"profile: build/userland/bench/{args.program} is missing: run `make profile`")
    kernel = BUILD / "minikernel"
    if args.linux:
        kernel = pathlib.Path(subprocess.run([sys.executable, str(REPO / "scripts" / "linux_kernel.py")],
                                             capture_output=True, text=True, check=True).stdout.strip())
    initrd = bench.make_initramfs(args.program)
    counts = BUILD / f"profile-{args.program}.counts"
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    cmd = [qemu, "-accel", "tcg", "-icount", "shift=0,sleep=off", "-plugin", f"{plugin},out={counts}",
           "-m", "512M", "-smp", str(args.smp), "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", str(kernel), "-initrd", str(initrd), "-append", bench.APPEND]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        tail = (e.stdout or b"")[-2000:]
        sys.exit(f"profile: the boot ran past {args.timeout:.0f} s; console tail:\n"
                 + (tail.decode(errors="replace") if isinstance(tail, bytes) else tail))
    for line in run.stdout.splitlines():
        if line.startswith("BENCH"):
            print(line)
    if not counts.exists():
        sys.exit("profile: QEMU wrote no counts; console tail:\n" + run.stdout[-2000:])

    syms = [] if args.linux else symbols(kernel)
    addrs = [a for a, _ in syms]
    by, entries = collections.Counter(), collections.Counter()
    user = kern = 0
    for line in counts.read_text().splitlines():
        v, n, c = line.split()
        va, ins, runs = int(v, 16), int(n) * int(c), int(c)
        if va < KERNEL_BASE:
            user += ins
            continue
        kern += ins
        i = bisect.bisect_right(addrs, va) - 1
        name = syms[i][1] if i >= 0 else "?"
        by[name] += ins
        if i >= 0 and syms[i][0] == va:
            entries[name] += runs
    per = args.per
    print(f"instructions{' per round' if per != 1 else ''}: user {user / per:,.0f}, kernel {kern / per:,.0f}")
    if syms:
        top = by.most_common(args.top)
        print(f"{'kernel instructions':>20} {'entries':>10}  function")
        for (name, ins), pretty in zip(top, demangle([n for n, _ in top])):
            print(f"{ins / per:20,.0f} {entries[name] / per:10,.1f}  {pretty}")


if __name__ == "__main__":
    main()
