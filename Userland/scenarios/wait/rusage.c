/*
 * rusage - what a process has used, and when its parent gets to see it (kernel/sys.c:
 * getrusage, times; kernel/exit.c: __exit_signal, wait_task_zombie; fs/exec.c: exec_mmap).
 *
 *   - a child's CPU time, page faults, voluntary switches and peak memory reach the
 *     parent's RUSAGE_CHILDREN and times()' cutime/cstime when the parent reaps it, not
 *     before: a zombie counts for nothing, and a WNOWAIT look (whose rusage already shows
 *     the child's usage) changes nothing
 *   - wait4's rusage is the child's own usage plus what it reaped: a grandchild counts if
 *     the child waited for it, never if it was autoreaped (SIGCHLD ignored)
 *   - RUSAGE_SELF and CLOCK_PROCESS_CPUTIME_ID count every thread, an exited one too;
 *     RUSAGE_THREAD and CLOCK_THREAD_CPUTIME_ID only the caller
 *   - ru_maxrss survives exec: the peak of the old address space stays the process's
 *   - getrusage's who other than 0, -1, 1 is EINVAL (-2, RUSAGE_BOTH, is wait's own);
 *     bad pointers are EFAULT; times(NULL) works and times() counts 100 ticks a second
 * Times are compared with thresholds (a child burns 100 ms of CPU), never printed.
 */
#include "signals.h"
#include "thread.h"

#define BURN_MS 100
#define TOUCH_KIB 8192
/* What ru_maxrss must reach after TOUCH_KIB were touched. Less than TOUCH_KIB: Linux reads
 * RSS from per-CPU counters that may lag by a few hundred KiB (percpu_counter_read). */
#define MAXRSS_KIB 6144

