/*
 * sys.h - raw Linux x86-64 system calls for freestanding MiniKernel user programs.
 *
 * No libc: every wrapper returns the kernel's raw result, i.e. -errno on error
 * (there is no errno variable).  The numbers are the x86-64 ABI numbers from
 * arch/x86/entry/syscalls/syscall_64.tbl; the GENERIC_NR_* numbers are the
 * asm-generic ones (include/uapi/asm-generic/unistd.h) that MiniKernel's
 * int $0x80 gate dispatches on.
 */
#ifndef MK_SYS_H
#define MK_SYS_H

typedef unsigned long size_t;
typedef long ssize_t;
typedef int pid_t;
typedef unsigned long uintptr_t;
typedef unsigned long uint64_t;
typedef unsigned int uint32_t;
typedef unsigned char uint8_t;
typedef long int64_t;

#define NULL ((void *)0)

/* ---- x86-64 syscall numbers ---- */
#define SYS_read             0
#define SYS_write            1
#define SYS_mmap             9
#define SYS_mprotect        10
#define SYS_munmap          11
#define SYS_brk             12
#define SYS_rt_sigaction    13
#define SYS_rt_sigprocmask  14
#define SYS_writev          20
#define SYS_sched_yield     24
#define SYS_nanosleep       35
#define SYS_getpid          39
#define SYS_clone           56
#define SYS_fork            57
#define SYS_vfork           58
#define SYS_execve          59
#define SYS_exit            60
#define SYS_wait4           61
#define SYS_kill            62
#define SYS_uname           63
#define SYS_getrusage       98
#define SYS_times          100
#define SYS_getuid         102
#define SYS_getgid         104
#define SYS_geteuid        107
#define SYS_getegid        108
#define SYS_getppid        110
#define SYS_getpgid        121
#define SYS_prctl          157
#define SYS_arch_prctl     158
#define SYS_reboot         169
#define SYS_gettid         186
#define SYS_set_tid_address 218
#define SYS_clock_gettime  228
#define SYS_exit_group     231
#define SYS_waitid         247

/* ---- asm-generic numbers (MiniKernel's int $0x80 gate) ---- */
#define GENERIC_NR_write       64
#define GENERIC_NR_exit        93
#define GENERIC_NR_exit_group  94
#define GENERIC_NR_getpid     172

/* ---- i386 numbers (what int $0x80 means on real x86-64 Linux: the compat entry) ---- */
#define I386_NR_exit            1
#define I386_NR_write           4
#define I386_NR_getpid         20
#define I386_NR_exit_group    252

/* ---- errno values (returned negated) ---- */
#define EPERM    1
#define ENOENT   2
#define ESRCH    3
#define EINTR    4
#define EIO      5
#define E2BIG    7
#define ENOEXEC  8
#define EBADF    9
#define ECHILD  10
#define EAGAIN  11
#define ENOMEM  12
#define EACCES  13
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENOTDIR 20
#define EISDIR  21
#define EINVAL  22
#define ENOSYS  38
#define EIDRM   43
#define ETIMEDOUT 110

/* ---- signals ---- */
#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17

/* ---- wait4 options and status decoding ---- */
#define WNOHANG      0x00000001
#define WUNTRACED    0x00000002
#define WSTOPPED     WUNTRACED
#define WEXITED      0x00000004   /* waitid only: EINVAL for wait4 */
#define WCONTINUED   0x00000008
#define WNOWAIT      0x01000000   /* waitid only: EINVAL for wait4 */
#define __WNOTHREAD  0x20000000
#define __WALL       0x40000000
#define __WCLONE     0x80000000

#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s)    ((s) & 0x7f)
#define WSTOPSIG(s)    WEXITSTATUS(s)
#define WCOREDUMP(s)   (((s) & 0x80) != 0)
#define WIFEXITED(s)   (WTERMSIG(s) == 0)
#define WIFSTOPPED(s)  (((s) & 0xff) == 0x7f)
#define WIFSIGNALED(s) (((signed char)(((s) & 0x7f) + 1) >> 1) > 0)
#define WIFCONTINUED(s) ((s) == 0xffff)

/* ---- mmap ---- */
#define PROT_NONE     0x0
#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED    ((void *)-1)
#define PAGE_SIZE     4096UL

