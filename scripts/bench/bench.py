#!/usr/bin/env python3
"""MiniKernel's benchmarks: every Userland/bench program as init, under MiniKernel and Linux, in QEMU.

`make bench` builds the kernel and build/userland/bench/*, then runs this script, which

 1. fetches Debian's kernel once with scripts/linux_kernel.py (shared with the tests'
    second oracle): `apt-get download linux-image-amd64` and the linux-image-<version>-amd64
    package it depends on, into a cache outside the repository,
    ${XDG_CACHE_HOME:-~/.cache}/minikernel/linux/, and the uncompressed vmlinux extracted
    from its bzImage as Linux's scripts/extract-vmlinux does.  QEMU boots vmlinux through its
    PVH note, as it boots MiniKernel.  Without network (or apt) it says so and benchmarks
    MiniKernel alone.
 2. builds one initramfs per program (cpio "newc", written here): /init, and /dev/console
    (character device 5:1) because Linux opens it for init's fds 0-2; MiniKernel ignores it.
 3. boots every program with the same QEMU line for both kernels
        qemu-system-x86_64 -accel tcg,thread=multi -m 512M -smp S -kernel K -initrd I
            -append "console=ttyS0 quiet init=/init panic=-1" -no-reboot ...
    at -smp 1 and -smp 4, --runs times each (default 3), every boot under a timeout.  The
    programs power the machine off with reboot(POWER_OFF) when they are done (panic=-1 only
    matters if one fails: Linux then reboots at once and -no-reboot ends QEMU).
 4. checks every run: BENCH-START ... BENCH-DONE and no BENCH-FAIL, else the run failed.
 5. prints one table (metric, MiniKernel median [min-max], Linux median [min-max], ratio),
    the scaling series and the memory per task, with the machine, QEMU's version and both
    kernels' versions on top, and writes it as JSON (build/bench.json) and Markdown
    (build/bench.md).

With --icount (`make bench ICOUNT=1`) QEMU runs single-threaded TCG with
`-icount shift=0,sleep=off`: guest time is the instruction count (1 instruction = 1 ns),
so guest-measured numbers are deterministic.  A kernel that cannot run that way (Linux
stalls bringing up secondary CPUs under -icount) shows as a timeout in the table; then the
other runs of that kernel at that -smp are skipped.  Output: build/bench-icount.{json,md}.

The line format the programs print is documented in Userland/bench/README.md.  Exit
status: 0 when every run that could run was correct, 1 when any run failed (a wrong result,
a crash, or a timeout outside --icount).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
PROGRAMS = ["boot", "spawn_reap", "exit_latency", "group_exit", "tree", "busybox_spawn", "dynamic_spawn"]
# Programs whose initramfs also holds Debian's static busybox and its applet links
# (scripts/busybox-initramfs.sh); skipped, with a note, when /bin/busybox is missing.
BUSYBOX_PROGRAMS = {"busybox_spawn"}
BUSYBOX = Path(os.environ.get("BUSYBOX", "/bin/busybox"))
# Programs whose initramfs also holds Debian's dynamic dash and python3.11 with their
# libraries and the standard library (tools/mkinitramfs); skipped without them.
DYNAMIC_PROGRAMS = {"dynamic_spawn"}
DYNAMIC_NEEDS = ["/usr/bin/dash", "/usr/bin/python3.11", "/usr/lib/python3.11/os.py"]
PYTHON_STDLIB = "/usr/lib/python3.11"
PYTHON_UNUSED = ["test", "idlelib", "tkinter", "ensurepip", "lib2to3", "pydoc_data", "turtledemo",
                 "config-3.11-x86_64-linux-gnu"]
APPEND = "console=ttyS0 quiet init=/init panic=-1"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
KERNELS = ["minikernel", "linux"]
KERNEL_TITLE = {"minikernel": "MiniKernel", "linux": "Linux"}
LINUX_THREAD_SIZE = 16384          # x86-64 THREAD_SIZE (16 KiB kernel stack, no KASAN)


def log(msg=""):
    print(msg, flush=True)


# Debian's kernel: fetched and extracted by scripts/linux_kernel.py (the tests use it too).
sys.path.insert(0, str(REPO / "scripts"))
from linux_kernel import cache_dir, fetch_linux_locked, run_quiet  # noqa: E402


# ---------------------------------------------------------------- initramfs

def cpio_newc(entries):
    """A cpio "newc" archive. entries: (name, mode, data, rdevmajor, rdevminor)."""
    out = bytearray()
    for ino, (name, mode, data, rmaj, rmin) in enumerate(entries + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        bname = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(bname), 0)
        out += b"070701" + "".join(f"{v:08X}" for v in fields).encode() + bname
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    out += b"\0" * (-len(out) % 512)
    return bytes(out)


def make_initramfs(program):
    src = BUILD / "userland" / "bench" / program
    dst = BUILD / "bench" / "initramfs" / f"{program}.cpio"
    dst.parent.mkdir(parents=True, exist_ok=True)
    if program in DYNAMIC_PROGRAMS:
        # /dev/urandom: CPython seeds its hashes from getrandom(GRND_NONBLOCK), which Linux
        # refuses this early in a boot without a hardware RNG; it then reads the device.
        cmd = [str(REPO / "tools" / "mkinitramfs"), "-o", str(dst), "--add", f"/init={src}",
               "--add", "/dev/urandom=c:666:1:9", "--add", "/dev/null=c:666:1:3",
               "/usr/bin/dash", "/usr/bin/python3.11", "--dir", PYTHON_STDLIB]
        for d in PYTHON_UNUSED:
            cmd += ["--exclude", os.path.join(PYTHON_STDLIB, d)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        if p.returncode != 0:
            sys.exit(f"bench: tools/mkinitramfs failed: {p.stdout.decode(errors='replace')}")
        return dst
    if program in BUSYBOX_PROGRAMS:
        # busybox, its applet links (/bin/sh), the program as /init and /dev/console.
        p = subprocess.run([str(REPO / "scripts" / "busybox-initramfs.sh"), str(dst), f"/init={src}",
                            "/dev/console=c:600:5:1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120, env={**os.environ, "BUSYBOX": str(BUSYBOX)})
        if p.returncode != 0:
            sys.exit(f"bench: scripts/busybox-initramfs.sh failed: {p.stdout.decode(errors='replace')}")
        return dst
    dst.write_bytes(cpio_newc([
        ("dev", 0o040755, b"", 0, 0),
        ("dev/console", 0o020600, b"", 5, 1),      # Linux opens it for init's fds 0-2
        ("init", 0o100755, src.read_bytes(), 0, 0),
    ]))
    return dst


# ---------------------------------------------------------------- QEMU

class Boot:
    def __init__(self):
        self.lines = []          # (seconds since QEMU's start, text)
        self.status = None
        self.timed_out = None    # None, "boot" (init never started) or "run"
        self.elapsed = 0.0

    def first(self, prefix):
        return next(((t, l) for t, l in self.lines if l.startswith(prefix)), None)


def qemu_cmd(kernel, initrd, smp, icount, append=APPEND):
    accel = ["-accel", "tcg", "-icount", "shift=0,sleep=off"] if icount else ["-accel", "tcg,thread=multi"]
    return [QEMU, *accel, "-m", "512M", "-smp", str(smp), "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", str(kernel), "-initrd", str(initrd), "-append", append]


def boot(cmd, boot_timeout, run_timeout):
    b = Boot()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def reader():
        for raw in p.stdout:
            b.lines.append((time.monotonic() - t0, raw.decode(errors="replace").rstrip("\r\n")))

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    while p.poll() is None:
        now = time.monotonic() - t0
        started = any(l.startswith("BENCH-START") for _, l in list(b.lines))
        if (not started and now > boot_timeout) or now > run_timeout:
            b.timed_out = "run" if started else "boot"
            p.kill()
            break
        time.sleep(0.02)
    p.wait()
    th.join(timeout=5)
    b.status = p.returncode
    b.elapsed = time.monotonic() - t0
    return b


KV = re.compile(r"(\w[\w.]*)=(\S+)")


def parse_run(b):
    """(metrics, infos, problem): metrics is a list of (metric, params, value_ns, unit, n)."""
    metrics, infos, fails = [], {}, []
    started = done = False
    for _, line in b.lines:
        if line.startswith("BENCH-START "):
            started = True
        elif line.startswith("BENCH-DONE "):
            done = True
        elif line.startswith("BENCH-FAIL "):
            fails.append(line)
        elif line.startswith("BENCH-INFO "):
            m = re.match(r"BENCH-INFO name=\S+ key=(\S+) value=(.*)$", line)
            if m:
                infos[m.group(1)] = m.group(2)
        elif line.startswith("BENCH "):
            kv = dict(KV.findall(line))
            params = tuple((k, int(v)) for k, v in KV.findall(line)
                           if k not in ("name", "metric", "value", "unit", "n"))
            scale = {"ns": 1, "us": 1000, "ms": 1000000}[kv["unit"]]
            metrics.append((kv["metric"], params, int(kv["value"]) * scale, kv["unit"], int(kv["n"])))
    problem = None
    if fails:
        problem = "; ".join(fails)
    elif b.timed_out == "boot":
        problem = f"timeout: init never started ({b.elapsed:.0f} s)"
    elif b.timed_out == "run":
        problem = f"timeout after init started ({b.elapsed:.0f} s)"
    elif not started:
        problem = f"init never started (QEMU status {b.status})"
    elif not done:
        problem = f"no BENCH-DONE line (QEMU status {b.status})"
    return metrics, infos, problem


# ---------------------------------------------------------------- formatting

def fmt_ns(ns):
    if ns is None:
        return "-"
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= div:
            v = ns / div
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{ns:.0f} ns"


def fmt_cell(values):
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt_ns(med)
    return f"{fmt_ns(med)} [{fmt_ns(min(values))}–{fmt_ns(max(values))}]"


def metric_label(program, metric, params):
    p = " ".join(f"{k}={v}" for k, v in params)
    metric = re.sub(r"_(ns|us|ms)$", "", metric)       # the cells carry their own units
    return f"{program} {metric}" + (f" ({p})" if p else "")


def linux_config(meta):
    """The fetched kernel's .config as a dict (empty when not available)."""
    if not meta or not meta.get("config"):
        return {}
    try:
        text = (cache_dir() / meta["config"]).read_text(errors="replace")
    except OSError:
        return {}
    return dict(m.groups() for m in re.finditer(r"^(CONFIG_\w+)=(.*)$", text, re.M))


