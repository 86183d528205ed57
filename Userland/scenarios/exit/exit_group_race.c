/*
 * exit_group_race - pins down that concurrent exit_group(2) calls from many threads end
 * the process exactly once, with one of the codes, and leave no thread behind.
 *
 * 20 rounds.  Each round forks a process whose leader starts 8 threads and sleeps in
 * FUTEX_WAIT; the threads wait on a shared flag in user mode, and when the leader sets it
 * they all call exit_group(10 + i) at once.  Linux's do_group_exit: the first thread to
 * take siglock sets SIGNAL_GROUP_EXIT and group_exit_code and kills the others; the rest
 * find the flag set and exit with the code already chosen.  Checked each round:
 *   - wait4 returns the process with WIFEXITED and a code in 10..17
 *   - no exit_group call returned (a thread that came back would say so in shared memory)
 *   - afterwards every thread is gone: tgkill(pid, tid, 0) gives ESRCH for each of the 8
 *     tids, kill(pid, 0) gives ESRCH, and there is nothing left to wait for
 * Which code wins depends on timing, so only membership is printed.
 */
#include "signals.h"
#include "thread.h"

#define ROUNDS 20
#define NTHREADS 8

struct area {
    volatile long ready, go, returned;
    volatile long tids[NTHREADS];
};

static struct area *a;
static struct thread th[NTHREADS];
static volatile int never_changes;

static int racer(void *arg)
{
    long i = (long)arg;
    a->tids[i] = sys_gettid();
    __atomic_add_fetch(&a->ready, 1, __ATOMIC_SEQ_CST);
    while (!a->go)
        __asm__ volatile("pause" ::: "memory");
    syscall1(SYS_exit_group, 10 + i);
    __atomic_add_fetch(&a->returned, 1, __ATOMIC_SEQ_CST);
    for (;;)
        sys_sched_yield();
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("exit_group_race: start\n");
    a = shared_page();
    int code_ok = 0, none_returned = 0, all_dead = 0, pid_gone = 0, clone_ok = 0;
    for (int round = 0; round < ROUNDS; round++) {
        memset((void *)a, 0, sizeof *a);
        long pid = must_fork();
        if (pid == 0) {
            for (long i = 0; i < NTHREADS; i++)
                if (thread_create(&th[i], racer, (void *)i) <= 0)
                    sys_exit_group(1);
            while (a->ready < NTHREADS)
                sys_sched_yield();
            a->go = 1;
            futex_wait(&never_changes, 0, NULL);
            sys_exit_group(2);
        }
        int status = 0;
        long r = sys_wait4(pid, &status, 0, NULL);
        if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) < 10 + NTHREADS)
            code_ok++;
        else
            say("round %d: wait4 %s status 0x%x\n", round, errname(r), status);
        if (a->ready == NTHREADS)
            clone_ok++;
        if (a->returned == 0)
            none_returned++;
        int dead = 0;
        for (int i = 0; i < NTHREADS; i++)
            if (sys_tgkill(pid, a->tids[i], 0) == -ESRCH)
                dead++;
        if (dead == NTHREADS)
            all_dead++;
        if (sys_kill(pid, 0) == -ESRCH)
            pid_gone++;
    }
    say("rounds: %d\n", ROUNDS);
    say("all 8 threads started: %d of %d rounds\n", clone_ok, ROUNDS);
    say("exit code is one of the 8 candidates: %s (%d of %d rounds)\n", yesno(code_ok == ROUNDS), code_ok, ROUNDS);
    say("no exit_group call returned: %s\n", yesno(none_returned == ROUNDS));
    say("all threads dead (tgkill(pid, tid, 0) is ESRCH for all 8): %s\n", yesno(all_dead == ROUNDS));
    say("process gone (kill(pid, 0) is ESRCH): %s\n", yesno(pid_gone == ROUNDS));
    say("wait4 afterwards: %s\n", errname(sys_wait4(-1, NULL, __WALL, NULL)));
    say("DONE\n");
    return 0;
}
