/*
 * thread.h - threads on raw clone(2) and futex(2), for freestanding MiniKernel programs.
 *
 * thread_create() clones with the flags glibc's pthread_create uses:
 *   CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|
 *   CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID
 * on a stack it mmaps, and the new thread runs fn(arg) and then exit(2)s (the thread
 * only) with fn's result (runtime/trampolines.S: thread_clone).  The kernel stores the
 * new tid in t->tid before clone returns (CLONE_PARENT_SETTID) and, when the thread
 * exits, writes 0 there and does FUTEX_WAKE on it (CLONE_CHILD_CLEARTID), which is what
 * thread_join() waits for.  A thread's struct must outlive it: use globals.
 */
#ifndef MK_THREAD_H
#define MK_THREAD_H

#include "lib.h"

#define SYS_futex 202

/* clone flags (CLONE_VM and CLONE_VFORK are in sys.h) */
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_PIDFD          0x00001000
#define CLONE_PTRACE         0x00002000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
                      CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* futex operations */
#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#define FUTEX_PRIVATE_FLAG  128

#define THREAD_STACK_SIZE (64 * 1024UL)

struct thread {
    volatile int tid;                         /* set by the kernel; 0 once the thread is gone */
    int _pad;
    void *stack;
    unsigned long tls[4];                     /* tls[0] points to itself, as the x86-64 TLS ABI wants */
};

/* runtime/trampolines.S */
long thread_clone(unsigned long flags, void *stack_top, volatile int *parent_tid,
                  volatile int *child_tid, unsigned long tls, int (*fn)(void *), void *arg);

static inline long futex(volatile int *uaddr, long op, long val, const struct timespec *timeout)
{
    return syscall6(SYS_futex, (long)uaddr, op, val, (long)timeout, 0, 0);
}
/* Sleeps while *uaddr == val: 0 when woken, -EAGAIN if *uaddr != val, -EINTR, -ETIMEDOUT. */
static inline long futex_wait(volatile int *uaddr, int val, const struct timespec *timeout)
{
    return futex(uaddr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val, timeout);
}
/* Wakes up to n waiters; returns how many were woken. */
static inline long futex_wake(volatile int *uaddr, int n)
{
    return futex(uaddr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL);
}

/* A step counter shared between processes (in a shared_page()): step_set() stores v and
 * wakes every waiter; step_wait() sleeps (a shared futex) until the counter is at least
 * want. */
void step_set(volatile int *step, int v);
void step_wait(volatile int *step, int want);

/* Starts fn(arg) in a new thread of this process; returns its tid or -errno (fail()s if
 * the stack cannot be mapped). */
long thread_create(struct thread *t, int (*fn)(void *), void *arg);
/* Starts a thread with other clone flags (e.g. without CLONE_CHILD_CLEARTID). */
long thread_create_flags(struct thread *t, unsigned long flags, int (*fn)(void *), void *arg);
/* Waits (futex on t->tid) until the thread has exited, then unmaps its stack. */
void thread_join(struct thread *t);

/*
 * Thread bodies that block forever, each in one way, for scenarios that end threads
 * wherever they are (exit_group, a fatal signal, execve). Start one with
 * thread_create(&t, thread_block_futex, (void *)(long)i): it first reports itself with
 * thread_report_ready(i), i.e. tids[i] = its tid, then *ready += 1, into the two words
 * given to thread_report_to() (usually in a shared_page() the parent watches).
 */
void thread_report_to(volatile long *tids, volatile long *ready);
void thread_report_ready(int i);
int thread_block_futex(void *i);              /* FUTEX_WAIT on a word nobody wakes */
int thread_block_sleep(void *i);              /* nanosleep(100 s), again and again */
int thread_block_spin(void *i);               /* a user-mode loop, no system call */

#endif