/* ---- clone flags (process-level only) ---- */
#define CLONE_VM      0x00000100
#define CLONE_VFORK   0x00004000

/* ---- prctl / arch_prctl ---- */
#define PR_SET_DUMPABLE          4
#define PR_SET_CHILD_SUBREAPER  36
#define PR_GET_CHILD_SUBREAPER  37
#define ARCH_SET_FS         0x1002
#define ARCH_GET_FS         0x1003

/* ---- clocks ---- */
#define CLOCK_REALTIME   0
#define CLOCK_MONOTONIC  1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3

struct timespec { long tv_sec; long tv_nsec; };
struct iovec { const void *iov_base; size_t iov_len; };
struct utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
struct timeval { long tv_sec; long tv_usec; };
struct rusage {                       /* 144 bytes */
    struct timeval ru_utime, ru_stime;
    long ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap;
    long ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
struct tms { long tms_utime, tms_stime, tms_cutime, tms_cstime; };

/* ---- the syscall instruction ---- */
static inline long syscall0(long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
    return r;
}
static inline long syscall1(long n, long a1)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1) : "rcx", "r11", "memory");
    return r;
}
static inline long syscall2(long n, long a1, long a2)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
    return r;
}
static inline long syscall3(long n, long a1, long a2, long a3)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return r;
}
static inline long syscall4(long n, long a1, long a2, long a3, long a4)
{
    long r;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}
static inline long syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return r;
}
static inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall" : "=a"(r)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

/*
 * int $0x80 with MiniKernel's convention: number in rax, arguments in the same
 * registers as the syscall instruction (rdi, rsi, rdx, r10, r8, r9), numbers
 * from asm-generic.  rcx and r11 are treated as clobbered like for syscall.
 */
static inline long syscall_int80(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("int $0x80" : "=a"(r), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return r;
}

/*
 * int $0x80 as real x86-64 Linux understands it (IA32 compat entry): i386
 * numbers, arguments in ebx, ecx, edx (only the low 32 bits are used), result
 * sign-extended from eax.  r8-r11 are clobbered to be safe.
 */
static inline long syscall_int80_i386(long n, long a1, long a2, long a3)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r)
                     : "a"(n), "b"(a1), "c"(a2), "d"(a3)
                     : "r8", "r9", "r10", "r11", "memory");
    return (long)(int)r;
}

