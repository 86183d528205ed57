/* trace_exit_group: a MiniKernel-only program (not a scenario) for the
 * lifecycle trace test and the demo. A process with two sleeping threads
 * calls exit_group from its leader; the parent reaps it.
 *
 * With trace=exit the kernel prints each step: the leader's do_exit steps
 * (PF_EXITING, EXIT_ZOMBIE, TASK_DEAD), SIGKILL delivered to the threads,
 * their exits, the last one's release announcing the leader (SIGCHLD), and
 * the parent's wait freeing it. */
#include "lib.h"
#include "thread.h"

static int sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = { 100, 0 };
    sys_nanosleep(&ts, 0);
    return 0;
}

int main(void)
{
    long pid = sys_fork();
    if (pid == 0) {
        static struct thread a, b;
        thread_create(&a, sleeper, 0);
        thread_create(&b, sleeper, 0);
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        sys_nanosleep(&ts, 0);          /* let both threads reach their sleep */
        sys_exit_group(3);
    }
    int status = 0;
    long r = sys_wait4(pid, &status, 0, 0);
    say("trace_exit_group: reaped %s, status 0x%x\n", r == pid ? "the child" : "something else", status);
    return 0;
}
