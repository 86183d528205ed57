#!/usr/bin/env python3
"""Debian's own Linux kernel for QEMU: the second oracle of the tests and the other kernel of `make bench`.

    python3 scripts/linux_kernel.py            prints the path of the uncompressed vmlinux
    python3 scripts/linux_kernel.py --json     prints what is known about it (package, version, ...)
    python3 scripts/linux_kernel.py --refresh  fetches it again

The first call fetches it once (`apt-get download linux-image-amd64` and the
linux-image-<version>-amd64 package it depends on) into a cache outside the repository,
${XDG_CACHE_HOME:-~/.cache}/minikernel/linux/, takes /boot/vmlinuz-* (and /boot/config-*)
out of the package with dpkg-deb and extracts the uncompressed vmlinux from that bzImage the
way Linux's scripts/extract-vmlinux does: find a compression magic, decompress from there,
keep the first result that is an ELF file.  QEMU boots vmlinux through its PVH note, as it
boots MiniKernel.  Later calls only read the cache.  Concurrent callers (a test run beside
`make bench`) take a lock on the cache, so the download happens once.

Used by scripts/bench/bench.py (imported) and by the tests' harness
(Tests/QEMUTests/Harness/LinuxQEMU.swift, which runs it).  Messages go to stderr; on failure
(no apt-get/dpkg-deb, no network) the exit status is 1 and the last stderr line says why.
"""

import bz2
import datetime
import fcntl
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "minikernel" / "linux"


