/*
 * signals.h - signals, waitid, process groups and sessions for freestanding MiniKernel
 * user programs (x86-64 Linux ABI; every wrapper returns -errno on error, like sys.h).
 *
 * Handlers are installed with rt_sigaction(2) and SA_RESTORER: on x86-64 the kernel
 * needs a restorer (runtime/trampolines.S: __restore_rt, which calls rt_sigreturn) as the
 * handler's return address.  The kernel's sigset_t is 64 bits: rt_sigaction and
 * rt_sigprocmask take sigsetsize 8, anything else is EINVAL.
 */
#ifndef MK_SIGNALS_H
#define MK_SIGNALS_H

#include "lib.h"

/* ---- more x86-64 syscall numbers ---- */
#define SYS_rt_sigreturn     15
#define SYS_pause            34
#define SYS_setpgid         109
#define SYS_getpgrp         111
#define SYS_setsid          112
#define SYS_getsid          124
#define SYS_rt_sigpending   127
#define SYS_tkill           200
#define SYS_tgkill          234

/* ---- the rest of the standard signals ---- */
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32
#define SIGRTMAX  64
#define NSIG      64

/* ---- rt_sigaction ---- */
#define SIG_DFL ((void (*)(int))0)
#define SIG_IGN ((void (*)(int))1)

#define SA_NOCLDSTOP   0x00000001
#define SA_NOCLDWAIT   0x00000002
#define SA_SIGINFO     0x00000004
#define SA_UNSUPPORTED 0x00000400
#define SA_RESTORER    0x04000000
#define SA_ONSTACK     0x08000000
#define SA_RESTART     0x10000000
#define SA_NODEFER     0x40000000
#define SA_RESETHAND   0x80000000UL

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

typedef unsigned long ksigset_t;              /* the kernel's 64-bit sigset */
#define sigbit(sig) (1UL << ((sig) - 1))

/* struct siginfo (128 bytes); the fields a SIGCHLD, kill() or pdeath signal fills. */
typedef struct {
    int si_signo;
    int si_errno;
    int si_code;
    int _pad0;
    int si_pid;                               /* offset 16 */
    unsigned int si_uid;                      /* offset 20 */
    int si_status;                            /* offset 24: SIGCHLD and waitid only */
    int _pad1;
    long si_utime, si_stime;                  /* offsets 32, 40 */
    long _rest[10];
} ksiginfo_t;

/* si_code values */
#define SI_USER     0
#define SI_KERNEL   0x80
#define SI_QUEUE    (-1)
#define SI_TKILL    (-6)
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_TRAPPED   4
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

/* the kernel's struct sigaction on x86-64 (not glibc's) */
struct ksigaction {
    void *handler;                            /* void (*)(int) or void (*)(int, ksiginfo_t *, void *) */
    unsigned long flags;
    void (*restorer)(void);
    ksigset_t mask;
};

void __restore_rt(void);                      /* runtime/trampolines.S */

/* ---- waitid ---- */
#define P_ALL   0
#define P_PID   1
#define P_PGID  2
#define P_PIDFD 3

/* ---- wrappers ---- */
static inline long sys_rt_sigaction(long sig, const struct ksigaction *act, struct ksigaction *old)
{
    return syscall4(SYS_rt_sigaction, sig, (long)act, (long)old, sizeof(ksigset_t));
}
static inline long sys_rt_sigprocmask(long how, const ksigset_t *set, ksigset_t *old)
{
    return syscall4(SYS_rt_sigprocmask, how, (long)set, (long)old, sizeof(ksigset_t));
}
static inline long sys_rt_sigpending(ksigset_t *set) { return syscall2(SYS_rt_sigpending, (long)set, sizeof(ksigset_t)); }
static inline long sys_kill(long pid, long sig) { return syscall2(SYS_kill, pid, sig); }
static inline long sys_tkill(long tid, long sig) { return syscall2(SYS_tkill, tid, sig); }
static inline long sys_tgkill(long tgid, long tid, long sig) { return syscall3(SYS_tgkill, tgid, tid, sig); }
static inline long sys_waitid(long which, long id, ksiginfo_t *info, long options, struct rusage *ru)
{
    return syscall5(SYS_waitid, which, id, (long)info, options, (long)ru);
}
static inline long sys_setpgid(long pid, long pgid) { return syscall2(SYS_setpgid, pid, pgid); }
static inline long sys_getpgrp(void) { return syscall0(SYS_getpgrp); }
static inline long sys_setsid(void) { return syscall0(SYS_setsid); }
static inline long sys_getsid(long pid) { return syscall1(SYS_getsid, pid); }
static inline long sys_getuid(void) { return syscall0(SYS_getuid); }

