/*
 * vfork_order - pins down vfork's two promises.
 *
 *   1. The parent is suspended until the child exits or execs: when vfork returns in the
 *      parent, the child's work is already done (checked with a counter the child bumps,
 *      50 times in a row).
 *   2. Until then parent and child share memory (CLONE_VM): globals and even the
 *      parent's stack variables written by the child are seen by the parent.
 *   After an execve in the child the parent resumes and its memory is intact; the
 *   exec'd image runs on its own and its exit status reaches the parent.
 * The child leaves with _exit (SYS_exit) or exit_group, never by returning.
 */
#include "lib.h"

static volatile long child_steps;
static volatile long child_pid_seen;     /* getpid() as seen by the child */
static volatile long child_ppid_seen;    /* getppid() as seen by the child */
static volatile long before_exec;
static volatile long loop_counter;

__attribute__((noinline, noreturn)) static void child_work(volatile int *parent_stack_var)
{
    for (int i = 0; i < 5; i++) {
        sys_sched_yield();         /* the parent must not run meanwhile */
        child_steps++;
    }
    *parent_stack_var = 1234;
    child_pid_seen = sys_getpid();
    child_ppid_seen = sys_getppid();
    say("child: did %ld steps, wrote the parent's stack variable\n", child_steps);
    sys_exit(3);
}

__attribute__((noinline, noreturn)) static void child_exec(const char *self)
{
    before_exec = 1;
    char *args[] = { (char *)self, "vfork-exec-child", NULL };
    char *env[] = { "VFORK=1", NULL };
    long r = sys_execve(self, args, env);
    say("child: execve(%s) failed: %s\n", self, errname(r));
    sys_exit(127);
}

__attribute__((noinline, noreturn)) static void child_loop(void)
{
    loop_counter++;
    sys_exit_group(0);
}

int main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1 && strcmp(argv[1], "vfork-exec-child") == 0) {
        say("exec'd child: running the new image, before_exec in my memory: %ld\n", before_exec);
        return 5;
    }
    say("vfork_order: start\n");

    volatile int on_stack = 0;
    long pid = sys_vfork();
    if (pid == 0)
        child_work(&on_stack);
    if (pid < 0)
        fail("vfork");
    long steps_at_resume = child_steps;
    int status = wait_for(pid);
    say("parent: resumed after the child finished all steps: %s (%ld)\n", yesno(steps_at_resume == 5),
        steps_at_resume);
    say("parent: sees the child's write to its stack variable: %s (%d)\n", yesno(on_stack == 1234),
        on_stack);
    say("parent: vfork returned the child's pid: %s\n", yesno(child_pid_seen == pid));
    say("parent: child's getppid() was my pid: %s\n", yesno(child_ppid_seen == sys_getpid()));
    say("parent: child exit status WIFEXITED=%d WEXITSTATUS=%d\n", WIFEXITED(status) ? 1 : 0,
        WEXITSTATUS(status));

    pid = sys_vfork();
    if (pid == 0)
        child_exec(argv[0]);
    long flag_at_resume = before_exec;
    status = wait_for(pid);
    say("parent: after the child's execve, the flag it set before exec is seen: %s\n",
        yesno(flag_at_resume == 1));
    say("parent: my memory is intact after the child's exec: %s\n", yesno(on_stack == 1234));
    say("parent: exec'd child exit status WIFEXITED=%d WEXITSTATUS=%d\n", WIFEXITED(status) ? 1 : 0,
        WEXITSTATUS(status));

    int in_order = 0;
    for (int i = 0; i < 50; i++) {
        pid = sys_vfork();
        if (pid == 0)
            child_loop();
        if (loop_counter == i + 1)
            in_order++;
        status = wait_for(pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail("vfork loop child status");
    }
    say("parent: 50 vforks, child had already run each time: %d/50\n", in_order);
    say("wait4(-1) afterwards: %s\n", errname(sys_wait4(-1, &status, 0, NULL)));
    say("DONE\n");
    return 0;
}
