#!/usr/bin/env python3
"""`make conformance`: CPython's own process tests on MiniKernel and on Debian's Linux.

Each test module (default: test_subprocess test_threading test_signal test_os test_posix)
runs under CPython's own runner, `python3.11 -m test --junit-xml`, as pid 1's child, once on
MiniKernel and once on Debian's Linux (scripts/linux_kernel.py), booted in the same QEMU with
the same initramfs and the same command line, the two boots side by side. The initramfs
(tools/mkinitramfs) holds Debian's python3.11 with its standard library and test package,
dash as init's shell and /bin/sh, cat and sleep (tests run them), libgcc_s (glibc's dlopen for
pthread_exit), Debian's static busybox for `mount -t proc proc /proc`, and the device
nodes both kernels open (/dev/null, zero, tty, random, urandom). Init's script runs the module,
then prints the runner's JUnit XML on the console, where this script reads it back (with the
console made blocking again first: a test may leave O_NONBLOCK on it, and Linux's serial
console then refuses a long write with EAGAIN).

The table says, per module and kernel, how many tests passed, failed (failures and errors)
and were skipped; then every test that passes on Linux but not on MiniKernel, with the first
line of what went wrong. Nothing here is a timed test: each boot has a deadline (--timeout)
only so that a hang ends as "no result". Options: --smp N (default 2), --mem (default 1G),
--timeout SECONDS per boot (default 3600), --markdown (the table for README), and module
names to run instead of the default five.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3.11"
STDLIB = "/usr/lib/python3.11"
MODULES = ["test_subprocess", "test_threading", "test_signal", "test_os", "test_posix"]
# Test data no module above reads: left out to keep the archive (and both guests' RAM) small.
UNUSED = ["test_email", "test_importlib", "test_asyncio", "decimaltestdata", "test_zoneinfo", "test_import",
          "test_lib2to3", "cjkencodings", "audiodata", "xmltestdata", "test_tkinter", "test_ttk", "test_tomllib",
          "test_json", "test_sqlite3", "test_unittest", "test_peg_generator", "tracedmodules", "test_warnings",
          "idlelib", "tkinter", "ensurepip", "lib2to3", "pydoc_data", "turtledemo", "config-3.11-x86_64-linux-gnu"]
DEVICES = {"/dev/null": "c:666:1:3", "/dev/zero": "c:666:1:5", "/dev/tty": "c:666:5:0",
           "/dev/random": "c:666:1:8", "/dev/urandom": "c:666:1:9", "/dev/fd": "->/proc/self/fd"}
BEGIN, END = "conformance-junit-begin", "conformance-junit-end"


def initramfs(out):
    # /bin/sh (dash), cat and sleep: what the tests themselves run; libgcc_s, which glibc
    # loads with dlopen() (no DT_NEEDED names it) when a thread calls pthread_exit().
    args = [os.path.join(ROOT, "tools", "mkinitramfs"), "-o", out, PYTHON, "/usr/bin/dash", "/bin/sh", "/usr/bin/cat",
            "/usr/bin/sleep", "/usr/bin/busybox", "--dir", STDLIB,
            "--add", "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1=/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"]
    for d in UNUSED:
        for base in (STDLIB, os.path.join(STDLIB, "test")):
            if os.path.isdir(os.path.join(base, d)):
                args += ["--exclude", os.path.join(base, d)]
    for dest, src in DEVICES.items():
        args += ["--add", f"{dest}={src}"]
    # Mount points: gen_init_cpio makes a directory for each file's parent.
    keep = os.path.join(os.path.dirname(out), "keep")
    open(keep, "w").close()
    args += ["--add", f"/proc/.keep={keep}", "--add", f"/tmp/.keep={keep}"]
    subprocess.run(args, check=True)


def command_line(module):
    script = (f"busybox mount -t proc proc /proc; cd /tmp; {PYTHON} -m test --junit-xml /tmp/junit.xml {module}; "
              f"echo conformance-status $?; echo {BEGIN}; "
              f"{PYTHON} -c 'import os, sys; os.set_blocking(1, True); sys.stdout.write(open(sys.argv[1]).read())' "
              f"/tmp/junit.xml; "
              f"echo; echo {END}")
    return (f"console=ttyS0 quiet loglevel=1 panic=-1 PYTHONDONTWRITEBYTECODE=1 "
            f"rdinit=/usr/bin/dash -- -c \"{script}\"")


def boot(kernel, cpio, module, args):
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    accel = "tcg,thread=multi" if args.smp > 1 else "tcg"
    cmd = ["timeout", "--kill-after=10", str(args.timeout), qemu, "-accel", accel, "-smp", str(args.smp),
           "-m", args.mem, "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", kernel, "-initrd", cpio, "-append", command_line(module)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode("utf-8", "replace").replace("\r\n", "\n")


def results(console):
    """{test id: (outcome, message)} from the JUnit XML on the console, or None."""
    if BEGIN not in console or END not in console:
        return None
    text = console.split(BEGIN, 1)[1].split(END, 1)[0]
    text = text[text.find("<testsuites"):]
    # Kernel lines may land inside the XML on a busy console: drop them.
    text = re.sub(r"\n\[ *\d+\.\d+\](\[ *C\d+\])? [^\n]*", "", text)
    try:
        tree = ET.fromstring(text.strip())
    except ET.ParseError:
        return None
    out = {}
    for i, case in enumerate(tree.iter("testcase")):
        # regrtest writes an empty <testcase /> when it could not name a test (its id()
        # failed): kept, under its place in the file.
        name = case.get("name") or f"(unnamed test #{i + 1})"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", (child.get("message") or child.text or "").strip()
            elif child.tag == "skipped" and outcome == "passed":
                outcome, message = "skipped", (child.text or "").strip()
        out[name] = (outcome, message)
    return out


def name_unnamed(mk, lx):
    """An unnamed test on one kernel takes the name the other kernel's run gives the test
    at the same place, when both ran the same number (the order is unittest's, the same)."""
    if mk is None or lx is None or len(mk) != len(lx):
        return
    for res, other in ((mk, lx), (lx, mk)):
        names, others = list(res), list(other)
        for k, name in enumerate(names):
            if name.startswith("(unnamed test") and not others[k].startswith("(unnamed test") and others[k] not in res:
                res[others[k]] = res.pop(name)


def count(res):
    if res is None:
        return "no result"
    n = {k: sum(1 for o, _ in res.values() if o == k) for k in ("passed", "failed", "skipped")}
    return f"{n['passed']} passed, {n['failed']} failed, {n['skipped']} skipped"


def first_line(s):
    s = s.strip().splitlines()
    return (s[-1] if s else "")[:160]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", default=MODULES)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--keep", help="a directory to keep each boot's console in")
    args = ap.parse_args()
    for path in (PYTHON, os.path.join(STDLIB, "test", "test_wait3.py")):
        if not os.path.exists(path):
            sys.exit(f"conformance: no {path}: apt-get install python3.11 libpython3.11-testsuite")
    linux = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "linux_kernel.py")],
                           stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    minikernel = os.path.join(ROOT, "build", "minikernel")
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        cpio = os.path.join(tmp, "python.cpio")
        initramfs(cpio)
        rows, diffs = [], []
        for module in args.modules:
            with ThreadPoolExecutor(2) as pool:
                mk_f = pool.submit(boot, minikernel, cpio, module, args)
                lx_f = pool.submit(boot, linux, cpio, module, args)
                (mk_rc, mk_console), (lx_rc, lx_console) = mk_f.result(), lx_f.result()
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                for name, text in (("minikernel", mk_console), ("linux", lx_console)):
                    with open(os.path.join(args.keep, f"{module}.{name}.log"), "w") as f:
                        f.write(text)
            mk, lx = results(mk_console), results(lx_console)
            name_unnamed(mk, lx)
            rows.append((module, count(mk) + ("" if mk is not None else f" (QEMU status {mk_rc})"),
                         count(lx) + ("" if lx is not None else f" (QEMU status {lx_rc})")))
            print(f"conformance: {module}: MiniKernel {rows[-1][1]}; Linux {rows[-1][2]}", file=sys.stderr, flush=True)
            for name, (outcome, _) in sorted((lx or {}).items()):
                if outcome != "passed":
                    continue
                got = (mk or {}).get(name, ("not run", ""))
                if got[0] != "passed":
                    diffs.append((name, got[0], first_line(got[1])))
    if args.markdown:
        print(f"| module | MiniKernel (-smp {args.smp}) | Linux in QEMU (-smp {args.smp}) |")
        print("| --- | --- | --- |")
        for module, mk, lx in rows:
            print(f"| `{module}` | {mk} | {lx} |")
        print()
        print(f"Tests that pass on Linux but not on MiniKernel: {len(diffs)}")
        for name, outcome, why in diffs:
            print(f"- `{name}`: {outcome}" + (f" ({why})" if why else ""))
    else:
        w = max(len(r[0]) for r in rows)
        print(f"{'module':{w}}  {'MiniKernel':45}  Linux in QEMU")
        for module, mk, lx in rows:
            print(f"{module:{w}}  {mk:45}  {lx}")
        print(f"\npass on Linux, not on MiniKernel: {len(diffs)}")
        for name, outcome, why in diffs:
            print(f"  {name}: {outcome}" + (f"  ({why})" if why else ""))


if __name__ == "__main__":
    main()
