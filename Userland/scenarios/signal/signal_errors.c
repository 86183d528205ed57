/*
 * signal_errors - pins down the error answers of the signal and process-group system
 * calls (kernel/signal.c, kernel/sys.c), and EINTR from sleeping calls.
 *
 *   - kill: a signal number outside 0..64 is EINVAL, once a target is found (no such
 *     pid is ESRCH even with signal 65); no such pid, no such process group, or pid
 *     INT_MIN: ESRCH; signal 0 to a live process or a zombie: 0
 *   - tgkill: tgid or tid <= 0 is EINVAL; a tid that is not in that thread group: ESRCH
 *     (even with a bad signal number); a bad signal number to a thread that exists: EINVAL;
 *     a leader that has called exit(2) while a thread lives still exists: signal 0 gives 0.
 *     tkill: tid <= 0 is EINVAL
 *   - rt_sigaction: signal 0 or 65 is EINVAL; a handler for SIGKILL or SIGSTOP is EINVAL,
 *     but reading their action is allowed; sigsetsize other than 8 is EINVAL; a bad act
 *     pointer is EFAULT; a bad oldact pointer is EFAULT after the new action is installed
 *   - rt_sigprocmask: an unknown `how` is EINVAL, unless set is NULL; sigsetsize other than 8
 *     is EINVAL; bad set or oldset pointer: EFAULT; SIGKILL and SIGSTOP cannot be blocked
 *     (silently left out of the mask)
 *   - rt_sigpending: sigsetsize larger than 8 is EINVAL, smaller is accepted (Linux copies
 *     that many bytes); a bad pointer is EFAULT
 *   - setpgid: a negative pgid is EINVAL; no such pid: ESRCH; a session leader cannot
 *     change its group: EPERM; a group that does not exist in the session: EPERM
 *   - getpgid, getsid of no such pid: ESRCH; setsid by a process-group leader: EPERM
 *   - prctl with an unknown option: EINVAL
 *   - nanosleep, wait4 and FUTEX_WAIT interrupted by a handler without SA_RESTART: EINTR;
 *     wait4 interrupted by a handler with SA_RESTART is restarted and reaps the child
 */
#include "signals.h"
#include "thread.h"

#define BAD ((void *)1)
#define NOPID 4194304L                      /* above pid_max on any configuration */

static volatile long hits;
static int sleeper(void *arg) { (void)arg; for (;;) sleep_ms(1000); return 0; }
static void on_usr1(int sig) { (void)sig; hits++; }

static volatile long *returned;             /* shared: the parent's call has returned */

/* A child that sends SIGUSR1 to its parent every 20 ms until the parent's interrupted
 * call has returned (the first one may come before the parent is asleep), then exits. */
static long poke_until_returned(int code)
{
    long parent = sys_getpid();
    *returned = 0;
    long pid = must_fork();
    if (pid == 0) {
        do {
            sleep_ms(20);
            sys_kill(parent, SIGUSR1);
        } while (!*returned);
        sys_exit(code);
    }
    return pid;
}

/* wait4 for pid, again after each EINTR (the poking child may still be signalling). */
static void reap(long pid)
{
    while (sys_wait4(pid, NULL, 0, NULL) == -EINTR)
        ;
}

