/*
 * crash_threads - a process of three threads dies of SIGSEGV in crash_here(), for a core
 * file the host's readelf and gdb read (Tests/QEMUTests/CoredumpTests.swift). Two threads
 * wait (one in futex, one in nanosleep) while the main thread stores to address 0x10.
 */
#include "signals.h"
#include "thread.h"

#define PR_SET_NAME 15

volatile unsigned long crash_marker;
static volatile long tids[3], ready;
static struct thread t1, t2;
static int *volatile bad_pointer = (int *)0x10;

__attribute__((noinline)) void crash_here(void)
{
    *bad_pointer = 1;
}

int main(void)
{
    sys_prctl(PR_SET_NAME, (long)"crasher", 0, 0, 0);
    crash_marker = 0x1122334455667788UL;
    thread_report_to(tids, &ready);
    if (thread_create(&t1, thread_block_futex, (void *)1L) < 0 || thread_create(&t2, thread_block_sleep, (void *)2L) < 0)
        fail("thread_create");
    while (ready < 2)
        sleep_ms(1);
    crash_here();
    return 0;
}
