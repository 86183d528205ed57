// POSIX timers: timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete. Linux: kernel/time/posix-timers.c, the
// timer part of posix-cpu-timers.c, kernel/signal.c (the timer's sigqueue).
//
// The rules, before the code
// --------------------------
// A timer belongs to the process (signal_struct): any thread may use it by
// its id, a thread's exit leaves it, fork does not copy it, and exec and the
// group's death delete it (exit_itimers()). Ids count up from 0 in each
// process. A timer counts on a clock: CLOCK_REALTIME, CLOCK_MONOTONIC,
// CLOCK_BOOTTIME, CLOCK_TAI (one clock here, from boot), or CPU time —
// CLOCK_PROCESS_CPUTIME_ID, the group's, or CLOCK_THREAD_CPUTIME_ID, the
// creating thread's — which the tick samples (run_posix_cpu_timers()).
//
// At expiry the timer sends its signal (sigev_signo, si_code SI_TIMER, with
// its id and sigev_value) to the process, or to one thread of it with
// SIGEV_THREAD_ID; SIGEV_NONE sends nothing and only timer_gettime() sees
// time pass. A periodic timer is not re-armed at expiry but when its signal
// is dequeued (posixtimer_deliver_signal()): the periods that went by
// meanwhile are counted as overruns (si_overrun, timer_getoverrun()), so a
// process that blocks the signal gets one signal, not a backlog. A signal
// whose timer was deleted or set again since it was sent is dropped when it
// is dequeued: it belongs to a timer that no longer exists in that form.
//
// Locks: siglock, then itimer_lock, which guards the timers, each group's
// list and the armed list the tick walks (as for setitimer's ITIMER_REAL).

import CShim

let SIGEV_SIGNAL: Int32 = 0, SIGEV_NONE: Int32 = 1, SIGEV_THREAD: Int32 = 2, SIGEV_THREAD_ID: Int32 = 4
let TIMER_ABSTIME_FLAG: UInt64 = 1
let CLOCK_TAI: UInt64 = 11

/// Timers in existence (leakcheck's `posix_timers`).
var nr_posix_timers = 0

/// struct k_itimer.
final class KItimer {
    /// What the timer is doing (Linux's it_status).
    enum Status { case disarmed, armed, requeuePending }

    let id: Int32
    let clock: UInt64
    let notify: Int32
    let signo: Int32
    let value: UInt64
    /// SIGEV_THREAD_ID's thread, or for a thread CPU clock the thread whose
    /// time counts; 0 otherwise.
    let tid: Int32
    unowned(unsafe) let signal: SignalStruct
    var status = Status.disarmed
    /// When it fires (ns on its clock) and every how long after; 0: never.
    var expires: UInt64 = 0
    var interval: UInt64 = 0
    /// it_overrun (expiries not delivered, -1 after a delivery) and
    /// it_overrun_last (what the last delivery reported).
    var overrun = -1
    var overrunLast = 0
    /// it_requeue_pending: bumped by every timer_settime(), so that a signal
    /// sent before it is known to be stale (its si_sys_private differs).
    var requeuePending: Int32 = 0
    var next: KItimer? = nil
    var armedNext: KItimer? = nil

    init(id: Int32, clock: UInt64, notify: Int32, signo: Int32, value: UInt64, tid: Int32, signal: SignalStruct) {
        (self.id, self.clock, self.notify, self.signo, self.value, self.tid, self.signal) =
            (id, clock, notify, signo, value, tid, signal)
    }

    var isCPUClock: Bool { clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID }
}

/// The armed wall-clock timers, for the tick. Guarded by itimerLock.
private var armedPosixTimers: KItimer? = nil

// MARK: - The clocks

/// The time on the timer's clock: wall time, or the CPU time it counts.
/// siglock held (for the group's CPU time).
private func timer_clock_now(_ timr: KItimer) -> UInt64 {
    switch timr.clock {
    case CLOCK_PROCESS_CPUTIME_ID:
        let t = thread_group_cputime(timr.signal)
        return t.utime + t.stime
    case CLOCK_THREAD_CPUTIME_ID:
        for t in for_each_thread(timr.signal) where t.pid == timr.tid { return t.utime + t.stime }
        return 0
    default:
        return ktime_get_ns()
    }
}

