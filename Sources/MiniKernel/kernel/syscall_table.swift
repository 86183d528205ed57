// The system call table: written once, each row naming a call and its two
// numbers — x86-64's (arch/x86/entry/syscalls/syscall_64.tbl), reached by
// SYSCALL, and asm-generic's (include/uapi/asm-generic/unistd.h, arm64 and
// riscv), reached by int 0x80. -1: the call has no number in that table
// (asm-generic has no fork or vfork; x86-64's arch_prctl is its own).

import CShim

struct SyscallEntry {
    let name: StaticString
    let x86_64: Int
    let generic: Int
    let fn: SyscallFn
}

let syscall_table: [SyscallEntry] = [
    SyscallEntry(name: "read",            x86_64: 0,   generic: 63,  fn: sys_read),
    SyscallEntry(name: "write",           x86_64: 1,   generic: 64,  fn: sys_write),
    SyscallEntry(name: "mmap",            x86_64: 9,   generic: 222, fn: sys_mmap_regs),
    SyscallEntry(name: "mprotect",        x86_64: 10,  generic: 226, fn: sys_mprotect_regs),
    SyscallEntry(name: "munmap",          x86_64: 11,  generic: 215, fn: sys_munmap_regs),
    SyscallEntry(name: "brk",             x86_64: 12,  generic: 214, fn: sys_brk_regs),
    SyscallEntry(name: "rt_sigaction",    x86_64: 13,  generic: 134, fn: sys_rt_sigaction),
    SyscallEntry(name: "rt_sigprocmask",  x86_64: 14,  generic: 135, fn: sys_rt_sigprocmask),
    SyscallEntry(name: "rt_sigreturn",    x86_64: 15,  generic: 139, fn: sys_rt_sigreturn),
    SyscallEntry(name: "writev",          x86_64: 20,  generic: 66,  fn: sys_writev),
    SyscallEntry(name: "sched_yield",     x86_64: 24,  generic: 124, fn: sys_sched_yield),
    SyscallEntry(name: "nanosleep",       x86_64: 35,  generic: 101, fn: sys_nanosleep),
    SyscallEntry(name: "getpid",          x86_64: 39,  generic: 172, fn: sys_getpid),
    SyscallEntry(name: "clone",           x86_64: 56,  generic: 220, fn: sys_clone),
    SyscallEntry(name: "fork",            x86_64: 57,  generic: -1,  fn: sys_fork),
    SyscallEntry(name: "vfork",           x86_64: 58,  generic: -1,  fn: sys_vfork),
    SyscallEntry(name: "execve",          x86_64: 59,  generic: 221, fn: sys_execve),
    SyscallEntry(name: "exit",            x86_64: 60,  generic: 93,  fn: sys_exit),
    SyscallEntry(name: "wait4",           x86_64: 61,  generic: 260, fn: sys_wait4),
    SyscallEntry(name: "kill",            x86_64: 62,  generic: 129, fn: sys_kill),
    SyscallEntry(name: "uname",           x86_64: 63,  generic: 160, fn: sys_newuname),
    SyscallEntry(name: "getuid",          x86_64: 102, generic: 174, fn: sys_getuid),
    SyscallEntry(name: "getgid",          x86_64: 104, generic: 176, fn: sys_getgid),
    SyscallEntry(name: "geteuid",         x86_64: 107, generic: 175, fn: sys_geteuid),
    SyscallEntry(name: "getegid",         x86_64: 108, generic: 177, fn: sys_getegid),
    SyscallEntry(name: "setpgid",         x86_64: 109, generic: 154, fn: sys_setpgid),
    SyscallEntry(name: "getppid",         x86_64: 110, generic: 173, fn: sys_getppid),
    SyscallEntry(name: "getpgrp",         x86_64: 111, generic: -1,  fn: sys_getpgrp),
    SyscallEntry(name: "setsid",          x86_64: 112, generic: 157, fn: sys_setsid),
    SyscallEntry(name: "getpgid",         x86_64: 121, generic: 155, fn: sys_getpgid),
    SyscallEntry(name: "getsid",          x86_64: 124, generic: 156, fn: sys_getsid),
    SyscallEntry(name: "rt_sigpending",   x86_64: 127, generic: 136, fn: sys_rt_sigpending),
    SyscallEntry(name: "prctl",           x86_64: 157, generic: 167, fn: sys_prctl),
    SyscallEntry(name: "arch_prctl",      x86_64: 158, generic: -1,  fn: sys_arch_prctl),
    SyscallEntry(name: "reboot",          x86_64: 169, generic: 142, fn: sys_reboot),
    SyscallEntry(name: "gettid",          x86_64: 186, generic: 178, fn: sys_gettid),
    SyscallEntry(name: "tkill",           x86_64: 200, generic: 130, fn: sys_tkill),
    SyscallEntry(name: "futex",           x86_64: 202, generic: 98,  fn: sys_futex),
    SyscallEntry(name: "sched_setaffinity", x86_64: 203, generic: 122, fn: sys_sched_setaffinity),
    SyscallEntry(name: "sched_getaffinity", x86_64: 204, generic: 123, fn: sys_sched_getaffinity),
    SyscallEntry(name: "set_tid_address", x86_64: 218, generic: 96,  fn: sys_set_tid_address),
    SyscallEntry(name: "restart_syscall", x86_64: 219, generic: 128, fn: sys_restart_syscall),
    SyscallEntry(name: "clock_gettime",   x86_64: 228, generic: 113, fn: sys_clock_gettime),
    SyscallEntry(name: "exit_group",      x86_64: 231, generic: 94,  fn: sys_exit_group),
    SyscallEntry(name: "tgkill",          x86_64: 234, generic: 131, fn: sys_tgkill),
    SyscallEntry(name: "waitid",          x86_64: 247, generic: 95,  fn: sys_waitid),
    SyscallEntry(name: "getcpu",          x86_64: 309, generic: 168, fn: sys_getcpu),
]
