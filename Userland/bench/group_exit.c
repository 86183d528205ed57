/*
 * group_exit - the cost of exit_group(2) against the number of threads that must be stopped.
 *
 * For T in 0, 1, 4, 16, 64: init forks a process P; P starts T threads (clone with
 * pthread's flags, include/thread.h), which sleep in FUTEX_WAIT until all are created (so
 * that they do not slow the creation down), then check in and spin; once all T have run,
 * P lets them spin for 200 us (on several CPUs they are then busy in user mode, and
 * exit_group has to interrupt them; on one CPU they are runnable), stores CLOCK_MONOTONIC
 * in a MAP_SHARED page and calls exit_group(100 + rep).  Init, blocked in wait4(P), reads the clock when wait4
 * returns: the sample covers zap_other_threads, every thread's do_exit, the delayed group
 * leader's release and the parent's wake-up.  wait4 must return P with WIFEXITED and the
 * code (a thread's exit code would be wrong).  Spinning threads spread over the CPUs as
 * the scheduler places them (neither kernel is told where).
 *
 *   BENCH name=group_exit metric=exit_group_ns value=MEDIAN unit=ns n=REPS threads=T
 */
#include "bench.h"

#define MAX_THREADS 64

struct shared {
    volatile long t0;
};

static struct shared *sh;
static struct thread threads[MAX_THREADS];
static volatile int go, started, armed;

static int spinner(void *arg)
{
    (void)arg;
    while (!go)
        futex_wait(&go, 0, NULL);
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    while (!armed)
        sys_sched_yield();
    for (;;)
        __asm__ volatile("pause" ::: "memory");
    return 0;
}

/* The process P: never returns. */
__attribute__((noreturn)) static void group(int nthreads, int code)
{
    for (int k = 0; k < nthreads; k++) {
        long r = thread_create(&threads[k], spinner, NULL);
        if (r < 0)
            bench_fail("thread %d of %d: clone returned %s", k, nthreads, errname(r));
    }
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
    futex_wake(&go, INT_MAX_);
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < nthreads)
        sys_sched_yield();
    armed = 1;
    spin_ns(200000);
    sh->t0 = now_ns();
    sys_exit_group(code);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    static const int series[] = { 0, 1, 4, 16, 64 };
    static long samples[8];
    char params[32];

    bench_start("group_exit");
    sh = bench_shared(sizeof *sh);

    for (unsigned k = 0; k < sizeof series / sizeof series[0]; k++) {
        int t = series[k];
        int reps = t >= 64 ? 3 : 5;
        for (int rep = -1; rep < reps; rep++) {    /* one warm-up */
            int code = 100 + rep + 1;
            sh->t0 = 0;
            long pid = bench_fork();
            if (pid == 0)
                group(t, code);
            int status = 0;
            long r = sys_wait4(pid, &status, 0, NULL);
            long t1 = now_ns();
            if (r != pid)
                bench_fail("wait4(%ld) returned %s", pid, errname(r));
            if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
                bench_fail("T=%d: status 0x%x, want exit code %d", t, status, code);
            long d = t1 - sh->t0;
            if (sh->t0 == 0 || d <= 0)
                bench_fail("T=%d: exit_group at %ld ns, wait4 returned at %ld ns", t, sh->t0, t1);
            if (rep >= 0)
                samples[rep] = d;
        }
        format(params, sizeof params, " threads=%d", t);
        bench_report("exit_group_ns", median_longs(samples, reps), "ns", reps, params);
    }
    return bench_done();
}
