/*
 * wait_pgrp - pins down waiting and signalling by process group, with setpgid(2).
 *
 * wait4(0) waits for children in the caller's process group, wait4(-pgid) for children in
 * group pgid, waitid(P_PGID, pgid); the group is the child's group at the time of the
 * wait, not at fork.  kill(-pgid, sig) and kill(0, sig) signal a whole group.
 *
 *   - child X moves to its own group (setpgid(X, X) by both parent and child, the classic
 *     race-free idiom; getpgid(X) == X); child Y stays in the parent's group
 *   - X exits first: wait4(0, WNOHANG) does not pick X (returns 0, Y still runs);
 *     wait4(-X) reaps X; after Y exits, wait4(0) reaps Y
 *   - a child that leaves the parent's group after fork: wait4(0) gives ECHILD (it has
 *     children, none in the group); waitid(P_PGID, its group) reaps it
 *   - setpgid(Z, X') moves a child into another existing group of the same session; then
 *     wait4(-X') finds it
 *   - wait4(-G) / waitid(P_PGID, G) for a group with no children of ours: ECHILD
 *   - kill(-G, SIGTERM) kills both members of group G; kill(0, SIGUSR1) from a member
 *     kills every member of its own group (itself included), not the parent
 */
#include "signals.h"

struct area {
    volatile long moved, release_y, release_z, release_g;
};

static struct area *a;

__attribute__((noreturn)) static void loop_forever(void)
{
    for (;;)
        sys_sched_yield();
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("wait_pgrp: start\n");
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);   /* orphans come to us in both worlds */
    a = shared_page();
    int status;
    ksiginfo_t si;

    long x = must_fork();
    if (x == 0) {
        sys_setpgid(0, 0);
        sys_exit(1);
    }
    long r1 = sys_setpgid(x, x);   /* X is our child (maybe a zombie) until reaped */
    long y = must_fork();
    if (y == 0) {
        while (!a->release_y)
            sys_sched_yield();
        sys_exit(2);
    }
    say("setpgid(X, X) by the parent: %s, getpgid(X) is X: %s, Y in our group: %s\n", errname(r1),
        yesno(sys_getpgid(x) == x), yesno(sys_getpgid(y) == sys_getpgrp()));
    sys_waitid(P_PID, x, &si, WEXITED | WNOWAIT, NULL);   /* X is a zombie now */
    long r = sys_wait4(0, &status, WNOHANG, NULL);
    say("X is a zombie in its own group: wait4(0, WNOHANG) = %s\n", errname(r));
    r = sys_wait4(-x, &status, 0, NULL);
    say("wait4(-X): reaped X: %s, WEXITSTATUS=%d\n", yesno(r == x), WEXITSTATUS(status));
    a->release_y = 1;
    r = sys_wait4(0, &status, 0, NULL);
    say("wait4(0): reaped Y: %s, WEXITSTATUS=%d\n", yesno(r == y), WEXITSTATUS(status));

    /* A child that leaves our group after fork. */
    long z = must_fork();
    if (z == 0) {
        sys_setpgid(0, 0);
        a->moved = 1;
        while (!a->release_z)
            sys_sched_yield();
        sys_exit(3);
    }
    while (!a->moved)
        sys_sched_yield();
    r = sys_wait4(0, &status, 0, NULL);
    say("only child left our group: wait4(0) = %s, wait4(-our group) = %s\n", errname(r),
        errname(sys_wait4(-sys_getpgrp(), &status, 0, NULL)));
    a->release_z = 1;
    memset(&si, 0, sizeof si);
    r = sys_waitid(P_PGID, z, &si, WEXITED, NULL);
    say("waitid(P_PGID, Z's group): %s, si_pid is Z: %s, si_status %d\n", errname(r), yesno(si.si_pid == z),
        si.si_status);

    /* Joining another existing group. */
    a->release_g = 0;
    long g1 = must_fork();
    if (g1 == 0) {
        sys_setpgid(0, 0);
        while (!a->release_g)
            sys_sched_yield();
        sys_exit(4);
    }
    sys_setpgid(g1, g1);
    long g2 = must_fork();
    if (g2 == 0) {
        while (!a->release_g)
            sys_sched_yield();
        sys_exit(5);
    }
    r = sys_setpgid(g2, g1);
    say("setpgid(Z, existing group G): %s, getpgid(Z) is G: %s\n", errname(r), yesno(sys_getpgid(g2) == g1));
    a->release_g = 1;
    int n = 0, sum = 0;
    while ((r = sys_wait4(-g1, &status, 0, NULL)) > 0) {
        n++;
        sum += WEXITSTATUS(status);
    }
    say("wait4(-G) reaped %d children, exit codes sum to %d, then %s\n", n, sum, errname(r));
    say("waitid(P_PGID, G) now: %s\n", errname(sys_waitid(P_PGID, g1, &si, WEXITED, NULL)));

    /* Group signals. */
    g1 = must_fork();
    if (g1 == 0) {
        sys_setpgid(0, 0);
        loop_forever();
    }
    sys_setpgid(g1, g1);
    g2 = must_fork();
    if (g2 == 0) {
        sys_setpgid(0, g1);
        loop_forever();
    }
    sys_setpgid(g2, g1);
    r = sys_kill(-g1, SIGTERM);
    int s1, s2;
    long w1 = sys_wait4(g1, &s1, 0, NULL), w2 = sys_wait4(g2, &s2, 0, NULL);
    say("kill(-G, SIGTERM): %s; both died of it: %s\n", errname(r),
        yesno(w1 == g1 && w2 == g2 && WIFSIGNALED(s1) && WTERMSIG(s1) == SIGTERM && WIFSIGNALED(s2) &&
              WTERMSIG(s2) == SIGTERM));

    memset((void *)a, 0, sizeof *a);
    g1 = must_fork();
    if (g1 == 0) {
        sys_setpgid(0, 0);
        long m = must_fork();
        if (m == 0)
            loop_forever();
        while (sys_getpgid(m) != sys_getpid())
            sys_sched_yield();
        a->moved = m;
        sys_kill(0, SIGUSR1);
        sys_exit(9);   /* not reached: SIGUSR1 kills us too */
    }
    sys_setpgid(g1, g1);
    r = sys_wait4(g1, &status, 0, NULL);
    say("kill(0, SIGUSR1) from a group leader: it died of %s: %s\n", signame(WTERMSIG(status)),
        yesno(r == g1 && WIFSIGNALED(status)));
    /* Its child, in the same group, died too; orphaned, it came to us (the subreaper). */
    long m = a->moved;
    r = sys_wait4(m, &status, 0, NULL);
    say("the other member of its group died of %s too: %s (reaped here as an orphan); the parent survived\n",
        signame(WTERMSIG(status)), yesno(r == m && WIFSIGNALED(status)));
    say("DONE\n");
    return 0;
}
