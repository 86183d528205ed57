/*
 * smp_spread - MiniKernel's SMP test (Tests/QEMUTests/SMPTests.swift), needs -smp 4.
 *   1. four threads spinning in user mode end up on four different CPUs (placement at clone);
 *   2. pinned together on CPU 0 and then released (affinity widened to every CPU, which
 *      moves nobody by itself), they spread out again: idle CPUs pull work from the busiest
 *      queue (idle_balance). getcpu() tells where each runs.
 */
#include "thread.h"

#define T 4
static volatile int where[T], done_phase[T];
static volatile int phase, stop;
static struct thread th[T];

static int spinner(void *arg)
{
    int i = (int)(long)arg;
    while (!stop) {
        if (phase == 1 && done_phase[i] < 1) { pin_to_cpu(0); done_phase[i] = 1; }
        if (phase == 2 && done_phase[i] < 2) {
            unsigned long all = ~0UL;
            sys_sched_setaffinity(0, sizeof all, &all);
            done_phase[i] = 2;
        }
        where[i] = current_cpu();
    }
    return 0;
}

static int distinct_cpus(void)
{
    int seen = 0, n = 0;
    for (int i = 0; i < T; i++) seen |= 1 << where[i];
    for (; seen; seen &= seen - 1) n++;
    return n;
}

static void wait_phase(int p)
{
    for (int i = 0; i < T; i++)
        while (done_phase[i] < p) sys_sched_yield();
}

int main(void)
{
    struct timespec ts = { 0, 300000000 };
    for (int i = 0; i < T; i++) thread_create(&th[i], spinner, (void *)(long)i);
    sys_nanosleep(&ts, 0);                       /* the main thread sleeps: four spinners, four CPUs */
    say("spinning threads: %d, distinct CPUs: %d\n", T, distinct_cpus());
    phase = 1;
    wait_phase(1);
    sys_nanosleep(&ts, 0);
    say("pinned to CPU 0: distinct CPUs: %d\n", distinct_cpus());
    phase = 2;
    wait_phase(2);
    sys_nanosleep(&ts, 0);
    say("released: distinct CPUs: %d\n", distinct_cpus());
    stop = 1;
    for (int i = 0; i < T; i++) thread_join(&th[i]);
    say("DONE\n");
    return 0;
}
