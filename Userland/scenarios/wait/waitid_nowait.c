/*
 * waitid_nowait - pins down waitid(2): the siginfo it fills, WNOWAIT, WNOHANG and the
 * id types.
 *
 * waitid returns 0 on success (not a pid) and stores: si_signo SIGCHLD, si_errno 0,
 * si_code CLD_EXITED / CLD_KILLED / CLD_STOPPED / CLD_CONTINUED, si_pid, si_uid, si_status
 * (the exit code, or the signal number).  WNOWAIT reports without consuming: the same
 * event can be collected again.
 *
 *   - exit(5): waitid(P_PID, pid, WEXITED|WNOWAIT) twice gives the same report and the
 *     child stays a zombie; then waitid(P_PID, pid, WEXITED) reaps it; then ECHILD
 *   - killed by SIGKILL: CLD_KILLED, si_status 9; P_ALL with WNOWAIT, then wait4 reaps it
 *     with the same information (WIFSIGNALED, WTERMSIG 9)
 *   - waitid stores exactly si_signo, si_errno, si_code, si_pid, si_uid and si_status
 *     (bytes 0-11 and 16-27); the padding at 12-15 and everything from byte 28 on
 *     (si_utime, si_stime...) are left as they were
 *   - WNOHANG while the child runs: returns 0 and zeroes si_signo, si_code, si_pid,
 *     si_uid, si_status (si_errno too)
 *   - infop NULL: returns 0 and still reaps; a non-NULL rusage pointer is accepted
 *   - P_PGID with id 0 means the caller's process group (Linux 5.4+)
 *   - WSTOPPED|WNOWAIT reports CLD_STOPPED / SIGSTOP and leaves it; WSTOPPED consumes it;
 *     a second WSTOPPED|WNOHANG gives 0 with si_pid 0.  WCONTINUED|WNOWAIT reports
 *     CLD_CONTINUED / SIGCONT twice, WCONTINUED once more consumes it
 */
#include "signals.h"

/* waitid stores exactly six fields; every other byte of the 128 keeps its 0x55 fill. */
static int others_untouched(ksiginfo_t *si)
{
    const unsigned char *b = (const unsigned char *)si;
    for (int i = 0; i < (int)sizeof *si; i++) {
        int stored = i < 12 || (i >= 16 && i < 28);
        if (!stored && b[i] != 0x55)
            return 0;
    }
    return 1;
}

static void show(const char *what, long r, ksiginfo_t *si, long pid)
{
    say("%s: returned %s, si_signo %s, si_errno %d, %s, si_pid is the child: %s, si_uid is getuid(): %s, "
        "si_status %d, other bytes untouched: %s\n", what, errname(r), si->si_signo ? signame(si->si_signo) : "0",
        si->si_errno, si->si_code ? si_codename(si->si_code) : "si_code 0", yesno(si->si_pid == pid),
        yesno(si->si_uid == sys_getuid()), si->si_status, yesno(others_untouched(si)));
}

static void fill(ksiginfo_t *si) { memset(si, 0x55, sizeof *si); }

__attribute__((noreturn)) static void loop_forever(void)
{
    for (;;)
        sys_sched_yield();
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("waitid_nowait: start\n");
    ksiginfo_t si;
    int status;

    long pid = must_fork();
    if (pid == 0)
        sys_exit(5);
    fill(&si);
    long r = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, NULL);
    show("exit(5), WEXITED|WNOWAIT", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT, NULL);
    show("again, WEXITED|WNOWAIT", r, &si, pid);
    say("still a zombie: kill(pid, 0) = %s\n", errname(sys_kill(pid, 0)));
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WEXITED, NULL);
    show("WEXITED (reaps)", r, &si, pid);
    say("then: waitid %s, kill(pid, 0) %s\n", errname(sys_waitid(P_PID, pid, &si, WEXITED, NULL)),
        errname(sys_kill(pid, 0)));

    pid = must_fork();
    if (pid == 0)
        loop_forever();
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WEXITED | WNOHANG, NULL);
    int zeroed = si.si_signo == 0 && si.si_code == 0 && si.si_pid == 0 && si.si_uid == 0 && si.si_status == 0;
    int rest_untouched = others_untouched(&si);
    say("WNOHANG while it runs: returned %s, fields zeroed: %s, si_errno %d, the rest untouched: %s\n", errname(r),
        yesno(zeroed), si.si_errno, yesno(rest_untouched));
    sys_kill(pid, SIGKILL);
    fill(&si);
    r = sys_waitid(P_ALL, 0, &si, WEXITED | WNOWAIT, NULL);
    show("SIGKILL, P_ALL WEXITED|WNOWAIT", r, &si, pid);
    r = sys_wait4(-1, &status, 0, NULL);
    say("then wait4 reaps it: pid matches: %s, WIFSIGNALED=%d WTERMSIG=%s\n", yesno(r == pid),
        WIFSIGNALED(status) ? 1 : 0, signame(WTERMSIG(status)));

    pid = must_fork();
    if (pid == 0)
        sys_exit(6);
    r = sys_waitid(P_PID, pid, NULL, WEXITED, NULL);
    say("infop NULL: returned %s, reaped: %s\n", errname(r), yesno(sys_kill(pid, 0) == -ESRCH));
    pid = must_fork();
    if (pid == 0)
        sys_exit(7);
    struct rusage ru;
    fill(&si);
    r = sys_waitid(P_PGID, 0, &si, WEXITED, &ru);
    show("P_PGID id 0 (own group), with rusage", r, &si, pid);

    /* Stopped and continued. */
    pid = must_fork();
    if (pid == 0)
        loop_forever();
    sys_kill(pid, SIGSTOP);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT, NULL);
    show("SIGSTOP, WSTOPPED|WNOWAIT", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT, NULL);
    show("again, WSTOPPED|WNOWAIT", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WSTOPPED, NULL);
    show("WSTOPPED (consumes)", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WSTOPPED | WNOHANG, NULL);
    say("WSTOPPED|WNOHANG after that: returned %s, si_pid %d, si_signo %d\n", errname(r), si.si_pid, si.si_signo);
    sys_kill(pid, SIGCONT);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WCONTINUED | WNOWAIT, NULL);
    show("SIGCONT, WCONTINUED|WNOWAIT", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WCONTINUED | WNOWAIT, NULL);
    show("again, WCONTINUED|WNOWAIT", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WCONTINUED, NULL);
    show("WCONTINUED (consumes)", r, &si, pid);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WCONTINUED | WNOHANG, NULL);
    say("WCONTINUED|WNOHANG after that: returned %s, si_pid %d\n", errname(r), si.si_pid);
    sys_kill(pid, SIGKILL);
    fill(&si);
    r = sys_waitid(P_PID, pid, &si, WEXITED | WSTOPPED | WCONTINUED, NULL);
    show("SIGKILL, all three flags", r, &si, pid);
    say("nothing left: %s\n", errname(sys_waitid(P_ALL, 0, &si, WEXITED, NULL)));
    say("DONE\n");
    return 0;
}
