/*
 * clone_flags - pins down the process-level uses of clone(2) (x86-64 argument order:
 * flags, newsp, parent_tid, child_tid, tls).
 *
 *   - clone(SIGCHLD) is fork: a separate copy of memory, a normal child for wait4
 *   - clone(CLONE_VM|CLONE_VFORK|SIGCHLD) is vfork: the parent sleeps until the child
 *     exits, and memory is shared
 *   - a child with exit signal 0 (clone(0)) is a "clone child": wait4 without __WCLONE or
 *     __WALL does not see it (ECHILD); wait4 with __WCLONE or __WALL reaps it
 *   - invalid flag combinations are rejected with EINVAL before anything is created:
 *     CLONE_THREAD without CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM
 */
#include "lib.h"

#define CLONE_SIGHAND 0x00000800
#define CLONE_THREAD  0x00010000

static volatile long shared_value;

static long sys_clone(unsigned long flags)
{
    return syscall5(SYS_clone, (long)flags, 0, 0, 0, 0);
}

__attribute__((noinline, noreturn)) static void vfork_like_child(void)
{
    for (int i = 0; i < 3; i++)
        sys_sched_yield();
    shared_value = 42;
    sys_exit(4);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("clone_flags: start\n");
    int status;

    /* clone(SIGCHLD) == fork */
    shared_value = 1;
    long pid = sys_clone(SIGCHLD);
    if (pid == 0) {
        shared_value = 2;
        sys_exit(shared_value == 2 ? 3 : 1);
    }
    if (pid < 0)
        fail("clone(SIGCHLD)");
    status = wait_for(pid);
    say("clone(SIGCHLD): WEXITSTATUS=%d, parent's memory untouched: %s\n", WEXITSTATUS(status),
        yesno(shared_value == 1));

    /* clone(CLONE_VM|CLONE_VFORK|SIGCHLD) == vfork */
    pid = sys_clone(CLONE_VM | CLONE_VFORK | SIGCHLD);
    if (pid == 0)
        vfork_like_child();
    if (pid < 0)
        fail("clone(CLONE_VM|CLONE_VFORK)");
    long seen = shared_value;
    status = wait_for(pid);
    say("clone(CLONE_VM|CLONE_VFORK|SIGCHLD): child done before parent resumed, memory shared: %s, "
        "WEXITSTATUS=%d\n", yesno(seen == 42), WEXITSTATUS(status));

    /* exit signal 0: only __WCLONE / __WALL waits see it */
    pid = sys_clone(0);
    if (pid == 0)
        sys_exit(5);
    if (pid < 0)
        fail("clone(0)");
    long r = sys_wait4(pid, &status, 0, NULL);
    say("clone(0) child, wait4(pid, 0): %s\n", errname(r));
    r = sys_wait4(-1, &status, 0, NULL);
    say("clone(0) child, wait4(-1, 0): %s\n", errname(r));
    r = sys_wait4(pid, &status, __WCLONE, NULL);
    say("clone(0) child, wait4(pid, __WCLONE): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == pid),
        WEXITSTATUS(status));

    pid = sys_clone(0);
    if (pid == 0)
        sys_exit(6);
    r = sys_wait4(-1, &status, __WALL, NULL);
    say("clone(0) child, wait4(-1, __WALL): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == pid),
        WEXITSTATUS(status));

    /* A normal child is invisible to __WCLONE but visible to __WALL. */
    pid = must_fork();
    if (pid == 0)
        sys_exit(7);
    r = sys_wait4(pid, &status, __WCLONE, NULL);
    say("fork child, wait4(pid, __WCLONE): %s\n", errname(r));
    r = sys_wait4(pid, &status, __WALL, NULL);
    say("fork child, wait4(pid, __WALL): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == pid),
        WEXITSTATUS(status));

    /* Invalid combinations */
    r = sys_clone(CLONE_THREAD | SIGCHLD);
    if (r == 0)
        sys_exit(0);   /* must not happen: a stray child leaves at once */
    say("clone(CLONE_THREAD without CLONE_SIGHAND): %s\n", errname(r));
    r = sys_clone(CLONE_SIGHAND | SIGCHLD);
    if (r == 0)
        sys_exit(0);
    say("clone(CLONE_SIGHAND without CLONE_VM): %s\n", errname(r));

    say("wait4(-1, __WALL) afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
