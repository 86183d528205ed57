/*
 * thread_reaper - pins down who adopts the children of a thread that exits while another
 * thread of its process lives on: a live thread of the same group (find_new_reaper's
 * first rule: find_alive_thread), ahead of any subreaper and of init.
 *
 * The scenario marks itself child subreaper and forks process P.  In P, thread T forks
 * child C and then calls exit(2) (the thread only); P's leader L lives on.
 *   - C's getppid() is P's pid both before and after T's exit: a thread's children
 *     count as the process's, and the adoption stays inside the process
 *   - while T lives, L's wait4(C, WNOHANG|__WNOTHREAD) gives ECHILD (C is T's child,
 *     not L's own), and wait4(C, WNOHANG) without __WNOTHREAD gives 0 (C is the
 *     process's child, still running)
 *   - once T is gone (tgkill(pid, T, 0) gives ESRCH), wait4(C, WNOHANG|__WNOTHREAD) from
 *     L gives 0: C is now L's own child; L then reaps C with __WNOTHREAD and its code
 *   - the subreaper above gets only P: after reaping it, wait4(-1) gives ECHILD
 */
#include "signals.h"
#include "thread.h"

#define PR_SET_CHILD_SUBREAPER 36
#define __WNOTHREAD 0x20000000

struct area {
    volatile long c_pid, t_tid;
    volatile long c_ppid_before, c_ppid_after;
    volatile long t_go, c_go, c_checked;
};

static struct area *a;
static struct thread t1;

static int forker(void *arg)
{
    (void)arg;
    a->t_tid = sys_gettid();
    long c = must_fork();
    if (c == 0) {
        a->c_ppid_before = sys_getppid();
        while (!a->c_go)
            sys_sched_yield();
        a->c_ppid_after = sys_getppid();
        a->c_checked = 1;
        sys_exit(21);
    }
    a->c_pid = c;
    /* Stay until the leader has looked at C as T's child. */
    while (!a->t_go)
        sys_sched_yield();
    sys_exit(0);
}

static int leader(void)
{
    long me = sys_getpid();
    if (thread_create(&t1, forker, NULL) <= 0)
        return 1;
    while (a->c_pid == 0 || a->c_ppid_before == 0)
        sys_sched_yield();
    long c = a->c_pid;
    int status = 0;
    say("while T lives: C's parent is the process: %s\n", yesno(a->c_ppid_before == me));
    say("while T lives: L's wait4(C, WNOHANG|__WNOTHREAD)=%s, wait4(C, WNOHANG)=%s\n",
        errname(sys_wait4(c, &status, WNOHANG | __WNOTHREAD, NULL)),
        errname(sys_wait4(c, &status, WNOHANG, NULL)));

    /* T exits now; C looks at its parent again only once T is gone. */
    long tid = a->t_tid;
    a->t_go = 1;
    long deadline = now_ms() + 5000;
    long r;
    while ((r = sys_tgkill(me, tid, 0)) == 0 && now_ms() < deadline)
        sys_sched_yield();
    say("T is gone: tgkill(pid, T, 0)=%s\n", errname(r));
    say("after T: L's wait4(C, WNOHANG|__WNOTHREAD)=%s\n",
        errname(sys_wait4(c, &status, WNOHANG | __WNOTHREAD, NULL)));
    a->c_go = 1;
    while (!a->c_checked)
        sys_sched_yield();
    say("C's parent is still the process: %s\n", yesno(a->c_ppid_after == me));
    r = sys_wait4(c, &status, __WNOTHREAD, NULL);
    say("after T: L reaps C with __WNOTHREAD: %s, WEXITSTATUS=%d\n", yesno(r == c), WEXITSTATUS(status));
    say("after T: L's wait4(-1, __WALL)=%s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    signals_reset();
    say("thread_reaper: start\n");
    say("prctl(PR_SET_CHILD_SUBREAPER, 1): %s\n", errname(syscall2(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1)));
    a = shared_page();

    long p = must_fork();
    if (p == 0)
        sys_exit_group(leader());
    int status = wait_for(p);
    say("subreaper: reaped the process, WEXITSTATUS=%d\n", WEXITSTATUS(status));
    say("subreaper: wait4(-1, __WALL)=%s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
