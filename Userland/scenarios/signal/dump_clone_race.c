/*
 * dump_clone_race - a thread dies of SIGSEGV (a "core" signal) while its process's
 * leader is creating more threads (kernel/fork.c: copy_process's fatal-signal check
 * under siglock; fs/coredump.c: zap_threads, coredump_wait; kernel/exit.c:
 * coredump_task_exit).
 *
 * The faulting thread stops the group for the dump: under siglock it marks the group
 * exiting, sends SIGKILL to every other thread and counts them, then waits until that
 * many have parked. A clone that has not yet joined the thread list must see the
 * SIGKILL under that same lock and fail (Linux: -EINTR, never seen by the program, which
 * dies): had it joined after the count, the new thread would park uncounted, the dump
 * would end one thread early, and the last counted thread would then park for ever —
 * the process never exits and its parent waits for ever (MiniKernel did that, under load).
 * RLIMIT_CORE is 0 (init's), so no file is written; the threads stop all the same.
 *
 * Each round: the child's first thread faults as soon as it runs, while the leader keeps
 * creating threads (up to 24). Every child must die of SIGSEGV, without the core bit.
 */
#include "lib.h"
#include "thread.h"

#define ROUNDS 150
#define MAX_THREADS 24

static int *volatile bad_pointer = (int *)8;
static struct thread threads[MAX_THREADS];

static int faulter(void *arg)
{
    (void)arg;
    *bad_pointer = 1;
    return 0;
}

static int sleeper(void *arg)
{
    (void)arg;
    static int word;                  /* never changes: it sleeps until the group dies */
    while (word == 0) futex_wait(&word, 0, 0);
    return 0;
}

int main(void)
{
    say("dump_clone_race: start\n");
    int bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        long pid = sys_fork();
        if (pid == 0) {
            thread_create(&threads[0], faulter, 0);
            for (int i = 1; i < MAX_THREADS; i++)
                if (thread_create(&threads[i], sleeper, 0) < 0) break;
            for (;;) sys_sched_yield();          /* the dump ends us */
        }
        int st = 0;
        long w = sys_wait4(pid, &st, 0, 0);
        if (w != pid || st != 11) {
            if (bad < 5) say("round %d: wait4 %ld, status 0x%x\n", r, w, st);
            bad++;
        }
    }
    say("%d children, each killed by SIGSEGV without a core: %s\n", ROUNDS, bad ? "no" : "yes");
    say("DONE\n");
    return 0;
}
