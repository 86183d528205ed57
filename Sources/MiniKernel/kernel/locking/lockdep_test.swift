// Self-tests: the lock-order checker catches an inversion, and only that.

import CShim

/// Runs `body` with the checker on and reporting (not panicking), then
/// forgets what the test's lock classes taught it.
private func with_lockcheck_reporting(_ body: () -> Void) {
    let wasEnabled = lockcheck_enabled, wasPanicking = lockdep_panics
    lockcheck_enabled = true
    lockdep_panics = false
    lockdep_last_inversion = nil
    body()
    lockdep_forget("ktest_lock_a")
    lockdep_forget("ktest_lock_b")
    lockdep_forget("ktest_lock_c")
    lockcheck_enabled = wasEnabled
    lockdep_panics = wasPanicking
}

private func names(_ found: (StaticString, StaticString)?) -> (ByteString, ByteString)? {
    guard let (a, b) = found else { return nil }
    return (ByteString(a.utf8Start, count: a.utf8CodeUnitCount), ByteString(b.utf8Start, count: b.utf8CodeUnitCount))
}

let lockdep_suite = KUnitSuite(name: "lockdep", cases: [
    KUnitCase(name: "deliberate_inversion_is_caught") { t in
        let a = SpinLock(name: "ktest_lock_a")
        let b = SpinLock(name: "ktest_lock_b")
        var found: (ByteString, ByteString)? = nil
        with_lockcheck_reporting {
            let depth = lockdep_depth()
            a.lock(); b.lock(); b.unlock(); a.unlock()       // learns a → b
            b.lock(); a.lock(); a.unlock(); b.unlock()       // b → a: the inversion
            found = names(lockdep_last_inversion)
            t.expectEqual(lockdep_depth(), depth, "every lock released")
        }
        t.expect(found != nil, "the inversion was reported")
        if let (holding, taking) = found {
            t.expect(holding.equals("ktest_lock_b") && taking.equals("ktest_lock_a"),
                     "it names the lock held (b) and the one being taken (a)")
        }
    },
    KUnitCase(name: "consistent_order_is_quiet") { t in
        let a = SpinLock(name: "ktest_lock_a")
        let b = SpinLock(name: "ktest_lock_b")
        let c = SpinLock(name: "ktest_lock_c")
        var found = true
        with_lockcheck_reporting {
            for _ in 0..<3 {
                a.lock(); b.lock(); c.lock(); c.unlock(); b.unlock(); a.unlock()
                a.lock(); c.lock(); c.unlock(); a.unlock()
                b.lock(); b.unlock()
            }
            // Released out of order is still fine.
            a.lock(); b.lock(); a.unlock(); b.unlock()
            found = lockdep_last_inversion != nil
        }
        t.expect(!found, "a → b → c, a → c and b alone never conflict")
    },
    KUnitCase(name: "trylock_teaches_nothing_blocking_does") { t in
        let a = SpinLock(name: "ktest_lock_a")
        let b = SpinLock(name: "ktest_lock_b")
        var found = false
        with_lockcheck_reporting {
            a.lock(); b.lock(); b.unlock(); a.unlock()
            // A trylock cannot deadlock, so it teaches nothing.
            b.lock(); if a.tryLock() { a.unlock() }; b.unlock()
            t.expect(lockdep_last_inversion == nil, "a trylock in the other order is allowed")
            b.lock(); a.lock(); a.unlock(); b.unlock()
            found = lockdep_last_inversion != nil
        }
        t.expect(found, "the blocking acquisition in the other order is caught")
    },
    KUnitCase(name: "same_class_nesting_is_the_callers_rule") { t in
        let x = SpinLock(name: "ktest_lock_c")
        let y = SpinLock(name: "ktest_lock_c")
        var found = true
        with_lockcheck_reporting {
            x.lock(); y.lock(); y.unlock(); x.unlock()
            y.lock(); x.lock(); x.unlock(); y.unlock()
            found = lockdep_last_inversion != nil
        }
        t.expect(!found, "two locks of one class (two run queues) are ordered by their users")
    },
])
