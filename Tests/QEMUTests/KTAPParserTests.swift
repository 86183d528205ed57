import Testing

/// Unit tests of `KTAP.parse` on hand-written logs (no QEMU).
@Suite("KTAP parser")
struct KTAPParserTests {
    /// Prefixes every line like the kernel does (fixed-width dmesg + CPU).
    static func dmesg(_ ktap: String, cpu: Int = 0) -> String {
        var t = 0
        return ktap.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            t += 137
            let seconds = String(t / 1_000_000), micros = String(t % 1_000_000)
            let ts = String(repeating: " ", count: 5 - seconds.count) + seconds + "."
                + String(repeating: "0", count: 6 - micros.count) + micros
            return "[\(ts)][    C\(cpu)] \(line)"
        }.joined(separator: "\n")
    }

    static let good = """
        KTAP version 1
        1..3
            KTAP version 1
            # Subtest: memory
            1..3
            ok 1 alloc_free
            # split_page: EXPECTATION FAILED at Sources/MiniKernel/Memory.swift:42
            Expected freeCount == 3, but freeCount == 2
            not ok 2 split_page
            ok 3 huge_pages # SKIP needs 2 MiB pages
        ok 1 memory
            KTAP version 1
            # Subtest: sched
            1..1
                KTAP version 1
                # Subtest: rr
                1..2
                ok 1 - two_tasks
                ok 2 - three_tasks
            ok 1 rr
        ok 2 sched
        ok 3 lonely_case
        """

    @Test("well-formed nested KTAP behind the dmesg prefix, with a failure and a skip")
    func wellFormed() {
        let console = "SeaBIOS noise\n" + Self.dmesg("MiniKernel v0\n" + Self.good + "\nreboot: Power down") + "\n"
        let report = KTAP.parse(console)
        #expect(report.errors == [])
        #expect(report.results.map(\.name) == [
            "memory.alloc_free", "memory.split_page", "memory.huge_pages",
            "sched.rr.two_tasks", "sched.rr.three_tasks", "lonely_case",
        ])
        #expect(report.results.map(\.status) == [.pass, .fail, .skip, .pass, .pass, .pass])
        let failed = report.results[1]
        #expect(failed.diagnostics == [
            "# split_page: EXPECTATION FAILED at Sources/MiniKernel/Memory.swift:42",
            "Expected freeCount == 3, but freeCount == 2",
        ])
        #expect(failed.line == 11)   // console line of "not ok 2 split_page"
        #expect(report.results[2].skipReason == "needs 2 MiB pages")
        #expect(report.results[0].diagnostics == [])
        #expect(report.failures.map(\.name) == ["memory.split_page"])
        #expect(!report.passed)
    }

    @Test("TAP version 14 without any prefix")
    func tap14() {
        let report = KTAP.parse("TAP version 14\n1..2\nok 1 a\nnot ok 2 b\n")
        #expect(report.errors == [])
        #expect(report.results.map(\.name) == ["a", "b"])
        #expect(report.results.map(\.status) == [.pass, .fail])
    }

    @Test("a suite that says not ok although its cases passed still fails")
    func suiteLevelFailure() {
        let report = KTAP.parse("""
            KTAP version 1
            1..1
                # Subtest: s
                1..1
                ok 1 c
            # s: teardown leaked 3 pages
            not ok 1 s
            """)
        #expect(report.errors == [])
        #expect(report.results.map(\.name) == ["s.c", "s"])
        #expect(report.results.map(\.status) == [.pass, .fail])
        #expect(report.results[1].diagnostics.first == "# s: teardown leaked 3 pages")
    }

    @Test("a kernel panic mid-suite leaves the unfinished tests as failures")
    func panicMidSuite() {
        let console = Self.dmesg("""
            KTAP version 1
            1..2
                KTAP version 1
                # Subtest: mm
                1..2
                ok 1 alloc
            BUG: unable to handle page fault for address: 0000000000000008
            Kernel panic - not syncing: Fatal exception
            """)
        let report = KTAP.parse(console)
        #expect(report.results.map(\.name) == ["mm.alloc", "mm.<missing #2>", "<missing #2>"])
        #expect(report.results.map(\.status) == [.pass, .fail, .fail])
        // The oops text is what the reader needs: it is the missing test's diagnostics.
        #expect(report.results[1].diagnostics.contains { $0.contains("unable to handle page fault") })
        #expect(!report.errors.isEmpty)
    }

    @Test("no KTAP at all is an error")
    func nothing() {
        let report = KTAP.parse(Self.dmesg("MiniKernel v0\nreboot: Power down"))
        #expect(report.results.isEmpty)
        #expect(report.errors.count == 1)
        #expect(!report.passed)
    }

    @Test("malformed KTAP is reported", arguments: [
        ("missing top-level plan", "KTAP version 1\nok 1 a\n", "missing test plan"),
        ("missing suite plan", "KTAP version 1\n1..1\n    # Subtest: s\n    ok 1 c\nok 1 s\n", "missing test plan"),
        ("fewer tests than planned", "KTAP version 1\n1..3\nok 1 a\nok 2 b\n", "missing expected subtest 3 of 3"),
        ("fewer cases than planned", "KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 c\nok 1 s\n", "missing expected subtest 2 of 2"),
        ("more tests than planned", "KTAP version 1\n1..1\nok 1 a\nok 2 b\n", "more tests than the plan"),
        ("more cases than planned", "KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    ok 1 c\n    ok 2 d\nok 1 s\n", "missing result line"),
        ("wrong numbering", "KTAP version 1\n1..2\nok 1 a\nok 3 b\n", "expected test number 2 but found 3"),
        ("suite result never came", "KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    ok 1 c\n", "missing result line"),
        ("kernel died mid-suite", "KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 c\nKernel panic - not syncing: VFS: oops\nok 1 s\n", "missing expected subtest"),
        ("wrong KTAP version", "KTAP version 2\n1..1\nok 1 a\n", "KTAP version 2 is not 1"),
        ("empty suite", "KTAP version 1\n1..1\n    # Subtest: s\n    1..0\nok 1 s\n", "0 tests run"),
    ])
    func malformed(_ label: String, _ ktap: String, _ expectedError: String) {
        let report = KTAP.parse(Self.dmesg(ktap))
        #expect(report.errors.contains { $0.contains(expectedError) }, "\(label): errors were \(report.errors)")
        #expect(!report.passed)
    }
}