/// hrtimer_forward(): move `expires` past `now` by whole intervals; how many.
private func timer_forward(_ timr: KItimer, _ now: UInt64) -> Int {
    guard timr.interval != 0, timr.expires <= now else { return 0 }
    let n = (now - timr.expires) / timr.interval + 1
    timr.expires &+= n &* timr.interval
    return Int(n)
}

// MARK: - Arming and expiry

private func arm_locked(_ timr: KItimer) {
    timr.status = .armed
    guard !timr.isCPUClock else { return }                // the tick checks those through the group
    timr.armedNext = armedPosixTimers
    armedPosixTimers = timr
}

private func disarm_locked(_ timr: KItimer) {
    if timr.status == .armed && !timr.isCPUClock {
        if armedPosixTimers === timr {
            armedPosixTimers = timr.armedNext
        } else {
            var p = armedPosixTimers
            while let cur = p {
                if cur.armedNext === timr { cur.armedNext = timr.armedNext; break }
                p = cur.armedNext
            }
        }
        timr.armedNext = nil
    }
    timr.status = .disarmed
}

/// posix_timer_queue_signal(): the timer has expired. A periodic one waits
/// for its signal to be taken before it runs again; an ignored signal is
/// taken at once (the timer would otherwise stop for good). siglock and
/// itimerLock held.
private func posix_timer_queue_signal(_ timr: KItimer) {
    disarm_locked(timr)
    timr.status = timr.interval != 0 ? .requeuePending : .disarmed
    var target: Task? = nil
    if timr.notify == SIGEV_THREAD_ID {
        if let t = find_task_by_vpid(timr.tid), t.signal === timr.signal, t.exitState == .none { target = t }
    } else {
        var t = timr.signal.threadHead
        while let cur = t, cur.flags.contains(.exiting) { t = cur.threadNext }
        target = t
    }
    var info = KSigInfo()
    info.signo = timr.signo
    info.code = SI_TIMER
    info.pid = timr.id                                   // si_timerid
    info.value = timr.value
    info.sysPrivate = timr.requeuePending
    if let t = target, posixtimer_send_sigqueue(timr.signo, info, to: t, group: timr.notify != SIGEV_THREAD_ID) {
        return
    }
    // Nobody to take it, or ignored: as if delivered at once.
    if timr.status == .requeuePending { posixtimer_rearm(timr) }
}

func posix_timers_due_locked(_ now: UInt64) -> Bool {
    var p = armedPosixTimers
    while let t = p {
        if t.expires <= now { return true }
        p = t.armedNext
    }
    return false
}

/// posix_timer_fn() for every expired wall-clock timer, from the tick
/// (run_expired_timers()). siglock and itimerLock held.
func posix_timers_fire_all_locked(_ now: UInt64) {
    var p = armedPosixTimers
    while let t = p {
        p = t.armedNext
        if t.expires <= now && t.notify != SIGEV_NONE { posix_timer_queue_signal(t) }
    }
}

/// The CPU-clock timers of `tsk`'s group, from the tick that charged it
/// (the timer half of run_posix_cpu_timers()).
func posix_cpu_timers_fire(_ tsk: Task) {
    let sig = tsk.signal
    guard sig.nrCPUTimers != 0 else { return }
    siglock.withLock {
        itimerLock.withLock {
            // The clocks this tick can move: the ticked thread's, and its
            // group's, summed over the threads once however many timers use it.
            let threadNow = tsk.utime + tsk.stime
            var groupNow: UInt64? = nil
            var p = sig.posixTimers
            while let t = p {
                p = t.next
                guard t.isCPUClock, t.status == .armed, t.notify != SIGEV_NONE else { continue }
                let now: UInt64
                if t.clock == CLOCK_THREAD_CPUTIME_ID {
                    if t.tid != tsk.pid { continue }
                    now = threadNow
                } else if let g = groupNow {
                    now = g
                } else {
                    let g = thread_group_cputime(sig)
                    now = g.utime + g.stime
                    groupNow = now
                }
                if now >= t.expires { posix_timer_queue_signal(t) }
            }
        }
    }
}

/// common_hrtimer_rearm(): the next period, the ones missed counted.
private func posixtimer_rearm(_ timr: KItimer) {
    timr.overrun += timer_forward(timr, timer_clock_now(timr))
    arm_locked(timr)
}

