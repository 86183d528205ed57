// alarm(2): the process's real-time timer (ITIMER_REAL). Linux: kernel/time/itimer.c
// (alarm_setitimer, it_real_fn), kernel/exit.c (hrtimer_cancel of signal->real_timer
// when the group dies).
//
// Linux keeps an hrtimer in each signal_struct. Ours is the expiry time in the
// signal_struct (realTimerExpires) and one list of the armed ones, which the tick
// walks (kernel/time/time.swift: run_timers); expiry sends SIGALRM to the process
// (si_code SI_KERNEL). The send happens under the list's lock, and a dying group
// takes itself off under the same lock (exit_itimers), so an expiring timer never
// touches a freed signal_struct. The timer survives exec and is not inherited by
// fork, as POSIX says. setitimer/getitimer and interval timers are not here.

import CShim

/// The armed timers, linked through realTimerNext. Guarded by itimerLock.
private var armedTimers: SignalStruct? = nil
let itimerLock = SpinLock(name: "itimer_lock")

/// Takes `sig`'s timer off the armed list (hrtimer_cancel). itimerLock held.
private func real_timer_cancel_locked(_ sig: SignalStruct) {
    guard sig.realTimerExpires != 0 else { return }
    sig.realTimerExpires = 0
    if armedTimers === sig { armedTimers = sig.realTimerNext; sig.realTimerNext = nil; return }
    var prev = armedTimers
    while let p = prev {
        if p.realTimerNext === sig { p.realTimerNext = sig.realTimerNext; sig.realTimerNext = nil; return }
        prev = p.realTimerNext
    }
}

/// From the tick: every expired timer fires once (it_real_fn).
func it_real_fn_all() {
    let now = ktime_get_ns()
    let flags = itimerLock.lockIrqSave()
    var next = armedTimers
    while let sig = next {
        next = sig.realTimerNext
        guard sig.realTimerExpires <= now else { continue }
        real_timer_cancel_locked(sig)
        let f = siglock.lockIrqSave()
        if let t = find_alive_thread_in(sig) { send_signal_locked(SIGALRM, info_kernel(SIGALRM), to: t, group: true) }
        siglock.unlockIrqRestore(f)
    }
    itimerLock.unlockIrqRestore(flags)
}

/// A thread of the group that can still take a signal.
private func find_alive_thread_in(_ sig: SignalStruct) -> Task? {
    var t = sig.threadHead
    while let cur = t {
        if !cur.flags.contains(.exiting) { return cur }
        t = cur.threadNext
    }
    return nil
}

/// exit_itimers() / hrtimer_cancel(&sig->real_timer): the group is dead.
func exit_itimers(_ sig: SignalStruct) {
    guard sig.realTimerExpires != 0 else { return }
    itimerLock.withLock { real_timer_cancel_locked(sig) }
}

/// alarm(seconds): the seconds left of the previous alarm (rounded as Linux
/// does: half a second or more counts as one; anything left at all is at least 1).
func sys_alarm(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let secs = regs.arg0 & 0xffff_ffff
    let sig = current.signal
    let now = ktime_get_ns()
    return itimerLock.withLock { () -> Int in
        var left = 0
        if sig.realTimerExpires > now {
            let ns = sig.realTimerExpires - now
            left = Int(ns / 1_000_000_000) + (ns % 1_000_000_000 >= 500_000_000 ? 1 : 0)
            if left == 0 { left = 1 }
        }
        real_timer_cancel_locked(sig)
        if secs == 0 { return left }
        sig.realTimerExpires = now + secs * 1_000_000_000
        sig.realTimerNext = armedTimers
        armedTimers = sig
        return left
    }
}
