/*
 * sigchld_siginfo - pins down the siginfo an SA_SIGINFO handler gets for SIGCHLD (and for
 * another exit signal chosen with clone).
 *
 * do_notify_parent() / do_notify_parent_cldstop() fill: si_signo = the signal, si_errno 0,
 * si_code CLD_EXITED / CLD_KILLED / CLD_STOPPED / CLD_CONTINUED, si_pid the child's pid
 * (tgid) in the parent's namespace, si_uid the child's uid, si_status the exit code
 * (exit_code >> 8) for CLD_EXITED, else the signal number.
 *
 *   - exit(7): CLD_EXITED, si_status 7
 *   - SIGKILL and SIGTERM from the parent, SIGSEGV from a bad access (core dumps off with
 *     PR_SET_DUMPABLE 0, so not CLD_DUMPED): CLD_KILLED, si_status the signal
 *   - SIGSTOP: CLD_STOPPED with si_status SIGSTOP; SIGCONT: CLD_CONTINUED with si_status
 *     SIGCONT (each also reported by wait4 with WUNTRACED / WCONTINUED)
 *   - with SA_NOCLDSTOP, stopping and continuing send nothing (wait4 still reports both);
 *     the exit still sends CLD_EXITED
 *   - a child cloned with exit signal SIGUSR1 (not SIGCHLD): the parent's SIGUSR1 handler
 *     gets si_signo SIGUSR1 with si_code CLD_EXITED and si_status; wait4 needs __WCLONE
 *   - every case delivers exactly one signal
 */
#include "signals.h"

static int *volatile bad_pointer = (int *)8;
static volatile long *release;          /* MAP_SHARED: parent -> child, exit now */
static volatile long count, signo, err, code, pid_seen, uid_seen, status_seen;

static void on_sig(int sig, ksiginfo_t *info, void *uc)
{
    (void)uc;
    count++;
    signo = sig == info->si_signo ? sig : -sig;
    err = info->si_errno;
    code = info->si_code;
    pid_seen = info->si_pid;
    uid_seen = info->si_uid;
    status_seen = info->si_status;
}

static void reset(void) { count = signo = err = code = pid_seen = uid_seen = status_seen = 0; }

static void show(const char *what, long pid)
{
    wait_flag(&count, 5000);
    say("%s: %ld signal(s), %s, si_errno %ld, %s, si_pid is the child: %s, si_uid is getuid(): %s, si_status %ld\n",
        what, count, signo > 0 ? signame((int)signo) : "si_signo mismatch", err, si_codename((int)code),
        yesno(pid_seen == pid), yesno(uid_seen == sys_getuid()), status_seen);
}

__attribute__((noreturn)) static void loop_forever(void)
{
    for (;;)
        sys_sched_yield();
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("sigchld_siginfo: start\n");
    sig_handle_info(SIGCHLD, on_sig, SA_RESTART);
    release = shared_page();
    int status;

    reset();
    long pid = must_fork();
    if (pid == 0)
        sys_exit(7);
    status = wait_for(pid);
    show("exit(7)", pid);

    static const int kills[] = { SIGKILL, SIGTERM };
    for (int i = 0; i < 2; i++) {
        reset();
        pid = must_fork();
        if (pid == 0)
            loop_forever();
        sys_kill(pid, kills[i]);
        status = wait_for(pid);
        char what[64];
        format(what, sizeof what, "kill(child, %s)", signame(kills[i]));
        show(what, pid);
    }

    reset();
    pid = must_fork();
    if (pid == 0) {
        sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        *bad_pointer = 1;
        sys_exit(1);
    }
    status = wait_for(pid);
    show("SIGSEGV from a bad write", pid);

    /* Stop and continue. */
    reset();
    pid = must_fork();
    if (pid == 0)
        loop_forever();
    sys_kill(pid, SIGSTOP);
    /* The CLD_STOPPED signal first, then wait4: the child reads si_status from
     * signal->group_exit_code after the group is marked stopped, and a wait4(WUNTRACED)
     * that collects the stop in between zeroes it - on Linux too, in a window of a few
     * instructions. */
    wait_flag(&count, 5000);
    long r = sys_wait4(pid, &status, WUNTRACED, NULL);
    say("wait4(WUNTRACED): pid matches: %s, WIFSTOPPED=%d WSTOPSIG=%s\n", yesno(r == pid), WIFSTOPPED(status) ? 1 : 0,
        signame(WSTOPSIG(status)));
    show("SIGSTOP", pid);
    reset();
    sys_kill(pid, SIGCONT);
    r = sys_wait4(pid, &status, WCONTINUED, NULL);
    say("wait4(WCONTINUED): pid matches: %s, WIFCONTINUED=%d\n", yesno(r == pid), WIFCONTINUED(status) ? 1 : 0);
    show("SIGCONT", pid);
    reset();
    sys_kill(pid, SIGKILL);
    wait_for(pid);
    show("SIGKILL after continuing", pid);

    /* SA_NOCLDSTOP */
    sig_handle_info(SIGCHLD, on_sig, SA_RESTART | SA_NOCLDSTOP);
    reset();
    pid = must_fork();
    if (pid == 0) {
        while (!*release)
            sys_sched_yield();
        sys_exit(8);
    }
    sys_kill(pid, SIGSTOP);
    r = sys_wait4(pid, &status, WUNTRACED, NULL);
    int stopped = r == pid && WIFSTOPPED(status);
    sys_kill(pid, SIGCONT);
    r = sys_wait4(pid, &status, WCONTINUED, NULL);
    int continued = r == pid && WIFCONTINUED(status);
    sleep_ms(50);
    say("SA_NOCLDSTOP: wait4 saw the stop: %s and the continue: %s; signals sent for them: %ld\n", yesno(stopped),
        yesno(continued), count);
    *release = 1;
    r = sys_wait4(pid, &status, 0, NULL);
    show("SA_NOCLDSTOP, then exit(8)", pid);

    /* Another exit signal. */
    sig_handle_info(SIGUSR1, on_sig, SA_RESTART);
    reset();
    pid = syscall5(SYS_clone, SIGUSR1, 0, 0, 0, 0);
    if (pid == 0)
        sys_exit(9);
    r = sys_wait4(pid, &status, 0, NULL);
    say("exit signal SIGUSR1: wait4 without __WCLONE: %s\n", errname(r));
    r = sys_wait4(pid, &status, __WCLONE, NULL);
    say("exit signal SIGUSR1: wait4 with __WCLONE: pid matches: %s, WEXITSTATUS=%d\n", yesno(r == pid),
        WEXITSTATUS(status));
    show("exit signal SIGUSR1, exit(9)", pid);
    say("DONE\n");
    return 0;
}
