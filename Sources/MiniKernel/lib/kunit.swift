// In-kernel self-tests, reported as KTAP version 1 the way Linux's KUnit
// prints them (lib/kunit/test.c), so that tools/testing/kunit/kunit_parser.py
// and our host harness read them alike:
//
//     KTAP version 1
//     1..2
//         KTAP version 1
//         # Subtest: page_alloc
//         1..3
//         ok 1 alloc_free_roundtrip
//         ...
//     # page_alloc: pass:3 fail:0 skip:0 total:3
//     ok 1 page_alloc
//
// Tests run in the booting kernel's own context (before init exists), one
// after the other; a failed expectation prints a diagnostic and marks the
// case failed, and the run goes on.

import CShim
/// One test case's verdict-in-progress.
struct KUnitTest {
    var failures = 0
    var skipReason: StaticString? = nil

    /// KUNIT_EXPECT_TRUE.
    mutating func expect(_ cond: Bool, _ what: @autoclosure () -> KLine, file: StaticString = #fileID, line: UInt = #line) {
        if cond { return }
        failures += 1
        printk_always("        # EXPECTATION FAILED at \(file):\(line)")
        printk_always("        # \(what().buf)")
    }

    /// KUNIT_EXPECT_EQ, printing both sides.
    mutating func expectEqual<I: BinaryInteger>(_ a: I, _ b: I, _ what: StaticString = "", file: StaticString = #fileID, line: UInt = #line) {
        if a == b { return }
        failures += 1
        printk_always("        # EXPECTATION FAILED at \(file):\(line)")
        printk_always("        # Expected \(what) == \(b), but got \(a)")
    }

    mutating func skip(_ why: StaticString) { skipReason = why }
}

struct KUnitCase {
    let name: StaticString
    let run: (inout KUnitTest) -> Void
}

struct KUnitSuite {
    let name: StaticString
    let cases: [KUnitCase]
}

/// Every suite, in the order they run. Each subsystem's tests live beside it
/// in a *_test.swift file; add the suite here.
func kunit_all_suites() -> [KUnitSuite] {
    [bytestring_suite, printk_suite, params_suite, cpio_suite,
     page_alloc_suite, slab_suite, pgtable_suite,
     mm_mmap_suite, mm_fork_suite, mm_usercopy_suite, mm_exec_suite, mm_user_faults_suite,
     pid_suite, task_memory_suite, lockdep_suite]
}

/// Runs the suites whose name starts with `filter` (all when empty).
/// Returns true when nothing failed.
func kunit_run_all(filter: ByteString) -> Bool {
    var suites = kunit_all_suites()
    if !filter.isEmpty {
        suites = suites.filter { s in
            var match = true
            s.name.withUTF8Buffer { n in
                if n.count < filter.count { match = false; return }
                for i in 0..<filter.count where n[i] != filter[i] { match = false }
            }
            return match
        }
    }
    printk_always("KTAP version 1")
    printk_always("1..\(suites.count)")
    var pass = 0, fail = 0, skip = 0
    for (si, suite) in suites.enumerated() {
        printk_always("    KTAP version 1")
        printk_always("    # Subtest: \(suite.name)")
        printk_always("    1..\(suite.cases.count)")
        var sp = 0, sf = 0, ss = 0
        for (ci, c) in suite.cases.enumerated() {
            var t = KUnitTest()
            c.run(&t)
            if let why = t.skipReason {
                printk_always("    ok \(ci + 1) \(c.name) # SKIP \(why)")
                ss += 1
            } else if t.failures == 0 {
                printk_always("    ok \(ci + 1) \(c.name)")
                sp += 1
            } else {
                printk_always("    not ok \(ci + 1) \(c.name)")
                sf += 1
            }
        }
        printk_always("# \(suite.name): pass:\(sp) fail:\(sf) skip:\(ss) total:\(sp + sf + ss)")
        printk_always("\(sf == 0 ? "ok" : "not ok") \(si + 1) \(suite.name)")
        pass += sp; fail += sf; skip += ss
    }
    printk_always("# Totals: pass:\(pass) fail:\(fail) skip:\(skip) total:\(pass + fail + skip)")
    return fail == 0
}
