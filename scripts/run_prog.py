#!/usr/bin/env python3
"""`make run PROG="dash -c 'exit 3'"`: boot one of this machine's programs as init.

PROG is split as a shell would split it. Its first word (a name looked up in $PATH, or a
path) is packed by tools/mkinitramfs with its loader and libraries, at the path it has
here; the other words become init's arguments on the kernel command line (after "--",
each one with a space in double quotes, as Linux's command-line parser reads them).
EXTRA="prog ..." packs more programs (what a shell script will run), DIRS="dir ..." host
directory trees (Python's standard library); TRACE=1 adds trace=exit; SMP=N sets the CPU
count (default 2), MEM the guest's memory (default 256M). The exit status of init is the
kernel's last line ("Attempted to kill init! exitcode=0x00000300" for 3).
"""
import os
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    words = shlex.split(os.environ.get("PROG", ""))
    if not words:
        sys.exit("run_prog: PROG is empty")
    prog = words[0] if "/" in words[0] else shutil.which(words[0])
    if not prog:
        sys.exit(f"run_prog: {words[0]}: not found in PATH")
    for w in words[1:]:
        if '"' in w:
            sys.exit(f"run_prog: {w!r}: the kernel command line cannot carry a double quote")
    build = os.path.join(ROOT, "build")
    cpio = os.path.join(build, "prog.cpio")
    extra = shlex.split(os.environ.get("EXTRA", ""))
    for d in shlex.split(os.environ.get("DIRS", "")):
        extra += ["--dir", d]
    subprocess.run([os.path.join(ROOT, "tools", "mkinitramfs"), "-o", cpio, prog] + extra, check=True)
    args = " ".join(f'"{w}"' if (" " in w or not w) else w for w in words[1:])
    append = f"console=ttyS0 init={os.path.abspath(prog)}"
    if os.environ.get("TRACE", "0") not in ("", "0"):
        append += " trace=exit"
    if args:
        append += " -- " + args
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    # The Makefile's QEMU_FLAGS, then what this run changes (QEMU takes the last -m).
    flags = shlex.split(os.environ.get("QEMU_FLAGS", "-accel tcg -display none -monitor none -serial stdio -no-reboot"))
    cmd = ["timeout", "60", qemu] + flags + ["-m", os.environ.get("MEM", "256M"), "-smp", os.environ.get("SMP", "2"),
           "-kernel", os.path.join(build, "minikernel"), "-initrd", cpio, "-append", append]
    status = subprocess.run(cmd).returncode
    print(f"(QEMU exited with status {status}; see README: QEMU exit status)")


if __name__ == "__main__":
    main()