/* Installs fn for sig with SA_RESTORER | flags and the given extra mask; returns rt_sigaction's result. */
static inline long sig_install(int sig, void *fn, unsigned long flags, ksigset_t mask)
{
    struct ksigaction sa = { fn, flags | SA_RESTORER, __restore_rt, mask };
    return sys_rt_sigaction(sig, &sa, NULL);
}
static inline long sig_handle(int sig, void (*fn)(int), unsigned long flags)
{
    return sig_install(sig, (void *)fn, flags, 0);
}
static inline long sig_handle_info(int sig, void (*fn)(int, ksiginfo_t *, void *), unsigned long flags)
{
    return sig_install(sig, (void *)fn, flags | SA_SIGINFO, 0);
}
static inline long sig_default(int sig) { return sig_install(sig, (void *)SIG_DFL, 0, 0); }
static inline long sig_ignore(int sig) { return sig_install(sig, (void *)SIG_IGN, 0, 0); }
static inline long sig_setmask(ksigset_t set) { return sys_rt_sigprocmask(SIG_SETMASK, &set, NULL); }
static inline long sig_block(ksigset_t set) { return sys_rt_sigprocmask(SIG_BLOCK, &set, NULL); }
static inline long sig_unblock(ksigset_t set) { return sys_rt_sigprocmask(SIG_UNBLOCK, &set, NULL); }
static inline ksigset_t sig_getmask(void)
{
    ksigset_t old = 0;
    sys_rt_sigprocmask(SIG_BLOCK, NULL, &old);
    return old;
}

/*
 * Every signal back to SIG_DFL and nothing blocked.  Natively a scenario inherits its
 * parent's ignored signals and blocked mask (the test runner may ignore SIGPIPE, say);
 * init under MiniKernel starts with all defaults.  Signal scenarios call this first so
 * both worlds start alike.
 */
static inline void signals_reset(void)
{
    for (int sig = 1; sig <= NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sig_default(sig);
    sig_setmask(0);
}

/* A name for the signals scenarios print ("SIGTERM"), or "signal N". */
const char *signame(int sig);

/* A name for an si_code: "SI_USER", "SI_KERNEL", "SI_TKILL", "CLD_EXITED"... (the CLD_*
 * names for 1..6, as SIGCHLD and waitid use them), or "si_code N". */
const char *si_codename(int code);

/* Sleeps for ms milliseconds (restarting after a handled signal). */
void sleep_ms(long ms);

/* Milliseconds since some fixed point (CLOCK_MONOTONIC). */
long now_ms(void);

/* Sleeps in rt_sigsuspend, with sig unblocked there and blocked around it, until *count
 * reaches n: for a handler of sig that counts its runs (and writes what it saw first). */
void wait_signals(volatile int *count, int n, int sig);

/* Spins with sched_yield until *flag != 0 or ms milliseconds have passed; 1 if it was set. */
int wait_flag(volatile long *flag, long ms);

/* A fresh MAP_SHARED|MAP_ANONYMOUS zeroed page (fail() if mmap fails): memory that fork
 * children share with their parent, for handshakes and results. */
void *shared_page(void);

#endif
