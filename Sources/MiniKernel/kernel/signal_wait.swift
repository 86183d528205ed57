// Waiting for a signal: rt_sigsuspend, pause, rt_sigtimedwait. Linux: kernel/signal.c.
//
// sigsuspend installs a temporary mask and sleeps until a signal is
// delivered; the old mask (saved_sigmask, TIF_RESTORE_SIGMASK in Linux) is
// written into the handler's frame so that sigreturn restores it, or put
// back at once when no handler runs (arch_do_signal_or_restart).
//
// sigtimedwait takes a signal without delivering it: it dequeues one of the
// set from the thread's own queue or the group's, or sleeps with those
// signals unblocked (the mask saved in real_blocked, so that a waited-for
// signal is neither ignored nor fatal meanwhile) until one comes, another
// signal interrupts (EINTR, its handler runs on the way out) or the time is
// up (EAGAIN).

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

/// do_sigtimedwait(): a signal of `which` with its siginfo, or -EAGAIN /
/// -EINTR. `timeout` in ns; nil waits for ever, 0 does not sleep.
private func do_sigtimedwait(_ which: SigSet, _ info: inout KSigInfo, timeout: UInt64?) -> Int {
    let t = current
    // What is not waited for stays pending; SIGKILL and SIGSTOP are never taken here.
    let mask = SigSet(bits: ~(which.bits & ~SIG_KERNEL_ONLY_MASK.bits))
    var flags = siglock.lockIrqSave()
    var sig = dequeue_signal(t, mask, &info)
    var interrupted = false
    if sig == nil && timeout != 0 {
        // Unblocking is always fine: no other thread needs waking for it.
        t.realBlocked = t.blocked
        t.blocked = SigSet(bits: t.blocked.bits & mask.bits)
        siglock.unlockIrqRestore(flags)
        let now = ktime_get_ns()
        let deadline = timeout.map { $0 < UInt64.max - now ? now + $0 : UInt64.max } ?? UInt64.max
        interrupted = schedule_hrtimeout(until: deadline) != 0
        flags = siglock.lockIrqSave()
        __set_task_blocked(t, t.realBlocked)
        t.realBlocked = SigSet()
        sig = dequeue_signal(t, mask, &info)
    }
    siglock.unlockIrqRestore(flags)
    if let sig { return Int(sig) }
    return interrupted ? Errno.EINTR.negated : Errno.EAGAIN.negated
}

/// __set_task_blocked() with retarget_shared_pending(): the group's pending
/// signals this thread blocks again go to a thread that can take them.
/// Called with siglock held.
private func __set_task_blocked(_ t: Task, _ newSet: SigSet) {
    let retarget = t.signal.sharedPending.signal.bits & newSet.bits & ~t.blocked.bits
    t.blocked = newSet
    guard retarget != 0 else { return }
    for th in for_each_thread(t.signal) where th !== t && retarget & ~th.blocked.bits != 0 {
        signal_wake_up(th, fatal: false)
    }
}

/// rt_sigtimedwait(uthese, uinfo, uts, sigsetsize): the signal number, its
/// siginfo at uinfo (when not NULL). sigwaitinfo is this with uts NULL.
func sys_rt_sigtimedwait(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    if regs.arg3 != 8 { return Errno.EINVAL.negated }
    guard let these = (get_user(regs.arg0) as UInt64?) else { return Errno.EFAULT.negated }
    var timeout: UInt64? = nil
    if regs.arg2 != 0 {
        var ts = Timespec()
        guard copy_from_user(&ts, regs.arg2) else { return Errno.EFAULT.negated }
        // timespec64_valid()
        guard ts.sec >= 0, ts.nsec >= 0, ts.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
        timeout = ts.sec < Int64.max / 1_000_000_000 ? UInt64(ts.sec) * 1_000_000_000 + UInt64(ts.nsec) : UInt64.max
    }
    var info = KSigInfo()
    let ret = do_sigtimedwait(SigSet(bits: these), &info, timeout: timeout)
    if ret > 0 && regs.arg1 != 0 && !copy_to_user(regs.arg1, from: siginfoBytes(info)) {
        return Errno.EFAULT.negated
    }
    return ret
}