/// posixtimer_deliver_signal(): a timer's signal is being dequeued. False
/// if it is stale (the timer is gone, or was set again after sending it):
/// then it is dropped. Otherwise a periodic timer runs again, and the
/// signal reports the overruns. Called with siglock held.
func posixtimer_deliver_signal(_ info: inout KSigInfo, _ sig: SignalStruct) -> Bool {
    itimerLock.withLock { () -> Bool in
        guard let timr = posix_timer_by_id(sig, info.pid), timr.requeuePending == info.sysPrivate else { return false }
        if timr.status == .requeuePending {
            posixtimer_rearm(timr)
            timr.overrunLast = timr.overrun
            timr.overrun = -1
            timr.requeuePending &+= 2
        }
        info.uid = UInt32(clamping: max(timr.overrunLast, 0))      // si_overrun
        return true
    }
}

// MARK: - The list of a group's timers

private func posix_timer_by_id(_ sig: SignalStruct, _ id: Int32) -> KItimer? {
    var p = sig.posixTimers
    while let t = p {
        if t.id == id { return t }
        p = t.next
    }
    return nil
}

private func posix_timer_unlink(_ timr: KItimer) {
    let sig = timr.signal
    if sig.posixTimers === timr { sig.posixTimers = timr.next; return }
    var p = sig.posixTimers
    while let cur = p {
        if cur.next === timr { cur.next = timr.next; return }
        p = cur.next
    }
}

/// posix_timer_free(): off every list, then gone. itimerLock held.
private func posix_timer_free(_ timr: KItimer) {
    disarm_locked(timr)
    posix_timer_unlink(timr)
    if timr.isCPUClock { timr.signal.nrCPUTimers -= 1 }
    nr_posix_timers -= 1
    kfree_object(timr)
}

/// exit_itimers(): every POSIX timer of the group goes, at exec and when the
/// group dies. A signal one of them had sent is dropped when dequeued.
@discardableResult
func exit_itimers(_ sig: SignalStruct) -> Int {
    guard sig.posixTimers != nil else { return 0 }
    return itimerLock.withLock { () -> Int in
        var n = 0
        while let t = sig.posixTimers { posix_timer_free(t); n += 1 }
        return n
    }
}

// MARK: - The system calls

/// struct itimerspec: interval, then value, each a timespec.
private struct ITimerSpec {
    var interval = Timespec()
    var value = Timespec()
    var valid: Bool {
        interval.sec >= 0 && interval.nsec >= 0 && interval.nsec < 1_000_000_000 &&
            value.sec >= 0 && value.nsec >= 0 && value.nsec < 1_000_000_000
    }
}

private func ns(_ t: Timespec) -> UInt64 { UInt64(t.sec) &* 1_000_000_000 &+ UInt64(t.nsec) }
private func timespec(_ ns: UInt64) -> Timespec { Timespec(sec: Int64(ns / 1_000_000_000), nsec: Int64(ns % 1_000_000_000)) }

/// timer_create(clockid, sevp, timerid).
func sys_timer_create(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let clock = regs.arg0 & 0xffff_ffff
    switch clock {
    case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID:
        break
    case CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE:
        return Errno.EOPNOTSUPP.negated                  // clocks without timers
    default:
        return Errno.EINVAL.negated                      // (other processes' CPU clocks included)
    }
    let me = current
    var notify = SIGEV_SIGNAL, signo = SIGALRM, value: UInt64? = nil, tid: Int32 = 0
    if regs.arg1 != 0 {
        // struct sigevent: sigev_value, sigev_signo, sigev_notify, then the thread id.
        var ev = InlineArray<8, UInt64>(repeating: 0)
        guard copy_from_user(&ev, regs.arg1) else { return Errno.EFAULT.negated }
        value = ev[0]
        signo = Int32(truncatingIfNeeded: ev[1])
        notify = Int32(truncatingIfNeeded: ev[1] >> 32)
        tid = Int32(truncatingIfNeeded: ev[2])
        // good_sigevent()
        switch notify {
        case SIGEV_SIGNAL | SIGEV_THREAD_ID:
            let sameGroup = tasklistLock.withLock { find_task_by_vpid(tid)?.signal === me.signal }
            guard tid > 0, sameGroup else { return Errno.EINVAL.negated }
            fallthrough
        case SIGEV_SIGNAL, SIGEV_THREAD:
            guard signo > 0 && signo <= _NSIG else { return Errno.EINVAL.negated }
        case SIGEV_NONE:
            break
        default:
            return Errno.EINVAL.negated
        }
    }
    if notify != SIGEV_THREAD_ID { tid = clock == CLOCK_THREAD_CPUTIME_ID ? me.pid : 0 }
    let sig = me.signal
    let timr = siglock.withLock { () -> KItimer in
        itimerLock.withLock {
            // posix_timer_add(): the next free id, counting up from the last.
            var id = sig.nextPosixTimerId
            while posix_timer_by_id(sig, id) != nil { id = id == Int32.max ? 0 : id + 1 }
            sig.nextPosixTimerId = id == Int32.max ? 0 : id + 1
            let t = KItimer(id: id, clock: clock, notify: notify, signo: signo, value: value ?? UInt64(id),
                            tid: tid, signal: sig)
            t.next = sig.posixTimers
            sig.posixTimers = t
            if t.isCPUClock { sig.nrCPUTimers += 1 }
            nr_posix_timers += 1
            return t
        }
    }
    if !put_user(timr.id, regs.arg2) {
        siglock.withLock { itimerLock.withLock { posix_timer_free(timr) } }
        return Errno.EFAULT.negated
    }
    return 0
}

