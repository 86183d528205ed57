// poll, ppoll, select, pselect6. Linux: fs/select.c.
//
// Linux hangs a poll_table entry on every file's wait queue. Ours is
// simpler: one global queue that every change of a pollable file (a pipe
// read, write or release) wakes, with a sequence number so that a wake-up
// between the scan and the sleep is not lost. Files without a poll method
// (regular files, directories, /dev/null) are always ready, as in Linux.

import CShim
import Synchronization

let poll_wq = WaitQueueHead()
private let poll_seq = Atomic<UInt64>(0)

/// Every poller re-scans.
func poll_wake_all() {
    poll_seq.wrappingAdd(1, ordering: .releasing)
    if poll_wq.head != nil { wake_up_all(poll_wq) }
}

private let DEFAULT_POLLMASK: UInt32 = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

private func vfs_poll(_ f: File) -> UInt32 {
    if let p = f.fOp.poll { return p(f) }
    return DEFAULT_POLLMASK
}

/// Sleep until a poll wake-up after `seq`, the deadline (0: none), or a
/// signal. Returns false when the deadline has passed.
private func poll_schedule(_ seq: UInt64, _ deadline: UInt64) -> Bool {
    let me = current
    var flags = poll_wq.lock.lockIrqSave()
    poll_wq.add(me)
    set_current_state(.interruptible)
    poll_wq.lock.unlockIrqRestore(flags)
    if poll_seq.load(ordering: .acquiring) == seq && !signal_pending(me) && (deadline == 0 || ktime_get_ns() < deadline) {
        if deadline != 0 { hrtimer_arm_current(deadline) }
        schedule()
        if deadline != 0 { hrtimer_arm_current(0) }
    }
    flags = poll_wq.lock.lockIrqSave()
    set_current_state(.running)
    poll_wq.remove(me)
    poll_wq.lock.unlockIrqRestore(flags)
    return deadline == 0 || ktime_get_ns() < deadline
}

/// struct pollfd { int fd; short events; short revents; }
private let MAX_POLLFDS = 1024

/// do_sys_poll(): deadline 0 = wait forever, timeoutZero = just scan.
private func do_sys_poll(_ ufds: UInt64, _ nfds: UInt64, deadline: UInt64, timeoutZero: Bool) -> Int {
    if nfds > UInt64(nofile_limit()) && nfds > UInt64(MAX_POLLFDS) { return Errno.EINVAL.negated }
    let n = Int(nfds)
    guard access_ok(ufds, n * 8) else { return Errno.EFAULT.negated }
    while true {
        let seq = poll_seq.load(ordering: .acquiring)
        var ready = 0
        for i in 0..<n {
            guard let v = (get_user(ufds + UInt64(i * 8)) as UInt64?) else { return Errno.EFAULT.negated }
            let fd = Int32(truncatingIfNeeded: v)
            let events = UInt32(UInt16(truncatingIfNeeded: v >> 32))
            var revents: UInt32 = 0
            if fd >= 0 {
                if let f = fget(UInt64(fd)) {
                    revents = vfs_poll(f) & (events | POLLERR | POLLHUP)
                    fput(f)
                } else {
                    revents = POLLNVAL
                }
            }
            if revents != 0 { ready += 1 }
            let out = (v & 0x0000_ffff_ffff_ffff) | UInt64(revents & 0xffff) << 48
            guard put_user(UInt64(out), ufds + UInt64(i * 8)) else { return Errno.EFAULT.negated }
        }
        if ready > 0 || timeoutZero { return ready }
        if signal_pending(current) { return Errno.ERESTARTNOHAND.negated }
        if !poll_schedule(seq, deadline) { return 0 }
    }
}

/// A relative timeout in ms (negative: forever) as a deadline.
func sys_poll(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let ms = Int32(truncatingIfNeeded: regs.arg2)
    let deadline: UInt64 = ms > 0 ? ktime_get_ns() + UInt64(ms) * 1_000_000 : 0
    return do_sys_poll(regs.arg0, regs.arg1 & 0xffff_ffff, deadline: deadline, timeoutZero: ms == 0)
}

/// Reads a struct timespec timeout: nil pointer = forever. -EINVAL/-EFAULT on error.
private func timeout_deadline(_ addr: UInt64, _ deadline: inout UInt64, _ zero: inout Bool) -> Int {
    if addr == 0 { return 0 }
    var ts = Timespec()
    guard copy_from_user(&ts, addr) else { return Errno.EFAULT.negated }
    guard ts.sec >= 0, ts.nsec >= 0, ts.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
    let ns = UInt64(ts.sec) &* 1_000_000_000 &+ UInt64(ts.nsec)
    if ns == 0 { zero = true } else { deadline = ktime_get_ns() &+ ns }
    return 0
}

/// The temporary signal mask of ppoll/pselect6: installed now, the old one
/// restored after the handler runs (or at once if none runs).
private func set_user_sigmask(_ addr: UInt64, _ size: UInt64) -> Int {
    if addr == 0 { return 0 }
    if size != 8 { return Errno.EINVAL.negated }
    guard let m = (get_user(addr) as UInt64?) else { return Errno.EFAULT.negated }
    let t = current
    t.savedSigmask = t.blocked
    var mask = SigSet(bits: m)
    mask.remove(SIGKILL); mask.remove(SIGSTOP)
    set_current_blocked(mask)
    return 0
}