static long cpu_ns(long clock)
{
    struct timespec ts;
    sys_clock_gettime(clock, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Spins until this thread has used `ms` more milliseconds of CPU. */
static void burn(long ms)
{
    long end = cpu_ns(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000L;
    volatile unsigned long x = 0;
    while (cpu_ns(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 10000; i++)
            x++;
}

/* Writes every page of TOUCH_KIB fresh anonymous memory. */
static void touch_memory(void)
{
    char *p = sys_mmap(NULL, TOUCH_KIB * 1024UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(p))
        fail("mmap");
    sys_madvise(p, TOUCH_KIB * 1024UL, 15 /* MADV_NOHUGEPAGE: one fault per page, even with THP always on */);
    for (unsigned long off = 0; off < TOUCH_KIB * 1024UL; off += PAGE_SIZE)
        p[off] = 1;
}

static long cpu_us(const struct rusage *r)
{
    return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1000000L + r->ru_utime.tv_usec + r->ru_stime.tv_usec;
}

static struct rusage usage(long who)
{
    struct rusage r;
    memset(&r, 0, sizeof r);
    if (sys_getrusage(who, &r) != 0)
        fail("getrusage");
    return r;
}

static int same(const struct rusage *a, const struct rusage *b)
{
    return cpu_us(a) == cpu_us(b) && a->ru_minflt == b->ru_minflt && a->ru_nvcsw == b->ru_nvcsw &&
           a->ru_nivcsw == b->ru_nivcsw && a->ru_maxrss == b->ru_maxrss;
}

/* The busy child: CPU, faults, five sleeps, then exit. */
static void busy_child(void)
{
    burn(BURN_MS);
    touch_memory();
    for (int i = 0; i < 5; i++)
        sleep_ms(1);
    sys_exit(0);
}

static void describe(const char *what, const struct rusage *r)
{
    say("%s: cpu >= %d ms: %s, minflt >= %d: %s, nvcsw >= 5: %s, maxrss >= %d KiB: %s\n", what, BURN_MS,
        yesno(cpu_us(r) >= BURN_MS * 1000L), TOUCH_KIB / 4, yesno(r->ru_minflt >= TOUCH_KIB / 4),
        yesno(r->ru_nvcsw >= 5), MAXRSS_KIB, yesno(r->ru_maxrss >= MAXRSS_KIB));
}

static void reaping_counts(void)
{
    struct rusage before = usage(RUSAGE_CHILDREN), r;
    struct tms t0, t1;
    sys_times(&t0);
    long pid = must_fork();
    if (pid == 0)
        busy_child();
    ksiginfo_t si;
    memset(&r, 0, sizeof r);
    long w = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, &r);
    struct rusage mid = usage(RUSAGE_CHILDREN);
    say("zombie, looked at with WNOWAIT: %s; parent's children usage unchanged: %s\n", errname(w),
        yesno(same(&before, &mid)));
    describe("WNOWAIT's rusage", &r);
    memset(&r, 0, sizeof r);
    int status;
    w = sys_wait4(pid, &status, 0, &r);
    say("reaped: %s, status %d\n", yesno(w == pid), WEXITSTATUS(status));
    describe("wait4's rusage", &r);
    struct rusage after = usage(RUSAGE_CHILDREN);
    sys_times(&t1);
    say("parent's children usage grew: cpu by >= %d ms: %s, minflt by >= %d: %s, nvcsw by >= 5: %s, "
        "maxrss >= %d KiB: %s\n", BURN_MS, yesno(cpu_us(&after) - cpu_us(&before) >= BURN_MS * 1000L),
        TOUCH_KIB / 4, yesno(after.ru_minflt - before.ru_minflt >= TOUCH_KIB / 4),
        yesno(after.ru_nvcsw - before.ru_nvcsw >= 5), MAXRSS_KIB, yesno(after.ru_maxrss >= MAXRSS_KIB));
    long ticks = (t1.tms_cutime + t1.tms_cstime) - (t0.tms_cutime + t0.tms_cstime);
    say("times(): cutime + cstime grew by >= %d ticks: %s\n", BURN_MS / 10 - 2, yesno(ticks >= BURN_MS / 10 - 2));
    /* (Not compared: the parent's own ru_maxrss. Linux keeps the peak of the image exec
     * replaced, and a process started by a big one, as the test harness is, starts high.) */
}

/* A child that forks a grandchild burning CPU, and waits for it or lets it be autoreaped. */
static void grandchildren(int autoreap)
{
    struct rusage before = usage(RUSAGE_CHILDREN), r;
    long pid = must_fork();
    if (pid == 0) {
        if (autoreap)
            sig_ignore(SIGCHLD);
        long g = must_fork();
        if (g == 0) {
            burn(BURN_MS);
            sys_exit(0);
        }
        /* With SIGCHLD ignored, wait4 sleeps until the grandchild is gone, then ECHILD. */
        long w = sys_wait4(g, NULL, 0, NULL);
        sys_exit(autoreap ? w == -ECHILD : w == g);
    }
    int status;
    memset(&r, 0, sizeof r);
    sys_wait4(pid, &status, 0, &r);
    struct rusage after = usage(RUSAGE_CHILDREN);
    long grew = cpu_us(&after) - cpu_us(&before);
    say("grandchild %s: child saw it go: %s; wait4's rusage has its %d ms: %s; parent's children usage too: %s\n",
        autoreap ? "autoreaped" : "waited for", yesno(WEXITSTATUS(status) == 1), BURN_MS,
        yesno(cpu_us(&r) >= BURN_MS * 1000L), yesno(grew >= BURN_MS * 1000L));
}

static int busy_thread(void *arg)
{
    (void)arg;
    burn(BURN_MS);
    for (int i = 0; i < 5; i++)
        sleep_ms(1);
    return 0;
}

static void threads(void)
{
    struct rusage self0 = usage(RUSAGE_SELF), thread0 = usage(RUSAGE_THREAD);
    long proc0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), mine0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    struct thread th;
    if (thread_create(&th, busy_thread, NULL) < 0)
        fail("thread_create");
    thread_join(&th);
    struct rusage self1 = usage(RUSAGE_SELF), thread1 = usage(RUSAGE_THREAD);
    long proc1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), mine1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    say("an exited thread's %d ms: in RUSAGE_SELF: %s, in CLOCK_PROCESS_CPUTIME_ID: %s, "
        "its 5 sleeps in RUSAGE_SELF's nvcsw: %s\n", BURN_MS, yesno(cpu_us(&self1) - cpu_us(&self0) >= BURN_MS * 1000L),
        yesno(proc1 - proc0 >= BURN_MS * 1000000L), yesno(self1.ru_nvcsw - self0.ru_nvcsw >= 5));
    say("not in the joining thread's RUSAGE_THREAD: %s, nor its CLOCK_THREAD_CPUTIME_ID: %s\n",
        yesno(cpu_us(&thread1) - cpu_us(&thread0) < BURN_MS * 1000L / 2), yesno(mine1 - mine0 < BURN_MS * 1000000L / 2));
}

static void across_exec(char *self)
{
    long pid = must_fork();
    if (pid == 0) {
        touch_memory();
        reexec_self(self, NULL);
        sys_exit(99);
    }
    say("exec'd child: status %d\n", WEXITSTATUS(wait_for(pid)));
}

static void errors(void)
{
    struct rusage r;
    say("getrusage who 2: %s, who -2: %s, who 3: %s, who -3: %s\n", errname(sys_getrusage(2, &r)),
        errname(sys_getrusage(-2, &r)), errname(sys_getrusage(3, &r)), errname(sys_getrusage(-3, &r)));
    say("getrusage NULL: %s, address 1: %s, children to NULL: %s\n", errname(sys_getrusage(RUSAGE_SELF, NULL)),
        errname(sys_getrusage(RUSAGE_SELF, (void *)1)), errname(sys_getrusage(RUSAGE_CHILDREN, NULL)));
    long t0 = sys_times(NULL);
    say("times(NULL) > 2^30: %s, times(address 1): %s\n", yesno(t0 > (1L << 30)), errname(sys_times((void *)1)));
    sleep_ms(200);
    long t1 = sys_times(NULL);
    say("200 ms later times() grew by >= 19 ticks: %s\n", yesno(t1 - t0 >= 19));
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc >= 2 && strcmp(argv[1], "after-exec") == 0) {
        struct rusage self = usage(RUSAGE_SELF), thread = usage(RUSAGE_THREAD);
        say("after exec: RUSAGE_SELF maxrss >= %d KiB: %s, RUSAGE_THREAD's too: %s\n", MAXRSS_KIB,
            yesno(self.ru_maxrss >= MAXRSS_KIB), yesno(thread.ru_maxrss >= MAXRSS_KIB));
        return 7;
    }
    say("rusage: start\n");
    signals_reset();
    reaping_counts();
    grandchildren(0);
    grandchildren(1);
    threads();
    across_exec(argv[0]);
    errors();
    say("DONE\n");
    return 0;
}
