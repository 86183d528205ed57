/*
 * spawn_reap - the cost of one process's whole life: fork, the child's exit, the parent's wait4.
 *
 * Round i: fork(); the child calls exit(i & 0xff) at once; the parent calls wait4(pid) and
 * checks that it returned that pid with WIFEXITED and WEXITSTATUS == i & 0xff.  The metric is
 * the wall time of all rounds divided by their number (ns_per_round), first with no other
 * children (500 rounds), then as a series against the number of live idle siblings: 10, 100
 * and 1000 other children of the same parent, asleep in FUTEX_WAIT on a shared page, that
 * fork, exit and wait have to live beside (200 rounds each).  At the end the siblings are
 * woken, exit 0 and are all reaped (counted and checked).
 *
 *   BENCH name=spawn_reap metric=ns_per_round value=... unit=ns n=ROUNDS siblings=S
 */
#include "bench.h"

#define ROUNDS_ALONE     500
#define ROUNDS_SIBLINGS  200
#define MAX_SIBLINGS     1000

struct shared {
    volatile int release;   /* the siblings sleep until it is 1 */
};

static struct shared *sh;
static int live;            /* siblings forked so far */

static long rounds(int n)
{
    long t0 = now_ns();
    for (int i = 0; i < n; i++) {
        long pid = bench_fork();
        if (pid == 0)
            sys_exit(i & 0xff);
        bench_reap(pid, i & 0xff);
    }
    return (now_ns() - t0) / n;
}

static void grow_siblings(int want)
{
    for (; live < want; live++) {
        long pid = bench_fork();
        if (pid == 0) {
            wait_nonzero_shared(&sh->release);
            sys_exit(0);
        }
    }
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    static const int series[] = { 0, 10, 100, MAX_SIBLINGS };
    char params[32];

    bench_start("spawn_reap");
    sh = bench_shared(sizeof *sh);
    rounds(20);                                   /* warm-up: fault in the code paths */

    for (unsigned k = 0; k < sizeof series / sizeof series[0]; k++) {
        grow_siblings(series[k]);
        int n = series[k] ? ROUNDS_SIBLINGS : ROUNDS_ALONE;
        long v = rounds(n);
        format(params, sizeof params, " siblings=%d", series[k]);
        bench_report("ns_per_round", v, "ns", n, params);
    }

    /* Wake the siblings and reap every one of them. */
    set_and_wake_shared(&sh->release);
    int reaped = 0, status;
    long r;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bench_fail("sibling %ld: status 0x%x, want exit code 0", r, status);
        reaped++;
    }
    if (r != -ECHILD)
        bench_fail("wait4(-1) returned %s, want ECHILD", errname(r));
    if (reaped != live)
        bench_fail("reaped %d siblings, forked %d", reaped, live);
    return bench_done();
}