/* A child that sends SIGUSR1 to its parent after ms milliseconds, then exits with code. */
static long poke_later(long ms, int code)
{
    long parent = sys_getpid();
    long pid = must_fork();
    if (pid == 0) {
        sleep_ms(ms);
        sys_kill(parent, SIGUSR1);
        sleep_ms(ms);
        sys_exit(code);
    }
    return pid;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("signal_errors: start\n");
    signals_reset();
    long me = sys_getpid();

    say("kill(me, 65): %s, kill(me, -1): %s, kill(NOPID, 65): %s\n", errname(sys_kill(me, 65)),
        errname(sys_kill(me, -1)), errname(sys_kill(NOPID, 65)));
    say("kill(NOPID, 0): %s, kill(-NOPID, 0): %s, kill(INT_MIN, 0): %s, kill(me, 0): %s\n",
        errname(sys_kill(NOPID, 0)), errname(sys_kill(-NOPID, 0)), errname(sys_kill(-2147483647L - 1, 0)),
        errname(sys_kill(me, 0)));
    long z = must_fork();
    if (z == 0)
        sys_exit(0);
    ksiginfo_t si;
    sys_waitid(P_PID, z, &si, WEXITED | WNOWAIT, NULL);
    say("kill(zombie, 0): %s, kill(zombie, SIGKILL): %s\n", errname(sys_kill(z, 0)), errname(sys_kill(z, SIGKILL)));
    wait_for(z);
    say("kill(reaped, 0): %s\n", errname(sys_kill(z, 0)));

    long tid = sys_gettid();
    say("tgkill(0, tid, 0): %s, tgkill(me, 0, 0): %s, tgkill(-1, tid, 0): %s, tgkill(me, -5, 0): %s\n",
        errname(sys_tgkill(0, tid, 0)), errname(sys_tgkill(me, 0, 0)), errname(sys_tgkill(-1, tid, 0)),
        errname(sys_tgkill(me, -5, 0)));
    say("tgkill(me, NOPID, 0): %s, tgkill(NOPID, tid, 0): %s, tgkill(me, tid, 65): %s, tgkill(me, tid, 0): %s\n",
        errname(sys_tgkill(me, NOPID, 0)), errname(sys_tgkill(NOPID, tid, 0)), errname(sys_tgkill(me, tid, 65)),
        errname(sys_tgkill(me, tid, 0)));
    say("tgkill(me, NOPID, 65): %s, kill(0, 65): %s, kill(-NOPID, 65): %s\n", errname(sys_tgkill(me, NOPID, 65)),
        errname(sys_kill(0, 65)), errname(sys_kill(-NOPID, 65)));
    long zl = must_fork();
    if (zl == 0) {
        static struct thread t;
        thread_create(&t, sleeper, NULL);
        sys_exit(0);                          /* the leader goes; the thread lives on */
    }
    sleep_ms(30);
    say("tgkill(pid, leader tid, 0) after the leader's exit(2): %s, kill(pid, 0): %s\n", errname(sys_tgkill(zl, zl, 0)),
        errname(sys_kill(zl, 0)));
    sys_kill(zl, SIGKILL);
    wait_for(zl);
    say("tkill(0, 0): %s, tkill(-1, 0): %s, tkill(NOPID, 0): %s, tkill(tid, 65): %s\n", errname(sys_tkill(0, 0)),
        errname(sys_tkill(-1, 0)), errname(sys_tkill(NOPID, 0)), errname(sys_tkill(tid, 65)));

    struct ksigaction sa = { (void *)on_usr1, SA_RESTORER, __restore_rt, 0 }, old;
    say("rt_sigaction(0): %s, (65): %s, (-1): %s\n", errname(sys_rt_sigaction(0, &sa, NULL)),
        errname(sys_rt_sigaction(65, &sa, NULL)), errname(sys_rt_sigaction(-1, NULL, &old)));
    say("rt_sigaction(SIGKILL, handler): %s, (SIGSTOP, handler): %s, (SIGKILL, SIG_IGN): %s\n",
        errname(sys_rt_sigaction(SIGKILL, &sa, NULL)), errname(sys_rt_sigaction(SIGSTOP, &sa, NULL)),
        errname(sig_ignore(SIGKILL)));
    memset(&old, 0x55, sizeof old);
    long r = sys_rt_sigaction(SIGKILL, NULL, &old);
    say("rt_sigaction(SIGKILL, NULL, &old): %s, old handler SIG_DFL: %s\n", errname(r), yesno(old.handler == SIG_DFL));
    say("rt_sigaction sigsetsize 4: %s, 16: %s\n", errname(syscall4(SYS_rt_sigaction, SIGUSR1, (long)&sa, 0, 4)),
        errname(syscall4(SYS_rt_sigaction, SIGUSR1, (long)&sa, 0, 16)));
    say("rt_sigaction(SIGUSR1, bad act): %s\n", errname(sys_rt_sigaction(SIGUSR1, BAD, NULL)));
    r = sys_rt_sigaction(SIGUSR1, &sa, BAD);
    memset(&old, 0, sizeof old);
    sys_rt_sigaction(SIGUSR1, NULL, &old);
    say("rt_sigaction(SIGUSR1, handler, bad oldact): %s, the handler is installed anyway: %s\n", errname(r),
        yesno(old.handler == (void *)on_usr1));
    sig_default(SIGUSR1);

    ksigset_t set = sigbit(SIGUSR2), got = 0;
    say("rt_sigprocmask(how 3, set): %s, (how 3, NULL, &old): %s, (how -1, set): %s\n",
        errname(sys_rt_sigprocmask(3, &set, NULL)), errname(sys_rt_sigprocmask(3, NULL, &got)),
        errname(sys_rt_sigprocmask(-1, &set, NULL)));
    say("rt_sigprocmask sigsetsize 4: %s; bad set: %s; bad oldset: %s\n",
        errname(syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 4)),
        errname(syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)BAD, 0, 8)),
        errname(syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, (long)BAD, 8)));
    sig_setmask(0);
    sig_block(~0UL);
    got = sig_getmask();
    say("block everything: SIGKILL blocked: %s, SIGSTOP blocked: %s, SIGUSR1 blocked: %s\n",
        yesno(got & sigbit(SIGKILL)), yesno(got & sigbit(SIGSTOP)), yesno(got & sigbit(SIGUSR1)));
    sig_setmask(0);
    unsigned char small[16];
    memset(small, 0x55, sizeof small);
    r = syscall2(SYS_rt_sigpending, (long)small, 4);
    say("rt_sigpending size 4: %s (bytes 4..7 untouched: %s), size 16: %s, bad pointer: %s\n", errname(r),
        yesno(small[4] == 0x55 && small[7] == 0x55), errname(syscall2(SYS_rt_sigpending, (long)small, 16)),
        errname(sys_rt_sigpending(BAD)));

    /* Process groups and sessions, in a child that is a session leader. */
    long c = must_fork();
    if (c == 0) {
        long sid = sys_setsid();
        say("child: setsid: %s, setsid again (a group leader): %s\n", sid == sys_getpid() ? "its pid" : errname(sid),
            errname(sys_setsid()));
        say("child: setpgid(0, 0) as session leader: %s, setpgid(0, -1): %s, setpgid(NOPID, 0): %s\n",
            errname(sys_setpgid(0, 0)), errname(sys_setpgid(0, -1)), errname(sys_setpgid(NOPID, 0)));
        long g = must_fork();
        if (g == 0) {
            say("grandchild: setpgid(0, NOPID) (no such group here): %s, setpgid(0, 0): %s\n",
                errname(sys_setpgid(0, NOPID)), errname(sys_setpgid(0, 0)));
            sys_exit(0);
        }
        wait_for(g);
        sys_exit(0);
    }
    wait_for(c);
    say("getpgid(NOPID): %s, getsid(NOPID): %s, getpgid(0) is getpgrp(): %s\n", errname(sys_getpgid(NOPID)),
        errname(sys_getsid(NOPID)), yesno(sys_getpgid(0) == sys_getpgrp()));
    say("prctl(9999): %s\n", errname(sys_prctl(9999, 0, 0, 0, 0)));

    /* EINTR. */
    returned = shared_page();
    sig_handle(SIGUSR1, on_usr1, 0);
    long p = poke_until_returned(1);
    struct timespec ts = { 10, 0 };
    r = sys_nanosleep(&ts, NULL);
    *returned = 1;
    say("nanosleep interrupted by a handler: %s, handler ran: %s\n", errname(r), yesno(hits >= 1));
    reap(p);
    hits = 0;
    p = poke_until_returned(2);
    int st = 0;
    r = sys_wait4(p, &st, 0, NULL);
    *returned = 1;
    say("wait4 interrupted by a handler without SA_RESTART: %s, handler ran: %s\n", errname(r), yesno(hits >= 1));
    reap(p);
    hits = 0;
    p = poke_until_returned(3);
    static volatile int fword;
    r = futex_wait(&fword, 0, NULL);
    *returned = 1;
    say("FUTEX_WAIT interrupted by a handler: %s, handler ran: %s\n", errname(r), yesno(hits >= 1));
    reap(p);
    hits = 0;
    sig_handle(SIGUSR1, on_usr1, SA_RESTART);
    p = poke_later(20, 4);
    r = sys_wait4(p, &st, 0, NULL);
    say("wait4 with SA_RESTART: restarted and reaped the child: %s, WEXITSTATUS=%d, handler ran: %s\n",
        yesno(r == p), WEXITSTATUS(st), yesno(hits == 1));
    sig_default(SIGUSR1);

    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, WNOHANG, NULL)));
    say("DONE\n");
    return 0;
}
