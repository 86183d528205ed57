/*
 * smp_exit_group - MiniKernel's SMP test (Tests/QEMUTests/SMPTests.swift), not a differential
 * scenario: it needs four CPUs and a slow tick (tick_hz=10 on the command line).
 *
 * One thread pinned on each CPU spins in user mode; the one on CPU 0 calls exit_group(7).
 * zap_other_threads() reaches the others by IPI (kick_process), not at their next tick, so the
 * time from exit_group to the parent's wait4 return is far below one 100 ms tick. Prints,
 * per round, that every thread ran where it was pinned, the status, and the latency in us.
 */
#include "thread.h"

#define ROUNDS 5
#define MAXT 8

struct shared {
    volatile int ready;
    volatile int misplaced;
    volatile long t0;
};
static struct shared *sh;
static struct thread th[MAXT];

static int spinner(void *arg)
{
    int cpu = (int)(long)arg;
    if (pin_to_cpu(cpu) < 0 || current_cpu() != cpu) __atomic_fetch_add(&sh->misplaced, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
    for (;;) __asm__ volatile("" ::: "memory");
    return 0;
}

int main(void)
{
    int n = nr_cpus_allowed();
    if (n > MAXT) n = MAXT;
    sh = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    say("smp_exit_group: %d CPUs\n", n);
    for (int r = 0; r < ROUNDS; r++) {
        memset((void *)sh, 0, sizeof *sh);
        long pid = must_fork();
        if (pid == 0) {
            pin_to_cpu(0);
            for (int i = 1; i < n; i++) thread_create(&th[i], spinner, (void *)(long)i);
            while (sh->ready < n - 1) ;
            if (current_cpu() != 0) sh->misplaced++;
            sh->t0 = mono_ns();
            sys_exit_group(7);
        }
        int st = 0;
        sys_wait4(pid, &st, 0, 0);
        long us = (mono_ns() - sh->t0) / 1000;
        say("round %d: threads on their CPUs: %s, status 0x%x, exit_group to wait4 return: %ld us\n",
            r, sh->misplaced ? "no" : "yes", st, us);
    }
    say("DONE\n");
    return 0;
}
