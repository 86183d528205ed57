// gettimeofday, time, clock_nanosleep. Linux: kernel/time/time.c,
// kernel/time/posix-timers.c (clock_nanosleep), hrtimer.c.

import CShim

func sys_gettimeofday(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let ns = ktime_get_ns()
    if regs.arg0 != 0 {
        var tv = InlineArray<2, Int64>(repeating: 0)
        tv[0] = Int64(ns / 1_000_000_000)
        tv[1] = Int64(ns % 1_000_000_000 / 1000)
        guard copy_to_user(regs.arg0, from: tv) else { return Errno.EFAULT.negated }
    }
    if regs.arg1 != 0 {
        let tz: UInt64 = 0
        guard copy_to_user(regs.arg1, from: tz) else { return Errno.EFAULT.negated }
    }
    return 0
}

func sys_time(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let s = Int(ktime_get_ns() / 1_000_000_000)
    if regs.arg0 != 0 && !put_user(UInt64(s), regs.arg0) { return Errno.EFAULT.negated }
    return s
}

let TIMER_ABSTIME: UInt64 = 1

/// clock_nanosleep(clock, flags, request, remain): glibc's sleep() and nanosleep().
func sys_clock_nanosleep(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let clock = regs.arg0 & 0xffff_ffff
    switch clock {
    case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME: break
    case CLOCK_THREAD_CPUTIME_ID: return Errno.EINVAL.negated
    case CLOCK_PROCESS_CPUTIME_ID: return Errno.EOPNOTSUPP.negated
    default: return Errno.EINVAL.negated
    }
    var req = Timespec()
    guard copy_from_user(&req, regs.arg2) else { return Errno.EFAULT.negated }
    guard req.sec >= 0, req.nsec >= 0, req.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
    let ns = UInt64(req.sec) &* 1_000_000_000 &+ UInt64(req.nsec)
    if regs.arg1 & TIMER_ABSTIME != 0 {
        // Both clocks count from boot here; an absolute sleep is not given a remainder.
        let r = nanosleep_until(ns, remAddr: 0)
        return r == Errno.ERESTART_RESTARTBLOCK.negated ? Errno.ERESTARTNOHAND.negated : r
    }
    return nanosleep_until(ktime_get_ns() &+ ns, remAddr: regs.arg3)
}
