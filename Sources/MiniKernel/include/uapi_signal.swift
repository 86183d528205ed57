// Signal numbers and the constants of the signal system calls, Linux's
// values. Linux: include/uapi/asm-generic/signal.h, signal-defs.h,
// include/uapi/asm-generic/siginfo.h.

let SIGHUP: Int32 = 1, SIGINT: Int32 = 2, SIGQUIT: Int32 = 3, SIGILL: Int32 = 4, SIGTRAP: Int32 = 5
let SIGABRT: Int32 = 6, SIGBUS: Int32 = 7, SIGFPE: Int32 = 8, SIGKILL: Int32 = 9, SIGUSR1: Int32 = 10
let SIGSEGV: Int32 = 11, SIGUSR2: Int32 = 12, SIGPIPE: Int32 = 13, SIGALRM: Int32 = 14, SIGTERM: Int32 = 15
let SIGSTKFLT: Int32 = 16, SIGCHLD: Int32 = 17, SIGCONT: Int32 = 18, SIGSTOP: Int32 = 19, SIGTSTP: Int32 = 20
let SIGTTIN: Int32 = 21, SIGTTOU: Int32 = 22, SIGURG: Int32 = 23, SIGXCPU: Int32 = 24
let SIGXFSZ: Int32 = 25, SIGVTALRM: Int32 = 26, SIGPROF: Int32 = 27, SIGWINCH: Int32 = 28
let SIGIO: Int32 = 29, SIGPWR: Int32 = 30, SIGSYS: Int32 = 31, SIGRTMIN: Int32 = 32
let _NSIG: Int32 = 64

let SIG_DFL: UInt64 = 0
let SIG_IGN: UInt64 = 1

/// sa_flags.
let SA_NOCLDSTOP: UInt64 = 0x0000_0001
let SA_NOCLDWAIT: UInt64 = 0x0000_0002
let SA_SIGINFO: UInt64 = 0x0000_0004
let SA_RESTORER: UInt64 = 0x0400_0000
let SA_ONSTACK: UInt64 = 0x0800_0000
let SA_RESTART: UInt64 = 0x1000_0000
let SA_NODEFER: UInt64 = 0x4000_0000
let SA_RESETHAND: UInt64 = 0x8000_0000

/// rt_sigprocmask(how).
let SIG_BLOCK: UInt64 = 0, SIG_UNBLOCK: UInt64 = 1, SIG_SETMASK: UInt64 = 2

// si_code values.
let SI_USER: Int32 = 0, SI_KERNEL: Int32 = 0x80, SI_TKILL: Int32 = -6, SI_TIMER: Int32 = -2
let CLD_EXITED: Int32 = 1, CLD_KILLED: Int32 = 2, CLD_DUMPED: Int32 = 3
let CLD_TRAPPED: Int32 = 4, CLD_STOPPED: Int32 = 5, CLD_CONTINUED: Int32 = 6
let SEGV_MAPERR: Int32 = 1, SEGV_ACCERR: Int32 = 2
let BUS_ADRERR: Int32 = 2
