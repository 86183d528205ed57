// Clocks and sleeping. Linux: kernel/time/posix-timers.c, hrtimer.c
// (nanosleep), with a sorted list checked at every tick instead of hrtimers.

import CShim

let CLOCK_REALTIME: UInt64 = 0, CLOCK_MONOTONIC: UInt64 = 1
let CLOCK_PROCESS_CPUTIME_ID: UInt64 = 2, CLOCK_THREAD_CPUTIME_ID: UInt64 = 3
let CLOCK_MONOTONIC_RAW: UInt64 = 4, CLOCK_REALTIME_COARSE: UInt64 = 5
let CLOCK_MONOTONIC_COARSE: UInt64 = 6, CLOCK_BOOTTIME: UInt64 = 7

/// The sleepers with a deadline, earliest first; guarded by timerLock.
private var timerHead: Task? = nil
let timerLock = SpinLock(name: "timer_lock")

private func timerAdd(_ t: Task) {
    if t.onTimerList { return }
    t.onTimerList = true
    guard let head = timerHead, head.wakeAt <= t.wakeAt else {
        t.timerNext = timerHead
        timerHead = t
        return
    }
    var p = head
    while let n = p.timerNext, n.wakeAt <= t.wakeAt { p = n }
    t.timerNext = p.timerNext
    p.timerNext = t
}

private func timerDel(_ t: Task) {
    guard t.onTimerList else { return }
    t.onTimerList = false
    if timerHead === t { timerHead = t.timerNext; t.timerNext = nil; return }
    var p = timerHead
    while let cur = p {
        if cur.timerNext === t { cur.timerNext = t.timerNext; break }
        p = cur.timerNext
    }
    t.timerNext = nil
}

/// From the tick: wake every sleeper whose deadline has passed.
func run_timers() {
    let now = ktime_get_ns()
    let flags = timerLock.lockIrqSave()
    while let t = timerHead, t.wakeAt <= now {
        timerHead = t.timerNext
        t.timerNext = nil
        t.onTimerList = false
        wake_up_process(t)
    }
    timerLock.unlockIrqRestore(flags)
    run_expired_timers()      // setitimer(ITIMER_REAL), alarm(), timer_create(): kernel/time/itimer.swift
}

/// Sleep until `deadline` (ns since boot) or a signal. Returns the time
/// left when interrupted, 0 when the deadline passed.
func schedule_hrtimeout(until deadline: UInt64) -> UInt64 {
    let me = current
    while true {
        var flags = timerLock.lockIrqSave()
        me.wakeAt = deadline
        timerAdd(me)
        set_current_state(.interruptible)
        timerLock.unlockIrqRestore(flags)
        let now = ktime_get_ns()
        if now >= deadline || signal_pending(me) {
            flags = timerLock.lockIrqSave()
            timerDel(me)
            set_current_state(.running)
            timerLock.unlockIrqRestore(flags)
            return now >= deadline ? 0 : deadline - now
        }
        schedule()
        flags = timerLock.lockIrqSave()
        timerDel(me)
        timerLock.unlockIrqRestore(flags)
    }
}

struct Timespec {
    var sec: Int64 = 0
    var nsec: Int64 = 0
}

/// nanosleep(req, rem): -EINVAL for an invalid time. Interrupted by a
/// signal, the time left goes to *rem and the call either fails with EINTR
/// (a handler ran) or is restarted by restart_syscall() to sleep the rest.
func sys_nanosleep(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var req = Timespec()
    guard copy_from_user(&req, regs.arg0) else {
        return Errno.EFAULT.negated
    }
    guard req.sec >= 0, req.nsec >= 0, req.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
    let ns = UInt64(req.sec) &* 1_000_000_000 &+ UInt64(req.nsec)
    return nanosleep_until(ktime_get_ns() &+ ns, remAddr: regs.arg1)
}

/// do_nanosleep(): sleep to an absolute deadline; -ERESTART_RESTARTBLOCK
/// (with the restart block filled in) when a signal interrupts.
func nanosleep_until(_ deadline: UInt64, remAddr: UInt64) -> Int {
    let left = schedule_hrtimeout(until: deadline)
    if left == 0 { return 0 }
    if remAddr != 0 {
        let rem = Timespec(sec: Int64(left / 1_000_000_000), nsec: Int64(left % 1_000_000_000))
        if !copy_to_user(remAddr, from: rem) { return Errno.EFAULT.negated }
    }
    let t = current
    t.restartDeadline = deadline
    t.restartRemAddr = remAddr
    return Errno.ERESTART_RESTARTBLOCK.negated
}

/// clock_gettime(clock, tp). Wall-clock time starts at the epoch at boot:
/// there is no RTC driver.
func sys_clock_gettime(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let clock = regs.arg0 & 0xffff_ffff
    var ns: UInt64
    switch clock {
    case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
         CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME:
        ns = ktime_get_ns()
    case CLOCK_PROCESS_CPUTIME_ID:
        let sig = current.signal
        let group = siglock.withLock { thread_group_cputime(sig) }
        ns = group.utime + group.stime
    case CLOCK_THREAD_CPUTIME_ID:
        let t = current
        ns = t.utime + t.stime
    default:
        return Errno.EINVAL.negated
    }
    let ts = Timespec(sec: Int64(ns / 1_000_000_000), nsec: Int64(ns % 1_000_000_000))
    return copy_to_user(regs.arg1, from: ts) ? 0 : Errno.EFAULT.negated
}

/// Arm (deadline != 0) or cancel this task's wake-up timer, for sleeps that
/// also wait on a queue (poll, sigtimedwait): the caller sets its state,
/// arms, schedules once, then cancels.
func hrtimer_arm_current(_ deadline: UInt64) {
    let t = current
    timerLock.withLock {
        timerDel(t)
        if deadline != 0 { t.wakeAt = deadline; timerAdd(t) }
    }
}
