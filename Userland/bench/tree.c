/*
 * tree - a process tree whose inner processes all exit at once: reparenting and reaping at scale.
 *
 * Init forks the root of a tree of depth 4 and fan-out 4: 1 + 4 + 16 + 64 + 256 = 341
 * processes, the 85 inner ones each forking 4 children.  Every process checks in on a
 * MAP_SHARED page and sleeps in FUTEX_WAIT; the last to check in wakes init.  Then:
 *
 *   1. init wakes the 85 inner processes, which exit(100) at once.  Their children are
 *      reparented to init (an inner child that is already a zombie too), and init reaps
 *      the 85 with wait4(-1): when it has, every leaf's parent is gone.
 *   2. init wakes the 256 leaves; each checks that getppid() is init (exit 200) or not
 *      (exit 201), and init reaps the 256.
 *
 * Metrics: the time from the inner processes' wake-up to the last reap (total_ns) and per
 * process (ns_per_process = total / 341), phase 1 alone (reparent_ns), and the time to
 * build the tree (build_ns).  Every status is checked; exactly 341 processes must be
 * reaped and then wait4 must say ECHILD.  Run as pid 1 the reaper is init itself;
 * elsewhere the program makes itself a child subreaper so that the check still holds.
 *
 *   BENCH name=tree metric=total_ns value=MEDIAN unit=ns n=REPS ...
 */
#include "bench.h"

#define DEPTH   4
#define FANOUT  4
#define INNER   85          /* 1 + 4 + 16 + 64 */
#define LEAVES  256
#define TOTAL   (INNER + LEAVES)
#define REPS    3

#define CODE_INNER        100
#define CODE_LEAF         200
#define CODE_LEAF_ORPHAN_ELSEWHERE 201

struct shared {
    volatile int checked_in;
    volatile int all_in;        /* futex: init sleeps until 1 */
    volatile int go_inner;      /* futex: the inner processes sleep until 1 */
    volatile int go_leaves;     /* futex: the leaves sleep until 1 */
    volatile long reaper;
};

static struct shared *sh;

__attribute__((noreturn)) static void node(int depth)
{
    if (depth < DEPTH) {
        for (int k = 0; k < FANOUT; k++) {
            long pid = sys_fork();
            if (pid == 0)
                node(depth + 1);
            if (pid < 0)
                bench_fail("fork at depth %d returned %s", depth, errname(pid));
        }
    }
    if (__atomic_add_fetch(&sh->checked_in, 1, __ATOMIC_SEQ_CST) == TOTAL)
        set_and_wake_shared(&sh->all_in);
    if (depth < DEPTH) {
        wait_nonzero_shared(&sh->go_inner);
        sys_exit(CODE_INNER);
    }
    wait_nonzero_shared(&sh->go_leaves);
    sys_exit(sys_getppid() == sh->reaper ? CODE_LEAF : CODE_LEAF_ORPHAN_ELSEWHERE);
}

/* Reaps n children that must all exit with `code`. */
static void reap(int n, int code, const char *what)
{
    for (int i = 0; i < n; i++) {
        int status = 0;
        long r = sys_wait4(-1, &status, 0, NULL);
        if (r <= 0)
            bench_fail("%s: wait4(-1) returned %s after %d of %d", what, errname(r), i, n);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
            bench_fail("%s: pid %ld status 0x%x, want exit code %d", what, r, status, code);
    }
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    static long total[REPS], reparent[REPS], build[REPS];

    bench_start("tree");
    sh = bench_shared(sizeof *sh);
    sh->reaper = sys_getpid();
    if (sh->reaper != 1) {
        long r = sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        if (r != 0)
            bench_fail("prctl(PR_SET_CHILD_SUBREAPER) returned %s", errname(r));
    }

    for (int rep = 0; rep < REPS; rep++) {
        sh->checked_in = 0;
        sh->all_in = sh->go_inner = sh->go_leaves = 0;
        long tb = now_ns();
        long pid = bench_fork();
        if (pid == 0)
            node(0);
        wait_nonzero_shared(&sh->all_in);
        long t0 = now_ns();
        set_and_wake_shared(&sh->go_inner);
        reap(INNER, CODE_INNER, "inner processes");
        long t1 = now_ns();
        set_and_wake_shared(&sh->go_leaves);
        reap(LEAVES, CODE_LEAF, "leaves (201: parent was not init)");
        long t2 = now_ns();
        int status;
        long r = sys_wait4(-1, &status, WNOHANG, NULL);
        if (r != -ECHILD)
            bench_fail("after %d reaps wait4(-1, WNOHANG) returned %s, want ECHILD", TOTAL, errname(r));
        build[rep] = t0 - tb;
        reparent[rep] = t1 - t0;
        total[rep] = t2 - t0;
    }
    long tot = median_longs(total, REPS);
    bench_report("total_ns", tot, "ns", REPS, "");
    bench_report("ns_per_process", tot / TOTAL, "ns", REPS, "");
    bench_report("reparent_ns", median_longs(reparent, REPS), "ns", REPS, "");
    bench_report("build_ns", median_longs(build, REPS), "ns", REPS, "");
    return bench_done();
}
