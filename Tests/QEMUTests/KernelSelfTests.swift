import Testing

/// The kernel's own self-tests (`ktest` on the command line), reported in
/// KTAP and surfaced here as one Swift test result per kernel test.
///
/// The kernel is booted once per CPU count and the result shared: the names
/// of the kernel tests must be known when Swift Testing plans the run (they
/// are the arguments of the parameterized tests), and every case then reads
/// its verdict from the same boot.
enum KTestBoot {
    struct Run: Sendable {
        /// nil when the build or the QEMU launch failed (see `setupError`).
        var boot: BootResult?
        var setupError: String?
        var report: KTAPReport
        /// Distinct kernel test names (`suite.case`) in output order.
        var names: [String] {
            var seen = Set<String>()
            return report.results.map(\.name).filter { seen.insert($0).inserted }
        }
    }

    static let smp1 = Task { await run(smp: 1) }
    static let smp4 = Task { await run(smp: 4) }

    static func run(smp: Int) async -> Run {
        do {
            let boot = try await QEMU.boot(append: "console=ttyS0 quiet ktest", smp: smp)
            return Run(boot: boot, setupError: nil, report: KTAP.parse(boot.console))
        } catch {
            return Run(boot: nil, setupError: "\(error)", report: KTAPReport(results: [], errors: []))
        }
    }

    static func cached(smp: Int) async -> Run { await (smp == 1 ? smp1 : smp4).value }

    /// The parameterized tests' arguments. Empty when the boot failed; the
    /// "well-formed" test then reports why.
    static func names(smp: Int) async -> [String] { await cached(smp: smp).names }
}

@Suite("Kernel self-tests (ktest)")
struct KernelSelfTests {
    @Test("ktest, 1 CPU", arguments: await KTestBoot.names(smp: 1))
    func kernelTest(_ name: String) async throws {
        try await verdict(of: name, smp: 1)
    }

    @Test("ktest, 4 CPUs", arguments: await KTestBoot.names(smp: 4))
    func kernelTestSMP4(_ name: String) async throws {
        try await verdict(of: name, smp: 4)
    }

    /// The run as a whole: KTAP parsed without errors, at least one test,
    /// and the exit status agrees with the verdicts (1 all passed, 251 not).
    @Test("ktest output is well-formed and the exit status matches", arguments: [1, 4])
    func wellFormed(smp: Int) async throws {
        let run = await KTestBoot.cached(smp: smp)
        guard let boot = run.boot else {
            Issue.record(Comment(rawValue: run.setupError ?? "no boot"))
            return
        }
        expect(boot, run.report.errors.isEmpty, "KTAP parse errors:\n" + run.report.errors.joined(separator: "\n"))
        expect(boot, !run.report.results.isEmpty, "no kernel test ran")
        let expected: BootOutcome = run.report.failures.isEmpty ? .poweroff : .ktestFailed
        expect(boot, boot.outcome == expected,
               "expected \(expected) (\(run.report.failures.count) kernel tests failed), got \(boot.outcome)")
    }

    private func verdict(of name: String, smp: Int) async throws {
        let run = await KTestBoot.cached(smp: smp)
        guard let boot = run.boot else {
            Issue.record(Comment(rawValue: run.setupError ?? "no boot"))
            return
        }
        for result in run.report.results where result.name == name {
            switch result.status {
            case .pass:
                break
            case .fail:
                Issue.record(Comment(rawValue: "kernel test \(name) failed (console line \(result.line)):\n"
                    + result.diagnostics.map { "    " + $0 }.joined(separator: "\n") + "\n\(boot)"))
            case .skip:
                #if compiler(>=6.3)
                try Test.cancel(Comment(rawValue: "SKIP \(result.skipReason ?? "")"))
                #endif
            }
        }
    }
}
