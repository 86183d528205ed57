import Foundation
import Testing

/// How pid 1 starts and ends, as on Linux: the demo init tells its story and
/// exits 0 (Linux's "Attempted to kill init!" line, clean power-off); an init
/// that cannot be run is a kernel panic with Linux's message.
@Suite("Init: start and end of pid 1")
struct InitTests {
    /// Linux's line when pid 1 exits with status 0 (wait-status encoding).
    static let initExitLine = "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000"

    @Test("demo_init tells its whole story and exits 0", arguments: [1, 4])
    func demoStory(smp: Int) async throws {
        let run = try await DemoBoot.run(smp: smp)
        let output = run.output
        var problems: [String] = []
        func require(_ fact: String, _ holds: Bool) { if !holds { problems.append(fact) } }

        // What Userland/demo_init.c prints, minus pids where they are not pid 1.
        require("it says it is pid 1", output.hasPrefix("demo_init: I am pid 1 on "))
        require("all five children say their parent is pid 1",
                output.components(separatedBy: ": hello, my parent is pid 1\n").count - 1 == 5)
        for fact in [
            "(the optimist) exited with status 0 (wait status 0x0000)\n",
            "(the complainer) exited with status 1 (wait status 0x0100)\n",
            "(the overachiever) exited with status 44 (wait status 0x2c00)\n",
            "(the crasher) was killed by signal 11 (SIGSEGV) (wait status 0x000b)\n",
            "(the gate keeper) exited with status 94 (wait status 0x5e00)\n",
            "demo_init: anyone left? wait4 says ECHILD\n",
        ] {
            require("the output contains \"\(fact.dropLast())\"", output.contains(fact))
        }
        // The four acts, each announced by its caption, in order.
        let captions = [
            "=== Act 1: five children live and die; init reaps each with wait4\n",
            "=== Act 2: a thread group ends with exit_group(3): every thread dies, init hears once\n",
            "=== Act 3: a subreaper adopts the orphans its dead child leaves behind\n",
            "=== Act 4: a zombie: dead, but kept until its parent's wait4 collects the status\n",
        ]
        let at = captions.map { output.range(of: $0)?.lowerBound }
        require("each act's caption appears once: \(captions.map { $0.dropLast() })",
                at.allSatisfy { $0 != nil } && captions.allSatisfy { output.components(separatedBy: $0).count == 2 })
        require("the captions come in order", zip(at, at.dropFirst()).allSatisfy { a, b in
            guard let a, let b else { return false }
            return a < b
        })
        for fact in [
            "exited with status 3 (wait status 0x0300), threads and all\n",
            "none of the orphans came to init\n",
            "but is a zombie: kill(pid, 0) = 0\n",
            "demo_init: wait4 reaped the zombie, status 7; now kill(pid, 0) = ESRCH\n",
        ] {
            require("the output contains \"\(fact.dropLast())\"", output.contains(fact))
        }
        require("the subreaper adopts and reaps two orphans",
                output.components(separatedBy: "subreaper: adopted and reaped pid ").count - 1 == 2)
        require("no sleeping thread outlives exit_group", !output.contains("should never be printed"))
        require("the output ends with the goodbye line",
                output.hasSuffix("demo_init: all children reaped, exiting with 0. Goodbye!\n"))
        require("init exits 0 (got \(run.status.map { WaitStatus.describe($0) } ?? "no init exit line"))", run.status == 0)
        require("QEMU powers off cleanly (got \(run.boot.outcome))", run.boot.outcome == .poweroff)

        if !problems.isEmpty {
            Issue.record(Comment(rawValue: "demo_init, -smp \(smp): expected that\n  - "
                + problems.joined(separator: "\n  - ") + "\nuser output:\n\(output)\n\(run.boot)"))
        }
    }

    /// `make run` boots with trace=exit: the kernel's trace of act 2 (the thread group's
    /// exit_group) sits between the captions of acts 2 and 3, so a reader can follow it.
    @Test("with trace=exit, act 2's exit_group trace sits under its caption", arguments: [1, 4])
    func traceUnderCaption(smp: Int) async throws {
        let boot = try await DemoBoot.run(smp: smp).boot
        let lines = boot.lines
        guard let act2 = lines.firstIndex(where: { $0.contains("=== Act 2:") }),
              let act3 = lines.firstIndex(where: { $0.contains("=== Act 3:") }), act2 < act3 else {
            expect(boot, false, "the captions of acts 2 and 3 are missing or out of order")
            return
        }
        let traced = lines[act2..<act3].compactMap { Self.kernelMessage($0) }.filter { $0.hasPrefix("trace: ") }
        for event in ["sched_process_exit:", "signal_deliver: sig=9", "group_dead=true", "exit_notify: EXIT_ZOMBIE",
                      "do_task_dead: TASK_DEAD", "sched_process_wait:", "sched_process_free:"] {
            expect(boot, traced.contains { $0.contains(event) }, "no \(event) trace line between the captions of acts 2 and 3")
        }
    }