private func restore_user_sigmask(_ r: Int) {
    // A handler about to run restores it from the frame; otherwise now.
    let t = current
    if let saved = t.savedSigmask, !(r == Errno.ERESTARTNOHAND.negated && signal_pending(t)) {
        t.savedSigmask = nil
        set_current_blocked(saved)
    }
}

func sys_ppoll(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var deadline: UInt64 = 0
    var zero = false
    var r = timeout_deadline(regs.arg2, &deadline, &zero)
    if r < 0 { return r }
    r = set_user_sigmask(regs.arg3, regs.arg4)
    if r < 0 { return r }
    r = do_sys_poll(regs.arg0, regs.arg1 & 0xffff_ffff, deadline: deadline, timeoutZero: zero)
    restore_user_sigmask(r)
    return r
}

/// core_sys_select(): three bitmaps of `n` descriptors.
private func do_select(_ n: Int, _ inp: UInt64, _ outp: UInt64, _ exp: UInt64, deadline: UInt64, zero: Bool) -> Int {
    if n < 0 { return Errno.EINVAL.negated }
    let nfds = min(n, 1024)
    let words = (nfds + 63) / 64
    var inBits = InlineArray<16, UInt64>(repeating: 0), outBits = InlineArray<16, UInt64>(repeating: 0)
    var exBits = InlineArray<16, UInt64>(repeating: 0)
    for w in 0..<words {
        if inp != 0 { guard let v = (get_user(inp + UInt64(w * 8)) as UInt64?) else { return Errno.EFAULT.negated }; inBits[w] = v }
        if outp != 0 { guard let v = (get_user(outp + UInt64(w * 8)) as UInt64?) else { return Errno.EFAULT.negated }; outBits[w] = v }
        if exp != 0 { guard let v = (get_user(exp + UInt64(w * 8)) as UInt64?) else { return Errno.EFAULT.negated }; exBits[w] = v }
    }
    while true {
        let seq = poll_seq.load(ordering: .acquiring)
        var rin = InlineArray<16, UInt64>(repeating: 0), rout = InlineArray<16, UInt64>(repeating: 0)
        var ready = 0
        for fd in 0..<nfds {
            let bit: UInt64 = 1 << UInt64(fd % 64)
            let w = fd / 64
            let wantIn = inBits[w] & bit != 0, wantOut = outBits[w] & bit != 0, wantEx = exBits[w] & bit != 0
            guard wantIn || wantOut || wantEx else { continue }
            guard let f = fget(UInt64(fd)) else { return Errno.EBADF.negated }
            let mask = vfs_poll(f)
            fput(f)
            if wantIn && mask & (POLLIN | POLLRDNORM | POLLHUP | POLLERR) != 0 { rin[w] |= bit; ready += 1 }
            if wantOut && mask & (POLLOUT | POLLWRNORM | POLLERR) != 0 { rout[w] |= bit; ready += 1 }
        }
        if ready > 0 || zero {
            for w in 0..<words {
                if inp != 0 && !put_user(UInt64(rin[w]), inp + UInt64(w * 8)) { return Errno.EFAULT.negated }
                if outp != 0 && !put_user(UInt64(rout[w]), outp + UInt64(w * 8)) { return Errno.EFAULT.negated }
                if exp != 0 && !put_user(UInt64(0), exp + UInt64(w * 8)) { return Errno.EFAULT.negated }
            }
            return ready
        }
        if signal_pending(current) { return Errno.ERESTARTNOHAND.negated }
        if !poll_schedule(seq, deadline) { zeroSelect(words, inp, outp, exp); return 0 }
    }
}

private func zeroSelect(_ words: Int, _ a: UInt64, _ b: UInt64, _ c: UInt64) {
    for w in 0..<words {
        if a != 0 { _ = put_user(UInt64(0), a + UInt64(w * 8)) }
        if b != 0 { _ = put_user(UInt64(0), b + UInt64(w * 8)) }
        if c != 0 { _ = put_user(UInt64(0), c + UInt64(w * 8)) }
    }
}

func sys_select(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var deadline: UInt64 = 0
    var zero = false
    if regs.arg4 != 0 {
        guard let sec = (get_user(regs.arg4) as UInt64?), let usec = (get_user(regs.arg4 + 8) as UInt64?) else { return Errno.EFAULT.negated }
        let s = Int64(bitPattern: sec), u = Int64(bitPattern: usec)
        guard s >= 0, u >= 0 else { return Errno.EINVAL.negated }
        let ns = UInt64(s) &* 1_000_000_000 &+ UInt64(u) &* 1000
        if ns == 0 { zero = true } else { deadline = ktime_get_ns() &+ ns }
    }
    return do_select(Int(Int32(truncatingIfNeeded: regs.arg0)), regs.arg1, regs.arg2, regs.arg3, deadline: deadline, zero: zero)
}

func sys_pselect6(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var deadline: UInt64 = 0
    var zero = false
    var r = timeout_deadline(regs.arg4, &deadline, &zero)
    if r < 0 { return r }
    if regs.arg5 != 0 {
        guard let maskp = (get_user(regs.arg5) as UInt64?), let size = (get_user(regs.arg5 + 8) as UInt64?) else { return Errno.EFAULT.negated }
        r = set_user_sigmask(maskp, size)
        if r < 0 { return r }
    }
    r = do_select(Int(Int32(truncatingIfNeeded: regs.arg0)), regs.arg1, regs.arg2, regs.arg3, deadline: deadline, zero: zero)
    restore_user_sigmask(r)
    return r
}
