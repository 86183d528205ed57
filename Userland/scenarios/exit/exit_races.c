/*
 * exit_races - the exit path's races, each run many times, with outcomes that do not depend
 * on who wins. Run as a differential scenario, and by the seeded race exploration
 * (Tests/QEMUTests/RaceTests.swift: sched_seed=1..50 with leakcheck).
 *
 *   - several threads call exit_group at once: the first to take SIGNAL_GROUP_EXIT decides
 *     the status (do_group_exit), and it is one of theirs;
 *   - a parent exits while its children exit: every child is reparented to the subreaper
 *     (us) or reaped by the parent, never lost (forget_original_parent);
 *   - SIGKILL arrives while the group is in exit_group: the status is exit_group's or
 *     SIGKILL, whichever got SIGNAL_GROUP_EXIT first;
 *   - wait4 races with autoreap (SIGCHLD ignored): wait4 blocks until the last child is gone
 *     and then says ECHILD; it never reports an autoreaped child (do_notify_parent,
 *     kernel/exit.c: "wait4 racing with autoreap").
 */
#include "signals.h"
#include "thread.h"

#define ROUNDS 25        /* argv[1] may ask for fewer: the seeded exploration runs 50 boots */
#define NT 4

static struct thread th[NT];
static volatile int go;
static volatile int started;

static int exiter(void *arg)
{
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    while (!go) ;
    sys_exit_group((long)arg);
    return 0;
}

static int spinner(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    for (;;) __asm__ volatile("" ::: "memory");
    return 0;
}

/* Several threads race in exit_group(1..NT); the leader joins with exit_group(NT+1). */
static int race_exit_group(void)
{
    long pid = must_fork();
    if (pid == 0) {
        for (long i = 0; i < NT; i++) thread_create(&th[i], exiter, (void *)(i + 1));
        while (started < NT) sys_sched_yield();
        go = 1;
        sys_exit_group(NT + 1);
    }
    int st = 0;
    if (sys_wait4(pid, &st, 0, 0) != pid) return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) >= 1 && WEXITSTATUS(st) <= NT + 1;
}

/* A middle process forks NT children that exit at once, and exits with them. */
static int race_parent_and_children(void)
{
    long mid = must_fork();
    if (mid == 0) {
        for (int i = 0; i < NT; i++)
            if (sys_fork() == 0) sys_exit(20 + i);
        sys_exit(9);
    }
    int reaped = 0, ok = 1, st = 0;
    for (;;) {
        long w = sys_wait4(-1, &st, 0, 0);
        if (w < 0) break;
        reaped++;
        if (w == mid) ok &= WIFEXITED(st) && WEXITSTATUS(st) == 9;
        else ok &= WIFEXITED(st) && WEXITSTATUS(st) >= 20 && WEXITSTATUS(st) < 20 + NT;
    }
    return ok && reaped == NT + 1;
}

/* SIGKILL sent while the group is in exit_group(6) with threads spinning. */
static int race_sigkill_exit_group(int r)
{
    started = 0;
    long pid = must_fork();
    if (pid == 0) {
        for (int i = 0; i < NT; i++) thread_create(&th[i], spinner, 0);
        while (started < NT) sys_sched_yield();
        for (int i = 0; i < r % 3; i++) sys_sched_yield();
        sys_exit_group(6);
    }
    for (int i = 0; i < r % 5; i++) sys_sched_yield();
    sys_kill(pid, SIGKILL);
    int st = 0;
    if (sys_wait4(pid, &st, 0, 0) != pid) return 0;
    return (WIFEXITED(st) && WEXITSTATUS(st) == 6) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* SIGCHLD ignored: children autoreap; wait4 blocks until they are all gone, then ECHILD. */
static int race_wait_autoreap(void)
{
    long mid = must_fork();
    if (mid == 0) {
        sig_install(SIGCHLD, SIG_IGN, 0, 0);
        for (int i = 0; i < NT; i++)
            if (sys_fork() == 0) sys_exit(i);
        int st = 0;
        long w = sys_wait4(-1, &st, 0, 0);
        sys_exit(w == -ECHILD ? 0 : 1);
    }
    int st = 0;
    return sys_wait4(mid, &st, 0, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    int rounds = ROUNDS;
    if (argc > 1 && argv[1][0] >= '1' && argv[1][0] <= '9') rounds = argv[1][0] - '0';
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int a = 0, b = 0, c = 0, d = 0;
    for (int r = 0; r < rounds; r++) {
        started = 0; go = 0;
        a += race_exit_group();
        b += race_parent_and_children();
        c += race_sigkill_exit_group(r);
        d += race_wait_autoreap();
    }
    say("exit_group from %d threads at once: status is one of theirs: %d of %d\n", NT + 1, a, rounds);
    say("parent exiting while its %d children exit: all reaped, none lost: %d of %d\n", NT, b, rounds);
    say("SIGKILL during exit_group: exit_group's status or SIGKILL: %d of %d\n", c, rounds);
    say("wait4 racing with autoreap: ECHILD once all are gone: %d of %d\n", d, rounds);
    say("no child left: %s\n", sys_wait4(-1, 0, WNOHANG, 0) == -ECHILD ? "yes" : "no");
    say("DONE\n");
    return 0;
}