def run_quiet(cmd, cwd=None):
    """Runs cmd; returns (ok, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    return p.returncode == 0, p.stdout.decode(errors="replace")


def apt_download(pkg, cwd):
    ok, out = run_quiet(["apt-get", "download", pkg], cwd=cwd)
    if not ok and os.geteuid() == 0:
        # A fresh machine may have no package lists yet.
        log("  apt-get download failed; running apt-get update once and retrying")
        run_quiet(["apt-get", "update", "-q"])
        ok, out = run_quiet(["apt-get", "download", pkg], cwd=cwd)
    return ok, out


# Linux's scripts/extract-vmlinux tries these, in this order.
COMPRESSIONS = [
    ("gzip", b"\x1f\x8b\x08"),
    ("xz", b"\xfd7zXZ\x00"),
    ("bzip2", b"BZh"),
    ("lzma", b"\x5d\x00\x00\x00"),
    ("lzo", b"\x89LZO"),
    ("lz4", b"\x02\x21\x4c\x18"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
]
TOOL_FOR = {"lzo": ["lzop", "-dc"], "lz4": ["lz4", "-dc"], "zstd": ["zstd", "-dc"]}


def _decompressor(kind):
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return None


def try_decompress(kind, blob):
    """Decompresses blob (which may have trailing bytes) or returns None."""
    if kind in TOOL_FOR:
        tool = TOOL_FOR[kind]
        if not shutil.which(tool[0]):
            return None
        # Like extract-vmlinux: keep what the tool wrote even if it complains about the tail.
        p = subprocess.run(tool, input=blob, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return p.stdout if p.stdout[:4] == b"\x7fELF" else None
    try:
        probe = _decompressor(kind)
        if probe.decompress(blob, 64)[:4] != b"\x7fELF":     # cheap check of the first bytes
            return None
        return _decompressor(kind).decompress(blob)
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
        return None


def extract_vmlinux(bzimage):
    """The uncompressed ELF inside a bzImage: (bytes, compression, offset)."""
    for kind, magic in COMPRESSIONS:
        pos = bzimage.find(magic)
        tries = 0
        while pos != -1 and tries < 64:
            out = try_decompress(kind, bzimage[pos:])
            if out:
                return out, kind, pos
            pos = bzimage.find(magic, pos + 1)
            tries += 1
    raise RuntimeError("no compressed ELF payload found in the bzImage")


def fetch_linux(refresh=False):
    """Returns (vmlinux Path, info dict) or (None, reason)."""
    cache = cache_dir()
    meta_path = cache / "vmlinux.json"
    if meta_path.exists() and not refresh:
        meta = json.loads(meta_path.read_text())
        vmlinux = cache / meta["vmlinux"]
        if vmlinux.exists():
            log(f"Linux: using the cached {meta['package']} {meta['version']} ({vmlinux})")
            return vmlinux, meta
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return None, "apt-get/dpkg-deb not found (not a Debian machine)"
    cache.mkdir(parents=True, exist_ok=True)
    log(f"Linux: fetching Debian's linux-image-amd64 into {cache} (once; about 70 MB)")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        ok, out = apt_download("linux-image-amd64", tmp)
        if not ok:
            last = (out.strip().splitlines() or ["no output"])[-1]
            return None, f"apt-get download linux-image-amd64 failed: {last}"
        meta_deb = next(Path(tmp).glob("linux-image-amd64_*.deb"))
        ok, depends = run_quiet(["dpkg-deb", "-f", str(meta_deb), "Depends"])
        m = re.search(r"(linux-image-[0-9][^\s,(]*-amd64)", depends)
        if not ok or not m:
            return None, f"cannot read linux-image-amd64's dependency: {depends.strip()}"
        image_pkg = m.group(1)
        log(f"  linux-image-amd64 depends on {image_pkg}; downloading it")
        ok, out = apt_download(image_pkg, tmp)
        if not ok:
            return None, f"apt-get download {image_pkg} failed: {out.strip()}"
        deb = next(Path(tmp).glob(f"{image_pkg}_*.deb"))
        ok, version = run_quiet(["dpkg-deb", "-f", str(deb), "Version"])
        version = version.strip()
        # Only /boot is needed: dpkg-deb's file system tar, filtered by tar.
        extract = Path(tmp) / "x"
        extract.mkdir()
        p = subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{extract}' --wildcards './boot/vmlinuz-*'"
                           " './boot/config-*'", shell=True, stderr=subprocess.PIPE)
        vmlinuz = sorted(extract.glob("boot/vmlinuz-*"))
        if p.returncode != 0 or not vmlinuz:
            return None, f"no /boot/vmlinuz-* in {deb.name}: {p.stderr.decode(errors='replace').strip()}"
        kver = vmlinuz[0].name[len("vmlinuz-"):]
        log(f"  extracting vmlinux from {vmlinuz[0].name}")
        elf, kind, offset = extract_vmlinux(vmlinuz[0].read_bytes())
        name = f"vmlinux-{kver}"
        (cache / name).write_bytes(elf)
        # The kernel's .config: the memory figures need CONFIG_PAGE_TABLE_ISOLATION (PGD size).
        configs = sorted(extract.glob("boot/config-*"))
        config_name = None
        if configs:
            config_name = f"config-{kver}"
            shutil.copyfile(configs[0], cache / config_name)
        meta = {"package": image_pkg, "version": version, "kernel_release": kver, "vmlinux": name,
                "config": config_name,
                "compression": kind, "payload_offset": offset, "vmlinux_bytes": len(elf),
                "fetched": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        log(f"  {name}: {len(elf)} bytes ({kind} payload at offset {offset})")
        return cache / name, meta


def fetch_linux_locked(refresh=False):
    """fetch_linux under an exclusive lock on the cache (one download for concurrent callers)."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fetch_linux(refresh)


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the metadata instead of the path")
    ap.add_argument("--refresh", action="store_true", help="fetch Debian's kernel again")
    args = ap.parse_args()
    try:
        vmlinux, res = fetch_linux_locked(args.refresh)
    except Exception as e:                       # noqa: BLE001 - any failure is "no Linux"
        vmlinux, res = None, f"{type(e).__name__}: {e}"
    if not vmlinux:
        log(f"linux_kernel: cannot fetch Debian's kernel: {res}")
        return 1
    print(json.dumps(res, indent=2) if args.json else vmlinux)
    return 0


if __name__ == "__main__":
    sys.exit(main())
