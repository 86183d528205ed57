/*
 * wait_errors - pins down waitid's error answers and the EFAULT-after-reap rule of
 * both wait calls (kernel/exit.c: kernel_waitid, SYSCALL_DEFINE5(waitid), do_wait).
 * (wait4's own option and pid errors are wait_selectors'.)
 *
 *   - waitid writes infop's six fields as zeros whatever the error (ECHILD, EINVAL)
 *   - waitid: an unknown idtype is EINVAL; P_PID with id <= 0 is EINVAL; P_PGID with a
 *     negative id is EINVAL; options without WEXITED, WSTOPPED or WCONTINUED is EINVAL;
 *     an unknown option bit is EINVAL; all of these before looking for children
 *   - waitid with no children, or for a pid that is not our child (our own pid, a
 *     grandchild): ECHILD; P_PGID of a group with no child of ours: ECHILD
 *   - a thread's child can be waited for by another thread of the same process, but not
 *     with __WNOTHREAD (ECHILD); wait4 cannot wait for a thread of our own process
 *   - waitid with a bad infop: the child is reaped first, then EFAULT; a second waitid
 *     gives ECHILD. With WNOWAIT and a bad infop: EFAULT and the child stays
 *   - wait4 with a status pointer into a read-only page: EFAULT after the reap
 *   - WNOHANG with children that are all running: waitid returns 0, wait4 returns 0
 */
#include "signals.h"
#include "thread.h"

#define BAD ((void *)1)

static volatile int go;
static struct thread th;
static volatile long thread_child;

