/*
 * bench.h - what the benchmark programs share: the clock, the output format, shared-memory
 * futexes, and the end of a run.
 *
 * Every benchmark is a static raw-syscall program meant to run as /init (pid 1) under
 * MiniKernel and under Linux in the same QEMU (scripts/bench/bench.py boots them).  Each one
 * checks its own results: a wrong exit status, a wrong pid or a missing child is a
 * BENCH-FAIL line and exit status 1, never just a slow number.
 *
 * Output format (one line each, fields separated by single spaces, see Userland/bench/README.md):
 *
 *   BENCH-START name=NAME                                   first line the program prints
 *   BENCH name=NAME metric=METRIC value=INT unit=UNIT n=INT [KEY=INT ...]
 *   BENCH-INFO name=NAME key=KEY value=TEXT                  TEXT runs to the end of the line
 *   BENCH-FAIL name=NAME reason=TEXT                         the run is wrong, not slow
 *   BENCH-DONE name=NAME                                     last line of a successful run
 *
 * value is an integer in unit (ns or us); n is how many samples it summarizes; the optional
 * KEY=INT pairs after n are the point of a series (threads=16, siblings=100).
 *
 * The end: as pid 1 a successful program powers the machine off with reboot(POWER_OFF)
 * (both kernels support it, and Linux then neither panics nor waits); anywhere else (run by
 * hand on a host) it just returns 0, so it can never power a host off.
 */
#ifndef MK_BENCH_H
#define MK_BENCH_H

#include "lib.h"
#include "thread.h"

#define INT_MAX_ 0x7fffffff

#define LINUX_REBOOT_MAGIC1        0xfee1deadL
#define LINUX_REBOOT_MAGIC2        672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

static const char *bench_name = "?";

/* CLOCK_MONOTONIC in nanoseconds. */
static inline long now_ns(void)
{
    struct timespec ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Busy-waits (no system call but the clock) for ns nanoseconds. */
static inline void spin_ns(long ns)
{
    long end = now_ns() + ns;
    while (now_ns() < end)
        __asm__ volatile("pause" ::: "memory");
}

__attribute__((unused)) static void bench_start(const char *name)
{
    bench_name = name;
    say("BENCH-START name=%s\n", name);
}

/* params: "" or " threads=4" (with its leading space). */
__attribute__((unused)) static void bench_report(const char *metric, long value, const char *unit, long n,
                                                 const char *params)
{
    say("BENCH name=%s metric=%s value=%ld unit=%s n=%ld%s\n", bench_name, metric, value, unit, n, params);
}

__attribute__((unused)) static void bench_info(const char *key, const char *value)
{
    say("BENCH-INFO name=%s key=%s value=%s\n", bench_name, key, value);
}

/* Prints the BENCH-FAIL line and ends the whole process (any process of the run) with 1. */
__attribute__((noreturn, unused)) static void bench_fail_msg(const char *msg)
{
    say("BENCH-FAIL name=%s reason=%s\n", bench_name, msg);
    sys_exit_group(1);
}
#define bench_fail(...)                                   \
    do {                                                  \
        char bench_fail_buf_[256];                        \
        format(bench_fail_buf_, sizeof bench_fail_buf_, __VA_ARGS__); \
        bench_fail_msg(bench_fail_buf_);                  \
    } while (0)

/* The last line.  As pid 1: power off (never returns).  Elsewhere: the caller returns 0. */
__attribute__((unused)) static int bench_done(void)
{
    say("BENCH-DONE name=%s\n", bench_name);
    if (sys_getpid() == 1) {
        long r = syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
        bench_fail("reboot(POWER_OFF) returned %s", errname(r));
    }
    return 0;
}

/* fork(), or BENCH-FAIL. */
__attribute__((unused)) static long bench_fork(void)
{
    long pid = sys_fork();
    if (pid < 0)
        bench_fail("fork returned %s", errname(pid));
    return pid;
}

/* wait4(pid) that must return pid with WIFEXITED and the given exit code. */
__attribute__((unused)) static void bench_reap(long pid, int code)
{
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    if (r != pid)
        bench_fail("wait4(%ld) returned %s", pid, errname(r));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != (code & 0xff))
        bench_fail("pid %ld: status 0x%x, want exit code %d", pid, status, code & 0xff);
}

/* Futexes on MAP_SHARED memory (no FUTEX_PRIVATE_FLAG): processes meet on the page. */
static inline long futex_wait_shared(volatile int *uaddr, int val)
{
    return syscall6(SYS_futex, (long)uaddr, FUTEX_WAIT, val, 0, 0, 0);
}
static inline long futex_wake_shared(volatile int *uaddr, int n)
{
    return syscall6(SYS_futex, (long)uaddr, FUTEX_WAKE, n, 0, 0, 0);
}
/* Sleeps until *uaddr != 0. */
static inline void wait_nonzero_shared(volatile int *uaddr)
{
    while (*uaddr == 0)
        futex_wait_shared(uaddr, 0);
}
/* Sets *uaddr = 1 and wakes every waiter. */
static inline void set_and_wake_shared(volatile int *uaddr)
{
    __atomic_store_n(uaddr, 1, __ATOMIC_SEQ_CST);
    futex_wake_shared(uaddr, INT_MAX_);
}

/* A zeroed MAP_SHARED anonymous mapping of `bytes` (rounded up to pages). */
__attribute__((unused)) static void *bench_shared(size_t bytes)
{
    size_t len = (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    void *p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(p))
        bench_fail("mmap(MAP_SHARED) returned %s", errname((long)p));
    return p;
}

/* Sorts a[0..n) ascending (insertion sort: n is small). */
__attribute__((unused)) static void sort_longs(long *a, int n)
{
    for (int i = 1; i < n; i++) {
        long v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

/* The median of a[0..n) (sorts a). */
__attribute__((unused)) static long median_longs(long *a, int n)
{
    sort_longs(a, n);
    return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

#endif
