/*
 * stop_continue - pins down group stop and continue as wait4 reports them
 * (WUNTRACED / WCONTINUED), and the job-control stop signals.
 *
 * Everything runs in a fresh session (a child that calls setsid()), so the process-group
 * facts do not depend on who started the scenario.
 *
 *   - SIGSTOP: wait4(WUNTRACED) reports WIFSTOPPED with WSTOPSIG SIGSTOP, raw status
 *     0x137f, once: a second wait4(WUNTRACED|WNOHANG) gives 0; without WUNTRACED a stopped
 *     child is not reported (wait4(WNOHANG) gives 0)
 *   - SIGCONT: wait4(WCONTINUED) reports WIFCONTINUED, raw status 0xffff, once
 *   - SIGCONT to a child that is not stopped: nothing to report (WCONTINUED|WNOHANG: 0)
 *   - a stopped single-threaded child that gets SIGTERM stays stopped (the signal waits,
 *     WNOHANG gives 0); after SIGCONT it dies of SIGTERM
 *   - SIGKILL ends a stopped child at once (WIFSIGNALED, SIGKILL)
 *   - a SIGCONT handler runs once the child is continued
 *   - a three-thread child: SIGSTOP stops every thread (counters that each thread bumps
 *     in user mode do not move while it is stopped) and SIGCONT restarts them all
 *   - SIGTSTP, SIGTTIN, SIGTTOU (default action: stop) stop a child whose process group
 *     is not orphaned (its own group, parent in another group of the same session), with
 *     WSTOPSIG the signal; the same signals sent to a child in an orphaned process group
 *     (the session leader's own group) are discarded: the child runs on and exits 0.
 *     SIGSTOP stops it even there.
 */
#include "signals.h"
#include "thread.h"

struct area {
    volatile long counters[3];
    volatile long ping, cont_handled;
};

static struct area *a;
static struct thread t1, t2;

__attribute__((noreturn)) static void loop_forever(void)
{
    for (;;)
        sys_sched_yield();
}

static int bump(void *arg)
{
    long i = (long)arg;
    for (;;)
        a->counters[i]++;
    return 0;
}

static void on_cont(int sig) { (void)sig; a->cont_handled = 1; }

static int counters_frozen(void)
{
    long c0 = a->counters[0], c1 = a->counters[1], c2 = a->counters[2];
    sleep_ms(30);
    return c0 == a->counters[0] && c1 == a->counters[1] && c2 == a->counters[2];
}

static int counters_all_move(void)
{
    long c0 = a->counters[0], c1 = a->counters[1], c2 = a->counters[2];
    for (int i = 0; i < 1000; i++) {
        if (c0 != a->counters[0] && c1 != a->counters[1] && c2 != a->counters[2])
            return 1;
        sleep_ms(2);
    }
    return 0;
}

