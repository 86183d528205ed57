/*
 * sigtimedwait: rt_sigtimedwait(2), which sigtimedwait and sigwaitinfo are (Linux
 * kernel/signal.c do_sigtimedwait). A pending signal of the set is taken at once, with its
 * siginfo (si_code SI_USER for kill, SI_TKILL for tgkill, the sender's pid); one that
 * arrives while waiting ends the wait; other pending signals stay pending; a zero timeout
 * or one that runs out is EAGAIN; another, handled signal ends the wait with EINTR and its
 * handler runs. A blocked signal whose default is to be ignored (SIGCHLD) is still taken.
 * Threads: a process-wide kill() is taken by the thread waiting for it; a tgkill() to
 * another thread is not (EAGAIN), that thread takes it. Errors: EINVAL for a sigsetsize
 * other than 8 (checked first) and for a bad timespec, EFAULT for a bad set, timespec or
 * siginfo pointer (the signal is taken all the same).
 */
#include "lib.h"
#include "signals.h"
#include "thread.h"

#define SYS_rt_sigtimedwait 128

static long stw(const ksigset_t *set, ksiginfo_t *info, const struct timespec *ts, long size)
{
    return syscall4(SYS_rt_sigtimedwait, (long)set, (long)info, (long)ts, size);
}

static const char *res(long r)
{
    if (r < 0) return errname(r);
    return signame((int)r);
}

static volatile int handled;
static void on_term(int sig) { (void)sig; handled = 1; }

static volatile long waiter_got, waiter_ready;
static int waiter(void *arg)
{
    ksigset_t set = (ksigset_t)(long)arg;
    struct timespec ts = { 0, 300 * 1000000L };
    waiter_ready = 1;
    waiter_got = stw(&set, 0, &ts, 8);
    return 0;
}

int main(void)
{
    say("sigtimedwait: start\n");
    signals_reset();
    long me = sys_getpid();
    ksigset_t usr = sigbit(SIGUSR1) | sigbit(SIGUSR2) | sigbit(SIGCHLD);
    sig_block(usr);
    ksigset_t s1 = sigbit(SIGUSR1), s2 = sigbit(SIGUSR2);
    ksiginfo_t info;
    struct timespec zero = { 0, 0 };

    sys_kill(me, SIGUSR1);
    long r = stw(&s1, &info, &zero, 8);
    say("pending SIGUSR1, zero timeout: %s, si_signo %s, si_code %s, si_pid is ours: %s\n", res(r),
        signame(info.si_signo), si_codename(info.si_code), yesno(info.si_pid == me));
    say("nothing pending, zero timeout: %s\n", res(stw(&s1, &info, &zero, 8)));
    struct timespec t50 = { 0, 50 * 1000000L };
    long t0 = now_ms();
    r = stw(&s1, &info, &t50, 8);
    say("nothing pending, 50 ms: %s, waited at least 40 ms: %s\n", res(r), yesno(now_ms() - t0 >= 40));

    sys_tgkill(me, sys_gettid(), SIGUSR2);
    r = stw(&s2, &info, NULL, 8);
    say("sigwaitinfo after tgkill: %s, si_code %s\n", res(r), si_codename(info.si_code));

    sys_kill(me, SIGUSR2);
    say("SIGUSR2 pending, waiting for SIGUSR1 only: %s\n", res(stw(&s1, &info, &zero, 8)));
    ksigset_t pend = 0;
    sys_rt_sigpending(&pend);
    say("  SIGUSR2 still pending: %s\n", yesno(pend & s2));
    ksigset_t both = s1 | s2;
    say("  waiting for either takes it: %s\n", res(stw(&both, NULL, &zero, 8)));

    sys_kill(me, SIGCHLD);
    ksigset_t sc = sigbit(SIGCHLD);
    say("blocked SIGCHLD (ignored by default) is taken: %s\n", res(stw(&sc, &info, &zero, 8)));

    /* one that arrives while waiting */
    long pid = must_fork();
    if (pid == 0) { sleep_ms(50); sys_kill(sys_getppid(), SIGUSR1); sys_exit(0); }
    r = stw(&s1, &info, NULL, 8);
    say("SIGUSR1 sent during the wait: %s, si_pid is the child: %s\n", res(r), yesno(info.si_pid == pid));
    wait_for(pid);
    sys_kill(me, SIGCHLD);    /* the child's SIGCHLD is blocked and pending: take both away */
    stw(&sc, NULL, &zero, 8);

    /* another signal with a handler interrupts */
    sig_handle(SIGTERM, on_term, 0);
    pid = must_fork();
    if (pid == 0) { sleep_ms(50); sys_kill(sys_getppid(), SIGTERM); sys_exit(0); }
    struct timespec t5 = { 5, 0 };
    r = stw(&s1, &info, &t5, 8);
    say("SIGTERM with a handler during the wait: %s, the handler ran: %s\n", res(r), yesno(handled));
    wait_for(pid);
    stw(&sc, NULL, &zero, 8);

    /* errors */
    say("sigsetsize 4: %s\n", res(stw(&s1, &info, &zero, 4)));
    say("sigsetsize 4 and a bad set: %s\n", res(stw((void *)8, &info, &zero, 4)));
    say("bad set pointer: %s\n", res(stw((void *)8, &info, &zero, 8)));
    say("bad timespec pointer: %s\n", res(stw(&s1, &info, (void *)8, 8)));
    struct timespec bad1 = { 0, 1000000000L }, bad2 = { -1, 0 }, bad3 = { 0, -1 };
    say("tv_nsec 1000000000: %s\n", res(stw(&s1, &info, &bad1, 8)));
    say("tv_sec -1: %s\n", res(stw(&s1, &info, &bad2, 8)));
    say("tv_nsec -1: %s\n", res(stw(&s1, &info, &bad3, 8)));
    sys_kill(me, SIGUSR1);
    say("bad siginfo pointer: %s\n", res(stw(&s1, (void *)8, &zero, 8)));
    say("  the signal was taken all the same: %s\n", res(stw(&s1, &info, &zero, 8)));

    /* threads: group-wide and per-thread */
    static struct thread th;
    waiter_ready = 0;
    thread_create(&th, waiter, (void *)(long)s1);
    wait_flag(&waiter_ready, 2000);
    sleep_ms(30);
    sys_kill(me, SIGUSR1);
    thread_join(&th);
    say("a thread waiting for SIGUSR1 takes the process's kill(): %s\n", res(waiter_got));
    waiter_ready = 0;
    thread_create(&th, waiter, (void *)(long)s2);
    wait_flag(&waiter_ready, 2000);
    sleep_ms(30);
    sys_tgkill(me, me, SIGUSR2);
    thread_join(&th);
    say("a tgkill() to the main thread does not end another thread's wait: %s\n", res(waiter_got));
    say("  the main thread takes it: %s\n", res(stw(&s2, &info, &zero, 8)));
    say("DONE\n");
    return 0;
}
