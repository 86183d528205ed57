/*
 * delayed_leader_notify - pins down how a parent learns of a process whose leader called
 * exit(2) (the thread only) before its last thread: release_task()'s "zap_leader" step.
 *
 * The leader of the child process calls exit(3) and becomes a zombie that nobody is told
 * about (delay_group_leader); its one other thread waits for a go-ahead and then calls
 * exit(9).  When that thread is released, release_task() sees the leader alone and a
 * zombie, and announces it with do_notify_parent() - or reaps it on the spot when the
 * parent will never wait.  Three rounds, by the parent's SIGCHLD disposition:
 *
 *   - a handler with SA_SIGINFO: no SIGCHLD while the thread lives; one when it exits,
 *     with si_code CLD_EXITED, si_pid the process's pid and si_status 9 - the group's
 *     exit code, the same one wait4 reports (Linux 6.17+ copies signal->group_exit_code
 *     into the leader's exit_code before notifying; older kernels put the leader's own 3
 *     in si_status while wait4 said 9)
 *   - SIG_IGN: wait4(WNOHANG) finds the zombie leader not ready (0) while the thread
 *     lives; once the thread exits, the leader is reaped by release_task itself, so a
 *     blocking wait4 returns ECHILD and leaves *status alone, and kill(pid, 0) ends in
 *     ESRCH
 *   - a handler with SA_NOCLDWAIT|SA_SIGINFO: reaped the same way (ECHILD), and the
 *     handler still runs once, with si_status 9
 */
#include "signals.h"
#include "thread.h"

struct area {
    volatile long go;          /* parent -> thread: exit now */
    volatile long tid;         /* the thread's tid, once it runs */
};

static struct area *a;
static struct thread t1;

static volatile int chld_count, chld_code, chld_pid, chld_status;

static void on_chld(int sig, ksiginfo_t *info, void *uc)
{
    (void)sig; (void)uc;
    chld_count++;
    chld_code = info->si_code;
    chld_pid = info->si_pid;
    chld_status = info->si_status;
}

static int last_thread(void *arg)
{
    (void)arg;
    a->tid = sys_gettid();
    while (!a->go)
        sys_sched_yield();
    sys_exit(9);
}

/* Forks the process: leader exit(3), thread waits for a->go then exit(9). */
static long spawn(void)
{
    memset((void *)a, 0, sizeof *a);
    long pid = must_fork();
    if (pid == 0) {
        if (thread_create(&t1, last_thread, NULL) <= 0)
            sys_exit_group(1);
        while (a->tid == 0)
            sys_sched_yield();
        sys_exit(3);
    }
    while (a->tid == 0)
        sys_sched_yield();
    /* Give the leader time to exit; what is checked next holds either way. */
    sleep_ms(30);
    return pid;
}

/* kill(pid, 0) until ESRCH (the release may finish just after wait4 returns). */
static const char *gone(long pid)
{
    long deadline = now_ms() + 2000;
    long r;
    while ((r = sys_kill(pid, 0)) == 0 && now_ms() < deadline)
        sys_sched_yield();
    return errname(r);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    signals_reset();
    say("delayed_leader_notify: start\n");
    a = shared_page();

    /* 1. A SIGCHLD handler: the announcement comes with the last thread. */
    sig_handle_info(SIGCHLD, on_chld, SA_RESTART);
    chld_count = 0;
    long pid = spawn();
    say("handler: SIGCHLD while the thread lives: %d\n", chld_count);
    a->go = 1;
    int status = 0;
    long r = sys_wait4(pid, &status, 0, NULL);
    say("handler: wait4 reaped it: %s, WEXITSTATUS=%d\n", yesno(r == pid), WEXITSTATUS(status));
    say("handler: SIGCHLD count %d, si_code %s, si_pid is the pid: %s, si_status %d\n", chld_count,
        chld_code == CLD_EXITED ? "CLD_EXITED" : "other", yesno(chld_pid == pid), chld_status);

    /* 2. SIGCHLD ignored: release_task reaps the leader itself. */
    sig_ignore(SIGCHLD);
    pid = spawn();
    status = 0x5555;
    r = sys_wait4(pid, &status, WNOHANG, NULL);
    say("SIG_IGN: while the thread lives: wait4(WNOHANG)=%s\n", errname(r));
    a->go = 1;
    r = sys_wait4(pid, &status, 0, NULL);
    say("SIG_IGN: after the last thread: wait4=%s, status untouched: %s, kill(pid, 0) ends in %s\n",
        errname(r), yesno(status == 0x5555), gone(pid));

    /* 3. SA_NOCLDWAIT with a handler: reaped, and still signalled. */
    sig_handle_info(SIGCHLD, on_chld, SA_RESTART | SA_NOCLDWAIT);
    chld_count = 0;
    chld_status = 0;
    pid = spawn();
    say("SA_NOCLDWAIT: SIGCHLD while the thread lives: %d\n", chld_count);
    a->go = 1;
    status = 0x5555;
    r = sys_wait4(pid, &status, 0, NULL);
    say("SA_NOCLDWAIT: wait4=%s, status untouched: %s, kill(pid, 0) ends in %s\n", errname(r),
        yesno(status == 0x5555), gone(pid));
    say("SA_NOCLDWAIT: SIGCHLD count %d, si_code %s, si_pid is the pid: %s, si_status %d\n", chld_count,
        chld_code == CLD_EXITED ? "CLD_EXITED" : "other", yesno(chld_pid == pid), chld_status);

    sig_default(SIGCHLD);
    say("wait4 afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
