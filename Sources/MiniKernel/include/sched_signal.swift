// What a thread group shares about signals and exit, and the walks over
// tasks. Linux: include/linux/sched/signal.h.

import Synchronization

/// signal->flags.
struct SignalFlags: OptionSet {
    let rawValue: UInt32
    static let stopStopped = SignalFlags(rawValue: 0x01)   // SIGNAL_STOP_STOPPED: job control stop in effect
    static let stopContinued = SignalFlags(rawValue: 0x02) // SIGNAL_STOP_CONTINUED: SIGCONT since the stop
    static let groupExit = SignalFlags(rawValue: 0x04)     // SIGNAL_GROUP_EXIT: the group is dying
    static let cldStopped = SignalFlags(rawValue: 0x10)    // SIGNAL_CLD_STOPPED: parent not yet told
    static let cldContinued = SignalFlags(rawValue: 0x20)  // SIGNAL_CLD_CONTINUED
    static let unkillable = SignalFlags(rawValue: 0x40)    // SIGNAL_UNKILLABLE: init
}

/// sighand_struct: the handler table, shared by CLONE_SIGHAND.
final class SighandStruct {
    var action = InlineArray<64, KSigAction>(repeating: KSigAction())
    /// Tasks sharing the table (CLONE_SIGHAND); atomic because the last two
    /// puts may come from different CPUs.
    let count = Atomic<Int>(1)
    init() {}
    func actionFor(_ sig: Int32) -> KSigAction { action[Int(sig - 1)] }
}

/// signal_struct: what a thread group shares about signals and exit.
final class SignalStruct {
    /// Threads that have not yet passed exit_signals(): the last one out
    /// makes the group dead.
    var live = 1
    var nrThreads = 1
    /// Threads not yet in do_exit() (synchronize_group_exit).
    var quickThreads = 1
    var threadHead: Task? = nil
    var flags: SignalFlags = []
    /// The group's exit status once SIGNAL_GROUP_EXIT is set; the stop
    /// signal while stopped.
    var groupExitCode: Int32 = 0
    /// Threads still to stop in a group stop.
    var groupStopCount = 0
    var sharedPending = SigPending()
    /// The parent sleeps here in wait4(); exit_notify() wakes it.
    let waitChldExit = WaitQueueHead()
    /// de_thread(): the thread exec'ing while it waits for the others to go
    /// (signal->group_exec_task), and how many releases it still waits for —
    /// or -1 once it waits for the old leader to become a zombie (notify_count).
    var groupExecTask: Task? = nil
    var notifyCount = 0
    var isChildSubreaper = false
    var hasChildSubreaper = false
    var pgrp: Int32 = 0
    var session: Int32 = 0
    /// CPU time of the group's dead threads, and of reaped children.
    var utime: UInt64 = 0
    var stime: UInt64 = 0
    var cutime: UInt64 = 0
    var cstime: UInt64 = 0
    /// Tasks pointing at this struct; the last put frees it. Atomic: the
    /// last puts of a group may run on different CPUs.
    let usage = Atomic<Int>(1)

    init() {}
}

// MARK: - walks over tasks

/// for_each_thread.
func for_each_thread(_ sig: SignalStruct, _ body: (Task) -> Void) {
    var t = sig.threadHead
    while let cur = t { t = cur.threadNext; body(cur) }
}

func thread_group_empty(_ p: Task) -> Bool { p.signal.nrThreads <= 1 }

func signal_group_exit(_ sig: SignalStruct) -> Bool { sig.flags.contains(.groupExit) }
