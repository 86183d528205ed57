/*
 * sigchld_ignore - pins down automatic reaping: SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT.
 *
 * do_notify_parent(): when the parent's SIGCHLD action is SIG_IGN or has SA_NOCLDWAIT,
 * the exiting child is reaped at once (autoreap) instead of becoming a zombie; with
 * SIG_IGN no signal is sent, with SA_NOCLDWAIT and a handler the handler still runs.
 *
 *   - SIG_IGN, three children exiting one after another: wait4(-1) blocks until the
 *     last one has exited and then returns ECHILD (it does not return early, and it never
 *     returns a pid); none is left as a zombie (kill(pid, 0) gives ESRCH, once the
 *     child has finished releasing itself: pid_gone)
 *   - SIG_IGN: wait4(-1, WNOHANG) while a child still runs returns 0; waitid(P_ALL,
 *     WEXITED) blocks like wait4 and returns ECHILD
 *   - a zombie that existed before SIGCHLD was set to SIG_IGN stays a zombie and is
 *     reaped normally by wait4 (Linux does not reap existing zombies on sigaction)
 *   - the setting is inherited by fork: a child forked while SIG_IGN is set has its own
 *     children autoreaped (its wait4 gives ECHILD)
 *   - SA_NOCLDWAIT with SIG_DFL: autoreaped, wait4 gives ECHILD
 *   - SA_NOCLDWAIT with an SA_SIGINFO handler: autoreaped, and the handler runs once per
 *     child with si_code CLD_EXITED, si_pid the child, si_status its code
 *   - back to SIG_DFL: a child becomes a zombie again and wait4 returns its status
 */
#include "signals.h"

#define PR_SET_PDEATHSIG 1

struct area {
    volatile long exited[4];
    volatile long go;
};

static struct area *a;
static volatile long h_count, h_code, h_pid, h_status;

static void on_chld(int sig, ksiginfo_t *info, void *uc)
{
    (void)sig; (void)uc;
    h_count++;
    h_code = info->si_code;
    h_pid = info->si_pid;
    h_status = info->si_status;
}

/* Three children that exit 20, 40 and 60 ms after the parent says go, marking themselves
 * first.  They wait for the word, not for a time from their fork: a parent delayed by host
 * load (the suite runs QEMU on every core while the native oracle runs) must still find
 * them running when it looks with WNOHANG. */
static void three_children(long *pids)
{
    memset((void *)a, 0, sizeof *a);
    for (int i = 0; i < 3; i++) {
        pids[i] = must_fork();
        if (pids[i] == 0) {
            while (!a->go)
                sys_sched_yield();
            sleep_ms(20 * (i + 1));
            a->exited[i] = 1;
            sys_exit(i);
        }
    }
}

/*
 * True once `pid` is no longer there. An autoreaped child signals and wakes its parent in
 * exit_notify() and only then releases itself (release_task, which frees the pid): the
 * parent, on another CPU, can look in between and still find it, on Linux too (seen
 * natively under load). So give it a moment, yielding; a zombie would stay for good.
 */
static int pid_gone(long pid)
{
    for (int i = 0; i < 100000 && sys_kill(pid, 0) == 0; i++)
        sys_sched_yield();
    return sys_kill(pid, 0) == -ESRCH;
}

static const char *gone(long *pids)
{
    int n = 0;
    for (int i = 0; i < 3; i++)
        n += pid_gone(pids[i]);
    return yesno(n == 3);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("sigchld_ignore: start\n");
    a = shared_page();
    long pids[3];
    int status;

    say("SIGCHLD -> SIG_IGN: %s\n", errname(sig_ignore(SIGCHLD)));
    three_children(pids);
    a->go = 1;
    status = 0x5555;
    long r = sys_wait4(-1, &status, 0, NULL);
    say("SIG_IGN: wait4(-1) returned %s after all three exited: %s, status untouched: %s, no zombies: %s\n",
        errname(r), yesno(a->exited[0] && a->exited[1] && a->exited[2]), yesno(status == 0x5555), gone(pids));

    three_children(pids);
    r = sys_wait4(-1, &status, WNOHANG, NULL);
    say("SIG_IGN: wait4(-1, WNOHANG) while children run: %s\n", errname(r));
    a->go = 1;
    ksiginfo_t si;
    r = sys_waitid(P_ALL, 0, &si, WEXITED, NULL);
    say("SIG_IGN: waitid(P_ALL, WEXITED) returned %s after all three exited: %s, no zombies: %s\n", errname(r),
        yesno(a->exited[0] && a->exited[1] && a->exited[2]), gone(pids));

    /* Inherited by fork. */
    a->exited[3] = 0;
    long pid = must_fork();
    if (pid == 0) {
        long g = must_fork();
        if (g == 0)
            sys_exit(3);
        a->exited[3] = sys_wait4(-1, NULL, 0, NULL);
        sys_exit(0);
    }
    /* The child itself is autoreaped too: wait for it through ECHILD. */
    r = sys_wait4(-1, &status, 0, NULL);
    say("SIG_IGN inherited by a child: the child's wait4 for its own child gave %s; ours gave %s\n",
        errname(a->exited[3]), errname(r));

    /* A zombie from before SIG_IGN. */
    sig_default(SIGCHLD);
    pid = must_fork();
    if (pid == 0)
        sys_exit(12);
    r = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, NULL);   /* now it is a zombie */
    sig_ignore(SIGCHLD);
    r = sys_wait4(pid, &status, 0, NULL);
    say("zombie from before SIG_IGN: still reaped by wait4: %s, WEXITSTATUS=%d\n", yesno(r == pid),
        WEXITSTATUS(status));

    /* SA_NOCLDWAIT with SIG_DFL. */
    sig_install(SIGCHLD, (void *)SIG_DFL, SA_NOCLDWAIT, 0);
    three_children(pids);
    a->go = 1;
    r = sys_wait4(-1, &status, 0, NULL);
    say("SA_NOCLDWAIT, SIG_DFL: wait4(-1) returned %s after all three exited: %s, no zombies: %s\n", errname(r),
        yesno(a->exited[0] && a->exited[1] && a->exited[2]), gone(pids));

    /* SA_NOCLDWAIT with a handler: one child at a time. */
    sig_handle_info(SIGCHLD, on_chld, SA_NOCLDWAIT);
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        h_count = 0;
        pid = must_fork();
        if (pid == 0)
            sys_exit(20 + i);
        r = sys_wait4(-1, &status, 0, NULL);   /* EINTR (the handler ran) or ECHILD */
        while (h_count == 0)
            sys_sched_yield();
        if (h_count == 1 && h_code == CLD_EXITED && h_pid == pid && h_status == 20 + i && pid_gone(pid))
            ok++;
        r = sys_wait4(-1, &status, 0, NULL);
        if (r != -ECHILD)
            ok = -100;
    }
    say("SA_NOCLDWAIT with a handler: handler ran once per child with CLD_EXITED, the pid and the code, child gone, "
        "wait4 then ECHILD: %d of 3\n", ok);

    /* Back to SIG_DFL. */
    sig_default(SIGCHLD);
    pid = must_fork();
    if (pid == 0)
        sys_exit(33);
    r = sys_wait4(pid, &status, 0, NULL);
    say("SIG_DFL again: wait4 reaped the child: %s, WEXITSTATUS=%d\n", yesno(r == pid), WEXITSTATUS(status));
    say("DONE\n");
    return 0;
}
