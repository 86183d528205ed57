import Testing

/// 1,000 fork/exit/wait rounds must leave the kernel as they found it.
///
/// User space cannot see a leaked page or task, so the differential test of
/// `leak_rounds` cannot catch one. With `leakcheck` on the command line the kernel
/// prints its counters from when pid 1 was created and from after init and all its
/// children are gone (docs/interfaces.md); any difference is a leak.
@Suite("No leaks after fork/exit/wait")
struct LeakTests {
    /// leak_rounds: 1,000 fork/exit/wait rounds of single-threaded processes;
    /// leak_threads: 1,000 processes with 4 threads each, ending in every way
    /// the exit path knows (exit_group from any thread, delayed leaders,
    /// SIGKILL, SIGSEGV, SIGTERM during wait4, clear_child_tid joins).
    @Test("every leakcheck counter ends where it started",
          arguments: [("leak_rounds", 1), ("leak_rounds", 4), ("leak_threads", 1), ("leak_threads", 4)])
    func leakRounds(program: String, smp: Int) async throws {
        let run = try await bootProgram(program, smp: smp, append: "leakcheck", timeout: 120)
        expect(run.boot, run.output.hasSuffix("DONE\n"),
               "\(program)'s output should end with DONE; its last lines:\n" + Console.lastLines(of: run.output, 8))
        expectOutcome(run.boot, .poweroff)

        guard let line = run.boot.kernelMessages.last(where: { $0.hasPrefix("leakcheck:") }) else {
            Issue.record(Comment(rawValue: "the kernel printed no `leakcheck:` line\n\(run.boot)"))
            return
        }
        guard let check = LeakCheck(line) else {
            Issue.record(Comment(rawValue: "malformed leakcheck line: \(line)\n\(run.boot)"))
            return
        }
        let leaks = check.counters.filter { $0.before != $0.after }
        expect(run.boot, leaks.isEmpty,
               "leaked: " + leaks.map { "\($0.name) \($0.before)->\($0.after)" }.joined(separator: ", "))
    }

    @Test("the leakcheck line parses (no QEMU)")
    func parser() {
        let check = LeakCheck("leakcheck: tasks 3->3 pids 1->2 free_frames 30000->29990 kmalloc_objects 12->12 files 0->1 inodes 7->7 pipes 0->0 pidfds 0->1 posix_timers 2->2 sem_arrays 0->0 shm_segments 1->1 tty_refs 1->1")
        #expect(check?.counters.map(\.name) == LeakCheck.names)
        #expect(check?.counters.map(\.before) == [3, 1, 30000, 12, 0, 7, 0, 0, 2, 0, 1, 1])
        #expect(check?.counters.map(\.after) == [3, 2, 29990, 12, 1, 7, 0, 1, 2, 0, 1, 1])
        #expect(LeakCheck("leakcheck: tasks 3->3 pids 1->1 free_frames 9->9") == nil)    // a counter missing
        #expect(LeakCheck("leakcheck: tasks 3->3 pids 1->1 frames 9->9 kmalloc_objects 1->1") == nil)
        #expect(LeakCheck("leakcheck: tasks 3-3 pids 1->1 free_frames 9->9 kmalloc_objects 1->1") == nil)
    }
}

/// The kernel's `leakcheck: tasks A->B pids C->D free_frames E->F kmalloc_objects G->H files I->J inodes K->L pipes M->N pidfds O->P posix_timers Q->R sem_arrays S->T shm_segments U->V`
/// (dmesg prefix removed). The counters must all be there, in this order.
struct LeakCheck: Equatable {
    struct Counter: Equatable {
        var name: String
        var before: Int
        var after: Int
    }
    static let names = ["tasks", "pids", "free_frames", "kmalloc_objects", "files", "inodes", "pipes", "pidfds", "posix_timers", "sem_arrays", "shm_segments", "tty_refs"]
    var counters: [Counter]

    /// What `leakcheck` says about a boot, from its kernel lines: nil when its line is there
    /// with every counter back where it began, else what is wrong.
    static func problem(_ kernelMessages: [String]) -> String? {
        guard let line = kernelMessages.last(where: { $0.hasPrefix("leakcheck:") }), let check = LeakCheck(line) else {
            return "no leakcheck line of LeakCheck's shape: \(kernelMessages.last(where: { $0.hasPrefix("leakcheck") }) ?? "none")"
        }
        let leaks = check.counters.filter { $0.before != $0.after }
        return leaks.isEmpty ? nil : "leaked: " + leaks.map { "\($0.name) \($0.before)->\($0.after)" }.joined(separator: ", ")
    }

    /// nil unless `message` has exactly the documented shape.
    init?(_ message: String) {
        let words = message.split(separator: " ")
        guard words.first == "leakcheck:", words.count == 1 + 2 * Self.names.count else { return nil }
        counters = []
        for (k, name) in Self.names.enumerated() {
            let pair = words[2 + 2 * k].split(separator: "->", omittingEmptySubsequences: false)
            guard words[1 + 2 * k] == name, pair.count == 2,
                  let before = Int(pair[0]), let after = Int(pair[1]) else { return nil }
            counters.append(Counter(name: name, before: before, after: after))
        }
    }
}
