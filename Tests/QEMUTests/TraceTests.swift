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
        // The child is pid 2, its threads 3 and 4.
        func index(_ needle: String) -> Int? { trace.firstIndex { $0.contains(needle) } }
        let steps = [
            "init-2 [", "sched_process_fork: comm=init pid=2 child_comm=init child_pid=3",
        ]
        for s in steps { #expect(index(s) != nil, "missing \(s)\n\(trace.joined(separator: "\n"))") }
        let ordered = [
            "init-2 [0",                                             // the leader acts first
            "do_exit: exit_signals",                                 // PF_EXITING
            "group_dead=false",                                      // threads still live
            "exit_notify: EXIT_ZOMBIE",
            "do_task_dead: TASK_DEAD state=0080 exit_state=EXIT_ZOMBIE",   // the leader, delayed
            "signal_deliver: sig=9",                                 // zap_other_threads' SIGKILL
            "group_dead=true",                                       // the last thread
            "sched_process_free: comm=init pid=",                    // threads reap themselves
            "signal_generate: sig=17",                               // the leader announced to init
            "sched_process_wait: comm=init pid=2",                   // init's wait4
            "sched_process_free: comm=init pid=2",                   // the leader freed
        ]
        var last = -1
        for step in ordered {
            let found = trace.indices.first { $0 > last && trace[$0].contains(step) }
            #expect(found != nil, "'\(step)' not found after line \(last)\n\(trace.joined(separator: "\n"))")
            if let f = found { last = f }
        }
        #expect(run.boot.console.contains("Attempted to kill init! exitcode=0x00000000"))
    }
}