    /// The exit line comes once (Linux panics once; a second one would mean init
    /// "exited" twice) and nothing from user space follows it: every process is
    /// gone by then.
    @Test("\"Attempted to kill init! exitcode=0x00000000\" appears once, at the end", arguments: [1, 4])
    func exitLineOnceAtEnd(smp: Int) async throws {
        let boot = try await DemoBoot.run(smp: smp).boot
        let lines = boot.lines
        let hits = lines.indices.filter { Self.kernelMessage(lines[$0]) == Self.initExitLine }
        expect(boot, hits.count == 1, "expected the line exactly once, found it \(hits.count) times: \(Self.initExitLine)")
        guard let hit = hits.last else { return }
        let goodbye = lines.lastIndex { $0.contains("exiting with 0. Goodbye!") }
        expect(boot, goodbye.map { $0 < hit } ?? false, "the goodbye line should come before the exit line")
        let userAfter = lines[(hit + 1)...].filter { !$0.isEmpty && Self.kernelMessage($0) == nil }
        expect(boot, userAfter.isEmpty, "user output after the exit line:\n" + userAfter.joined(separator: "\n"))
    }

    /// The exit line is the machine's last words, and they come while other CPUs write:
    /// Userland/console_race.c's three children write whole lines without pause when init
    /// exits. The exit line comes out whole and last, and every child's line before it is
    /// whole. (It was printed without the console lock, and a CPU in the middle of a line
    /// cut it into single characters: seen once in demo_init at -smp 4 under load.)
    @Test("init's exit line is whole and last while other CPUs write to the console", arguments: [2, 4])
    func exitLineWholeUnderWriters(smp: Int) async throws {
        let cpio = try await Initramfs.make(files: [(dest: "/init", src: Repo.userland("console_race").path)])
        defer { Initramfs.discard(cpio) }
        let boot = try await QEMU.boot(initrd: URL(fileURLWithPath: cpio), append: "console=ttyS0 quiet init=/init",
                                       smp: smp)
        expectOutcome(boot, .poweroff)          // init's exit 0 is QEMU's status 1, as a power-off
        let lines = boot.lines
        let exit = lines.firstIndex { Self.kernelMessage($0) == Self.initExitLine }
        expect(boot, exit != nil, "no whole exit line: \(Self.initExitLine)")
        guard let exit else { return }
        let after = lines[(exit + 1)...].filter { !$0.isEmpty }
        expect(boot, after.isEmpty, "lines after the exit line:\n" + after.joined(separator: "\n"))
        let whole = Set(["a", "b", "c"].map { String(repeating: $0, count: 100) })
        let cut = lines[..<exit].filter { Self.kernelMessage($0) == nil && !$0.isEmpty && !whole.contains(String($0)) }
        expect(boot, cut.isEmpty, "children's lines cut:\n" + cut.prefix(5).joined(separator: "\n"))
        expect(boot, lines[..<exit].contains { whole.contains(String($0)) }, "the children wrote nothing before init's exit")
    }

    /// `init=` names the one program to run; if it cannot be executed Linux does
    /// not fall back to the default locations but panics with the error code
    /// (-2 = ENOENT). A runnable /sbin/init is in the archive to catch a fallback.
    @Test("init=/nonexistent panics: Requested init /nonexistent failed (error -2).")
    func missingRequestedInit() async throws {
        let cpio = try await Initramfs.make(files: [(dest: "/sbin/init", src: Repo.userland("demo_init").path)])
        defer { Initramfs.discard(cpio) }
        let boot = try await QEMU.boot(initrd: URL(fileURLWithPath: cpio), append: "console=ttyS0 init=/nonexistent")
        expectKernelLine(boot, containing: "Kernel panic - not syncing: Requested init /nonexistent failed (error -2).")
        expect(boot, !boot.console.contains("demo_init:"), "the kernel ran /sbin/init instead of panicking")
        expectOutcome(boot, .panic)
    }
    // The boot without any initramfs ("No working init found.") is BootTests' case.

    /// The text of `line` after its dmesg prefix (also when user output without a
    /// final newline glued the kernel line to it); nil for a user line.
    static func kernelMessage(_ line: Substring) -> String? {
        guard let start = Console.kernelPrefixStart(in: line),
              let length = Console.kernelPrefixLength(line[start...]) else { return nil }
        return String(line[start...].dropFirst(length))
    }
}

/// One demo_init boot per CPU count, shared by the tests that read it, with
/// trace=exit on as `make run` has it.
enum DemoBoot {
    static let smp1 = Task { try await bootProgram("demo_init", smp: 1, append: "trace=exit") }
    static let smp4 = Task { try await bootProgram("demo_init", smp: 4, append: "trace=exit") }
    static func run(smp: Int) async throws -> ProgramRun { try await (smp == 1 ? smp1 : smp4).value }
}
