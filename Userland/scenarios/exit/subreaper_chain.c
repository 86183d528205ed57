/*
 * subreaper_chain - pins down reparenting to child subreapers (PR_SET_CHILD_SUBREAPER)
 * through long chains and nested subreapers.
 *
 * find_new_reaper(): an orphan goes to a live thread of its dead parent's process if
 * there is one, else to the nearest ancestor that is a child subreaper, else to the pid
 * namespace's init.  The scenario marks itself subreaper, so the answer is "the scenario"
 * natively and as pid 1 under MiniKernel.
 *
 *   - PR_GET_CHILD_SUBREAPER reads 1 after setting it; a forked child reads 0 (the flag is
 *     not inherited)
 *   - a chain of 20: child 1 forks child 2 ... forks child 20; every process exits (code =
 *     its depth) right after forking the next, so children 2..20 are orphaned one after
 *     the other.  Each waits until getppid() is the scenario before exiting.  The scenario
 *     reaps exactly 20 processes, each depth once, and then gets ECHILD
 *   - nested subreapers: a child S marks itself subreaper and makes a chain of 5 orphans;
 *     they go to S (the nearest), not to the scenario: S reaps all 5, and the scenario
 *     only ever reaps S
 *   - a subreaper that dies with an adopted orphan still running hands it on to the next
 *     subreaper up (the scenario), where the orphan sees its new parent
 *   - PR_SET_CHILD_SUBREAPER 0 turns it off again: that process's orphans go past it to
 *     the scenario
 */
#include "signals.h"

#define DEPTH 20

struct area {
    volatile long saw_reaper[DEPTH + 2];
    volatile long s_pid, o_pid, o_saw_top, o_adopted_by_s;
};

static struct area *a;
static long top;

/* Becomes process 1 of a chain of `depth` whose reaper is `reaper`: each process forks
 * the next (the child takes depth d + 1), then exits with its depth. */
__attribute__((noreturn)) static void chain(int depth, long reaper)
{
    int d = 1;
    while (d < depth && must_fork() == 0)
        d++;
    if (d > 1) {
        while (sys_getppid() != reaper)
            sys_sched_yield();
        a->saw_reaper[d] = 1;
    }
    sys_exit(d);
}

static void reap_all(const char *who, int depth)
{
    int n = 0, dup = 0, seen[DEPTH + 2] = { 0 }, status;
    long r;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        n++;
        int code = WEXITSTATUS(status);
        if (code >= 1 && code <= depth && !seen[code])
            seen[code] = 1;
        else
            dup++;
    }
    int saw = 0;
    for (int d = 2; d <= depth; d++)
        saw += a->saw_reaper[d] ? 1 : 0;
    say("%s: reaped %d processes, every depth 1..%d once: %s, orphans that saw it as parent: %d, then %s\n",
        who, n, depth, yesno(dup == 0 && n == depth), saw, errname(r));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("subreaper_chain: start\n");
    a = shared_page();
    top = sys_getpid();
    int v = -1;
    say("PR_SET_CHILD_SUBREAPER 1: %s\n", errname(sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)));
    long r = sys_prctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0);
    say("PR_GET_CHILD_SUBREAPER: %s, value %d\n", errname(r), v);
    long pid = must_fork();
    if (pid == 0) {
        int cv = -1;
        sys_prctl(PR_GET_CHILD_SUBREAPER, (long)&cv, 0, 0, 0);
        sys_exit(cv);
    }
    say("in a forked child PR_GET_CHILD_SUBREAPER gives %d\n", WEXITSTATUS(wait_for(pid)));

    /* The chain of 20. */
    pid = must_fork();
    if (pid == 0)
        chain(DEPTH, top);
    reap_all("chain of 20", DEPTH);

    /* Nested subreaper S with a chain of 5. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        long me = sys_getpid();
        long c = must_fork();
        if (c == 0)
            chain(5, me);
        reap_all("nested subreaper S, chain of 5", 5);
        sys_exit(6);
    }
    int status = wait_for(pid);
    r = sys_wait4(-1, NULL, 0, NULL);
    say("the scenario reaped S (WEXITSTATUS=%d) and nothing else: %s\n", WEXITSTATUS(status), errname(r));

    /* A subreaper dies while holding an adopted orphan. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        long s = sys_getpid();
        long m = must_fork();
        if (m == 0) {
            long o = must_fork();
            if (o == 0) {
                while (sys_getppid() != s)
                    sys_sched_yield();
                a->o_adopted_by_s = 1;
                while (sys_getppid() != top)
                    sys_sched_yield();
                a->o_saw_top = 1;
                sys_exit(55);
            }
            a->o_pid = o;
            sys_exit(0);
        }
        wait_for(m);
        while (!a->o_adopted_by_s)
            sys_sched_yield();
        sys_exit(7);   /* dies without reaping the orphan */
    }
    status = wait_for(pid);
    r = sys_wait4(a->o_pid, &status, 0, NULL);
    say("orphan of a dead subreaper: adopted by it first: %s, then by the scenario: %s, reaped here: %s, "
        "WEXITSTATUS=%d\n", yesno(a->o_adopted_by_s), yesno(a->o_saw_top), yesno(r == a->o_pid), WEXITSTATUS(status));

    /* Subreaper switched off again. */
    memset((void *)a, 0, sizeof *a);
    pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        long off = sys_prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        int cv = -1;
        sys_prctl(PR_GET_CHILD_SUBREAPER, (long)&cv, 0, 0, 0);
        long c = must_fork();
        if (c == 0)
            chain(3, top);
        int st;
        long rr = sys_wait4(c, &st, 0, NULL);   /* its own child, depth 1 */
        sys_exit(off == 0 && cv == 0 && rr == c && WEXITSTATUS(st) == 1 ? 8 : 1);
    }
    status = wait_for(pid);
    say("subreaper set then cleared: WEXITSTATUS=%d (8: cleared, read back 0, reaped its own child)\n",
        WEXITSTATUS(status));
    int n = 0, sum = 0;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        n++;
        sum += WEXITSTATUS(status);
    }
    say("its orphans came to the scenario: %d reaped, exit codes sum to %d, saw the scenario: %s, then %s\n", n, sum,
        yesno(a->saw_reaper[2] && a->saw_reaper[3]), errname(r));
    say("DONE\n");
    return 0;
}
