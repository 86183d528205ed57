// System call entry. Linux: arch/x86/entry/common.c, syscall_64.c,
// arch/x86/kernel/cpu/common.c (syscall_init).
//
// Two doors, one table (kernel/syscall_table.swift): the SYSCALL
// instruction with x86-64 numbers (exit 60, exit_group 231), and the
// `int 0x80` gate with the asm-generic numbers arm64 and riscv use (exit 93,
// exit_group 94) — where Linux has its 32-bit compat entry. Arguments come
// in RDI, RSI, RDX, R10, R8, R9 through either door; the result goes in RAX.

import CShim

let SYSCALL_VECTOR: UInt64 = 0x100
let IA32_SYSCALL_VECTOR = 0x80

typealias SyscallFn = (UnsafeMutablePointer<PtRegs>) -> Int

extension UnsafeMutablePointer where Pointee == PtRegs {
    var arg0: UInt64 { pointee.rdi }
    var arg1: UInt64 { pointee.rsi }
    var arg2: UInt64 { pointee.rdx }
    var arg3: UInt64 { pointee.r10 }
    var arg4: UInt64 { pointee.r8 }
    var arg5: UInt64 { pointee.r9 }
}

/// The two dispatch tables, built from the one declaration at boot.
private var x86Table: UnsafeMutablePointer<SyscallFn?>? = nil
private var genericTable: UnsafeMutablePointer<SyscallFn?>? = nil
let NR_SYSCALLS_TABLE = 512

/// syscall_init(): program the SYSCALL MSRs on this CPU.
func syscall_init() {
    // STAR: SYSCALL loads CS=__KERNEL_CS, SS=__KERNEL_CS+8; SYSRET loads
    // CS=__USER32_CS+16 (__USER_CS) and SS=__USER32_CS+8 (__USER_DS).
    wrmsr(UInt32(MSR_STAR), UInt64(__USER32_CS) << 48 | UInt64(__KERNEL_CS) << 32)
    wrmsr(UInt32(MSR_LSTAR), sym_entry_SYSCALL_64())
    // Cleared on entry: TF, DF, IF, IOPL, NT, AC (Linux's mask).
    wrmsr(UInt32(MSR_SYSCALL_MASK), 0x4_7700)
}

/// Builds both tables from `syscall_table`. Panics on a duplicate number:
/// two calls sharing one would make one of them unreachable.
func syscall_tables_init() {
    guard let a = kmalloc(NR_SYSCALLS_TABLE * MemoryLayout<SyscallFn?>.stride),
          let b = kmalloc(NR_SYSCALLS_TABLE * MemoryLayout<SyscallFn?>.stride) else { panic("syscall tables: no memory") }
    let x = a.bindMemory(to: SyscallFn?.self, capacity: NR_SYSCALLS_TABLE)
    let g = b.bindMemory(to: SyscallFn?.self, capacity: NR_SYSCALLS_TABLE)
    x.initialize(repeating: nil, count: NR_SYSCALLS_TABLE)
    g.initialize(repeating: nil, count: NR_SYSCALLS_TABLE)
    for e in syscall_table {
        if e.x86_64 >= 0 {
            BUG_ON(x[e.x86_64] != nil, "two system calls with x86-64 number \(e.x86_64)")
            x[e.x86_64] = e.fn
        }
        if e.generic >= 0 {
            BUG_ON(g[e.generic] != nil, "two system calls with generic number \(e.generic)")
            g[e.generic] = e.fn
        }
    }
    x86Table = x
    genericTable = g
}

@inline(__always)
private func dispatch(_ table: UnsafeMutablePointer<SyscallFn?>?, _ regs: UnsafeMutablePointer<PtRegs>) {
    // Only the low 32 bits of the number count, compared unsigned (Linux's
    // `unsigned int unr = nr`): 0x1_00000027 is getpid, -1 is ENOSYS.
    let nr = Int(UInt32(truncatingIfNeeded: regs.pointee.orig_rax))
    if nr < NR_SYSCALLS_TABLE, let table, let fn = table[nr] {
        regs.pointee.rax = UInt64(bitPattern: Int64(fn(regs)))
    } else {
        regs.pointee.rax = UInt64(bitPattern: Int64(Errno.ENOSYS.negated))
    }
}

/// do_syscall_64(): called by entry_SYSCALL_64 with the user's registers.
/// Returns whether SYSRET may be used to go back (the registers it does not
/// restore still hold what it would put there).
@_cdecl("do_syscall_64")
public func do_syscall_64(_ regs: UnsafeMutablePointer<PtRegs>) -> Bool {
    local_irq_enable()
    dispatch(x86Table, regs)
    sched_seed_preempt_point()
    exit_to_user_mode(regs)
    local_irq_disable()
    let r = regs.pointee
    // SYSRET takes RIP from RCX and RFLAGS from R11, and faults in kernel
    // mode on a non-canonical RIP: use IRET whenever anything is unusual
    // (execve and signal delivery rewrite the frame).
    return r.rcx == r.rip && r.r11 == r.rflags && r.rip < TASK_SIZE
        && r.cs == UInt64(__USER_CS) && r.ss == UInt64(__USER_DS)
        && r.rflags & ((1 << 8) | (1 << 16)) == 0     // no TF, no RF
}

/// int $0x80 from user mode: the same calls by their asm-generic numbers.
func do_int80_syscall(_ regs: UnsafeMutablePointer<PtRegs>) {
    regs.pointee.orig_rax = regs.pointee.rax
    local_irq_enable()
    dispatch(genericTable, regs)
    sched_seed_preempt_point()
    local_irq_disable()
}

/// exit_to_user_mode(): the work every return to user mode checks for —
/// a reschedule the tick asked for, and pending signals. Like Linux's
/// exit_to_user_mode_loop(), it loops until no work is left: with two
/// signals pending, both frames are built before user mode runs (the second
/// on top of the first, so its handler runs first), whether or not a
/// reschedule happened to be asked for in between.
func exit_to_user_mode(_ regs: UnsafeMutablePointer<PtRegs>) {
    let t = current
    while true {
        if t.taskWorks != nil { task_work_run(); continue }
        if t.needResched { schedule(); continue }
        if signal_pending(t) { arch_do_signal_or_restart(regs); continue }
        if regs.pointee.vector == SYSCALL_VECTOR {
            // No signal, but a restartable call may still need its fixup
            // (its signal was taken by another thread meanwhile).
            arch_do_signal_or_restart(regs)
        }
        if !t.needResched { break }
    }
}
