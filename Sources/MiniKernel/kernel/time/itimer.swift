// Interval timers: setitimer/getitimer (ITIMER_REAL, ITIMER_VIRTUAL,
// ITIMER_PROF) and alarm. Linux: kernel/time/itimer.c, the process-wide part
// of kernel/time/posix-cpu-timers.c (check_cpu_itimer), kernel/signal.c
// (the re-arm when SIGALRM is dequeued), kernel/exit.c (hrtimer_cancel of
// signal->real_timer when the group dies).
//
// All three belong to the process (signal_struct): any thread may set them,
// a thread's exit leaves them alone, exec keeps them, fork does not pass
// them on (the child's signal_struct starts with none), and the group's
// death cancels them (real_timer_cancel()).
//
// ITIMER_REAL counts wall time. Linux keeps an hrtimer in signal_struct;
// ours is the expiry time there and one list of the armed ones, which the
// tick walks (run_expired_timers()). Expiry sends SIGALRM to the process (si_code
// SI_KERNEL). An interval timer is not re-armed then but when SIGALRM is
// dequeued (posixtimer_rearm_itimer()), so a process that blocks SIGALRM has
// one pending signal and a stopped timer, not a backlog.
//
// ITIMER_VIRTUAL (user time) and ITIMER_PROF (user + system time) count the
// group's CPU time, which the tick samples; the tick that takes the group
// past `expires` sends SIGVTALRM or SIGPROF and moves `expires` on by the
// interval (run_posix_cpu_timers()).
//
// Locks: siglock, then itimer_lock (the armed list). The tick takes siglock
// only when a timer has expired, and sends under both, so a dying group that
// takes itself off the list under itimer_lock is never signalled after.

import CShim

let ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2

/// The armed real timers, linked through realTimerNext. Guarded by itimerLock.
private var armedTimers: SignalStruct? = nil
let itimerLock = SpinLock(name: "itimer_lock")

/// struct itimerval (__kernel_old_itimerval): two timevals.
struct ITimerVal {
    var intervalSec: Int64 = 0, intervalUsec: Int64 = 0
    var valueSec: Int64 = 0, valueUsec: Int64 = 0

    init() {}
    init(value: UInt64, interval: UInt64) {
        (valueSec, valueUsec) = (Int64(value / 1_000_000_000), Int64(value % 1_000_000_000 / 1000))
        (intervalSec, intervalUsec) = (Int64(interval / 1_000_000_000), Int64(interval % 1_000_000_000 / 1000))
    }
    /// timeval_valid() on both halves.
    var valid: Bool {
        valueSec >= 0 && valueUsec >= 0 && valueUsec < 1_000_000 &&
            intervalSec >= 0 && intervalUsec >= 0 && intervalUsec < 1_000_000
    }
    var valueNs: UInt64 { UInt64(valueSec) &* 1_000_000_000 &+ UInt64(valueUsec) * 1000 }
    var intervalNs: UInt64 { UInt64(intervalSec) &* 1_000_000_000 &+ UInt64(intervalUsec) * 1000 }
}

// MARK: - ITIMER_REAL

/// hrtimer_start(): `sig`'s real timer fires at `expires`. itimerLock held.
private func real_timer_start_locked(_ sig: SignalStruct, _ expires: UInt64) {
    sig.realTimerExpires = expires
    sig.realTimerNext = armedTimers
    armedTimers = sig
}

/// hrtimer_try_to_cancel(): off the armed list. itimerLock held.
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

/// itimer_get_remtime(): what is left of an armed timer — at least a
/// microsecond, however late the tick is — or 0.
private func itimer_get_remtime(_ sig: SignalStruct, _ now: UInt64) -> UInt64 {
    guard sig.realTimerExpires != 0 else { return 0 }
    return sig.realTimerExpires > now ? max(sig.realTimerExpires - now, 1000) : 1000
}

/// From the tick: the expired ITIMER_REAL and POSIX timers. One look under
/// itimer_lock finds whether any is due; siglock is taken only then.
func run_expired_timers() {
    let now = ktime_get_ns()
    guard itimerLock.withLock({ it_real_due_locked(now) || posix_timers_due_locked(now) }) else { return }
    siglock.withLock {
        itimerLock.withLock {
            it_real_fn_all_locked(now)
            posix_timers_fire_all_locked(now)
        }
    }
}

private func it_real_due_locked(_ now: UInt64) -> Bool {
    var p = armedTimers
    while let sig = p {
        if sig.realTimerExpires <= now { return true }
        p = sig.realTimerNext
    }
    return false
}

/// it_real_fn() for each expired timer: SIGALRM to the process. siglock
/// and itimerLock held.
private func it_real_fn_all_locked(_ now: UInt64) {
    var next = armedTimers
    while let sig = next {
        next = sig.realTimerNext
        guard sig.realTimerExpires <= now else { continue }
        sig.itRealFired = sig.realTimerExpires
        real_timer_cancel_locked(sig)
        if let t = find_alive_thread_in(sig) { send_signal_locked(SIGALRM, info_kernel(SIGALRM), to: t, group: true) }
    }
}

