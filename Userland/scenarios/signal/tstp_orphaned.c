/*
 * tstp_orphaned - pins down get_signal()'s rule for the terminal stop signals: SIGTSTP,
 * SIGTTIN and SIGTTOU with the default action stop the process, except in an orphaned
 * process group, where they are discarded; SIGSTOP stops in any group.  Deciding
 * "orphaned" walks the task list (is_current_pgrp_orphaned()), which needs tasklist_lock,
 * a lock that comes before the siglock get_signal() holds: Linux drops the siglock for
 * the walk and takes it again after.
 *
 * The scenario's child M (not init: a parent that is init never keeps a group attached)
 * is a child subreaper.  Two targets sleep in a loop with a handler for
 * signal 34 (a real-time signal) that counts:
 *   C  M's child in a group of its own: its parent M is in another group of the same
 *      session, so C's group is not orphaned
 *   G  S calls setsid() and forks G, then exits; G comes to M, which is in another
 *      session: G's group (S's) is orphaned
 * For each target and each stop signal: send it, then signal 34.  Signals are dequeued
 * lowest number first, so the stop signal is acted on before the handler runs.  A stop
 * shows as WIFSTOPPED in wait4(WUNTRACED), and SIGCONT lets the handler run; a discarded
 * stop shows as the handler running with no stop to report (waitid WSTOPPED|WNOHANG).
 */
#include "signals.h"

#define SIGCOUNT 34

struct area {
    volatile long count[2];
    volatile long gpid;
    volatile long c_ready;     /* C has its handler: signal 34 would kill it before */
};

static struct area *a;
static int slot;

static void on_count(int sig)
{
    (void)sig;
    __atomic_add_fetch(&a->count[slot], 1, __ATOMIC_SEQ_CST);
}

static void target(int which)
{
    slot = which;
    sig_handle(SIGCOUNT, on_count, 0);
    if (which == 1)
        a->gpid = sys_getpid();
    else
        a->c_ready = 1;
    for (;;)
        sleep_ms(1000);
}

/* Sends sig, then SIGCOUNT: the target either stops (and counts only after SIGCONT) or
 * discards the stop and counts at once. */
static const char *try_stop(long pid, int which, int sig)
{
    long before = a->count[which];
    sys_kill(pid, sig);
    sys_kill(pid, SIGCOUNT);
    int status = 0;
    long r;
    while ((r = sys_wait4(pid, &status, WUNTRACED | WNOHANG, NULL)) == 0 && a->count[which] == before)
        sys_sched_yield();
    if (r == pid) {
        if (!WIFSTOPPED(status) || WSTOPSIG(status) != sig)
            return "wrong wait status";
        sys_kill(pid, SIGCONT);
        while (a->count[which] == before)
            sys_sched_yield();
        return "stops";
    }
    if (r != 0)
        return "wait4 failed";
    return sys_wait4(pid, &status, WUNTRACED | WNOHANG, NULL) == 0 ? "discarded" : "stops after counting";
}

static void kill_and_reap(const char *name, long pid)
{
    int status = 0;
    sys_kill(pid, SIGKILL);
    long r = sys_wait4(pid, &status, 0, NULL);
    say("%s: SIGKILL, reaped: %s, killed by SIGKILL: %s\n", name, yesno(r == pid),
        yesno(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
}

static void run(void);

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    signals_reset();
    say("tstp_orphaned: start\n");
    a = shared_page();
    /* Not init itself: a parent that is init never keeps a group attached
     * (will_become_orphaned_pgrp skips it), and natively the scenario is not init. */
    long m = must_fork();
    if (m == 0) {
        run();
        sys_exit_group(0);
    }
    int status = 0;
    sys_wait4(m, &status, 0, NULL);
    say("DONE\n");
    return 0;
}

static void run(void)
{
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    long c = must_fork();
    if (c == 0) {
        sys_setpgid(0, 0);
        target(0);
    }
    sys_setpgid(c, c);
    while (a->c_ready == 0)
        sys_sched_yield();

    long s = must_fork();
    if (s == 0) {
        sys_setsid();
        if (must_fork() == 0)
            target(1);
        while (a->gpid == 0)
            sys_sched_yield();
        sys_exit_group(0);
    }
    int status = 0;
    sys_wait4(s, &status, 0, NULL);
    long g = a->gpid;
    say("G came to M (S reaped, G in S's group): %s\n", yesno(sys_getpgid(g) == s));

    const int sigs[] = { SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        say("C (group not orphaned), %s: %s\n", signame(sigs[i]), try_stop(c, 0, sigs[i]));
        say("G (orphaned group), %s: %s\n", signame(sigs[i]), try_stop(g, 1, sigs[i]));
    }
    kill_and_reap("C", c);
    kill_and_reap("G", g);
    say("nothing left to wait for: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
}
