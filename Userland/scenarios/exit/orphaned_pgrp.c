/*
 * orphaned_pgrp - pins down kill_orphaned_pgrp(): when a process group becomes orphaned
 * and has a stopped member, every member gets SIGHUP and then SIGCONT.
 *
 * A process group is orphaned when no member has a parent in a different group of the
 * same session.  Linux checks at every exit (exit_notify): the exiting process's own
 * group, and the groups of its children.  SIGHUP and SIGCONT are sent with SEND_SIG_PRIV
 * (si_code SI_KERNEL, si_pid 0).
 *
 * Layout: the scenario (a child subreaper, so orphans come to it) forks S, which calls
 * setsid(); S forks the middle processes below, in its session.  The orphans' new parent
 * is the scenario, in another session, so it never keeps a group attached.
 *   A  M makes its own group, forks C which stops itself (SIGSTOP), then M exits: the
 *      group is orphaned with a stopped member; C has no handlers and dies of SIGHUP
 *   B  the same with two members that have SA_SIGINFO handlers: C stopped and D running.
 *      Each gets SIGHUP and SIGCONT exactly once, si_code SI_KERNEL, si_pid 0.  For the
 *      stopped member both are pending when it wakes and the handlers nest: SIGHUP
 *      (lower number) is dequeued first and its frame set up, then SIGCONT's frame on
 *      top, so the SIGCONT handler runs first - the printed order is what Linux does
 *   C  orphaned without a stopped member: nothing is sent (the running member's handler
 *      never runs)
 *   D  not orphaned while a member K, whose parent S is in another group of the session,
 *      lives: M's exit sends nothing; when K exits the group becomes orphaned with C
 *      stopped: SIGHUP then (C's handler records that it came only after K left)
 *   E  the children's side: P in S's group forks C into a new group G; C stops; P exits:
 *      G lost its last link, C dies of SIGHUP
 */
#include "signals.h"

struct rec {
    volatile long pid;
    volatile long n, sigs[4], codes[4], pids[4];
    volatile long phase_at_hup;
};

struct area {
    struct rec r[8];
    volatile long ready[8];
    volatile long go[8];
    volatile long check[8];
    volatile long phase;
};

static struct area *a;
static struct rec *me;
static int my_slot;

static void on_sig(int sig, ksiginfo_t *info, void *uc)
{
    (void)uc;
    long n = me->n;
    if (n < 4) {
        me->sigs[n] = sig;
        me->codes[n] = info->si_code;
        me->pids[n] = info->si_pid;
    }
    if (sig == SIGHUP)
        me->phase_at_hup = a->phase;
    me->n = n + 1;
}

static void become(int slot, int handlers)
{
    my_slot = slot;
    me = &a->r[slot];
    me->pid = sys_getpid();
    if (handlers) {
        sig_handle_info(SIGHUP, on_sig, 0);
        sig_handle_info(SIGCONT, on_sig, 0);
    }
}

/* A member that stops itself; when continued (and still alive) it exits 10 + slot. */
__attribute__((noreturn)) static void stopped_member(int slot, int handlers)
{
    become(slot, handlers);
    sys_kill(sys_getpid(), SIGSTOP);
    sys_exit(10 + slot);
}

/* A member that runs until told to check, then makes one system call and exits 20 + slot. */
__attribute__((noreturn)) static void running_member(int slot)
{
    become(slot, 1);
    a->ready[slot] = 1;
    while (!a->check[slot])
        sys_sched_yield();
    sys_getpid();
    sys_exit(20 + slot);
}

static void wait_stopped(long pid)
{
    int st;
    if (sys_wait4(pid, &st, WUNTRACED, NULL) != pid || !WIFSTOPPED(st))
        fail("member did not stop");
}

static void wait_ready(int slot)
{
    while (!a->ready[slot])
        sys_sched_yield();
}