def host_info():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        mem = f"{kb / 1048576:.0f} GiB"
    except (OSError, AttributeError):
        pass
    load = host_load()
    ok, qv = run_quiet([QEMU, "--version"])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "host_kernel": platform.release(), "python": platform.python_version(), "load_at_start": load,
            "qemu": qv.splitlines()[0].strip() if ok and qv else "?"}


def host_load():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def git_rev():
    ok, out = run_quiet(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    if not ok:
        return "?"
    ok2, st = run_quiet(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    return out.strip() + ("-dirty" if ok2 and st.strip() else "")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--icount", action="store_true", help="deterministic mode: -icount shift=0,sleep=off")
    ap.add_argument("--runs", type=int, default=3, help="boots per program, kernel and -smp (default 3)")
    ap.add_argument("--smp", default="1,4", help="comma-separated CPU counts (default 1,4)")
    ap.add_argument("--programs", default=",".join(PROGRAMS), help="comma-separated subset of " + ",".join(PROGRAMS))
    ap.add_argument("--no-linux", action="store_true", help="MiniKernel only")
    ap.add_argument("--refresh-linux", action="store_true", help="fetch Debian's kernel again")
    ap.add_argument("--boot-timeout", type=float, default=45, help="seconds until init's first line")
    ap.add_argument("--run-timeout", type=float, default=120, help="seconds for a whole boot")
    args = ap.parse_args()

    mode = "icount" if args.icount else "tcg"
    smps = [int(s) for s in args.smp.split(",")]
    programs = [p for p in args.programs.split(",") if p]
    busybox_note = None
    if BUSYBOX_PROGRAMS & set(programs) and not (BUSYBOX.exists() and os.access(BUSYBOX, os.X_OK)):
        busybox_note = f"{', '.join(sorted(BUSYBOX_PROGRAMS & set(programs)))} not run: no {BUSYBOX} (apt-get install busybox-static)"
        log(f"bench: {busybox_note}")
        programs = [p for p in programs if p not in BUSYBOX_PROGRAMS]
    missing = [p for p in DYNAMIC_NEEDS if not os.path.exists(p)]
    if DYNAMIC_PROGRAMS & set(programs) and missing:
        note = f"{', '.join(sorted(DYNAMIC_PROGRAMS & set(programs)))} not run: no {', '.join(missing)} (apt-get install dash python3.11)"
        busybox_note = f"{busybox_note}; {note}" if busybox_note else note
        log(f"bench: {note}")
        programs = [p for p in programs if p not in DYNAMIC_PROGRAMS]
    for p in programs:
        if not (BUILD / "userland" / "bench" / p).exists():
            sys.exit(f"bench: build/userland/bench/{p} is missing: run `make bench`")
    started_at = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    host = host_info()

    kernels = {"minikernel": BUILD / "minikernel"}
    linux_meta, linux_note = None, None
    if args.no_linux:
        linux_note = "not run (--no-linux)"
    else:
        try:
            vmlinux, res = fetch_linux_locked(args.refresh_linux)
        except Exception as e:                       # noqa: BLE001 - any failure means "no Linux"
            vmlinux, res = None, f"{type(e).__name__}: {e}"
        if vmlinux:
            kernels["linux"], linux_meta = vmlinux, res
        else:
            linux_note = f"NOT RUN: Debian's kernel could not be fetched ({res})"
            log(f"Linux: {linux_note}")
            log("Linux: benchmarking MiniKernel only")

    initrds = {p: make_initramfs(p) for p in programs}

    # MiniKernel's boot log (not quiet), once per -smp: version lines, CPUs, task_memory.
    mk_log = {}
    for smp in smps:
        b = boot(qemu_cmd(kernels["minikernel"], initrds.get("boot") or make_initramfs("boot"), smp, args.icount,
                          append=APPEND.replace("quiet ", "")), args.boot_timeout, args.run_timeout)
        mk_log[smp] = [l for _, l in b.lines]

    # results[kernel][smp][(program, metric, params)] = [values in ns]
    results = {k: {s: {} for s in smps} for k in kernels}
    order = []                                       # metric keys in first-seen order
    infos = {k: {} for k in kernels}
    cpus_seen = {}                                   # (kernel, smp) -> what sched_getaffinity said
    failures, stalls = [], {}                        # stalls[(kernel, smp)] = reason
    skipped = set()                                  # (kernel, smp, program) after a run-timeout

    total = args.runs * len(smps) * len(programs) * len(kernels)
    i = 0
    log(f"Mode: {mode}; {args.runs} runs x -smp {args.smp} x {len(programs)} programs x {len(kernels)} kernels"
        f" = {total} boots")
    for run in range(1, args.runs + 1):
        for smp in smps:
            for prog in programs:
                for kname, kpath in kernels.items():
                    i += 1
                    tag = f"[{i:3}/{total}] {KERNEL_TITLE[kname]:10} -smp {smp} {prog:12} run {run}"
                    if (kname, smp) in stalls or (kname, smp, prog) in skipped:
                        log(f"{tag}: skipped")
                        continue
                    b = boot(qemu_cmd(kpath, initrds[prog], smp, args.icount), args.boot_timeout, args.run_timeout)
                    metrics, info, problem = parse_run(b)
                    infos[kname].update(info)
                    if "cpus" in info:
                        cpus_seen[(kname, smp)] = info["cpus"]
                    if problem and b.timed_out and args.icount:
                        # Cannot run under -icount: the table says so; not a failure.
                        if b.timed_out == "boot":
                            stalls[(kname, smp)] = problem
                        else:
                            skipped.add((kname, smp, prog))
                            stalls.setdefault((kname, smp, prog), problem)
                        log(f"{tag}: {problem} (cannot run under -icount)")
                        continue
                    if problem:
                        tail = "\n".join(l for _, l in b.lines[-15:])
                        failures.append({"kernel": kname, "smp": smp, "program": prog, "run": run,
                                         "problem": problem, "console_tail": tail})
                        log(f"{tag}: FAILED: {problem}\n    console tail:\n      " + tail.replace("\n", "\n      "))
                        if b.timed_out == "boot":
                            stalls[(kname, smp)] = problem
                        elif b.timed_out:
                            skipped.add((kname, smp, prog))
                        continue
                    if prog == "boot":
                        t, _ = b.first("BENCH-START")
                        metrics.insert(0, ("qemu_start_to_init_ns", (), int(t * 1e9), "ns", 1))
                        # What QEMU and the firmware take before the kernel's clock starts
                        # (loading the image, SeaBIOS, the PVH entry): both kernels pay it.
                        mono = next((v for m, _, v, _, _ in metrics if m == "monotonic_at_init_us"), None)
                        if mono is not None:
                            metrics.insert(1, ("before_kernel_clock_ns", (), int(t * 1e9) - mono, "ns", 1))
                    for metric, params, value, _, _ in metrics:
                        key = (prog, metric, params)
                        if key not in order:
                            order.append(key)
                        results[kname][smp].setdefault(key, []).append(value)
                    log(f"{tag}: ok ({b.elapsed:.1f} s)")

    # ---- the report
    order.sort(key=lambda k: programs.index(k[0]))
    mk_release = infos["minikernel"].get("uname.release", "?")
    mk_version = infos["minikernel"].get("uname.version", "?")
    mk_banner = next((l.split("] ", 2)[-1] for l in mk_log[smps[0]] if "MiniKernel version" in l), None)
    head = [
        f"MiniKernel benchmarks, {date}, mode: "
        + ("-icount shift=0,sleep=off (single-threaded TCG; guest time = instructions)" if args.icount
           else "TCG multi-threaded"),
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory']} RAM, host Linux {host['host_kernel']}; "
        f"load average {host['load_at_start']} at the start, {host_load()} at the end",
        f"QEMU: {host['qemu']}; -m 512M; -append \"{APPEND}\"",
        f"MiniKernel: {mk_release} ({mk_version}), commit {git_rev()}"
        + (f"; boot banner: {mk_banner}" if mk_banner else ""),
    ]
    if linux_meta:
        head.append(f"Linux: {infos['linux'].get('uname.release', linux_meta['kernel_release'])} "
                    f"({infos['linux'].get('uname.version', '?')}), Debian package {linux_meta['package']} "
                    f"{linux_meta['version']}, vmlinux from a {linux_meta['compression']} bzImage payload")
    else:
        head.append(f"Linux: {linux_note}")
    head.append(f"Runs: {args.runs} per cell; cells are median [min–max] over runs (each run's value is "
                "itself a mean or median over many rounds, see Userland/bench/README.md); "
                "ratio = MiniKernel / Linux (below 1: MiniKernel faster)")

    have_linux = "linux" in kernels
    rows_md = ["| metric | -smp | MiniKernel | Linux | ratio |", "| --- | --- | --- | --- | --- |"]
    rows_json = []
    for key in order:
        prog, metric, params = key
        for smp in smps:
            mk = results["minikernel"][smp].get(key, [])
            lx = results["linux"][smp].get(key, []) if have_linux else []
            ratio = (statistics.median(mk) / statistics.median(lx)) if mk and lx and statistics.median(lx) else None

            def cell(kname, vals):
                if vals:
                    return fmt_cell(vals)
                if kname not in kernels:
                    return "not run"
                if (kname, smp) in stalls:
                    return "timeout" + (" (stalls under -icount)" if args.icount else "")
                if (kname, smp, prog) in skipped:
                    return "timeout" + (" (hangs under -icount)" if args.icount else "")
                if any(f["kernel"] == kname and f["smp"] == smp and f["program"] == prog for f in failures):
                    return "FAILED"
                return "-"
            rows_md.append(f"| {metric_label(prog, metric, params)} | {smp} | {cell('minikernel', mk)} | "
                           f"{cell('linux', lx)} | {f'{ratio:.2f}' if ratio else '-'} |")
            rows_json.append({"program": prog, "metric": metric, "params": dict(params), "smp": smp, "unit": "ns",
                              "minikernel": mk, "linux": lx,
                              "minikernel_median": statistics.median(mk) if mk else None,
                              "linux_median": statistics.median(lx) if lx else None,
                              "ratio": ratio})

    # ---- the series (medians)
    series_md = []

    def series(prog, metric, pname):
        keys = [k for k in order if k[0] == prog and k[1] == metric and k[2] and k[2][0][0] == pname]
        if not keys:
            return
        xs = [dict(k[2])[pname] for k in keys]
        series_md.append(f"{prog} {metric} against {pname} (medians):")
        series_md.append("| kernel | -smp | " + " | ".join(f"{pname}={x}" for x in xs) + " |")
        series_md.append("| --- | --- | " + " | ".join("---" for _ in xs) + " |")
        for kname in kernels:
            for smp in smps:
                vals = [results[kname][smp].get(k, []) for k in keys]
                series_md.append(f"| {KERNEL_TITLE[kname]} | {smp} | "
                                 + " | ".join(fmt_ns(statistics.median(v)) if v else "-" for v in vals) + " |")
        series_md.append("")
    series("group_exit", "exit_group_ns", "threads")
    series("spawn_reap", "ns_per_round", "siblings")

    # ---- memory per task
    mem = {}
    mk_mem = None
    for smp in smps:
        for line in mk_log[smp]:
            m = re.search(r"task_memory: thread=(\d+) process=(\d+)(?: \((.*)\))?", line)
            if m:
                mk_mem = (int(m.group(1)), int(m.group(2)), m.group(3) or "")
    mem["minikernel"] = ({"thread": mk_mem[0], "process": mk_mem[1], "breakdown": mk_mem[2],
                          "source": "the kernel's boot line task_memory: (ksize of real objects + THREAD_SIZE, "
                                    "checked against fork by the ktest suite task_memory): " + mk_mem[2]}
                         if mk_mem else {"thread": None, "process": None,
                                         "source": "not reported (no task_memory: line in the boot log)"})
    slab = {k[len("slab."):]: int(v) for k, v in infos.get("linux", {}).items() if k.startswith("slab.")}
    config = linux_config(linux_meta)
    pti = config.get("CONFIG_PAGE_TABLE_ISOLATION") == "y" if config else None
    linux_pgd = 8192 if pti or pti is None else 4096      # PGD_ALLOCATION_ORDER 1 with PTI compiled in
    pgd_note = ("PGD 8 KiB (order 1: CONFIG_PAGE_TABLE_ISOLATION=y in its .config)" if pti else
                "PGD 4 KiB (no CONFIG_PAGE_TABLE_ISOLATION)" if pti is False else
                "PGD 8 KiB (assumed: CONFIG_PAGE_TABLE_ISOLATION, .config not available)")
    if have_linux and "task_struct" in slab:
        thread = LINUX_THREAD_SIZE + slab["task_struct"] + slab.get("pid", 0)
        process = thread + linux_pgd + sum(slab.get(c, 0) for c in
                                           ("mm_struct", "signal_cache", "sighand_cache", "files_cache", "fs_cache"))
        mem["linux"] = {"thread": thread, "process": process, "slab_object_sizes": slab, "pgd": linux_pgd,
                        "source": "16 KiB kernel stack (THREAD_SIZE) + task_struct + pid (thread); + mm_struct, "
                                  "signal_cache, sighand_cache, files_cache, fs_cache and the " + pgd_note +
                                  " (process); slab object sizes read by the boot program from the guest's "
                                  "/sys/kernel/slab: " + ", ".join(f"{k} {v}" for k, v in slab.items())}
    else:
        mem["linux"] = {"thread": LINUX_THREAD_SIZE + 9728, "process": None,
                        "source": "known figure: 16 KiB stack + task_struct ~9.5 KiB on 6.x (not measured)"}
    mem_md = ["| kernel bytes per | MiniKernel | Linux | ratio |", "| --- | --- | --- | --- |"]
    for what in ("thread", "process"):
        a, b = mem["minikernel"][what], mem["linux"][what]
        mem_md.append(f"| {what} | {a if a else 'not reported'} | {b if b else '-'} | "
                      f"{f'{a / b:.2f}' if a and b else '-'} |")
    mem_md.append("")
    mem_md.append(f"MiniKernel: {mem['minikernel']['source']}.")
    mem_md.append(f"Linux: {mem['linux']['source']}.")
    mem_md.append("Both: page tables below the PGD and VMAs depend on the program and are not counted.")

    # ---- the targets (for the benchmark only; never a timed test)
    targets_md = ["| target | -smp | MiniKernel | Linux | ratio | goal | met? |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
    targets_json = []

    def target(label, key, goal, smp_only=None):
        if key[0] not in programs:
            return
        for smp in smps:
            if smp_only and smp != smp_only:
                continue
            mk = results["minikernel"][smp].get(key, [])
            lx = results["linux"][smp].get(key, []) if have_linux else []
            if mk and lx:
                ratio = statistics.median(mk) / statistics.median(lx)
                met = "yes" if ratio <= goal else "no"
            else:
                ratio, met = None, "cannot tell (" + ("Linux not run" if not have_linux
                                                       else "no Linux value" if mk else "no MiniKernel value") + ")"
            targets_md.append(f"| {label} | {smp} | {fmt_ns(statistics.median(mk)) if mk else '-'} | "
                              f"{fmt_ns(statistics.median(lx)) if lx else '-'} | {f'{ratio:.3f}' if ratio else '-'} | "
                              f"≤ 1/{round(1 / goal)} | {met} |")
            targets_json.append({"target": label, "smp": smp, "ratio": ratio, "goal_ratio": goal, "met": met})

    target("fork+exit+wait4 round trip (spawn_reap, no siblings)", ("spawn_reap", "ns_per_round", (("siblings", 0),)), 1 / 4)
    target("exit latency (exit_latency, median)", ("exit_latency", "exit_to_wait_ns", ()), 1 / 4)
    target("exit_group, 64 threads on 4 CPUs", ("group_exit", "exit_group_ns", (("threads", 64),)), 1 / 4, smp_only=4)
    target("reparenting tree (tree, total)", ("tree", "total_ns", ()), 1 / 4)
    target("sh -c true spawned by busybox (busybox_spawn, mean of 200; issue 12)",
           ("busybox_spawn", "sh_c_true_ns", ()), 1 / 4)
    target("dash -c true, start to exit (dynamic_spawn; issue 13)", ("dynamic_spawn", "dash_c_true_ns", ()), 1 / 2)
    target("python3 -c pass, start to exit (dynamic_spawn; issue 13)", ("dynamic_spawn", "python_c_pass_ns", ()), 1 / 2)
    target("boot: QEMU start to init's first line", ("boot", "qemu_start_to_init_ns", ()), 1 / 30)
    target("boot: kernel's CLOCK_MONOTONIC at init", ("boot", "monotonic_at_init_us", ()), 1 / 30)
    t_mem = mem["minikernel"]["thread"]
    met = ("yes" if t_mem <= 8192 else "no") if t_mem else "cannot tell (not reported)"
    targets_md.append(f"| kernel memory per thread | - | {t_mem or '-'} B | {mem['linux']['thread'] or '-'} B | - | "
                      f"≤ 8192 B | {met} |")
    targets_json.append({"target": "kernel memory per thread", "bytes": t_mem, "goal_bytes": 8192, "met": met})

    # CPUs each kernel really brought up: MiniKernel's boot line "smp: Brought up 1 node, N CPUs"
    # (num_online_cpus() after bring-up) and init's sched_getaffinity (allowed & online) on both.
    # Not the [Cn] tags of MiniKernel's log: only the boot CPU prints during boot, so they say C0
    # whether or not the application processors came up.
    cpu_md = []
    for smp in smps:
        up = next((int(m.group(1)) for l in mk_log[smp]
                   for m in [re.search(r"smp: Brought up \d+ nodes?, (\d+) CPUs?", l)] if m), None)
        aff = cpus_seen.get(("minikernel", smp))
        line = (f"-smp {smp}: MiniKernel: boot log \"Brought up ... {up if up is not None else '?'} CPU(s)\", "
                f"init's sched_getaffinity: {aff if aff is not None else '-'}")
        if have_linux:
            line += f"; Linux: init's sched_getaffinity: {cpus_seen.get(('linux', smp), '-')}"
        fewer = [n for n in (up, int(aff) if aff is not None and str(aff).isdigit() else None)
                 if n is not None and n < smp]
        if fewer:
            line += (f" -- MiniKernel has {min(fewer)} of the {smp} CPUs online, so its -smp {smp} numbers are "
                     f"{min(fewer)}-CPU numbers")
        elif smp > 1 and up is None:
            line += " -- MiniKernel's boot log has no \"smp: Brought up\" line: cannot tell how many CPUs it used"
        cpu_md.append(line)

    out = []
    out += head + [""] + rows_md + [""]
    out += ["Series:", ""] + series_md
    out += ["Memory per task:", ""] + mem_md + [""]
    out += ["Targets (issues 6 and 12; the benchmark's goals, never a timed test):", ""] + targets_md + [""]
    out += ["CPUs:"] + ["  " + c for c in cpu_md] + [""]
    if stalls:
        out.append("Could not run (timeouts):")
        for (k, *rest), why in stalls.items():
            out.append(f"  {KERNEL_TITLE[k]} -smp {rest[0]}{' ' + rest[1] if len(rest) > 1 else ''}: {why}")
        out.append("")
    if failures:
        out.append(f"FAILED runs: {len(failures)}")
        for f in failures:
            out.append(f"  {KERNEL_TITLE[f['kernel']]} -smp {f['smp']} {f['program']} run {f['run']}: {f['problem']}")
        out.append("")
    if busybox_note:
        out.append(f"Skipped: {busybox_note}")
        out.append("")
    out.append(f"Total time: {time.monotonic() - started_at:.0f} s")
    text = "\n".join(out)
    log("")
    log(text)

    stem = "bench-icount" if args.icount else "bench"
    (BUILD / f"{stem}.md").write_text(text + "\n")
    report = {
        "date": date, "mode": mode, "runs": args.runs, "smp": smps, "append": APPEND, "machine": host,
        "kernels": {
            "minikernel": {"release": mk_release, "version": mk_version, "commit": git_rev(), "banner": mk_banner},
            "linux": ({**linux_meta, "uname_release": infos["linux"].get("uname.release"),
                       "uname_version": infos["linux"].get("uname.version")} if linux_meta else {"note": linux_note}),
        },
        "rows": rows_json, "memory_per_task": mem, "targets": targets_json, "cpus": cpu_md,
        "timeouts": [{"kernel": k[0], "smp": k[1], "program": k[2] if len(k) > 2 else None, "reason": v}
                     for k, v in stalls.items()],
        "failures": failures,
    }
    (BUILD / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"Wrote build/{stem}.json and build/{stem}.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
