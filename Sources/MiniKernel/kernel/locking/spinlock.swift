// Spinlocks. Linux: kernel/locking/spinlock.c, include/linux/spinlock.h.
//
// A test-and-test-and-set lock on one atomic word. `lockIrqSave` also turns
// interrupts off on this CPU, for locks that an interrupt handler may take:
// without it, a handler that spins on a lock its own CPU holds never returns.
//
// A spinner also answers TLB-flush requests (flush_tlb_poll): a CPU waiting
// for a lock with interrupts off must not hold up a flusher that holds it.
// With `lockcheck` on the command line every acquisition goes through the
// lock-order checker (lockdep.swift), which knows a lock by its name.

import CShim
import Synchronization

struct SpinLock: ~Copyable {
    private let word = Atomic<UInt32>(0)
    /// The lock's name, for the lock-order checker and for panics.
    let name: StaticString

    init(name: StaticString) { self.name = name }

    func lock() {
        if lockcheck_enabled { lock_acquire(name) }
        while true {
            if word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged { return }
            while word.load(ordering: .relaxed) != 0 {
                flush_tlb_poll()
                cpu_relax()
            }
        }
    }

    func tryLock() -> Bool {
        let ok = word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
        // A trylock cannot deadlock, so it records no order; it is held, though.
        if ok && lockcheck_enabled { lock_acquire(name, trylock: true) }
        return ok
    }

    /// A trylock the lock-order checker does not see: only for the console's last
    /// words, which may be the checker's own report.
    func tryLockUnchecked() -> Bool {
        word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
    }

    func unlock() {
        if lockcheck_enabled { lock_release(name) }
        word.store(0, ordering: .releasing)
    }

    var isLocked: Bool { word.load(ordering: .relaxed) != 0 }

    func lockIrqSave() -> IrqFlags {
        let flags = local_irq_save()
        lock()
        return flags
    }

    func unlockIrqRestore(_ flags: IrqFlags) {
        unlock()
        local_irq_restore(flags)
    }

    /// Runs `body` with the lock held and interrupts off.
    func withLock<R>(_ body: () -> R) -> R {
        let flags = lockIrqSave()
        let r = body()
        unlockIrqRestore(flags)
        return r
    }
}

/// The interrupt flag as it was before local_irq_save().
struct IrqFlags {
    let enabled: Bool
}

@inline(__always)
func local_irq_save() -> IrqFlags {
    let enabled = (read_rflags() & (1 << 9)) != 0
    local_irq_disable()
    return IrqFlags(enabled: enabled)
}

@inline(__always)
func local_irq_restore(_ f: IrqFlags) {
    if f.enabled { local_irq_enable() }
}

@inline(__always)
func irqs_disabled() -> Bool { (read_rflags() & (1 << 9)) == 0 }
