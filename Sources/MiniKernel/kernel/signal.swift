// Signals: what the exit path needs of them. Linux: kernel/signal.c,
// include/linux/sched/signal.h.
//
// Each thread has a private pending set; the thread group shares another
// (signal->shared_pending) and the handler table (sighand). A signal whose
// action is "terminate" ends the whole group through do_group_exit() when
// the thread next returns towards user mode (get_signal()). SIGCHLD to a
// parent is sent by do_notify_parent() from exit_notify().

import CShim

let SIGHUP: Int32 = 1, SIGINT: Int32 = 2, SIGQUIT: Int32 = 3, SIGILL: Int32 = 4, SIGTRAP: Int32 = 5
let SIGABRT: Int32 = 6, SIGBUS: Int32 = 7, SIGFPE: Int32 = 8, SIGKILL: Int32 = 9, SIGUSR1: Int32 = 10
let SIGSEGV: Int32 = 11, SIGUSR2: Int32 = 12, SIGPIPE: Int32 = 13, SIGALRM: Int32 = 14, SIGTERM: Int32 = 15
let SIGCHLD: Int32 = 17, SIGCONT: Int32 = 18, SIGSTOP: Int32 = 19, SIGTSTP: Int32 = 20
let SIGTTIN: Int32 = 21, SIGTTOU: Int32 = 22, SIGURG: Int32 = 23, SIGXCPU: Int32 = 24
let SIGXFSZ: Int32 = 25, SIGVTALRM: Int32 = 26, SIGPROF: Int32 = 27, SIGWINCH: Int32 = 28
let SIGIO: Int32 = 29, SIGPWR: Int32 = 30, SIGSYS: Int32 = 31
let _NSIG: Int32 = 64

/// A set of signals 1..64, bit (sig - 1).
struct SigSet: Equatable {
    var bits: UInt64 = 0
    func contains(_ sig: Int32) -> Bool { bits & (1 << UInt64(sig - 1)) != 0 }
    mutating func insert(_ sig: Int32) { bits |= 1 << UInt64(sig - 1) }
    mutating func remove(_ sig: Int32) { bits &= ~(1 << UInt64(sig - 1)) }
    var isEmpty: Bool { bits == 0 }
    /// The lowest-numbered member, as Linux's next_signal() picks synchronous ones first.
    var first: Int32? { bits == 0 ? nil : Int32(bits.trailingZeroBitCount + 1) }
}

/// signal->flags.
struct SignalFlags: OptionSet {
    let rawValue: UInt32
    static let stopStopped = SignalFlags(rawValue: 0x01)   // SIGNAL_STOP_STOPPED
    static let stopContinued = SignalFlags(rawValue: 0x02) // SIGNAL_STOP_CONTINUED
    static let groupExit = SignalFlags(rawValue: 0x04)     // SIGNAL_GROUP_EXIT: the group is dying
    static let unkillable = SignalFlags(rawValue: 0x40)    // SIGNAL_UNKILLABLE: init
}

let SIG_DFL: UInt64 = 0
let SIG_IGN: UInt64 = 1

struct KSigAction {
    var handler: UInt64 = SIG_DFL
    var flags: UInt64 = 0
    var restorer: UInt64 = 0
    var mask = SigSet()
}

/// signal_struct: what a thread group shares about signals and exit.
final class SignalStruct {
    /// Threads of the group that have not yet run exit_signals(): the last
    /// one out is the one whose exit makes the group dead (group_dead).
    var live = 1
    var nrThreads = 1
    var flags: SignalFlags = []
    var groupExitCode: Int32 = 0
    var sharedPending = SigSet()
    /// The parent sleeps here in wait4(); exit_notify() wakes it.
    let waitChldExit = WaitQueueHead()
    var isChildSubreaper = false
    var hasChildSubreaper = false
    var pgrp: Int32 = 0
    var session: Int32 = 0
    /// CPU time of the group's dead threads, and of reaped children.
    var utime: UInt64 = 0
    var stime: UInt64 = 0
    var cutime: UInt64 = 0
    var cstime: UInt64 = 0
    /// The handler table (sighand_struct; shared with CLONE_SIGHAND in the next issue).
    var action = InlineArray<64, KSigAction>(repeating: KSigAction())
    /// Tasks pointing at this struct; the last put frees it.
    var usage = 1

    init() {}

    func actionFor(_ sig: Int32) -> KSigAction { action[Int(sig - 1)] }
}

/// siglock: guards every SignalStruct and the pending sets. Taken after
/// tasklist_lock, before any rq->lock.
let siglock = SpinLock(name: "sighand->siglock")

