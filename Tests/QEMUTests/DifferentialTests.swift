import Foundation
import Testing

/// Every scenario in `Userland/scenarios/` must behave exactly as on Linux.
///
/// The host runs real Linux, so it is the oracle: each scenario runs natively and
/// as `/init` under MiniKernel, and the two outputs must be byte-identical. Both
/// worlds must also agree that the program succeeded: every scenario exits 0 by
/// design (see Userland/README.md), so init's exit status under MiniKernel is 0
/// and QEMU ends with a clean power-off (status 1).
///
/// Each scenario runs on 1, 2 and 4 CPUs: the process lifecycle (fork, exit, wait,
/// reparenting) has races that only show with real parallelism.
@Suite("Differential: Linux vs MiniKernel")
struct DifferentialTests {
    /// One test case: a scenario on some number of CPUs.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var smp: Int
        var testDescription: String { "\(name), -smp \(smp)" }
    }

    /// Files that are not programs, next to `/init` as they are next to the scenario
    /// binaries natively (build/userland): a scenario finds them at dirname(argv[0]).
    /// `exec_errors` execs them for ENOEXEC. See Userland/Makefile.inc (USERLAND_DATA).
    static var dataFiles: [(dest: String, src: String)] {
        ["notelf.txt", "badelf.bin"].map { (dest: "/" + $0, src: Repo.userland($0).path) }
    }

    /// Scenarios are read from the sources, so the cases are known before the build.
    static let cases = userlandScenarios().flatMap { name in [1, 2, 4].map { Case(name: name, smp: $0) } }

    @Test("same output and exit status as Linux", arguments: cases)
    func matchesLinux(_ scenario: Case) async throws {
        let native = try await NativeRuns.shared.run(scenario.name)
        // fork_loop and leak_rounds take a few seconds under TCG; 60 s is ample.
        let run = try await bootProgram(scenario.name, extraFiles: Self.dataFiles, smp: scenario.smp, timeout: 60)

        // One issue per case, listing every problem and then the boot's context
        // once, so a failure reads as one story instead of four console dumps.
        var problems: [String] = []
        if native.status != 0 {
            problems.append("natively (the oracle), \(scenario.name) \(WaitStatus.describe(native.status));"
                + " every scenario must exit 0. Its output:\n\(native.output)")
        }
        if let diff = TextDiff.unified(native.output, run.output) {
            problems.append("output differs from Linux's; \(diff)")
        }
        if run.status != 0 {
            problems.append("init should exit 0, got "
                + (run.status.map { "wait status 0x\(String($0, radix: 16)) (\(WaitStatus.describe($0)))" }
                   ?? "no `Attempted to kill init! exitcode=...` line"))
        }
        if run.boot.outcome != .poweroff {
            problems.append("QEMU should end with \(BootOutcome.poweroff), got \(run.boot.outcome)")
        }
        if !problems.isEmpty {
            Issue.record(Comment(rawValue: problems.joined(separator: "\n") + "\n\(run.boot)"))
        }
    }
}

/// Native runs, one per scenario per test process: the oracle does not depend on
/// the CPU count, and running it again for every case would only add time.
actor NativeRuns {
    static let shared = NativeRuns()
    typealias Run = (output: String, status: Int32)
    private var runs: [String: Task<Run, Error>] = [:]

    /// The first caller starts the run; later callers await the same task.
    func run(_ name: String) async throws -> Run {
        if let task = runs[name] { return try await task.value }
        let task = Task { try await runNative(name) }
        runs[name] = task
        return try await task.value
    }
}

/// `TextDiff` on hand-written outputs (no QEMU), so its format is pinned down.
@Suite("Differential diff format")
struct TextDiffTests {
    @Test("equal texts give no diff")
    func equal() {
        #expect(TextDiff.unified("a\nb\n", "a\nb\n") == nil)
    }

    @Test("a changed line: numbered, with context, in one hunk")
    func changedLine() {
        let old = (1...10).map { "line \($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "line 6\n", with: "line six\n")
        #expect(TextDiff.unified(old, new) == """
            first difference at line 6:
            --- Linux
            +++ MiniKernel
            @@ -3,7 +3,7 @@
             line 3
             line 4
             line 5
            -line 6
            +line six
             line 7
             line 8
             line 9
            """)
    }

    @Test("missing tail and missing final newline are shown")
    func truncated() {
        #expect(TextDiff.unified("a\nb\nDONE\n", "a\nb") == """
            first difference at line 3:
            --- Linux
            +++ MiniKernel
            @@ -1,3 +1,2 @@
             a
             b
            -DONE
            \\ No newline at end of MiniKernel's output
            """)
        #expect(TextDiff.unified("a\n", "a")?.hasPrefix("the lines are equal; only the final newline differs") == true)
    }

    @Test("long diffs are cut")
    func long() {
        let diff = TextDiff.unified("", (1...200).map { "x\($0)\n" }.joined(), maxLines: 10) ?? ""
        #expect(diff.hasSuffix("... (191 more diff lines)"))
    }
}
