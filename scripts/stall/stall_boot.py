#!/usr/bin/env python3
"""stall_boot.py - boot MiniKernel with the host "stalling" its vCPU on purpose.

Under emulation a vCPU is a host thread, and a busy host may not run it for a
while at any instruction. Kernel code that measures time (calibrating the TSC
and the APIC timer, waiting for an AP) must be right whatever instruction the
stall lands on. This tool makes that testable: QEMU starts with its gdb stub,
gdb (batch mode, this file's gdb half) breaks at the entry of each function
named with --stall-in, single-steps through it and everything it calls, and
before a random choice of those instructions (--chance, from --seed) stops the
vCPU for --stall-ms of host time, as a descheduled thread would be. Then the
boot runs on freely. The QEMU command follows `--`; the tool adds `-S` and the
gdb stub to it. The console goes to stdout; the exit status is QEMU's.

    stall_boot.py --stall-in tsc_init --stall-in calibrate_apic_timer -- \\
        qemu-system-x86_64 -accel tcg -kernel build/minikernel -initrd build/initramfs/basics.cpio \\
        -append "console=ttyS0 init=/init" -serial stdio -display none -no-reboot \\
        -device isa-debug-exit,iobase=0xf4,iosize=0x04

Needs gdb (Debian: gdb) and llvm-nm (Swift toolchain) to find the functions.
"""
import argparse
import os
import re
import random
import socket
import subprocess
import sys
import tempfile
import time

from common import option, start_qemu


def symbols(kernel, names):
    """The address of each Swift function of no arguments named in `names`
    (mangled `<len><name>yyF`, or with a private discriminator before `yyF`)."""
    out = subprocess.run(["llvm-nm", "-n", kernel], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0], 16), parts[2]))
    found = {}
    for i, (addr, sym) in enumerate(rows):
        for n in names:
            if n not in found and re.search(rf"(?<!\d){len(n)}{n}(33_[0-9A-F]{{32}}LL)?yyF$", sym):
                found[n] = addr
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"stall_boot: no function {missing} in {kernel}")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


GDB_SCRIPT = r'''
import gdb, random, sys, time
rng = random.Random(SEED)
stops = 0
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:PORT")
# QEMU's default single-step holds its timers, and the serial port's output
# with them; a stalled vCPU's devices run on, so let them.
gdb.execute("maintenance packet Qqemu.sstep=0x1", to_string=True)
for a in ADDRS:
    gdb.execute("hbreak *%#x" % a)
entered = 0
while entered < len(ADDRS):
    gdb.execute("continue")
    entered += 1
    sp0 = int(gdb.parse_and_eval("$rsp"))
    steps = 0
    # Step through the function and its callees until it returns.
    while int(gdb.parse_and_eval("$rsp")) <= sp0 and steps < MAXSTEPS:
        if rng.random() < CHANCE:
            time.sleep(STALL)
            stops += 1
        gdb.execute("stepi", to_string=True)
        steps += 1
    sys.stderr.write("stall_boot: function %d of %d: %d instructions stepped, %d stalls\n" % (entered, len(ADDRS), steps, stops))
    sys.stderr.flush()
gdb.execute("delete")
gdb.execute("detach")
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stall-in", action="append", default=[], help="function to step through (repeatable)")
    ap.add_argument("--chance", type=float, default=0.05, help="chance of a stall before each instruction")
    ap.add_argument("--stall-ms", type=float, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- then the QEMU command")
    a = ap.parse_args()
    qemu = a.qemu[1:] if a.qemu[:1] == ["--"] else a.qemu
    kernel = option(qemu, "-kernel")
    if not kernel:
        sys.exit("stall_boot: the QEMU command after -- has no -kernel")

    addrs = symbols(kernel, a.stall_in)
    port = free_port()
    script = (GDB_SCRIPT.replace("SEED", str(a.seed)).replace("PORT", str(port))
              .replace("ADDRS", repr([addrs[n] for n in a.stall_in]))
              .replace("CHANCE", repr(a.chance)).replace("STALL", repr(a.stall_ms / 1000))
              .replace("MAXSTEPS", str(a.max_steps)))
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
        script_path = f.name
    try:
        q = start_qemu(qemu + ["-gdb", f"tcp:127.0.0.1:{port}", "-S"])
        time.sleep(0.3)
        g = subprocess.run(["gdb", "-q", "-nx", "-batch", "-ex", "set architecture i386:x86-64", "-x", script_path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        if g.returncode != 0:
            print(f"stall_boot: gdb exited with {g.returncode}", file=sys.stderr)
        rc = q.wait()
    finally:
        os.unlink(script_path)
    sys.exit(rc)


if __name__ == "__main__":
    main()
