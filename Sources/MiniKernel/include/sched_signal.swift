// What a thread group shares about signals and exit, and the walks over
// tasks. Linux: include/linux/sched/signal.h.

import Synchronization

/// The event counts of struct rusage that MiniKernel keeps, for a task, a
/// group's dead threads, or reaped children. (No swap and no block device:
/// maj_flt stays 0, and inblock/oublock are left out as on tmpfs.)
struct RUsageCounts {
    var nvcsw: UInt64 = 0      // voluntary switches: it blocked
    var nivcsw: UInt64 = 0     // involuntary: preempted, or sched_yield()
    var minFlt: UInt64 = 0     // faults resolved without I/O
    var majFlt: UInt64 = 0     // faults that waited for I/O

    static func += (a: inout RUsageCounts, b: RUsageCounts) {
        a.nvcsw += b.nvcsw; a.nivcsw += b.nivcsw
        a.minFlt += b.minFlt; a.majFlt += b.majFlt
    }
}

/// struct cpu_itimer: fires when the group's CPU time reaches `expires`
/// (0: not armed), then again every `incr` if that is not 0.
struct CPUItimer {
    var expires: UInt64 = 0
    var incr: UInt64 = 0
}

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
    /// signal->pacct: the group's process-accounting tally (kernel/acct.swift). siglock.
    var pacct = PacctStruct()
    /// signal->core_state: a core dump in progress (fs/coredump.swift); the
    /// other threads park in do_exit() until it is over. siglock.
    var coreState: CoreState? = nil
    var notifyCount = 0
    var isChildSubreaper = false
    var hasChildSubreaper = false
    var pgrp: Int32 = 0
    var session: Int32 = 0
    /// This process made its session (setsid); not inherited (signal->leader).
    var leader = false
    /// The controlling terminal (a tty_kref), shared with the whole session
    /// and copied by fork; and, for a leader whose terminal was hung up, the
    /// foreground group it had then (a pid reference). Both under siglock.
    var tty: TtyStruct? = nil
    var ttyOldPgrp: Int32 = 0
    /// CPU time and counts of the group's dead threads (utime, nvcsw...), and
    /// of its reaped children with everything they had reaped (cutime,
    /// cnvcsw...). Written under siglock (Linux: stats_lock).
    var utime: UInt64 = 0
    var stime: UInt64 = 0
    var cutime: UInt64 = 0
    var cstime: UInt64 = 0
    var counts = RUsageCounts()
    var ccounts = RUsageCounts()
    /// The most pages any address space of the group had resident, taken
    /// at exec (the old mm) and when the group dies; cmaxrss, the largest of
    /// the reaped children's (ru_maxrss, in pages here, KiB for the user).
    var maxrss = 0
    var cmaxrss = 0
    /// Resource limits (signal->rlim), kernel/resource.swift.
    var rlim = RLimits()
    /// signal->real_timer (ITIMER_REAL, alarm): when it fires, 0 when it is
    /// not armed, and the next armed one; it_real_incr, its interval; and
    /// when it last fired, for the re-arm at SIGALRM's dequeue
    /// (kernel/time/itimer.swift; itimer_lock).
    var realTimerExpires: UInt64 = 0
    var realTimerNext: SignalStruct? = nil
    var itRealIncr: UInt64 = 0
    var itRealFired: UInt64 = 0
    /// signal->it[]: ITIMER_VIRTUAL and ITIMER_PROF, in the group's CPU time
    /// (user, and user + system); under siglock.
    var itVirtual = CPUItimer()
    var itProf = CPUItimer()
    /// signal->posix_timers: the group's timer_create() timers, and the id the
    /// next one tries first (kernel/time/posix_timers.swift; itimer_lock).
    var posixTimers: KItimer? = nil
    var nextPosixTimerId: Int32 = 0
    /// How many of them count CPU time (the tick looks only if any do).
    var nrCPUTimers = 0
    /// Tasks pointing at this struct; the last put frees it. Atomic: the
    /// last puts of a group may run on different CPUs.
    let usage = Atomic<Int>(1)

    init() {}
}

// MARK: - walks over tasks
//
// Linux's for_each_process(p), for_each_thread(p, t) and
// list_for_each_entry(p, &parent->children, sibling) macros, as sequences:
// `for t in for_each_thread(sig) { … }`. Each reads the next link before it
// hands out the current task, so the body may unlink that task (not others).
// The caller holds the lock that guards the list: tasklist_lock for the
// all-tasks and children lists (asserted: lockdep_assert_held, which
// `lockcheck` checks against this CPU's locks), tasklist_lock or siglock for
// a group's threads.

/// for_each_thread(): the threads of a group, oldest first.
func for_each_thread(_ sig: SignalStruct) -> TaskWalk { TaskWalk(sig.threadHead, .thread) }

/// for_each_process(): every process (thread-group leader), the idle tasks
/// left out as Linux's init_task list never holds them.
func for_each_process() -> ProcessWalk {
    lockdep_assert_held(tasklistLock)
    return ProcessWalk(next: init_task_list_head)
}

/// for_each_child(): the children of one thread (its `children` list), oldest first.
func for_each_child(_ parent: Task) -> TaskWalk {
    lockdep_assert_held(tasklistLock)
    return TaskWalk(parent.childrenHead, .sibling)
}

/// A walk along a group's thread list or a parent's children list. (The
/// link is an enum, not a key path: Embedded Swift has no key paths.)
struct TaskWalk: Sequence, IteratorProtocol {
    enum Link { case thread, sibling }
    private var nextTask: Task?
    private let link: Link
    init(_ first: Task?, _ link: Link) { nextTask = first; self.link = link }
    mutating func next() -> Task? {
        guard let t = nextTask else { return nil }
        nextTask = link == .thread ? t.threadNext : t.siblingNext
        return t
    }
}

/// The all-tasks list, leaders only, idle tasks skipped.
struct ProcessWalk: Sequence, IteratorProtocol {
    var nextTask: Task?
    init(next: Task?) { nextTask = next }
    mutating func next() -> Task? {
        while let t = nextTask {
            nextTask = t.tasksNext
            if t.isGroupLeader && !t.isIdle { return t }
        }
        return nil
    }
}

func thread_group_empty(_ p: Task) -> Bool { p.signal.nrThreads <= 1 }

/// delay_group_leader(): a leader whose threads outlive it is not yet a
/// process that has exited: nobody is told until the last thread goes.
func delay_group_leader(_ p: Task) -> Bool { p.isGroupLeader && !thread_group_empty(p) }

func signal_group_exit(_ sig: SignalStruct) -> Bool { sig.flags.contains(.groupExit) }

/// The wait status a dead task reports (what wait4() stores, and what
/// SIGCHLD's siginfo is built from): the group's exit code if the group died
/// as one (exit_group, a fatal signal, or its last thread's exit), else the
/// task's own. Linux writes the expression out in wait_task_zombie().
func task_exit_status(_ p: Task) -> Int32 {
    p.signal.flags.contains(.groupExit) ? p.signal.groupExitCode : p.exitCode
}

/// A wait status as waitid() and SIGCHLD's siginfo say it: si_code
/// CLD_DUMPED (a core was written: the 0x80 bit) or CLD_KILLED with the
/// signal, or CLD_EXITED with the exit code.
func exit_status_to_cld(_ status: Int32) -> (code: Int32, status: Int32) {
    if status & 0x7f == 0 { return (CLD_EXITED, status >> 8) }
    return (status & 0x80 != 0 ? CLD_DUMPED : CLD_KILLED, status & 0x7f)
}
