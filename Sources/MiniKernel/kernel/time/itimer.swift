// alarm(2): the process's real-time timer (ITIMER_REAL). Linux: kernel/time/itimer.c
// (alarm_setitimer, it_real_fn), kernel/exit.c (hrtimer_cancel of signal->real_timer
// when the group dies).
//
// Linux keeps an hrtimer in each signal_struct. Ours is one table of armed timers,
// checked at every tick (kernel/time/time.swift: run_timers); expiry sends SIGALRM to
// the process (si_code SI_KERNEL). The send happens under the table's lock, and a
// dying group removes its entry under the same lock (exit_itimers), so an expiring
// timer never touches a freed signal_struct. The timer survives exec and is not
// inherited by fork, as POSIX says. setitimer/getitimer and interval timers are not
// here.

import CShim

private let NR_REAL_TIMERS = 256
private var timerExpires = InlineArray<256, UInt64>(repeating: 0)
private var timerOwner = InlineArray<256, SignalStruct?>(repeating: nil)
let itimerLock = SpinLock(name: "itimer_lock")

/// From the tick: every expired timer fires once.
func it_real_fn_all() {
    let now = ktime_get_ns()
    let flags = itimerLock.lockIrqSave()
    for k in 0..<NR_REAL_TIMERS where timerExpires[k] != 0 && timerExpires[k] <= now {
        timerExpires[k] = 0
        guard let sig = timerOwner[k] else { continue }
        timerOwner[k] = nil
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

/// The slot of `sig`'s timer. itimerLock held.
private func slot_of(_ sig: SignalStruct) -> Int? {
    for k in 0..<NR_REAL_TIMERS where timerOwner[k] === sig { return k }
    return nil
}

/// exit_itimers() / hrtimer_cancel(&sig->real_timer): the group is dead.
func exit_itimers(_ sig: SignalStruct) {
    itimerLock.withLock {
        if let k = slot_of(sig) { timerOwner[k] = nil; timerExpires[k] = 0 }
    }
}

/// alarm(seconds): the seconds left of the previous alarm (rounded as Linux
/// does: half a second or more counts as one; anything left at all is at least 1).
func sys_alarm(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let secs = regs.arg0 & 0xffff_ffff
    let sig = current.signal
    let now = ktime_get_ns()
    return itimerLock.withLock { () -> Int in
        var left = 0
        var k = slot_of(sig)
        if let s = k, timerExpires[s] > now {
            let ns = timerExpires[s] - now
            left = Int(ns / 1_000_000_000) + (ns % 1_000_000_000 >= 500_000_000 ? 1 : 0)
            if left == 0 { left = 1 }
        }
        if secs == 0 {
            if let s = k { timerOwner[s] = nil; timerExpires[s] = 0 }
            return left
        }
        if k == nil {
            for s in 0..<NR_REAL_TIMERS where timerOwner[s] == nil { k = s; break }
        }
        guard let s = k else {
            pr_warn("alarm: more than \(NR_REAL_TIMERS) processes with an alarm; this one is not armed")
            return left
        }
        timerOwner[s] = sig
        timerExpires[s] = now + secs * 1_000_000_000
        return left
    }
}