static int forker(void *arg)
{
    (void)arg;
    long c = must_fork();
    if (c == 0)
        sys_exit(9);
    thread_child = c;
    while (!go)
        sys_sched_yield();
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("wait_errors: start\n");
    signals_reset();
    ksiginfo_t si;

    say("no children: waitid(P_ALL): %s, wait4(-1): %s\n", errname(sys_waitid(P_ALL, 0, &si, WEXITED, NULL)),
        errname(sys_wait4(-1, NULL, 0, NULL)));
    /* Whatever the error, waitid writes infop's six fields as zeros (the rest stays). */
    memset(&si, 0x55, sizeof si);
    long e1 = sys_waitid(P_ALL, 0, &si, WEXITED, NULL);
    int z1 = si.si_signo == 0 && si.si_errno == 0 && si.si_code == 0 && si.si_pid == 0 && si.si_uid == 0 &&
             si.si_status == 0 && si._pad0 == 0x55555555 && si.si_utime == 0x5555555555555555L;
    memset(&si, 0x55, sizeof si);
    long e2 = sys_waitid(4, 0, &si, WEXITED, NULL);
    int z2 = si.si_signo == 0 && si.si_pid == 0 && si.si_status == 0;
    say("infop after %s: six fields zeroed, the rest kept: %s; after %s (bad idtype): zeroed: %s\n", errname(e1),
        yesno(z1), errname(e2), yesno(z2));
    say("idtype 4: %s, idtype -1: %s, P_PID 0: %s, P_PID -5: %s, P_PGID -1: %s\n",
        errname(sys_waitid(4, 0, &si, WEXITED, NULL)), errname(sys_waitid(-1, 0, &si, WEXITED, NULL)),
        errname(sys_waitid(P_PID, 0, &si, WEXITED, NULL)), errname(sys_waitid(P_PID, -5, &si, WEXITED, NULL)),
        errname(sys_waitid(P_PGID, -1, &si, WEXITED, NULL)));
    say("options 0: %s, WNOHANG only: %s, bit 0x10: %s, bit 0x100: %s\n", errname(sys_waitid(P_ALL, 0, &si, 0, NULL)),
        errname(sys_waitid(P_ALL, 0, &si, WNOHANG, NULL)), errname(sys_waitid(P_ALL, 0, &si, WEXITED | 0x10, NULL)),
        errname(sys_waitid(P_ALL, 0, &si, WEXITED | 0x100, NULL)));

    /* A running child, for WNOHANG and for the "not ours" cases. */
    volatile long *flag = shared_page();
    long run = must_fork();
    if (run == 0) {
        long g = must_fork();
        if (g == 0) {
            while (!*flag)
                sys_sched_yield();
            sys_exit(0);
        }
        flag[1] = g;
        while (!*flag)
            sys_sched_yield();
        while (sys_wait4(g, NULL, 0, NULL) == -EINTR)
            ;
        sys_exit(0);
    }
    while (!flag[1])
        sys_sched_yield();
    memset(&si, 0x55, sizeof si);
    long r = sys_waitid(P_ALL, 0, &si, WEXITED | WNOHANG, NULL);
    say("WNOHANG, child running: waitid %s (si_pid %d), wait4 %s\n", errname(r), si.si_pid,
        errname(sys_wait4(-1, NULL, WNOHANG, NULL)));
    say("not our child: waitid(P_PID, own pid): %s, waitid(P_PID, grandchild): %s, wait4(grandchild): %s\n",
        errname(sys_waitid(P_PID, sys_getpid(), &si, WEXITED | WNOHANG, NULL)),
        errname(sys_waitid(P_PID, flag[1], &si, WEXITED | WNOHANG, NULL)),
        errname(sys_wait4(flag[1], NULL, WNOHANG, NULL)));
    say("P_PGID of the pid of a group with no child of ours: %s\n",
        errname(sys_waitid(P_PGID, 4194304L - 1, &si, WEXITED | WNOHANG, NULL)));
    *flag = 1;
    wait_for(run);

    /* A thread's child. */
    thread_create(&th, forker, NULL);
    while (!thread_child)
        sys_sched_yield();
    long tc = thread_child;
    ksiginfo_t ws;
    sys_waitid(P_PID, tc, &ws, WEXITED | WNOWAIT, NULL);     /* it has exited */
    say("a sibling thread's child: with __WNOTHREAD: %s, without: ", errname(sys_wait4(tc, NULL, __WNOTHREAD, NULL)));
    int st = 0;
    r = sys_wait4(tc, &st, 0, NULL);
    say("reaped: %s, WEXITSTATUS=%d\n", yesno(r == tc), WEXITSTATUS(st));
    say("wait4 for our own thread (tid %s): %s, with __WALL: %s\n", th.tid ? "live" : "gone",
        errname(sys_wait4(th.tid, NULL, WNOHANG, NULL)), errname(sys_wait4(th.tid, NULL, WNOHANG | __WALL, NULL)));
    go = 1;
    thread_join(&th);

    /* EFAULT after the reap. */
    long c = must_fork();
    if (c == 0)
        sys_exit(3);
    sys_waitid(P_PID, c, &si, WEXITED | WNOWAIT, NULL);
    r = sys_waitid(P_PID, c, BAD, WEXITED | WNOWAIT, NULL);
    say("waitid(WNOWAIT, bad infop): %s, still a zombie: kill(pid, 0) = %s\n", errname(r), errname(sys_kill(c, 0)));
    r = sys_waitid(P_PID, c, BAD, WEXITED, NULL);
    say("waitid(bad infop): %s; then waitid: %s, kill(pid, 0): %s\n", errname(r),
        errname(sys_waitid(P_PID, c, &si, WEXITED, NULL)), errname(sys_kill(c, 0)));

    c = must_fork();
    if (c == 0)
        sys_exit(4);
    int *ro = sys_mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r = sys_wait4(c, ro, 0, NULL);
    say("wait4(status in a read-only page): %s; then wait4: %s\n", errname(r), errname(sys_wait4(c, NULL, 0, NULL)));
    sys_munmap(ro, PAGE_SIZE);

    say("nothing left: %s\n", errname(sys_wait4(-1, NULL, WNOHANG, NULL)));
    say("DONE\n");
    return 0;
}