/* ---- typed wrappers ---- */
static inline ssize_t sys_read(int fd, void *buf, size_t n) { return syscall3(SYS_read, fd, (long)buf, (long)n); }
static inline ssize_t sys_write(int fd, const void *buf, size_t n) { return syscall3(SYS_write, fd, (long)buf, (long)n); }
static inline ssize_t sys_writev(int fd, const struct iovec *iov, int cnt) { return syscall3(SYS_writev, fd, (long)iov, cnt); }
static inline long sys_getpid(void) { return syscall0(SYS_getpid); }
static inline long sys_getppid(void) { return syscall0(SYS_getppid); }
static inline long sys_gettid(void) { return syscall0(SYS_gettid); }
static inline long sys_getpgid(long pid) { return syscall1(SYS_getpgid, pid); }
static inline long sys_fork(void) { return syscall0(SYS_fork); }
static inline long sys_execve(const char *path, char *const argv[], char *const envp[])
{
    return syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
}
static inline long sys_wait4(long pid, int *status, long options, struct rusage *ru)
{
    return syscall4(SYS_wait4, pid, (long)status, options, (long)ru);
}
static inline long sys_sched_yield(void) { return syscall0(SYS_sched_yield); }
static inline long sys_nanosleep(const struct timespec *req, struct timespec *rem)
{
    return syscall2(SYS_nanosleep, (long)req, (long)rem);
}
static inline long sys_clock_gettime(long clk, struct timespec *ts) { return syscall2(SYS_clock_gettime, clk, (long)ts); }
#define RUSAGE_SELF      0
#define RUSAGE_CHILDREN  (-1)
#define RUSAGE_THREAD    1
static inline long sys_getrusage(long who, struct rusage *ru) { return syscall2(SYS_getrusage, who, (long)ru); }
static inline long sys_times(struct tms *t) { return syscall1(SYS_times, (long)t); }
static inline long sys_uname(struct utsname *u) { return syscall1(SYS_uname, (long)u); }
static inline long sys_prctl(long opt, long a2, long a3, long a4, long a5) { return syscall5(SYS_prctl, opt, a2, a3, a4, a5); }
static inline long sys_brk(void *addr) { return syscall1(SYS_brk, (long)addr); }
static inline void *sys_mmap(void *addr, size_t len, long prot, long flags, long fd, long off)
{
    return (void *)syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
static inline long sys_munmap(void *addr, size_t len) { return syscall2(SYS_munmap, (long)addr, (long)len); }

/* CPUs (kernel/sched/syscalls.swift): affinity masks of up to 64 CPUs, and where we run. */
#define SYS_sched_setaffinity 203
#define SYS_sched_getaffinity 204
#define SYS_getcpu            309
static inline long sys_sched_setaffinity(long pid, unsigned long len, const unsigned long *mask)
{ return syscall3(SYS_sched_setaffinity, pid, (long)len, (long)mask); }
static inline long sys_sched_getaffinity(long pid, unsigned long len, unsigned long *mask)
{ return syscall3(SYS_sched_getaffinity, pid, (long)len, (long)mask); }
static inline long sys_getcpu(unsigned *cpu, unsigned *node) { return syscall3(SYS_getcpu, (long)cpu, (long)node, 0); }
/* The CPUs this process may use (from sched_getaffinity), 1 if that fails. */
static inline int nr_cpus_allowed(void)
{
    unsigned long m = 0;
    if (sys_sched_getaffinity(0, sizeof m, &m) < 0) return 1;
    int n = 0;
    for (; m; m &= m - 1) n++;                /* no libgcc: no __builtin_popcount */
    return n;
}
/* Pins the calling thread to one CPU; 0 or -errno. */
static inline long pin_to_cpu(int cpu)
{
    unsigned long m = 1UL << cpu;
    return sys_sched_setaffinity(0, sizeof m, &m);
}
static inline int current_cpu(void) { unsigned c = 0; sys_getcpu(&c, 0); return (int)c; }
static inline long mono_ns(void)
{
    struct timespec ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}
static inline long sys_mprotect(void *addr, size_t len, long prot) { return syscall3(SYS_mprotect, (long)addr, (long)len, prot); }

/* Remapping, syncing and advising (mm/mremap.swift, mm/msync.swift, mm/madvise.swift). */
#define SYS_mremap          25
#define SYS_msync           26
#define SYS_madvise         28
#define MREMAP_MAYMOVE      1
#define MREMAP_FIXED        2
#define MREMAP_DONTUNMAP    4
#define MS_ASYNC            1
#define MS_INVALIDATE       2
#define MS_SYNC             4
#define MADV_NORMAL         0
#define MADV_RANDOM         1
#define MADV_SEQUENTIAL     2
#define MADV_WILLNEED       3
#define MADV_DONTNEED       4
static inline long sys_mremap(void *old, size_t old_len, size_t new_len, long flags, void *new_addr)
{ return syscall5(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)new_addr); }
static inline long sys_msync(void *addr, size_t len, long flags) { return syscall3(SYS_msync, (long)addr, (long)len, flags); }
static inline long sys_madvise(void *addr, size_t len, long advice) { return syscall3(SYS_madvise, (long)addr, (long)len, advice); }

/* A pointer returned by mmap is an error when it lies in the last page (-4095..-1). */
static inline int mmap_failed(void *p) { return (unsigned long)p >= (unsigned long)-4095L; }

__attribute__((noreturn)) static inline void sys_exit(long code)
{
    syscall1(SYS_exit, code);
    __builtin_unreachable();
}
__attribute__((noreturn)) static inline void sys_exit_group(long code)
{
    syscall1(SYS_exit_group, code);
    __builtin_unreachable();
}

/*
 * vfork must not touch the stack between the two returns: the child borrows
 * the parent's stack until it execs or exits.  The inline asm does no call, so
 * no return address is pushed; callers keep the child's path short and leave
 * with sys_exit/sys_execve, never by returning from the calling function.
 */
static inline __attribute__((always_inline)) long sys_vfork(void)
{
    return syscall0(SYS_vfork);
}

#endif
