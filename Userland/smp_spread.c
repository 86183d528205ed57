/*
 * smp_spread - MiniKernel's SMP test (Tests/QEMUTests/SMPTests.swift): four threads spinning
 * in user mode end up on four different CPUs (placement at clone, idle CPUs pulling work),
 * as getcpu() reports. Needs -smp 4.
 */
#include "thread.h"

#define T 4
static volatile int where[T];
static volatile int stop;
static struct thread th[T];

static int spinner(void *arg)
{
    int i = (int)(long)arg;
    while (!stop) where[i] = current_cpu();
    return 0;
}

int main(void)
{
    for (int i = 0; i < T; i++) thread_create(&th[i], spinner, (void *)(long)i);
    struct timespec ts = { 0, 300000000 };
    sys_nanosleep(&ts, 0);                       /* the main thread sleeps: four spinners, four CPUs */
    int seen = 0;
    for (int i = 0; i < T; i++) seen |= 1 << where[i];
    stop = 1;
    for (int i = 0; i < T; i++) thread_join(&th[i]);
    int distinct = 0;
    for (; seen; seen &= seen - 1) distinct++;
    say("spinning threads: %d, distinct CPUs: %d\n", T, distinct);
    say("DONE\n");
    return 0;
}