static void session(void)
{
    int status;
    long pid = must_fork();
    if (pid == 0)
        loop_forever();
    sys_kill(pid, SIGSTOP);
    long r = sys_wait4(pid, &status, WUNTRACED, NULL);
    say("SIGSTOP: wait4(WUNTRACED): pid matches: %s, WIFSTOPPED=%d WSTOPSIG=%s status=0x%04x\n", yesno(r == pid),
        WIFSTOPPED(status) ? 1 : 0, signame(WSTOPSIG(status)), status);
    say("again with WUNTRACED|WNOHANG: %s; without WUNTRACED (WNOHANG): %s\n",
        errname(sys_wait4(pid, &status, WUNTRACED | WNOHANG, NULL)), errname(sys_wait4(pid, &status, WNOHANG, NULL)));
    sys_kill(pid, SIGCONT);
    r = sys_wait4(pid, &status, WCONTINUED, NULL);
    say("SIGCONT: wait4(WCONTINUED): pid matches: %s, WIFCONTINUED=%d status=0x%04x; again (WNOHANG): %s\n",
        yesno(r == pid), WIFCONTINUED(status) ? 1 : 0, status,
        errname(sys_wait4(pid, &status, WCONTINUED | WNOHANG, NULL)));
    sys_kill(pid, SIGCONT);
    say("SIGCONT to a running child: wait4(WCONTINUED|WNOHANG): %s\n",
        errname(sys_wait4(pid, &status, WCONTINUED | WNOHANG, NULL)));

    sys_kill(pid, SIGSTOP);
    sys_wait4(pid, &status, WUNTRACED, NULL);
    sys_kill(pid, SIGTERM);
    sleep_ms(20);
    r = sys_wait4(pid, &status, WNOHANG | WUNTRACED, NULL);
    say("stopped child sent SIGTERM: still stopped (wait4(WNOHANG|WUNTRACED) = %s)\n", errname(r));
    sys_kill(pid, SIGCONT);
    r = sys_wait4(pid, &status, 0, NULL);
    say("after SIGCONT it dies: pid matches: %s, WIFSIGNALED=%d WTERMSIG=%s\n", yesno(r == pid),
        WIFSIGNALED(status) ? 1 : 0, signame(WTERMSIG(status)));

    pid = must_fork();
    if (pid == 0)
        loop_forever();
    sys_kill(pid, SIGSTOP);
    sys_wait4(pid, &status, WUNTRACED, NULL);
    sys_kill(pid, SIGKILL);
    r = sys_wait4(pid, &status, 0, NULL);
    say("SIGKILL to a stopped child: WIFSIGNALED=%d WTERMSIG=%s\n", WIFSIGNALED(status) ? 1 : 0,
        signame(WTERMSIG(status)));

    a->cont_handled = 0;
    pid = must_fork();
    if (pid == 0) {
        sig_handle(SIGCONT, on_cont, 0);
        a->ping = 1;
        while (!a->cont_handled)
            sys_sched_yield();
        sys_exit(4);
    }
    while (!a->ping)
        sys_sched_yield();
    sys_kill(pid, SIGSTOP);
    sys_wait4(pid, &status, WUNTRACED, NULL);
    sys_kill(pid, SIGCONT);
    r = sys_wait4(pid, &status, 0, NULL);
    say("SIGCONT handler ran after the continue: %s, WEXITSTATUS=%d\n", yesno(a->cont_handled), WEXITSTATUS(status));

    /* Three threads. */
    pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, bump, (void *)1) <= 0 || thread_create(&t2, bump, (void *)2) <= 0)
            sys_exit_group(1);
        bump(0);
    }
    int moving = counters_all_move();
    sys_kill(pid, SIGSTOP);
    r = sys_wait4(pid, &status, WUNTRACED, NULL);
    int frozen = counters_frozen();
    sys_kill(pid, SIGCONT);
    long rc = sys_wait4(pid, &status, WCONTINUED, NULL);
    int moving_again = counters_all_move();
    say("three threads: all ran: %s, stopped (reported once for the process): %s, all frozen while stopped: %s, "
        "continued: %s, all run again: %s\n", yesno(moving), yesno(r == pid), yesno(frozen), yesno(rc == pid),
        yesno(moving_again));
    sys_kill(pid, SIGKILL);
    wait_for(pid);

    /* Job-control stop signals, by process group. */
    static const int jc[] = { SIGTSTP, SIGTTIN, SIGTTOU };
    for (int i = 0; i < 3; i++) {
        pid = must_fork();
        if (pid == 0) {
            sys_setpgid(0, 0);
            loop_forever();
        }
        sys_setpgid(pid, pid);
        sys_kill(pid, jc[i]);
        r = sys_wait4(pid, &status, WUNTRACED, NULL);
        say("%s to a child in its own (not orphaned) group: WIFSTOPPED=%d WSTOPSIG=%s\n", signame(jc[i]),
            WIFSTOPPED(status) ? 1 : 0, signame(WSTOPSIG(status)));
        sys_kill(pid, SIGKILL);
        wait_for(pid);

        a->ping = 0;
        pid = must_fork();
        if (pid == 0) {
            while (!a->ping)
                sys_sched_yield();
            sys_getpid();   /* a pending stop signal would act on this return to user mode */
            sys_exit(0);
        }
        sys_kill(pid, jc[i]);
        a->ping = 1;
        r = sys_wait4(pid, &status, WUNTRACED, NULL);
        say("%s to a child in the orphaned group of the session leader: discarded, it exited: %s (status 0x%04x)\n",
            signame(jc[i]), yesno(WIFEXITED(status)), status);
    }
    pid = must_fork();
    if (pid == 0)
        loop_forever();
    sys_kill(pid, SIGSTOP);
    r = sys_wait4(pid, &status, WUNTRACED, NULL);
    say("SIGSTOP in the orphaned group: WIFSTOPPED=%d WSTOPSIG=%s\n", WIFSTOPPED(status) ? 1 : 0,
        signame(WSTOPSIG(status)));
    sys_kill(pid, SIGKILL);
    wait_for(pid);
    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, 0, NULL)));
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("stop_continue: start\n");
    a = shared_page();
    long s = must_fork();
    if (s == 0) {
        long r = sys_setsid();
        say("setsid in a fresh child: returned its pid: %s\n", yesno(r == sys_getpid()));
        session();
        sys_exit(0);
    }
    int status = wait_for(s);
    say("session leader exited %d\n", WEXITSTATUS(status));
    say("DONE\n");
    return 0;
}
