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
    SyscallEntry(name: "uname",           x86_64: 63,  generic: 160, fn: sys_newuname),
    SyscallEntry(name: "getuid",          x86_64: 102, generic: 174, fn: sys_getuid),
    SyscallEntry(name: "getgid",          x86_64: 104, generic: 176, fn: sys_getgid),
    SyscallEntry(name: "geteuid",         x86_64: 107, generic: 175, fn: sys_geteuid),
    SyscallEntry(name: "getegid",         x86_64: 108, generic: 177, fn: sys_getegid),
    SyscallEntry(name: "getppid",         x86_64: 110, generic: 173, fn: sys_getppid),
    SyscallEntry(name: "getpgid",         x86_64: 121, generic: 155, fn: sys_getpgid),
    SyscallEntry(name: "prctl",           x86_64: 157, generic: 167, fn: sys_prctl),
    SyscallEntry(name: "arch_prctl",      x86_64: 158, generic: -1,  fn: sys_arch_prctl),
    SyscallEntry(name: "reboot",          x86_64: 169, generic: 142, fn: sys_reboot),
    SyscallEntry(name: "gettid",          x86_64: 186, generic: 178, fn: sys_gettid),
    SyscallEntry(name: "set_tid_address", x86_64: 218, generic: 96,  fn: sys_set_tid_address),
    SyscallEntry(name: "clock_gettime",   x86_64: 228, generic: 113, fn: sys_clock_gettime),
    SyscallEntry(name: "exit_group",      x86_64: 231, generic: 94,  fn: sys_exit_group),
]
