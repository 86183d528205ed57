/*
 * exit_latency - from a child's exit system call to its parent's return from a blocking wait4.
 *
 * Round i: the parent forks, sets `armed` in a MAP_SHARED page and calls wait4(pid), which
 * sleeps.  The child waits (sched_yield) until `armed` is set, then 50 us more so that the
 * parent is asleep in wait4 (on one CPU the parent blocks before the child runs again at
 * all), stores CLOCK_MONOTONIC in the shared page and calls exit(i & 0x7f) right away.  The
 * parent reads the clock as soon as wait4 returns; the difference is one sample: do_exit,
 * exit_notify's wake-up of the parent, the switch to it (on another CPU with -smp > 1) and
 * wait4's reaping of the zombie.  wait4's pid and status are checked every round, and a
 * negative sample (the child's clock ahead of the parent's) fails the run.
 *
 *   BENCH name=exit_latency metric=exit_to_wait_ns value=MEDIAN unit=ns n=200
 *   BENCH name=exit_latency metric=exit_to_wait_min_ns value=MIN unit=ns n=200
 */
#include "bench.h"

#define N 200

struct shared {
    volatile int armed;
    volatile long t_armed;
    volatile long t_exit;
};

static long samples[N];

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    bench_start("exit_latency");
    struct shared *sh = bench_shared(sizeof *sh);

    for (int i = -5; i < N; i++) {                /* 5 warm-up rounds */
        sh->armed = 0;
        sh->t_exit = 0;
        int code = (i + 5) & 0x7f;
        long pid = bench_fork();
        if (pid == 0) {
            while (!sh->armed)
                sys_sched_yield();
            while (now_ns() - sh->t_armed < 50000)
                sys_sched_yield();
            sh->t_exit = now_ns();
            sys_exit(code);
        }
        sh->t_armed = now_ns();
        sh->armed = 1;
        int status = 0;
        long r = sys_wait4(pid, &status, 0, NULL);
        long t1 = now_ns();
        if (r != pid)
            bench_fail("wait4(%ld) returned %s", pid, errname(r));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
            bench_fail("pid %ld: status 0x%x, want exit code %d", pid, status, code);
        long d = t1 - sh->t_exit;
        if (sh->t_exit == 0 || d <= 0)
            bench_fail("round %d: exit at %ld ns, wait4 returned at %ld ns", i, sh->t_exit, t1);
        if (i >= 0)
            samples[i] = d;
    }
    long med = median_longs(samples, N);
    bench_report("exit_to_wait_ns", med, "ns", N, "");
    bench_report("exit_to_wait_min_ns", samples[0], "ns", N, "");
    return bench_done();
}
