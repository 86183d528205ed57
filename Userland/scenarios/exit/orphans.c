/*
 * orphans - pins down reparenting when a parent dies before its children.
 *
 * When a process exits, its children are handed to the nearest ancestor marked as
 * child subreaper (prctl PR_SET_CHILD_SUBREAPER), or else to init (pid 1).  This
 * scenario marks itself as subreaper so the answer is "the scenario" both natively
 * (where init is someone else) and as pid 1 under MiniKernel (where it is init anyway).
 *
 *   - a running grandchild sees getppid() change from its dead parent to the reaper
 *   - a grandchild that is already a zombie when its parent dies is reparented too,
 *     and the reaper can reap it (Linux notifies the new parent)
 *   - the reaper reaps the middle child and both grandchildren with their exit codes
 *   - afterwards wait4(-1) reports ECHILD: nothing is left over
 */
#include "lib.h"

/* [0] = running grandchild's pid, [1] = zombie grandchild's pid,
 * [2] = set by the running grandchild once it has looked at its first parent */
static volatile long *shared;

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("orphans: start\n");

    long r = sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    say("prctl(PR_SET_CHILD_SUBREAPER, 1): %s\n", errname(r));

    shared = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed((void *)shared))
        fail("mmap shared");

    long reaper = sys_getpid();
    long middle = must_fork();
    if (middle == 0) {
        long me = sys_getpid();
        /* Grandchild 1: keeps running across its parent's death. */
        long g1 = must_fork();
        if (g1 == 0) {
            int was_middle = sys_getppid() == me;
            shared[2] = 1;
            while (sys_getppid() == me)
                sys_sched_yield();
            long now = sys_getppid();
            say("grandchild: parent was the middle child: %s\n", yesno(was_middle));
            say("grandchild: new parent is not the dead parent: %s\n", yesno(now != me));
            say("grandchild: new parent is the reaper: %s\n", yesno(now == reaper));
            sys_exit(42);
        }
        /* Grandchild 2: exits at once and stays a zombie (the middle child never waits). */
        long g2 = must_fork();
        if (g2 == 0)
            sys_exit(43);
        shared[0] = g1;
        shared[1] = g2;
        while (shared[2] == 0)
            sys_sched_yield();
        /* Make it likely that g2 is already a zombie when we die (output does not depend on it). */
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        sys_nanosleep(&ts, NULL);
        say("middle: exiting with two children alive or zombie\n");
        sys_exit(7);
    }

    int status;
    /* Reap the middle child first; print nothing until every grandchild is reaped,
     * so our lines cannot interleave with the grandchild's. */
    r = sys_wait4(middle, &status, 0, NULL);
    int middle_ok = r == middle && WIFEXITED(status) && WEXITSTATUS(status) == 7;
    long g1 = shared[0], g2 = shared[1];

    int got_g1 = 0, got_g2 = 0, others = 0, s1 = -1, s2 = -1;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        if (r == g1) {
            got_g1++;
            s1 = status;
        } else if (r == g2) {
            got_g2++;
            s2 = status;
        } else {
            others++;
        }
    }
    say("reaper: middle child exited with 7: %s\n", yesno(middle_ok));
    say("reaper: reaped running grandchild: %s, WEXITSTATUS=%d\n", yesno(got_g1 == 1), WEXITSTATUS(s1));
    say("reaper: reaped zombie grandchild: %s, WEXITSTATUS=%d\n", yesno(got_g2 == 1), WEXITSTATUS(s2));
    say("reaper: unexpected children: %d, final wait4: %s\n", others, errname(r));

    /* A deeper chain: child -> grandchild -> great-grandchild; the two middle ones die
     * at once, the great-grandchild ends up with the reaper too. */
    long c = must_fork();
    if (c == 0) {
        long gc = must_fork();
        if (gc == 0) {
            long ggc = must_fork();
            if (ggc == 0) {
                while (sys_getppid() != reaper)
                    sys_sched_yield();
                sys_exit(44);
            }
            sys_exit(0);
        }
        sys_exit(0);
    }
    int n = 0, codes = 0;
    while ((r = sys_wait4(-1, &status, 0, NULL)) > 0) {
        n++;
        codes += WEXITSTATUS(status);
    }
    say("chain of three: reaped %d processes, sum of exit codes %d, final wait4: %s\n", n, codes,
        errname(r));
    say("DONE\n");
    return 0;
}