/* Runs in S, the session leader. */
static void session(void)
{
    long m;

    /* A */
    m = must_fork();
    if (m == 0) {
        sys_setpgid(0, 0);
        long c = must_fork();
        if (c == 0)
            stopped_member(0, 0);
        wait_stopped(c);
        sys_exit(0);
    }
    wait_for(m);

    /* B */
    m = must_fork();
    if (m == 0) {
        sys_setpgid(0, 0);
        long c = must_fork();
        if (c == 0)
            stopped_member(1, 1);
        long d = must_fork();
        if (d == 0)
            running_member(2);
        wait_stopped(c);
        wait_ready(2);
        sys_exit(0);
    }
    wait_for(m);
    a->check[2] = 1;   /* any SIGHUP/SIGCONT was sent during M's exit, before wait4 returned */

    /* C */
    m = must_fork();
    if (m == 0) {
        sys_setpgid(0, 0);
        long d = must_fork();
        if (d == 0)
            running_member(3);
        wait_ready(3);
        sys_exit(0);
    }
    wait_for(m);
    a->check[3] = 1;

    /* D */
    a->phase = 1;
    m = must_fork();
    if (m == 0) {
        sys_setpgid(0, 0);
        long c = must_fork();
        if (c == 0)
            stopped_member(4, 1);
        wait_stopped(c);
        a->ready[4] = 1;
        while (!a->go[4])
            sys_sched_yield();
        sys_exit(0);
    }
    sys_setpgid(m, m);
    long k = must_fork();
    if (k == 0) {
        sys_setpgid(0, m);
        a->ready[5] = 1;
        while (!a->go[5])
            sys_sched_yield();
        sys_exit(0);
    }
    wait_ready(4);
    wait_ready(5);
    a->go[4] = 1;
    wait_for(m);
    sleep_ms(30);       /* a wrongly sent SIGHUP would be handled by now, in phase 1 */
    a->phase = 2;
    a->go[5] = 1;
    wait_for(k);

    /* E */
    long p = must_fork();
    if (p == 0) {
        long c = must_fork();
        if (c == 0) {
            sys_setpgid(0, 0);
            stopped_member(6, 0);
        }
        sys_setpgid(c, c);
        wait_stopped(c);
        sys_exit(0);
    }
    wait_for(p);
}

static void report_signals(const char *what, int slot)
{
    struct rec *r = &a->r[slot];
    char order[64] = "";
    int kernel_codes = 1;
    for (long i = 0; i < r->n && i < 4; i++) {
        format(order + strlen(order), sizeof order - strlen(order), "%s%s", i ? " " : "", signame((int)r->sigs[i]));
        if (r->codes[i] != SI_KERNEL || r->pids[i] != 0)
            kernel_codes = 0;
    }
    say("%s: %ld signal(s): %s; si_code SI_KERNEL and si_pid 0: %s\n", what, r->n, r->n ? order : "none",
        r->n ? yesno(kernel_codes) : "-");
}

static int status_of(int slot)
{
    int st = -1;
    if (sys_wait4(a->r[slot].pid, &st, 0, NULL) != a->r[slot].pid)
        return -1;
    return st;
}

static void report_status(const char *what, int st)
{
    if (WIFSIGNALED(st))
        say("%s: killed by %s\n", what, signame(WTERMSIG(st)));
    else
        say("%s: exited %d\n", what, WEXITSTATUS(st));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("orphaned_pgrp: start\n");
    sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    a = shared_page();
    long s = must_fork();
    if (s == 0) {
        if (sys_setsid() != sys_getpid())
            fail("setsid");
        session();
        sys_exit(0);
    }
    wait_for(s);

    /* Every member is our child now (we are the subreaper); reap them by pid. */
    report_status("A: stopped member, no handlers", status_of(0));
    int c = status_of(1), d = status_of(2);
    report_signals("B: stopped member", 1);
    report_status("B: stopped member", c);
    struct rec *rd = &a->r[2];
    int hup = 0, cont = 0;
    for (long i = 0; i < rd->n && i < 4; i++) {
        hup += rd->sigs[i] == SIGHUP;
        cont += rd->sigs[i] == SIGCONT;
    }
    say("B: running member: SIGHUP %d time(s), SIGCONT %d time(s), si_codes SI_KERNEL: %s\n", hup, cont,
        yesno(rd->n == 2 && rd->codes[0] == SI_KERNEL && rd->codes[1] == SI_KERNEL));
    report_status("B: running member", d);
    int e = status_of(3);
    report_signals("C: no stopped member, running member", 3);
    report_status("C: running member", e);
    int f = status_of(4);
    report_signals("D: stopped member", 4);
    say("D: SIGHUP came only when the last link (K) exited: %s\n", yesno(a->r[4].phase_at_hup == 2));
    report_status("D: stopped member", f);
    report_status("E: child in a group whose last link exited", status_of(6));
    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
    say("DONE\n");
    return 0;
}
