// struct task_struct and its states. Linux: include/linux/sched.h,
// include/linux/sched/signal.h.
//
// A Task is one thread of execution: a kernel stack, saved registers, and
// references to what it may share with others (address space, files, the
// thread group's signal state). Tasks are freed explicitly: `usage` counts
// references (the task itself while it can run, its parent's claim until
// release_task, anyone holding a get_task_struct()), and put_task_struct()
// frees it with the last one.

import CShim
import Synchronization

/// task->__state. TASK_RUNNING is the empty set: runnable or running.
struct TaskState: OptionSet {
    let rawValue: UInt32
    static let running: TaskState = []
    static let interruptible = TaskState(rawValue: 0x0001)     // TASK_INTERRUPTIBLE: signals wake it
    static let uninterruptible = TaskState(rawValue: 0x0002)   // TASK_UNINTERRUPTIBLE
    static let stopped = TaskState(rawValue: 0x0004)           // __TASK_STOPPED
    static let traced = TaskState(rawValue: 0x0008)            // __TASK_TRACED
    static let dead = TaskState(rawValue: 0x0080)              // TASK_DEAD: after the final schedule()
    static let wakekill = TaskState(rawValue: 0x0100)          // TASK_WAKEKILL: fatal signals wake it
    static let new = TaskState(rawValue: 0x0800)               // TASK_NEW: being created

    static let killable: TaskState = [.wakekill, .uninterruptible]
    static let taskStopped: TaskState = [.wakekill, .stopped]
}

/// task->exit_state: what is left of a task that has run do_exit().
enum ExitState: UInt32 {
    case none = 0
    case zombie = 0x20     // EXIT_ZOMBIE: waiting for the parent's wait()
    case dead = 0x10       // EXIT_DEAD: being released; nobody may wait for it
}

/// task->flags (PF_*), Linux's values.
struct TaskFlags: OptionSet {
    let rawValue: UInt32
    static let idle = TaskFlags(rawValue: 0x0000_0002)         // PF_IDLE
    static let exiting = TaskFlags(rawValue: 0x0000_0004)      // PF_EXITING: do_exit() has begun
    static let postCoredump = TaskFlags(rawValue: 0x0000_0020) // PF_POSTCOREDUMP: past the point a core dump waits for
    static let forkNoExec = TaskFlags(rawValue: 0x0000_0040)   // PF_FORKNOEXEC: forked, not yet exec'd
    static let dumpCore = TaskFlags(rawValue: 0x0000_0200)     // PF_DUMPCORE: this task dumped core
    static let signaled = TaskFlags(rawValue: 0x0000_0400)     // PF_SIGNALED: killed by a signal
    static let randomize = TaskFlags(rawValue: 0x0040_0000)    // PF_RANDOMIZE: its address space is randomised
    static let kthread = TaskFlags(rawValue: 0x0020_0000)      // PF_KTHREAD
}

let TASK_COMM_LEN = 16
let THREAD_SIZE: UInt64 = 8192

final class Task {
    // Identity.
    var pid: Int32 = 0
    var tgid: Int32 = 0
    var comm = InlineArray<16, UInt8>(repeating: 0)

    // State: who may run it, and how far its exit has gone.
    var state: TaskState = .new
    var exitState: ExitState = .none
    var flags: TaskFlags = []
    /// The wait status its parent will see (exit code << 8, or the signal).
    var exitCode: Int32 = 0
    /// The signal its parent gets when it dies: SIGCHLD for processes.
    var exitSignal: Int32 = SIGCHLD
    var pdeathSignal: Int32 = 0

    // Family. real_parent is who forked it (or the reaper that adopted it);
    // parent differs only under ptrace, which we do not have.
    unowned(unsafe) var realParent: Task
    unowned(unsafe) var parent: Task
    /// Children: an intrusive doubly linked list through `sibling*`.
    var childrenHead: Task? = nil
    /// The last child, so that fork appends in O(1) (Linux: list_add_tail).
    unowned(unsafe) var childrenTail: Task? = nil
    var siblingNext: Task? = nil
    var siblingPrev: Task? = nil
    unowned(unsafe) var groupLeader: Task

    // Shared state.
    var signal: SignalStruct
    var sighand: SighandStruct
    /// The thread group: all threads of a process, linked through the
    /// group's SignalStruct (signal->thread_head).
    var threadNext: Task? = nil
    var threadPrev: Task? = nil
    /// task->alloc_lock (task_lock()): held to change `mm`, and by another
    /// task that reads it (get_task_mm()), so that the mm cannot go between the
    /// read and the reference taken on it.
    let allocLock = SpinLock(name: "task->alloc_lock")
    var mm: MMStruct? = nil
    var files: FilesStruct? = nil
    var fs: FsStruct? = nil
    /// task_works: files whose final __fput() waits for the way out (kernel/task_work.swift).
    var taskWorks: File? = nil
    var taskWorkExited = false