func put_signal_struct(_ sig: SignalStruct) {
    sig.usage -= 1
    if sig.usage == 0 {
        kfree_object(sig.waitChldExit)
        kfree_object(sig)
    }
}

/// Signals whose default action is to ignore them (sig_kernel_ignore).
func sig_kernel_ignore(_ sig: Int32) -> Bool {
    sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH
}

/// The sleeping states a signal may interrupt.
func signal_pending_state(_ state: TaskState, _ t: Task) -> Bool {
    if !state.contains(.interruptible) && !state.contains(.wakekill) { return false }
    if !signal_pending(t) { return false }
    return state.contains(.interruptible) || fatal_signal_pending(t)
}

func signal_pending(_ t: Task) -> Bool {
    let deliverable = SigSet(bits: (t.pending.bits | t.signal.sharedPending.bits) & ~t.blocked.bits)
    return !deliverable.isEmpty || t.signal.flags.contains(.groupExit)
}

func fatal_signal_pending(_ t: Task) -> Bool {
    t.pending.contains(SIGKILL) || t.signal.flags.contains(.groupExit)
}

/// send_signal_locked(): queue `sig` for one thread or its whole group and
/// wake whoever can take it. Ignored signals are dropped at once, as Linux does.
func send_signal_locked(_ sig: Int32, to t: Task, group: Bool) {
    let act = t.signal.actionFor(sig)
    if sig != SIGKILL && sig != SIGSTOP {
        if act.handler == SIG_IGN || (act.handler == SIG_DFL && sig_kernel_ignore(sig)) { return }
        // Init gets only the signals it has a handler for (SIGNAL_UNKILLABLE).
        if t.signal.flags.contains(.unkillable) && act.handler == SIG_DFL { return }
    }
    if group { t.signal.sharedPending.insert(sig) } else { t.pending.insert(sig) }
    signal_wake_up(t, fatal: sig == SIGKILL)
}

/// signal_wake_up(): an interruptible sleeper (and, for fatal signals, a
/// killable one) is woken so that it notices the signal.
func signal_wake_up(_ t: Task, fatal: Bool) {
    try_to_wake_up(t, mask: fatal ? [.interruptible, .wakekill] : [.interruptible])
}

/// force_sig_fault(): a synchronous fault in user mode. The signal cannot be
/// ignored or blocked away: if it is, the action is reset to the default
/// (Linux's force_sig_info_to_task), so the process dies of it.
func force_sig_fault(_ sig: Int32, address: UInt64) {
    let t = current
    let flags = siglock.lockIrqSave()
    var act = t.signal.action[Int(sig - 1)]
    if act.handler == SIG_IGN || t.blocked.contains(sig) {
        act.handler = SIG_DFL
        t.signal.action[Int(sig - 1)] = act
        t.blocked.remove(sig)
    }
    t.pending.insert(sig)
    siglock.unlockIrqRestore(flags)
}

/// The hook the page-fault handler calls for a bad user access.
func force_sig_fault_segv(_ address: UInt64) { force_sig_fault(SIGSEGV, address: address) }

/// get_signal(): on the way back to user mode, take the next pending signal
/// and act on it. With no user handlers yet (the next issue), every signal
/// that reaches here either is ignored or ends the thread group.
func get_signal() {
    let t = current
    while true {
        let flags = siglock.lockIrqSave()
        if t.signal.flags.contains(.groupExit) {
            siglock.unlockIrqRestore(flags)
            do_group_exit(t.signal.groupExitCode)
        }
        let deliverable = SigSet(bits: (t.pending.bits | t.signal.sharedPending.bits) & ~t.blocked.bits)
        guard let sig = deliverable.first else {
            siglock.unlockIrqRestore(flags)
            return
        }
        if t.pending.contains(sig) { t.pending.remove(sig) } else { t.signal.sharedPending.remove(sig) }
        let act = t.signal.actionFor(sig)
        siglock.unlockIrqRestore(flags)
        if act.handler == SIG_IGN { continue }
        if act.handler == SIG_DFL {
            if sig_kernel_ignore(sig) { continue }
            if t.signal.flags.contains(.unkillable) && sig != SIGKILL { continue }
            // Default action: terminate. (Core dumps are not written; the
            // status carries no core flag, as with a zero core limit.)
            t.flags.insert(.signaled)
            do_group_exit(sig)
        }
        // Handlers come with the signal-delivery issue; until then, ignore.
    }
}

/// kill_pid_info() for the exit path: a signal to one process (pdeath_signal, SIGCHLD).
func group_send_sig(_ sig: Int32, to t: Task) {
    let flags = siglock.lockIrqSave()
    send_signal_locked(sig, to: t, group: true)
    siglock.unlockIrqRestore(flags)
}
