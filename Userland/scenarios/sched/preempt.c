/*
 * preempt - pins down that the kernel preempts user code that never makes a system call.
 *
 * Linux's timer tick (and wakeup preemption) takes the CPU away from a task spinning in
 * user mode, so on a single CPU two processes that busy-wait on each other still make
 * progress.  Nothing here yields or sleeps while waiting: the loops are plain reads of a
 * MAP_SHARED|MAP_ANONYMOUS page with the pause instruction.
 *
 *   - ping-pong: parent and child take turns incrementing a shared counter, 20 turns
 *     each (parent moves it from even to odd, child from odd to even); both see every
 *     value in order and it ends at 40
 *   - a sleeper gets the CPU back from a spinner: the child spins until a flag is set; the
 *     parent sleeps 20 ms in nanosleep and then sets the flag.  On one CPU the parent can
 *     only run again if the kernel preempts the spinning child when the sleep ends.
 *   - three processes in a ring (parent -> child 1 -> child 2 -> parent), 10 laps
 *   - the ping-pong again with both processes pinned to one CPU, on every CPU in turn: the
 *     tick preempts user code on each CPU, not just the first
 */
#include "lib.h"

#define TURNS 20
#define LAPS 10

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

struct area {
    volatile long counter;
    volatile long child_saw_all;
    volatile long flag;
    volatile long child_spins_started;
    volatile long ring;
};

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv; (void)envp;
    say("preempt: start\n");
    struct area *a = sys_mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mmap_failed(a))
        fail("mmap shared");

    /* Ping-pong. */
    long pid = must_fork();
    if (pid == 0) {
        int in_order = 1;
        for (long i = 0; i < TURNS; i++) {
            while (a->counter != 2 * i + 1)
                cpu_relax();
            if (a->counter != 2 * i + 1)
                in_order = 0;
            a->counter = 2 * i + 2;
        }
        a->child_saw_all = in_order;
        sys_exit(0);
    }
    for (long i = 0; i < TURNS; i++) {
        while (a->counter != 2 * i)
            cpu_relax();
        a->counter = 2 * i + 1;
    }
    while (a->counter != 2 * TURNS)
        cpu_relax();
    int status = wait_for(pid);
    say("ping-pong: %d turns each, counter ends at %ld, child saw every turn: %s, child exited %d\n",
        TURNS, a->counter, yesno(a->child_saw_all), WEXITSTATUS(status));

    /* Sleeper against spinner. */
    pid = must_fork();
    if (pid == 0) {
        a->child_spins_started = 1;
        while (!a->flag)
            cpu_relax();
        sys_exit(3);
    }
    while (!a->child_spins_started)
        cpu_relax();
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    long r = sys_nanosleep(&ts, NULL);
    a->flag = 1;
    status = wait_for(pid);
    say("sleeper against spinner: nanosleep returned %s, spinner exited %d\n", errname(r), WEXITSTATUS(status));

    /* A ring of three: the token goes parent (0) -> child 1 (1) -> child 2 (2) -> parent. */
    long kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = must_fork();
        if (kids[k] == 0) {
            for (long lap = 0; lap < LAPS; lap++) {
                while (a->ring != 3 * lap + k + 1)
                    cpu_relax();
                a->ring = 3 * lap + k + 2;
            }
            sys_exit(10 + k);
        }
    }
    for (long lap = 0; lap < LAPS; lap++) {
        while (a->ring != 3 * lap)
            cpu_relax();
        a->ring = 3 * lap + 1;
    }
    while (a->ring != 3 * LAPS)
        cpu_relax();
    int s1 = wait_for(kids[0]), s2 = wait_for(kids[1]);
    say("ring of three: %d laps, token ends at %ld, children exited %d and %d\n", LAPS, a->ring,
        WEXITSTATUS(s1), WEXITSTATUS(s2));
    /* Ping-pong pinned to one CPU, on each CPU we may use. */
    unsigned long mask = 0;
    sys_sched_getaffinity(0, sizeof mask, &mask);
    for (int c = 0; c < 64; c++) {
        if (!(mask & (1UL << c)))
            continue;
        a->counter = 0;
        pid = must_fork();
        if (pid == 0) {
            pin_to_cpu(c);
            for (long i = 0; i < 5; i++) {
                while (a->counter != 2 * i + 1)
                    cpu_relax();
                a->counter = 2 * i + 2;
            }
            sys_exit(0);
        }
        pin_to_cpu(c);
        for (long i = 0; i < 5; i++) {
            while (a->counter != 2 * i)
                cpu_relax();
            a->counter = 2 * i + 1;
        }
        while (a->counter != 10)
            cpu_relax();
        wait_for(pid);
    }
    sys_sched_setaffinity(0, sizeof mask, &mask);
    /* (Without preemption on some CPU this never ends, and the run times out.) */
    say("ping-pong with both pinned to one CPU, on every CPU in turn: completed\n");

    say("DONE\n");
    return 0;
}
