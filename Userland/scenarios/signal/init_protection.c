/*
 * init_protection - pins down init's protection (SIGNAL_UNKILLABLE): pid 1 ignores
 * every signal it has no handler for, SIGKILL and SIGSTOP included, when they come from
 * its own processes (kernel/signal.c: sig_task_ignored, get_signal).
 *
 *   - a child's kill(1, SIGTERM), kill(1, SIGKILL), kill(1, SIGSTOP): 0, and init goes on
 *     (not killed, not stopped); init's kill(getpid(), SIGTERM) on itself: the same
 *   - a signal init handles is delivered: a child's SIGUSR1 runs init's handler
 *   - a signal init blocks is queued (rt_sigpending shows it) and, once unblocked,
 *     discarded: SIG_DFL still means "ignore" for init
 *   - orphans are reparented to pid 1
 *
 * The body must run as pid 1. Under MiniKernel the scenario is init. Natively it makes
 * a new pid namespace (unshare(CLONE_NEWPID), with CLONE_NEWUSER if it is not root) and
 * forks: the child is pid 1 of that namespace, its processes' init, and runs the body;
 * the outer process only passes its exit status on. unshare is called natively only.
 */
#include "signals.h"

#define SYS_unshare   272
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID  0x20000000

static volatile long usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

/* A child that sends sig to pid 1, then exits. */
static void child_sends(int sig)
{
    long pid = must_fork();
    if (pid == 0) {
        sys_exit(sys_kill(1, sig) == 0 ? 0 : 1);
    }
    int st = wait_for(pid);
    sleep_ms(10);                                /* time for a stop or a death to happen */
    say("a child's kill(1, %s): %s; init goes on\n", signame(sig), WEXITSTATUS(st) == 0 ? "0" : "failed");
}

static int body(void)
{
    say("init_protection: start\n");
    signals_reset();
    say("I am pid 1: %s\n", yesno(sys_getpid() == 1));

    child_sends(SIGTERM);
    child_sends(SIGKILL);
    child_sends(SIGSTOP);
    child_sends(SIGINT);
    say("init's kill(getpid(), SIGTERM) on itself: %s; init goes on\n", errname(sys_kill(sys_getpid(), SIGTERM)));

    sig_handle(SIGUSR1, on_usr1, SA_RESTART);   /* wait_for() must not see EINTR */
    child_sends(SIGUSR1);
    say("init's SIGUSR1 handler ran: %s\n", yesno(usr1 == 1));
    sig_default(SIGUSR1);

    sig_block(sigbit(SIGTERM));
    child_sends(SIGTERM);
    ksigset_t pend = 0;
    sys_rt_sigpending(&pend);
    say("SIGTERM blocked: pending: %s\n", yesno(pend & sigbit(SIGTERM)));
    sig_unblock(sigbit(SIGTERM));
    pend = 0;
    sys_rt_sigpending(&pend);
    say("unblocked: discarded, init goes on; pending: %s\n", yesno(pend & sigbit(SIGTERM)));

    volatile long *pp = shared_page();
    long m = must_fork();
    if (m == 0) {
        long g = must_fork();
        if (g == 0) {
            while (!pp[0])
                sys_sched_yield();
            pp[1] = sys_getppid();
            sys_exit(5);
        }
        sys_exit(0);
    }
    wait_for(m);
    pp[0] = 1;
    int st = 0;
    long r = sys_wait4(-1, &st, 0, NULL);
    say("an orphan's new parent is pid 1: %s; init reaped it: %s, WEXITSTATUS=%d\n", yesno(pp[1] == 1), yesno(r > 0),
        WEXITSTATUS(st));

    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, WNOHANG, NULL)));
    say("DONE\n");
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    if (sys_getpid() == 1)
        return body();
    /* Natively: become pid 1 of a new pid namespace. */
    if (syscall1(SYS_unshare, CLONE_NEWPID) < 0 && syscall1(SYS_unshare, CLONE_NEWUSER | CLONE_NEWPID) < 0)
        fail("unshare(CLONE_NEWPID) failed: natively this scenario needs a new pid namespace");
    long pid = must_fork();
    if (pid == 0)
        return body();
    int st = wait_for(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