/// posixtimer_rearm_itimer(): SIGALRM was dequeued; an interval timer
/// starts again from where it last fired, skipping the periods already
/// past (hrtimer_forward()). Called with siglock held.
func posixtimer_rearm_itimer(_ sig: SignalStruct) {
    itimerLock.withLock {
        let incr = sig.itRealIncr
        guard sig.realTimerExpires == 0, incr != 0 else { return }
        let now = ktime_get_ns()
        var expires = sig.itRealFired &+ incr
        if expires <= now { expires &+= incr &* ((now - expires) / incr + 1) }
        real_timer_start_locked(sig, expires)
    }
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

/// hrtimer_cancel(&sig->real_timer): the group is dead.
@discardableResult
func real_timer_cancel(_ sig: SignalStruct) -> Bool {
    itimerLock.withLock { () -> Bool in
        let armed = sig.realTimerExpires != 0
        real_timer_cancel_locked(sig)
        sig.itRealIncr = 0
        return armed
    }
}

// MARK: - ITIMER_VIRTUAL and ITIMER_PROF

/// thread_group_sample_cputime(): the clock a CPU itimer counts. siglock held.
private func cpu_itimer_sample(_ sig: SignalStruct, _ which: Int) -> UInt64 {
    let t = thread_group_cputime(sig)
    return which == ITIMER_VIRTUAL ? t.utime : t.utime + t.stime
}

/// run_posix_cpu_timers() → check_cpu_itimer(), from the tick that charged
/// `tsk`: each CPU itimer of its group that the group's time has reached.
func run_posix_cpu_timers(_ tsk: Task) {
    let sig = tsk.signal
    guard sig.itVirtual.expires != 0 || sig.itProf.expires != 0 else { return }
    siglock.withLock {
        let t = thread_group_cputime(sig)
        check_cpu_itimer(tsk, &sig.itVirtual, t.utime, SIGVTALRM)
        check_cpu_itimer(tsk, &sig.itProf, t.utime + t.stime, SIGPROF)
    }
}

private func check_cpu_itimer(_ tsk: Task, _ it: inout CPUItimer, _ now: UInt64, _ signo: Int32) {
    guard it.expires != 0, now >= it.expires else { return }
    it.expires = it.incr != 0 ? it.expires + it.incr : 0
    if !tsk.flags.contains(.exiting) { send_signal_locked(signo, info_kernel(signo), to: tsk, group: true) }
}

// MARK: - The system calls

/// do_getitimer(): what is left, and the interval.
private func do_getitimer(_ which: Int) -> ITimerVal? {
    let sig = current.signal
    switch which {
    case ITIMER_REAL:
        return siglock.withLock {
            itimerLock.withLock { ITimerVal(value: itimer_get_remtime(sig, ktime_get_ns()), interval: sig.itRealIncr) }
        }
    case ITIMER_VIRTUAL, ITIMER_PROF:
        return siglock.withLock {
            let it = which == ITIMER_VIRTUAL ? sig.itVirtual : sig.itProf
            var left = it.expires
            if left != 0 {
                let now = cpu_itimer_sample(sig, which)
                left = left <= now ? 1_000_000_000 / HZ : left - now     // about to fire: a tick
            }
            return ITimerVal(value: left, interval: it.incr)
        }
    default:
        return nil
    }
}

/// do_setitimer(): arm (or, with a zero value, disarm) one timer; the old
/// setting comes back like getitimer's.
private func do_setitimer(_ which: Int, _ new: ITimerVal) -> ITimerVal? {
    let sig = current.signal
    switch which {
    case ITIMER_REAL:
        return siglock.withLock {
            itimerLock.withLock { () -> ITimerVal in
                let now = ktime_get_ns()
                let old = ITimerVal(value: itimer_get_remtime(sig, now), interval: sig.itRealIncr)
                real_timer_cancel_locked(sig)
                let value = new.valueNs
                sig.itRealIncr = value != 0 ? new.intervalNs : 0
                if value != 0 { real_timer_start_locked(sig, now &+ value) }
                return old
            }
        }
    case ITIMER_VIRTUAL, ITIMER_PROF:
        return siglock.withLock { () -> ITimerVal in
            var it = which == ITIMER_VIRTUAL ? sig.itVirtual : sig.itProf
            let now = cpu_itimer_sample(sig, which)
            var oldLeft = it.expires
            if oldLeft != 0 { oldLeft = oldLeft <= now ? 1_000_000_000 / HZ : oldLeft - now }
            let old = ITimerVal(value: oldLeft, interval: it.incr)
            // set_cpu_itimer(): a tick more than asked, counted from now.
            let value = new.valueNs
            it.expires = value != 0 ? now + value + 1_000_000_000 / HZ : 0
            it.incr = new.intervalNs
            if which == ITIMER_VIRTUAL { sig.itVirtual = it } else { sig.itProf = it }
            return old
        }
    default:
        return nil
    }
}

/// getitimer(which, value).
func sys_getitimer(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let v = do_getitimer(Int(Int32(truncatingIfNeeded: regs.arg0))) else { return Errno.EINVAL.negated }
    return copy_to_user(regs.arg1, from: v) ? 0 : Errno.EFAULT.negated
}

/// setitimer(which, value, ovalue). A NULL value disarms, as Linux still
/// allows (with a warning that this misfeature will go).
func sys_setitimer(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var new = ITimerVal()
    if regs.arg1 != 0 {
        guard copy_from_user(&new, regs.arg1) else { return Errno.EFAULT.negated }
        guard new.valid else { return Errno.EINVAL.negated }
    }
    guard let old = do_setitimer(Int(Int32(truncatingIfNeeded: regs.arg0)), new) else { return Errno.EINVAL.negated }
    if regs.arg2 != 0 && !copy_to_user(regs.arg2, from: old) { return Errno.EFAULT.negated }
    return 0
}

/// alarm(seconds): setitimer(ITIMER_REAL) in whole seconds; the seconds left
/// of the previous one, rounded as Linux does (half a second or more counts
/// as one; anything left at all is at least 1).
func sys_alarm(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var new = ITimerVal()
    new.valueSec = Int64(regs.arg0 & 0xffff_ffff)
    guard let old = do_setitimer(ITIMER_REAL, new) else { return 0 }
    var left = Int(old.valueSec)
    if (left == 0 && old.valueUsec != 0) || old.valueUsec >= 500_000 { left += 1 }
    return left
}
