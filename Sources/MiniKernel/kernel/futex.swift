// Fast user-space mutexes: FUTEX_WAIT and FUTEX_WAKE. Linux: kernel/futex/.
//
// A waiter sleeps on a key naming the futex word: (mm, address) for a
// private mapping, the physical page and offset for a shared one — so that
// processes sharing a MAP_SHARED page meet on it, as Linux's get_futex_key
// arranges. The value check and the enqueue happen under the bucket lock,
// and a waker takes the same lock, so a wake-up between them is not lost.
// clear_child_tid's wake at thread exit (mm_release) comes through here.

import CShim

let FUTEX_WAIT: UInt64 = 0, FUTEX_WAKE: UInt64 = 1
let FUTEX_WAIT_BITSET: UInt64 = 9, FUTEX_WAKE_BITSET: UInt64 = 10
let FUTEX_PRIVATE_FLAG: UInt64 = 128, FUTEX_CLOCK_REALTIME: UInt64 = 256
let ETIMEDOUT = 110

struct FutexKey: Equatable {
    var word: UInt64      // mm identity (private) or physical page (shared)
    var offset: UInt64    // user address (private) or offset in the page
    /// A shared operation on private memory: Linux marks its key
    /// FUT_OFF_MMSHARED, so it never meets a FUTEX_PRIVATE_FLAG waiter.
    var mmShared = false
}

final class FutexWaiter {
    let key: FutexKey
    unowned(unsafe) let task: Task
    var next: FutexWaiter? = nil
    var woken = false
    init(key: FutexKey, task: Task) { self.key = key; self.task = task }
}

/// One list of waiters, under one lock (a single hash bucket is plenty here).
private var futexWaiters: FutexWaiter? = nil
let futexLock = SpinLock(name: "futex_hash_bucket")

/// get_futex_key()'s first check, as in Linux: a word that is not u32-aligned is
/// -EINVAL, before the address is even looked at (then -EFAULT for a bad one).
private func futex_key_misaligned(_ uaddr: UInt64) -> Bool { uaddr % 4 != 0 }

/// get_futex_key(): nil for an address outside every mapping.
private func get_futex_key(_ uaddr: UInt64, private isPrivate: Bool) -> FutexKey? {
    guard !futex_key_misaligned(uaddr) else { return nil }
    guard let mm = current.mm, let vma = find_vma(mm, uaddr), vma.start <= uaddr else { return nil }
    if isPrivate || !vma.isShared {
        return FutexKey(word: UInt64(UInt(bitPattern: Unmanaged.passUnretained(mm).toOpaque())), offset: uaddr,
                        mmShared: !isPrivate)
    }
    // Shared anonymous memory is populated at mmap(), so the frame exists.
    guard let frame = follow_page_frame(mm, uaddr) else { return nil }
    return FutexKey(word: frame.value, offset: uaddr & (PAGE_SIZE - 1))
}

/// futex_wait(): sleep while *uaddr == val, until woken, timed out or signalled.
private func futex_wait(_ uaddr: UInt64, _ val: UInt32, isPrivate: Bool, timeout: UInt64?) -> Int {
    if futex_key_misaligned(uaddr) { return Errno.EINVAL.negated }
    guard let key = get_futex_key(uaddr, private: isPrivate) else { return Errno.EFAULT.negated }
    let me = current
    let w = FutexWaiter(key: key, task: me)
    defer { kfree_object(w) }
    var flags = futexLock.lockIrqSave()
    guard let cur: UInt32 = get_user(uaddr) else {
        futexLock.unlockIrqRestore(flags)
        return Errno.EFAULT.negated
    }
    if cur != val {
        futexLock.unlockIrqRestore(flags)
        return Errno.EAGAIN.negated
    }
    w.next = futexWaiters
    futexWaiters = w
    futexLock.unlockIrqRestore(flags)

    var result = 0
    let deadline = timeout.map { ktime_get_ns() &+ $0 }
    while true {
        flags = futexLock.lockIrqSave()
        if w.woken { futexLock.unlockIrqRestore(flags); break }
        set_current_state(.interruptible)
        futexLock.unlockIrqRestore(flags)
        if signal_pending(me) { set_current_state(.running); result = Errno.ERESTARTSYS.negated; break }
        if let d = deadline {
            if ktime_get_ns() >= d { set_current_state(.running); result = -ETIMEDOUT; break }
            _ = schedule_hrtimeout(until: d)
        } else {
            schedule()
        }
        set_current_state(.running)
    }
    // Leave the queue if still on it.
    flags = futexLock.lockIrqSave()
    if !w.woken {
        if futexWaiters === w { futexWaiters = w.next } else {
            var p = futexWaiters
            while let c = p { if c.next === w { c.next = w.next; break }; p = c.next }
        }
    } else if result != 0 {
        result = 0          // woken after all: the wake-up wins
    }
    futexLock.unlockIrqRestore(flags)
    return result
}

/// futex_wake(): wake up to `n` waiters on the word; returns how many.
func futex_wake(_ uaddr: UInt64, _ n: Int, isPrivate: Bool) -> Int {
    if futex_key_misaligned(uaddr) { return Errno.EINVAL.negated }
    guard let key = get_futex_key(uaddr, private: isPrivate) else { return Errno.EFAULT.negated }
    var woken = 0
    let flags = futexLock.lockIrqSave()
    var prev: FutexWaiter? = nil
    var p = futexWaiters
    while let c = p, woken < n {
        p = c.next
        if c.key == key {
            if let pr = prev { pr.next = c.next } else { futexWaiters = c.next }
            c.woken = true
            wake_up_process(c.task)
            woken += 1
        } else {
            prev = c
        }
    }
    futexLock.unlockIrqRestore(flags)
    return woken
}

/// The wake at thread exit for CLONE_CHILD_CLEARTID: a shared wake, as in
/// Linux — which is why joiners wait without FUTEX_PRIVATE_FLAG.
func futex_wake_hook(_ uaddr: UInt64) { _ = futex_wake(uaddr, 1, isPrivate: false) }

/// futex(uaddr, op, val, timeout, uaddr2, val3).
func sys_futex(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let uaddr = regs.arg0, op = regs.arg1 & 0xffff_ffff
    let val = UInt32(truncatingIfNeeded: regs.arg2)
    let isPrivate = op & FUTEX_PRIVATE_FLAG != 0
    let cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    switch cmd {
    case FUTEX_WAIT, FUTEX_WAIT_BITSET:
        var timeout: UInt64? = nil
        if regs.arg3 != 0 {
            var ts = Timespec()
            guard copy_from_user(&ts, regs.arg3) else {
                return Errno.EFAULT.negated
            }
            guard ts.sec >= 0, ts.nsec >= 0, ts.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
            let ns = UInt64(ts.sec) &* 1_000_000_000 &+ UInt64(ts.nsec)
            if cmd == FUTEX_WAIT_BITSET {
                // An absolute time on CLOCK_MONOTONIC (our clocks share one origin).
                let now = ktime_get_ns()
                timeout = ns > now ? ns - now : 0
            } else {
                timeout = ns
            }
        }
        return futex_wait(uaddr, val, isPrivate: isPrivate, timeout: timeout)
    case FUTEX_WAKE, FUTEX_WAKE_BITSET:
        return futex_wake(uaddr, Int(min(val, UInt32(Int32.max))), isPrivate: isPrivate)
    default:
        return Errno.ENOSYS.negated
    }
}
