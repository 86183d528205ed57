// Waiting for a signal: rt_sigsuspend, pause. Linux: kernel/signal.c.
//
// sigsuspend installs a temporary mask and sleeps until a signal is
// delivered; the old mask (saved_sigmask, TIF_RESTORE_SIGMASK in Linux) is
// written into the handler's frame so that sigreturn restores it, or put
// back at once when no handler runs (arch_do_signal_or_restart).

import CShim

private func sleep_until_signal() -> Int {
    let me = current
    while true {
        set_current_state(.interruptible)
        if signal_pending(me) { break }
        schedule()
    }
    set_current_state(.running)
    return Errno.ERESTARTNOHAND.negated
}

/// rt_sigsuspend(mask, sigsetsize).
func sys_rt_sigsuspend(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    if regs.arg1 != 8 { return Errno.EINVAL.negated }
    guard let m = (get_user(regs.arg0) as UInt64?) else { return Errno.EFAULT.negated }
    let t = current
    t.savedSigmask = t.blocked
    set_current_blocked(SigSet(bits: m))
    return sleep_until_signal()
}

/// pause().
func sys_pause(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { sleep_until_signal() }

/// restore_saved_sigmask(): no handler ran after sigsuspend/ppoll/pselect6.
func restore_saved_sigmask() {
    let t = current
    if let saved = t.savedSigmask {
        t.savedSigmask = nil
        set_current_blocked(saved)
    }
}
