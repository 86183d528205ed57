#!/usr/bin/env python3
"""starve_boot.py - boot MiniKernel with its secondary vCPUs starved by the host.

A vCPU is a host thread; on a busy host the thread of an AP may not run for
seconds after the boot CPU sent it INIT-SIPI-SIPI. This tool makes that happen
on purpose: QEMU starts paused (-S), every vCPU thread but CPU 0's is put on
SCHED_IDLE, all of QEMU is pinned to one host CPU, and busy processes (--hogs)
run on that CPU at normal priority, so an AP gets a fraction of a percent of it. The
busy processes stop, and QEMU's threads get their normal priority and every
host CPU back, once the kernel's `smp: Brought up` line (or --until) is on the
console, so the rest of the run is at normal speed. The QEMU command follows
`--`; the tool adds `-S`, a QMP socket and thread names to it. The console goes
to stdout; the exit status is QEMU's.

    starve_boot.py -- qemu-system-x86_64 -accel tcg,thread=multi -smp 4 -kernel build/minikernel \\
        -initrd build/initramfs/basics.cpio -append "console=ttyS0 init=/init" -serial stdio \\
        -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from common import option, start_qemu


def qmp(sock_path, *commands):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect(sock_path)
            break
        except OSError:
            time.sleep(0.05)
    f = s.makefile("rw")
    f.readline()                                   # the greeting
    for c in ("qmp_capabilities",) + commands:
        f.write(json.dumps({"execute": c}) + "\n")
        f.flush()
        while "return" not in (reply := json.loads(f.readline())) and "error" not in reply:
            pass
    s.close()


def vcpu_threads(pid):
    """{cpu index: tid} from the thread names QEMU gives with debug-threads=on."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except OSError:
            continue
        if name.startswith("CPU ") and name.endswith("/TCG"):
            out[int(name[4:].split("/")[0])] = int(tid)
    return out


def release(pid, threads):
    """The starvation is over: every thread back on every CPU, at normal priority."""
    cpus = os.sched_getaffinity(0)
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass
    for tid in threads.values():
        try:
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--until", default="smp: Brought up", help="console text that ends the starvation")
    ap.add_argument("--hogs", type=int, default=2, help="busy processes beside QEMU on its host CPU")
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- then the QEMU command")
    a = ap.parse_args()
    qemu = a.qemu[1:] if a.qemu[:1] == ["--"] else a.qemu
    smp = int(option(qemu, "-smp", "1"))

    host_cpu = sorted(os.sched_getaffinity(0))[0]
    tmp = tempfile.mkdtemp(prefix="starve-")
    sock = os.path.join(tmp, "qmp.sock")
    q = start_qemu(qemu + ["-name", "starved,debug-threads=on", "-qmp", f"unix:{sock},server=on,wait=off", "-S"],
                   stdout=subprocess.PIPE)
    hogs = []
    try:
        deadline = time.time() + 10
        threads = {}
        while len(threads) < smp and time.time() < deadline:
            threads = vcpu_threads(q.pid)
            time.sleep(0.02)
        if len(threads) < smp:
            sys.exit(f"starve_boot: found vCPU threads {sorted(threads)}, expected {smp}")
        for tid in os.listdir(f"/proc/{q.pid}/task"):
            os.sched_setaffinity(int(tid), {host_cpu})
        for cpu, tid in threads.items():
            if cpu != 0:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        for _ in range(a.hogs):
            # No inherited stdout: a reader waiting for our EOF would wait for them too.
            hogs.append(start_qemu([sys.executable, "-c", "while True: pass"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            os.sched_setaffinity(hogs[-1].pid, {host_cpu})
        qmp(sock, "cont")
        start = time.time()
        starving = True
        for line in q.stdout:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
            if starving and a.until.encode() in line:
                for h in hogs:
                    h.kill()
                release(q.pid, threads)
                starving = False
                print(f"starve_boot: starvation ended after {time.time() - start:.2f} s", file=sys.stderr)
        rc = q.wait()
    finally:
        for h in hogs:
            h.kill()
        if q.poll() is None:
            q.kill()
        try:
            os.unlink(sock)
        except OSError:
            pass
        os.rmdir(tmp)
    sys.exit(rc)


if __name__ == "__main__":
    main()
