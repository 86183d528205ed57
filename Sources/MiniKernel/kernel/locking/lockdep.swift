// A small lock-order checker, on with `lockcheck` on the command line.
// Linux: kernel/locking/lockdep.c (the idea, not the machinery).
//
// Locks are grouped into classes by name ("rq->lock" is one class however
// many run queues there are). Each CPU keeps the classes it holds, in order.
// Taking class B while holding class A records "A before B"; if "B before A"
// was ever recorded, the two orders can deadlock against each other on two
// CPUs, and we panic naming both, whether or not the deadlock happened this
// time. Taking a lock of a class already held (two run queues, locked in CPU
// order by double_rq_lock) records nothing: ordering within a class is the
// caller's rule, as with Linux's lockdep nesting annotations.
//
// The documented order of the exit path is
//     tasklist_lock → sighand->siglock → rq->lock
// and everything else hangs off it: the checker learns the rest at run time.
//
// An interrupt handler's locks are checked against each other only, not
// against the locks of the code it interrupted (lockdep_irq_enter): the
// interrupted code's locks that a handler could also take are all taken with
// interrupts off, so that nesting cannot happen.
//
// Simplifications: the order table is updated without a lock (a lost update
// only misses a report, it never invents one); at most 48 classes and 16
// locks held per CPU, beyond which checking stops with a warning.

import CShim
import Synchronization

var lockcheck_enabled = false
/// The ktest clears it to see an inversion reported instead of panicking.
var lockdep_panics = true
/// The last inversion found (class names), when lockdep_panics is off.
var lockdep_last_inversion: (StaticString, StaticString)? = nil

private let MAX_LOCK_CLASSES = 48
private let MAX_HELD = 16

private struct LockClasses {
    var key = InlineArray<48, UInt>(repeating: 0)
    var name = InlineArray<48, StaticString>(repeating: "")
    /// before[a] has bit b when class b was taken while class a was held.
    var before = InlineArray<48, UInt64>(repeating: 0)
    var count = 0
}
private var classes = LockClasses()
private let classRegistration = Atomic<Bool>(false)
private var lockdep_off_warned = false

private struct HeldLocks {
    var ids = InlineArray<16, UInt8>(repeating: 0)
    var count = 0
    /// Locks below this index belong to the code an interrupt interrupted.
    var floor = 0
}
private var held = InlineArray<8, HeldLocks>(repeating: HeldLocks())

private func class_id(_ name: StaticString) -> Int? {
    let key = UInt(bitPattern: name.utf8Start)
    for i in 0..<classes.count where classes.key[i] == key { return i }
    while !classRegistration.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { cpu_relax() }
    defer { classRegistration.store(false, ordering: .releasing) }
    for i in 0..<classes.count where classes.key[i] == key { return i }
    guard classes.count < MAX_LOCK_CLASSES else { return nil }
    let id = classes.count
    classes.key[id] = key
    classes.name[id] = name
    classes.count += 1
    return id
}

private func lockdep_off(_ why: StaticString) {
    if !lockdep_off_warned {
        lockdep_off_warned = true
        // Not last words: the machine runs on, and this may be inside the
        // console lock's own acquisition.
        let line: KLine = "lockcheck: \(why): checking turned off"
        printk_raw_prefixed(line.buf)
    }
    lockcheck_enabled = false
}

/// Called before spinning for a lock of class `name`.
func lock_acquire(_ name: StaticString, trylock: Bool = false) {
    guard let b = class_id(name) else { return lockdep_off("too many lock classes") }
    let cpu = Int(this_cpu_number())
    let h = held[cpu]
    guard h.count < MAX_HELD else { return lockdep_off("too many locks held") }
    if !trylock {
        let bBit: UInt64 = 1 << UInt64(b)
        for i in h.floor..<h.count {
            let a = Int(h.ids[i])
            if a == b { continue }
            if classes.before[b] & (1 << UInt64(a)) != 0 {
                report_inversion(holding: a, taking: b)
                if !lockdep_panics { return }
            }
            classes.before[a] |= bBit
        }
    }
    held[cpu].ids[h.count] = UInt8(b)
    held[cpu].count = h.count + 1
}

/// Called when a lock of class `name` is released (any order).
func lock_release(_ name: StaticString) {
    let key = UInt(bitPattern: name.utf8Start)
    let cpu = Int(this_cpu_number())
    var i = held[cpu].count - 1
    while i >= 0 {
        if classes.key[Int(held[cpu].ids[i])] == key {
            var j = i
            while j + 1 < held[cpu].count { held[cpu].ids[j] = held[cpu].ids[j + 1]; j += 1 }
            held[cpu].count -= 1
            return
        }
        i -= 1
    }
    // Not found: taken before checking began (or by a lock the checker gave up on).
}

private func report_inversion(holding a: Int, taking b: Int) {
    if !lockdep_panics {
        lockdep_last_inversion = (classes.name[a], classes.name[b])
        return
    }
    printk_unlocked("======================================================")
    printk_unlocked("WARNING: possible circular locking dependency detected")
    printk_unlocked("CPU\(this_cpu_number()) is trying to acquire \(classes.name[b]) while holding \(classes.name[a]);")
    printk_unlocked("earlier, \(classes.name[a]) was acquired while \(classes.name[b]) was held.")
    panic("lockcheck: lock order inversion: \(classes.name[a]) -> \(classes.name[b]) against \(classes.name[b]) -> \(classes.name[a])")
}

/// An interrupt handler starts: it is checked on its own.
@inline(__always)
func lockdep_irq_enter() -> Int {
    guard lockcheck_enabled else { return 0 }
    let cpu = Int(this_cpu_number())
    let saved = held[cpu].floor
    held[cpu].floor = held[cpu].count
    return saved
}

@inline(__always)
func lockdep_irq_exit(_ saved: Int) {
    guard lockcheck_enabled else { return }
    held[Int(this_cpu_number())].floor = saved
}

/// Forgets what the ktest's own classes taught the checker.
func lockdep_forget(_ name: StaticString) {
    guard let id = class_id(name) else { return }
    classes.before[id] = 0
    for i in 0..<classes.count { classes.before[i] &= ~(1 << UInt64(id)) }
}

/// lockdep_assert_held(): the precondition of a function that walks what
/// `lock` guards. Linux: include/linux/lockdep.h. Without `lockcheck` it can
/// only see that somebody holds the lock; with it, that this CPU holds a lock
/// of that class — which is the precondition, since no other CPU's hold
/// protects this walk.
func lockdep_assert_held(_ lock: borrowing SpinLock, _ caller: StaticString = #function) {
    BUG_ON(!lock.isLocked, "\(caller) needs \(lock.name) held")
    guard lockcheck_enabled, let id = class_id(lock.name) else { return }
    let h = held[Int(this_cpu_number())]
    for i in 0..<h.count where Int(h.ids[i]) == id { return }
    panic("lockcheck: \(caller) needs \(lock.name) held by this CPU")
}

/// Locks held on this CPU (the ktest checks that it returns to zero).
func lockdep_depth() -> Int { held[Int(this_cpu_number())].count }

/// debug_check_no_locks_held(): a task about to die holds no lock (with
/// `lockcheck`; kernel code is not preempted, so this CPU's locks are its).
func debug_check_no_locks_held() {
    guard lockcheck_enabled else { return }
    let n = lockdep_depth()
    if n != 0 { BUG("do_exit: task died holding \(n) lock(s)") }
}