    // Signals sent to this thread only, and those it blocks.
    var pending = SigPending()
    var blocked = SigSet()
    /// real_blocked: the mask sigtimedwait lowered `blocked` from while it sleeps.
    var realBlocked = SigSet()
    /// The mask to restore after a handler that sigsuspend-like calls installed.
    var savedSigmask: SigSet? = nil
    /// JOBCTL_STOP_PENDING: this thread still has to take part in a group stop.
    var jobctlStopPending = false
    /// sigaltstack(): the alternate signal stack (sas_ss_sp, sas_ss_size; size 0
    /// when there is none) and the flags it was set with (SS_DISABLE when none).
    var sasSsSp: UInt64 = 0
    var sasSsSize: UInt64 = 0
    var sasSsFlags: UInt32 = SS_DISABLE
    /// What nanosleep must finish if restarted (restart_block).
    var restartDeadline: UInt64 = 0
    var restartRemAddr: UInt64 = 0

    // Scheduling.
    var cpu = 0
    var onRq = false
    var rqNext: Task? = nil
    var needResched = false
    var timeSliceTicks = 0
    /// For sleeps with a deadline (nanosleep): ns since boot, 0 when none.
    var wakeAt: UInt64 = 0
    var timerNext: Task? = nil
    var onTimerList = false
    /// Its link in the one wait queue it sleeps on, if any (a WaitQueueHead,
    /// kernel/sched/wait_queue.swift): a task waits on one queue at a time.
    var waitNext: Task? = nil

    // Time, in nanoseconds.
    var utime: UInt64 = 0
    var stime: UInt64 = 0
    var startTime: UInt64 = 0
    /// Context switches and page faults (nvcsw, nivcsw, min_flt, maj_flt),
    /// kept by the task itself; getrusage() reads them, __exit_signal() folds
    /// them into the group.
    var counts = RUsageCounts()

    // fork/exec/exit plumbing.
    var vforkDone: Completion? = nil
    var setChildTid: UInt64 = 0
    var clearChildTid: UInt64 = 0
    /// The user's robust_list_head (set_robust_list), 0 when none: the
    /// locks this thread holds, released for it when it dies (kernel/futex.swift).
    var robustList: UInt64 = 0
    /// task->sysvsem.undo_list: the SEM_UNDO adjustments, shared with the
    /// tasks cloned with CLONE_SYSVSEM (ipc/sem.swift); nil until first used.
    var sysvsem: SemUndoList? = nil
    /// The link of a DeadList (kernel/exit.swift); Linux reuses ptrace_entry.
    var deadNext: Task? = nil

    // Architecture state (arch/x86_64/process.swift).
    var thread = ThreadStruct()
    /// The kernel stack: [stackBase, stackBase + THREAD_SIZE).
    var stackBase: UInt64 = 0
    var stackTop: UInt64 = 0

    /// References: see the top of this file. Atomic: the CPU that switches
    /// away from a dead task and the parent's release_task() drop theirs
    /// concurrently.
    let usage = Atomic<Int>(1)
    /// CPUs it may run on (task->cpus_mask), a bit per CPU.
    var cpusAllowed: UInt64 = ~0
    /// task->policy: SCHED_NORMAL, SCHED_BATCH or SCHED_IDLE (kernel/sched/syscalls.swift),
    /// all run by the one fair scheduler; and SCHED_RESET_ON_FORK.
    var policy: Int32 = 0
    /// task->personality (kernel/exec_domain.swift): ADDR_NO_RANDOMIZE and friends.
    var personality: UInt32 = 0
    var schedResetOnFork = false

    /// Pid hash chain (kernel/pid.swift).
    var pidHashNext: Task? = nil
    /// All tasks (for_each_process): doubly linked through init_task.
    var tasksNext: Task? = nil
    var tasksPrev: Task? = nil

    init(signal: SignalStruct, sighand: SighandStruct) {
        self.signal = signal
        self.sighand = sighand
        // Swift wants every field set before `self` exists; the family links
        // start as a null placeholder for that one instant, then point at the
        // task itself until copy_process() links it into its family.
        self.realParent = unsafeBitCast(0 as UInt, to: Task.self)
        self.parent = unsafeBitCast(0 as UInt, to: Task.self)
        self.groupLeader = unsafeBitCast(0 as UInt, to: Task.self)
        self.realParent = self
        self.parent = self
        self.groupLeader = self
    }

    var isGroupLeader: Bool { groupLeader === self }
    var isIdle: Bool { flags.contains(.idle) }

    func setComm(_ name: ByteString) {
        // The last path component, truncated as Linux's __set_task_comm does.
        var start = 0
        for i in 0..<name.count where name[i] == 47 { start = i + 1 }
        var n = 0
        while n < TASK_COMM_LEN - 1 && start + n < name.count { comm[n] = name[start + n]; n += 1 }
        while n < TASK_COMM_LEN { comm[n] = 0; n += 1 }
    }
}

/// get_task_struct()/put_task_struct(): the last reference frees the task.
func get_task_struct(_ t: Task) { t.usage.wrappingAdd(1, ordering: .relaxed) }

func put_task_struct(_ t: Task) {
    let left = t.usage.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
    BUG_ON(left < 0, "task usage below zero")
    if left == 0 { free_task(t) }
}