/// common_timer_get(): what is left and the interval. A periodic timer
/// whose signal is pending (or that sends none) is moved on first; an
/// armed one whose expiry has just passed shows 1 ns.
private func common_timer_get(_ timr: KItimer) -> ITimerSpec {
    var cur = ITimerSpec()
    cur.interval = timespec(timr.interval)
    let sigNone = timr.notify == SIGEV_NONE
    if timr.interval == 0 && timr.status == .disarmed && !sigNone { return cur }
    if timr.expires == 0 { return cur }
    let now = timer_clock_now(timr)
    if timr.interval != 0 && (timr.status == .requeuePending || sigNone) {
        timr.overrun += timer_forward(timr, now)
    }
    if timr.expires > now {
        cur.value = timespec(timr.expires - now)
    } else if !sigNone {
        cur.value = Timespec(sec: 0, nsec: 1)
    }
    return cur
}

/// Runs `body` on timer `id` of the caller's group, under siglock and
/// itimer_lock; nil when there is no such timer.
private func with_timer<R>(_ id: UInt64, _ body: (KItimer) -> R) -> R? {
    let sig = current.signal
    return siglock.withLock {
        itimerLock.withLock { () -> R? in
            guard let t = posix_timer_by_id(sig, Int32(truncatingIfNeeded: id)) else { return nil }
            return body(t)
        }
    }
}

/// timer_gettime(id, curr).
func sys_timer_gettime(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let cur = with_timer(regs.arg0, common_timer_get) else { return Errno.EINVAL.negated }
    return copy_to_user(regs.arg1, from: cur) ? 0 : Errno.EFAULT.negated
}

/// timer_getoverrun(id).
func sys_timer_getoverrun(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let n = with_timer(regs.arg0, { $0.overrunLast }) else { return Errno.EINVAL.negated }
    return min(max(n, 0), Int(Int32.max))
}

/// timer_settime(id, flags, new, old): arm (relative, or TIMER_ABSTIME on
/// the timer's clock) or, with a zero value, disarm; the old setting back.
func sys_timer_settime(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var new = ITimerSpec()
    guard regs.arg2 != 0 else { return Errno.EINVAL.negated }
    guard copy_from_user(&new, regs.arg2) else { return Errno.EFAULT.negated }
    guard new.valid else { return Errno.EINVAL.negated }
    let flags = regs.arg1 & 0xffff_ffff
    guard let old = with_timer(regs.arg0, { timr -> ITimerSpec in
        let old = common_timer_get(timr)
        disarm_locked(timr)
        // Signals sent by the old setting are stale from now on.
        timr.requeuePending = (timr.requeuePending &+ 2) & ~1
        timr.overrunLast = 0
        timr.overrun = -1
        timr.interval = 0
        timr.expires = 0
        let value = ns(new.value)
        guard value != 0 else { return old }
        timr.interval = ns(new.interval)
        timr.expires = flags & TIMER_ABSTIME_FLAG != 0 ? value : timer_clock_now(timr) &+ value
        if timr.notify == SIGEV_NONE { timr.status = .armed } else { arm_locked(timr) }
        return old
    }) else { return Errno.EINVAL.negated }
    if regs.arg3 != 0 && !copy_to_user(regs.arg3, from: old) { return Errno.EFAULT.negated }
    return 0
}

/// timer_delete(id).
func sys_timer_delete(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    with_timer(regs.arg0, { posix_timer_free($0) }) != nil ? 0 : Errno.EINVAL.negated
}
