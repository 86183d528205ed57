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
            // One sleep, ended by the wake, a signal or the deadline, whichever
            // comes first (schedule_hrtimeout() would sleep on to the deadline).
            hrtimer_arm_current(d)
            schedule()
            hrtimer_arm_current(0)
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

// MARK: - Robust futexes
//
// A lock in user memory whose holder dies would stay locked for ever. A
// robust lock avoids that with a list the kernel can read: each thread
// registers a robust_list_head (set_robust_list) that links, in user memory,
// every robust lock it holds; a lock word carries its owner's tid. When the
// thread exits or execs, exit_robust_list() walks that list and, for each
// word that still names the dying thread, sets FUTEX_OWNER_DIED (keeping
// FUTEX_WAITERS) and wakes one waiter, which then takes the lock and learns
// that its last owner died (glibc: EOWNERDEAD).
//
//   struct robust_list_head {        the head, in user memory
//       struct robust_list *next;    circular: the last entry points back here
//       long futex_offset;           from an entry to its lock word
//       struct robust_list *list_op_pending;   the lock being taken or released
//   };
//
// Everything in the list is the user's, so it is read with user copies and
// trusted for nothing: a fault ends the walk, and so does a loop (at most
// ROBUST_LIST_LIMIT entries). The entry in list_op_pending may be half in the
// list; it is handled once, last. Bit 0 of an entry pointer marks a PI futex:
// it gets FUTEX_OWNER_DIED but no wake here (Linux's PI state does that; we
// have no PI futexes).

let FUTEX_WAITERS: UInt32 = 0x8000_0000
let FUTEX_OWNER_DIED: UInt32 = 0x4000_0000
let FUTEX_TID_MASK: UInt32 = 0x3fff_ffff
/// sizeof(struct robust_list_head): set_robust_list accepts no other length.
let ROBUST_LIST_HEAD_SIZE: UInt64 = 24
let ROBUST_LIST_LIMIT = 2048

/// set_robust_list(head, len): only the address is kept; it is read when
/// the thread dies.
func sys_set_robust_list(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard regs.arg1 == ROBUST_LIST_HEAD_SIZE else { return Errno.EINVAL.negated }
    current.robustList = regs.arg0
    return 0
}

/// get_robust_list(pid, head_ptr, len_ptr): any thread's head (0: the
/// caller's). Every task is root here, so the ptrace access check passes.
func sys_get_robust_list(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    let head: UInt64
    if pid == 0 {
        head = current.robustList
    } else {
        guard let h = tasklistLock.withLock({ find_task_by_vpid(pid)?.robustList }) else {
            return Errno.ESRCH.negated
        }
        head = h
    }
    guard put_user(ROBUST_LIST_HEAD_SIZE, regs.arg2) else { return Errno.EFAULT.negated }
    return put_user(head, regs.arg1) ? 0 : Errno.EFAULT.negated
}

/// fetch_robust_entry(): an entry pointer from user memory, split into the
/// address and the PI bit; nil on a fault.
private func fetch_robust_entry(_ uaddr: UInt64) -> (entry: UInt64, pi: Bool)? {
    guard let v: UInt64 = get_user(uaddr) else { return nil }
    return (v & ~1, v & 1 != 0)
}

/// handle_futex_death(): the lock word at `uaddr`, if `tsk` owns it, gets
/// FUTEX_OWNER_DIED and one waiter is woken. An unowned pending word (the
/// thread died between releasing the lock and leaving list_op_pending)
/// wakes a waiter too, who might otherwise miss the release. False ends
/// the walk (a bad address). `released` counts the words marked.
private func handle_futex_death(_ uaddr: UInt64, _ tsk: Task, pi: Bool, pendingOp: Bool, _ released: inout Int) -> Bool {
    if futex_key_misaligned(uaddr) { return false }
    while true {
        guard let uval: UInt32 = get_user(uaddr) else { return false }
        let owner = uval & FUTEX_TID_MASK
        if pendingOp && !pi && owner == 0 {
            _ = futex_wake(uaddr, 1, isPrivate: false)
            return true
        }
        if owner != UInt32(bitPattern: tsk.pid) { return true }
        let mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED
        guard let found = futex_atomic_cmpxchg_inatomic(uaddr, uval, mval) else { return false }
        if found != uval { continue }                    // user space changed it: look again
        released += 1
        // The robust wake is a shared one: glibc waits on robust locks
        // without FUTEX_PRIVATE_FLAG for this reason.
        if !pi && uval & FUTEX_WAITERS != 0 { _ = futex_wake(uaddr, 1, isPrivate: false) }
        return true
    }
}

/// exit_robust_list(): release every robust lock `tsk` (current) still
/// holds. How many it released.
private func exit_robust_list(_ tsk: Task) -> Int {
    let head = tsk.robustList
    var released = 0
    guard var (entry, pi) = fetch_robust_entry(head),
          let futexOffset: Int64 = get_user(head + 8),
          let (pending, pendingPi) = fetch_robust_entry(head + 16) else { return 0 }
    var limit = ROBUST_LIST_LIMIT
    while entry != head {
        // Read the next link before the word is changed: once it is, another
        // thread may take the lock and reuse the entry.
        let next = fetch_robust_entry(entry)
        if entry != pending {
            if !handle_futex_death(entry &+ UInt64(bitPattern: futexOffset), tsk, pi: pi, pendingOp: false, &released) {
                return released
            }
        }
        guard let n = next else { return released }
        (entry, pi) = n
        limit -= 1
        if limit == 0 { break }
    }
    if pending != 0 {
        _ = handle_futex_death(pending &+ UInt64(bitPattern: futexOffset), tsk, pi: pendingPi, pendingOp: true, &released)
    }
    return released
}

/// futex_cleanup(): the dying (or exec'ing) thread's robust list, once.
/// (Linux's futex_exit_release() also moves futex_state through EXITING to
/// DEAD under futex_exit_mutex, for PI futexes that a waiter may be
/// attaching to this task; without PI futexes there is nothing to order.)
@discardableResult
private func futex_cleanup(_ tsk: Task) -> Int {
    guard tsk.robustList != 0 else { return 0 }
    let released = exit_robust_list(tsk)
    tsk.robustList = 0
    return released
}

/// futex_exit_release(): at exit, from exit_mm_release(), while the
/// memory the list lives in is still there. How many locks it released.
func futex_exit_release(_ tsk: Task) -> Int { futex_cleanup(tsk) }

/// futex_exec_release(): at exec, from exec_mm_release(): the locks the old
/// image held die with it, and the new image registers its own list.
func futex_exec_release(_ tsk: Task) { futex_cleanup(tsk) }
