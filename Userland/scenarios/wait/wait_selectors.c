/*
 * wait_selectors - pins down which children wait4 selects and its error codes.
 *
 *   pid > 0      only that child, even if others are already zombies
 *   pid == -1    any child
 *   pid == 0     any child in the caller's process group (children inherit it)
 *   pid < -1     any child in process group -pid
 *   WNOHANG      returns 0 (and leaves *status alone) while children exist but none has exited
 *   ECHILD       no children at all / pid is not a child (self, a reaped child, no such pid)
 *   EINVAL       option bits wait4 does not accept (WEXITED, WNOWAIT, 0x10, ...); checked
 *                before looking for children
 *   ESRCH        pid == INT_MIN (its negation is undefined)
 *   __WCLONE     selects only children whose exit signal is not SIGCHLD, so fork()ed
 *                children are not eligible; __WALL selects every child
 *   a bad status pointer on a call that finds no child is not touched (ECHILD, not EFAULT)
 */
#include "lib.h"

/* A MAP_SHARED page used to tell a spinning child when it may exit. */
static volatile long *shared;

static long spawn_exit(int code)
{
    long pid = must_fork();
    if (pid == 0)
        sys_exit(code);
    return pid;
}

/* Child that spins until shared[slot] becomes nonzero, then exits with code. */
static long spawn_waiting(int slot, int code)
{
    long pid = must_fork();
    if (pid == 0) {
        while (shared[slot] == 0)
            sys_sched_yield();
        sys_exit(code);
    }
    return pid;
}

/* Let the child spinning on shared[slot] exit. */
static void release(int slot) { shared[slot] = 1; }

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    int status;
    long r;
    say("wait_selectors: start\n");

    shared = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed((void *)shared))
        fail("mmap shared");

    /* pid > 0: pick the second child although the first one exits too. */
    long a = spawn_exit(1), b = spawn_exit(2);
    status = -1;
    r = sys_wait4(b, &status, 0, NULL);
    say("wait4(second child): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == b), WEXITSTATUS(status));
    r = sys_wait4(a, &status, 0, NULL);
    say("wait4(first child): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a), WEXITSTATUS(status));
    r = sys_wait4(a, &status, 0, NULL);
    say("wait4(already reaped child): %s\n", errname(r));

    /* pid == -1 */
    a = spawn_exit(3);
    r = sys_wait4(-1, &status, 0, NULL);
    say("wait4(-1): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a), WEXITSTATUS(status));

    /* pid == 0: same process group as the caller. */
    long my_pgrp = sys_getpgid(0);
    if (my_pgrp < 0)
        fail("getpgid(0)");
    a = spawn_waiting(0, 4);
    say("child is in my process group: %s\n", yesno(sys_getpgid(a) == my_pgrp));
    say("getpgid(child) == getpgid(0) == getpgid(getpid()): %s\n",
        yesno(sys_getpgid(a) == sys_getpgid(sys_getpid())));
    release(0);
    r = sys_wait4(0, &status, 0, NULL);
    say("wait4(0): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a), WEXITSTATUS(status));

    /* pid < -1: -pgrp (when the group is 0 or 1 this is wait4(0) or wait4(-1), still "my group") */
    a = spawn_exit(5);
    r = sys_wait4(-my_pgrp, &status, 0, NULL);
    say("wait4(-my pgrp): pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a), WEXITSTATUS(status));

    /* A process group that does not exist: no eligible child. */
    a = spawn_waiting(1, 6);
    r = sys_wait4(-0x7ffffff0L, &status, WNOHANG, NULL);
    say("wait4(-<unused pgrp>, WNOHANG) with a child elsewhere: %s\n", errname(r));

    /* WNOHANG with a running child: 0, status untouched. */
    status = 0x1234;
    r = sys_wait4(-1, &status, WNOHANG, NULL);
    say("wait4(-1, WNOHANG) with a running child: %ld, status untouched: %s\n", r, yesno(status == 0x1234));
    status = 0x1234;
    r = sys_wait4(a, &status, WNOHANG, NULL);
    say("wait4(child, WNOHANG) with that child running: %ld, status untouched: %s\n", r,
        yesno(status == 0x1234));
    r = sys_wait4(-1, &status, WNOHANG | __WALL, NULL);
    say("wait4(-1, WNOHANG|__WALL) with a running child: %ld\n", r);
    r = sys_wait4(-1, &status, WNOHANG | __WCLONE, NULL);
    say("wait4(-1, WNOHANG|__WCLONE) with only a fork()ed child: %s\n", errname(r));
    r = sys_wait4(-1, &status, WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD, NULL);
    say("wait4(-1, WNOHANG|WUNTRACED|WCONTINUED|__WNOTHREAD): %ld\n", r);
    r = sys_wait4(-1, (int *)1, WNOHANG, NULL);
    say("wait4(-1, bad status pointer, WNOHANG) with a running child: %ld\n", r);

    /* Not our children. */
    r = sys_wait4(sys_getpid(), &status, 0, NULL);
    say("wait4(self): %s\n", errname(r));
    /* (Not wait4(getppid()): as pid 1 the parent pid is 0, which means "my process group".) */
    r = sys_wait4(0x3ffffff0L, &status, 0, NULL);
    say("wait4(pid that does not exist): %s\n", errname(r));
    r = sys_wait4(-0x7fffffffL - 1, &status, 0, NULL);
    say("wait4(INT_MIN): %s\n", errname(r));

    /* Bad options: EINVAL even though a child exists. */
    static const long bad[] = { WEXITED, WNOWAIT, 0x10, 0x100, 0x08000000, 0x10000000 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = sys_wait4(-1, &status, bad[i], NULL);
        say("wait4(-1, options=0x%lx): %s\n", bad[i], errname(r));
    }

    /* WNOHANG with an exited child: returns it. */
    release(1);
    r = sys_wait4(a, &status, 0, NULL);
    say("released child reaped: pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a), WEXITSTATUS(status));
    a = spawn_exit(7);
    /* Give it time to become a zombie, then WNOHANG must find it. */
    while ((r = sys_wait4(a, &status, WNOHANG, NULL)) == 0)
        sys_sched_yield();
    say("wait4(child, WNOHANG) after it exited: pid matches: %s, WEXITSTATUS=%d\n", yesno(r == a),
        WEXITSTATUS(status));

    /* wait4 with a NULL status pointer still reaps. */
    a = spawn_exit(8);
    r = sys_wait4(a, NULL, 0, NULL);
    say("wait4(child, NULL status): pid matches: %s\n", yesno(r == a));

    /* No children at all. */
    r = sys_wait4(-1, &status, 0, NULL);
    say("wait4(-1) with no children: %s\n", errname(r));
    r = sys_wait4(-1, &status, WNOHANG, NULL);
    say("wait4(-1, WNOHANG) with no children: %s\n", errname(r));
    r = sys_wait4(0, &status, 0, NULL);
    say("wait4(0) with no children: %s\n", errname(r));
    r = sys_wait4(-1, (int *)1, 0, NULL);
    say("wait4(-1, bad status pointer) with no children: %s\n", errname(r));
    r = sys_wait4(-1, &status, 0x10, NULL);
    say("wait4(-1, options=0x10) with no children: %s\n", errname(r));
    say("DONE\n");
    return 0;
}
