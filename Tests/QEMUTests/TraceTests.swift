import Foundation
import Testing

/// trace=exit prints the lifecycle of a thread group's exit_group in
/// Linux's ftrace event format; the order of the states is the exit path's.
@Suite("Lifecycle trace (trace=exit)")
struct TraceTests {
    @Test("exit_group of a thread group: PF_EXITING → EXIT_ZOMBIE → TASK_DEAD → freed, in order", arguments: [1, 4])
    func exitGroupTrace(smp: Int) async throws {
        let run = try await bootProgram("trace_exit_group", smp: smp, append: "trace=exit")
        #expect(run.output.contains("trace_exit_group: reaped the child, status 0x300"), "\(run.boot)")
        let trace = run.boot.console.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "trace: ") else { return nil }
            return String(line[r.upperBound...])
        }
        // The child is pid 2, its threads 3 and 4. With several CPUs the three
        // threads die at once and their lines interleave, so the order checked
        // is each task's own, plus what one task's step causes in another's.
        let all = trace.joined(separator: "\n")
        func index(_ needle: String, after: Int = -1) -> Int? {
            trace.indices.first { $0 > after && trace[$0].contains(needle) }
        }
        for s in ["sched_process_fork: comm=init pid=2 child_comm=init child_pid=3",
                  "sched_process_fork: comm=init pid=2 child_comm=init child_pid=4"] {
            #expect(index(s) != nil, "missing \(s)\n\(all)")
        }
        // A task's last line, do_task_dead, comes after the step that lets init
        // go on (a thread's release, the leader's SIGCHLD). With several CPUs
        // nothing orders it against init's reap and exit: on a slow vCPU it may
        // come after the reap, or never (the machine powers off when init
        // exits). So at -smp 4 it is checked when it is there; at -smp 1 it
        // must be. The leader's is checked only when it came before the reap.
        let leaderReaped = index("sched_process_wait: comm=init pid=2") ?? trace.count
        let leaderDead = trace.indices.first { trace[$0].hasPrefix("init-2 [") && trace[$0].contains("do_task_dead") }
        let leaderDiedFirst = leaderDead.map { $0 < leaderReaped } ?? (smp == 1)
        for pid in 2...4 {
            let mine = trace.filter { $0.hasPrefix("init-\(pid) [") }
            var steps = [
                "do_exit: do_exit",                                   // do_exit() begins
                "do_exit: exit_signals",                              // PF_EXITING
                "sched_process_exit: comm=init pid=\(pid)",
                "do_exit: exit_mm",
                pid == 2 ? "exit_notify: EXIT_ZOMBIE" : "exit_notify: ",   // the leader waits as a zombie
            ]
            let sawEnd = mine.contains { $0.contains("do_task_dead") }
            if pid == 2 ? leaderDiedFirst : (smp == 1 || sawEnd) { steps.append("do_task_dead: TASK_DEAD state=0080") }
            var last = -1
            for step in steps {
                let found = mine.indices.first { $0 > last && mine[$0].contains(step) }
                #expect(found != nil, "task \(pid): '\(step)' not found after its line \(last)\n\(all)")
                if let f = found { last = f }
            }
        }
        // The leader stays a zombie (delay_group_leader), the threads reap themselves.
        if leaderDiedFirst {
            #expect(trace.contains { $0.hasPrefix("init-2 [") && $0.contains("TASK_DEAD state=0080 exit_state=EXIT_ZOMBIE") },
                    "the leader dies a zombie\n\(all)")
        }
        for pid in 3...4 {
            #expect(index("sched_process_free: comm=init pid=\(pid) ") != nil, "thread \(pid) released\n\(all)")
        }
        // Exactly one thread saw the group die; only then is init told (SIGCHLD),
        // then init's wait4 finds the leader, and the leader is freed last.
        #expect(trace.filter { $0.contains("group_dead=true") }.count == 1, "one group_dead=true\n\(all)")
        let dead = index("group_dead=true")
        let chld = dead.flatMap { index("signal_generate: sig=17", after: $0) }
        let wait = chld.flatMap { index("sched_process_wait: comm=init pid=2", after: $0) }
        let free = wait.flatMap { index("sched_process_free: comm=init pid=2 ", after: $0) }
        #expect(dead != nil && chld != nil && wait != nil && free != nil,
                "group_dead=true → SIGCHLD to init → init's wait → leader freed, in that order\n\(all)")
        // zap_other_threads' SIGKILL reached each thread that was not the caller.
        #expect(trace.filter { $0.contains("signal_deliver: sig=9") }.count >= 1, "SIGKILL delivered\n\(all)")
        #expect(run.boot.console.contains("Attempted to kill init! exitcode=0x00000000"))
    }
    struct StepCase: Sendable, CustomTestStringConvertible {
        var program: String
        var line: String
        var testDescription: String { "\(program): \(line)" }
    }

    /// A step prints its line only when it had something to do: the programs that give it
    /// work show it; exit_codes, whose processes hold no lock, timer, semaphore or
    /// accounting file, shows none of them.
    static let steps = [
        StepCase(program: "robust_list", line: "do_exit: exit_robust_list released="),
        StepCase(program: "sem_undo", line: "do_exit: exit_sem undone_arrays=1"),
        StepCase(program: "itimers", line: "do_exit: exit_itimers real_timer=1"),
        StepCase(program: "coredump", line: "vfs_coredump: core bytes="),
        StepCase(program: "acct", line: "do_exit: acct_process"),
    ]

    @Test("trace=exit shows the steps that had something to do", arguments: steps)
    func stepLine(_ c: StepCase) async throws {
        let run = try await bootProgram(c.program, append: "trace=exit")
        #expect(run.boot.console.contains(c.line), "no '\(c.line)' in \(c.program)'s trace\n\(run.boot)")
    }

    @Test("trace=exit prints no step line for a step with nothing to do")
    func noStepLines() async throws {
        let run = try await bootProgram("exit_codes", append: "trace=exit")
        for c in Self.steps {
            let prefix = String(c.line.prefix { $0 != "=" })
            #expect(!run.boot.console.contains(prefix), "'\(prefix)' in exit_codes' trace\n\(run.boot)")
        }
    }
}
