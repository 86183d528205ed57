// The way back to user mode, common to every architecture. Linux:
// kernel/entry/common.c, include/linux/entry-common.h.
//
// Every return to user mode — after a system call (do_syscall_64), an
// interrupt or exception (irq_exit), and a new task's first one
// (exit_to_user_mode_from_fork) — passes through exit_to_user_mode(), which
// is where a task notices that it should yield the CPU or take a signal.

import CShim

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
        // No signal, but a restartable call may still need its fixup (its
        // signal was taken by another thread meanwhile), and a mask saved
        // by sigsuspend or ppoll goes back: Linux gets here through
        // TIF_SIGPENDING and TIF_RESTORE_SIGMASK, which are still set then.
        let v = regs.pointee.vector, ret = Int64(bitPattern: regs.pointee.rax)
        if (v == SYSCALL_VECTOR || v == UInt64(IA32_SYSCALL_VECTOR))
            && ((-516 ... -512).contains(ret) || t.savedSigmask != nil) {
            arch_do_signal_or_restart(regs)
        }
        if !t.needResched { break }
    }
}
