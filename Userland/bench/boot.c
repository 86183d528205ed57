/*
 * boot - how long until init runs, and which kernel this is.
 *
 * Its first line (BENCH-START) is init's first line: scripts/bench/bench.py times it from
 * QEMU's start on the host's clock (metric boot/qemu_start_to_init_ms, added by the runner).
 * The program itself reports the kernel's own CLOCK_MONOTONIC at that moment (both kernels
 * start it early in boot; under -icount it is deterministic) and prints uname as BENCH-INFO
 * lines, so that the report names the kernels that really ran, and the number of CPUs it may
 * run on (sched_getaffinity; "unknown (ENOSYS)" where the kernel lacks the call).
 *
 * On Linux only (never on MiniKernel, which has no sysfs), it also mounts sysfs and prints
 * the slab object sizes of the structures a thread and a process cost the kernel
 * (/sys/kernel/slab/NAME/object_size), for the report's memory-per-task column.
 *
 *   BENCH name=boot metric=monotonic_at_init_us value=... unit=us n=1
 *   BENCH-INFO name=boot key=uname.release value=6.1.0-56-amd64
 *   BENCH-INFO name=boot key=slab.task_struct value=9984
 */
#include "bench.h"

#define SYS_open   2
#define SYS_close  3
#define SYS_mkdir  83
#define SYS_mount  165
#define SYS_sched_getaffinity 204

static void slab_size(const char *cache)
{
    char path[96], buf[32];
    format(path, sizeof path, "/sys/kernel/slab/%s/object_size", cache);
    long fd = syscall3(SYS_open, (long)path, 0, 0);
    if (fd < 0)
        return;                       /* not every kernel has every cache */
    long n = sys_read((int)fd, buf, sizeof buf - 1);
    syscall1(SYS_close, fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    for (long i = 0; i < n; i++)
        if (buf[i] == '\n')
            buf[i] = 0;
    format(path, sizeof path, "slab.%s", cache);
    bench_info(path, buf);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    bench_start("boot");
    long t = now_ns();
    if (t <= 0)
        bench_fail("CLOCK_MONOTONIC reads %ld", t);
    bench_report("monotonic_at_init_us", t / 1000, "us", 1, "");

    static struct utsname u;
    long r = sys_uname(&u);
    if (r != 0)
        bench_fail("uname returned %s", errname(r));
    bench_info("uname.sysname", u.sysname);
    bench_info("uname.release", u.release);
    bench_info("uname.version", u.version);
    bench_info("uname.machine", u.machine);

    static unsigned long mask[16];
    char text[48];
    r = syscall3(SYS_sched_getaffinity, 0, sizeof mask, (long)mask);
    if (r > 0) {
        int cpus = 0;
        for (long i = 0; i < r / 8; i++)
            for (unsigned long m = mask[i]; m; m &= m - 1)
                cpus++;
        format(text, sizeof text, "%d", cpus);
    } else {
        format(text, sizeof text, "unknown (%s)", errname(r));
    }
    bench_info("cpus", text);

    if (!on_minikernel() && sys_getpid() == 1) {
        syscall2(SYS_mkdir, (long)"/sys", 0755);
        r = syscall5(SYS_mount, (long)"sysfs", (long)"/sys", (long)"sysfs", 0, 0);
        if (r == 0) {
            static const char *caches[] = { "task_struct", "mm_struct", "signal_cache", "sighand_cache",
                                            "files_cache", "fs_cache", "pid", "vm_area_struct" };
            for (unsigned i = 0; i < sizeof caches / sizeof caches[0]; i++)
                slab_size(caches[i]);
        }
    }
    return bench_done();
}
