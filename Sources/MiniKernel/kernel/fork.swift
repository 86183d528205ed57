// Creating tasks: fork, vfork, clone. Linux: kernel/fork.c.
//
// kernel_clone() → copy_process() builds the child: a task_struct and kernel
// stack (dup_task_struct), its share of the parent's resources (copy_files,
// copy_fs, copy_sighand/copy_signal, copy_mm) — shared or copied as the
// clone flags say — the register frame it will return to user mode with
// (copy_thread), and a pid. Then, under tasklist_lock, the child is linked
// to its parent and becomes visible. wake_up_new_task() makes it runnable;
// a CLONE_VFORK parent then sleeps until the child execs or exits.

import CShim
import Synchronization

struct CloneFlags: OptionSet {
    let rawValue: UInt64
    static let vm = CloneFlags(rawValue: 0x0000_0100)             // CLONE_VM
    static let fs = CloneFlags(rawValue: 0x0000_0200)             // CLONE_FS
    static let files = CloneFlags(rawValue: 0x0000_0400)          // CLONE_FILES
    static let sighand = CloneFlags(rawValue: 0x0000_0800)        // CLONE_SIGHAND
    static let pidfd = CloneFlags(rawValue: 0x0000_1000)          // CLONE_PIDFD
    static let ptrace = CloneFlags(rawValue: 0x0000_2000)         // CLONE_PTRACE
    static let vfork = CloneFlags(rawValue: 0x0000_4000)          // CLONE_VFORK
    static let parent = CloneFlags(rawValue: 0x0000_8000)         // CLONE_PARENT
    static let thread = CloneFlags(rawValue: 0x0001_0000)         // CLONE_THREAD
    static let newns = CloneFlags(rawValue: 0x0002_0000)          // CLONE_NEWNS
    static let sysvsem = CloneFlags(rawValue: 0x0004_0000)        // CLONE_SYSVSEM
    static let settls = CloneFlags(rawValue: 0x0008_0000)         // CLONE_SETTLS
    static let parentSettid = CloneFlags(rawValue: 0x0010_0000)   // CLONE_PARENT_SETTID
    static let childCleartid = CloneFlags(rawValue: 0x0020_0000)  // CLONE_CHILD_CLEARTID
    static let detached = CloneFlags(rawValue: 0x0040_0000)       // CLONE_DETACHED (ignored)
    static let untraced = CloneFlags(rawValue: 0x0080_0000)       // CLONE_UNTRACED
    static let childSettid = CloneFlags(rawValue: 0x0100_0000)    // CLONE_CHILD_SETTID
    static let csignal = CloneFlags(rawValue: 0x0000_00ff)        // CSIGNAL: the exit signal
}

/// kernel_clone_args.
struct KernelCloneArgs {
    var flags: CloneFlags = []
    var exitSignal: Int32 = SIGCHLD
    var stack: UInt64 = 0
    var parentTid: UInt64 = 0
    var childTid: UInt64 = 0
    var tls: UInt64 = 0
}

/// tasklist_lock: guards the family links (children, sibling, real_parent),
/// the all-tasks list and exit_state transitions. The outermost lock of the
/// exit path: tasklist_lock → siglock → rq->lock.
let tasklistLock = SpinLock(name: "tasklist_lock")
/// Tasks in existence (not yet freed), for the leak checks.
let nr_tasks = Atomic<Int>(0)
/// The all-tasks list (for_each_process), headed by the first CPU's idle task.
var init_task_list_head: Task? = nil

/// dup_task_struct(): a new task object and kernel stack.
private func dup_task_struct(signal: SignalStruct, sighand: SighandStruct) -> Task? {
    guard let stack = alloc_thread_stack() else { return nil }
    let t = Task(signal: signal, sighand: sighand)
    t.stackBase = stack
    t.stackTop = stack + THREAD_SIZE
    // Two references: one for running (dropped by finish_task_switch after
    // the final schedule), one for the parent's claim (dropped by release_task).
    t.usage.store(2, ordering: .relaxed)
    nr_tasks.wrappingAdd(1, ordering: .relaxed)
    return t
}

/// free_task(): the last put_task_struct().
func free_task(_ t: Task) {
    put_task_stack(t)
    put_signal_struct(t.signal)
    put_sighand(t.sighand)
    nr_tasks.wrappingSubtract(1, ordering: .relaxed)
    kfree_object(t)
}

/// get_task_mm(): a reference on another task's address space, or nil once
/// it has none (exited, or an idle task). Drop it with mmput().
func get_task_mm(_ t: Task) -> MMStruct? {
    t.allocLock.withLock { () -> MMStruct? in
        guard let mm = t.mm, !t.isIdle else { return nil }
        mmget(mm)
        return mm
    }
}

/// copy_process(): everything but waking the child. Returns the child, or
/// nil with `error` set. (Not a Result<Task, …>: a multi-payload enum may keep
/// its tag in a class pointer's "spare" top bits, which upper-half kernel
/// pointers do not have — see the README.)
func copy_process(_ args: KernelCloneArgs, regs: UnsafeMutablePointer<PtRegs>, error: inout Errno) -> Task? {
    let f = args.flags
    // Linux's flag-combination checks, in its order.
    if f.contains(.newns) && f.contains(.fs) { error = .EINVAL; return nil }
    if f.contains(.thread) && !f.contains(.sighand) { error = .EINVAL; return nil }
    if f.contains(.sighand) && !f.contains(.vm) { error = .EINVAL; return nil }
    if f.contains(.parent) && current.signal.flags.contains(.unkillable) { error = .EINVAL; return nil }
    // CLONE_DETACHED stays refused with CLONE_PIDFD so that it may mean something there one day.
    if f.contains(.pidfd) && f.contains(.detached) { error = .EINVAL; return nil }

    let parentTask = current
    // copy_signal / copy_sighand: a thread shares its group's signal state
    // and handlers; a process gets its own, copied from the parent's.
    let sig: SignalStruct
    let sh: SighandStruct
    if f.contains(.thread) {
        sig = parentTask.signal
    } else {
        sig = SignalStruct()
        sig.pgrp = parentTask.signal.pgrp
        sig.session = parentTask.signal.session
        sig.hasChildSubreaper = parentTask.signal.hasChildSubreaper || parentTask.signal.isChildSubreaper
        sig.rlim = parentTask.signal.rlim
    }
    if f.contains(.sighand) {
        sh = parentTask.sighand
    } else {
        sh = SighandStruct()
        sh.action = parentTask.sighand.action
    }
    guard let p = dup_task_struct(signal: sig, sighand: sh) else {
        if !f.contains(.thread) { put_signal_struct(sig) }
        if !f.contains(.sighand) { put_sighand(sh) }
        error = .ENOMEM; return nil
    }
    if f.contains(.thread) { sig.usage.add(1, ordering: .relaxed) }
    if f.contains(.sighand) { sh.count.add(1, ordering: .relaxed) }
    p.comm = parentTask.comm
    let kept = TaskFlags.kthread.rawValue | TaskFlags.randomize.rawValue      // (an array literal would allocate)
    p.flags = TaskFlags(rawValue: parentTask.flags.rawValue & kept).union(.forkNoExec)
    p.blocked = parentTask.blocked
    // The alternate signal stack is inherited, except by a thread sharing
    // the address space, whose stack it would also be (copy_process()).
    if !f.contains(.vm) || f.contains(.vfork) {
        p.sasSsSp = parentTask.sasSsSp
        p.sasSsSize = parentTask.sasSsSize
        p.sasSsFlags = parentTask.sasSsFlags
    }
    p.cpusAllowed = parentTask.cpusAllowed
    // sched_fork(): the policy is inherited. SCHED_RESET_ON_FORK resets only a
    // real-time policy or a negative nice, neither of which exists here, and is
    // itself not inherited.
    p.policy = parentTask.policy
    p.personality = parentTask.personality
    p.cpu = parentTask.cpu
    p.pdeathSignal = 0
    p.startTime = ktime_get_ns()
    if f.contains(.thread) { p.exitSignal = -1 }
    else if f.contains(.parent) { p.exitSignal = parentTask.groupLeader.exitSignal }
    else { p.exitSignal = args.exitSignal }

    // copy_semundo: CLONE_SYSVSEM shares the SEM_UNDO list.
    copy_semundo(f, p)
    // copy_files / copy_fs.
    if let files = parentTask.files {
        if f.contains(.files) { files.count.add(1, ordering: .relaxed); p.files = files } else {
            guard let copy = dup_fd(files) else { abort_fork(p); error = .ENOMEM; return nil }
            p.files = copy
        }
    }
    if let fs = parentTask.fs {
        if f.contains(.fs) { fs.users.add(1, ordering: .relaxed); p.fs = fs } else { p.fs = copy_fs_struct(fs) }
    }

    // copy_mm: share the address space (CLONE_VM: vfork, threads) or copy it.
    if let mm = parentTask.mm {
        if f.contains(.vm) {
            mmget(mm)
            p.mm = mm
        } else {
            guard let copy = dup_mm(mm) else {
                abort_fork(p)
                error = .ENOMEM; return nil
            }
            p.mm = copy
        }
    }

    copy_thread(p, parentRegs: regs, newSp: args.stack, tls: f.contains(.settls) ? args.tls : nil)
    if f.contains(.childSettid) { p.setChildTid = args.childTid }
    if f.contains(.childCleartid) { p.clearChildTid = args.childTid }

    guard let pid = alloc_pid() else {
        abort_fork(p)
        error = .EAGAIN; return nil
    }
    p.pid = pid

    // CLONE_PIDFD: the parent's pidfd for the child, its number stored at
    // parent_tid. A bad address fails the fork. (Linux reserves the fd here
    // and installs it at the very end; ours is in the table from here on.)
    var pidfd = -1
    if f.contains(.pidfd) {
        let file = __pidfd_prepare(pid, flags: f.contains(.thread) ? PIDFD_THREAD : 0)
        pidfd = install_new_fd(file, cloexec: true)
        if pidfd < 0 || !put_user(Int32(pidfd), args.parentTid) {
            if pidfd < 0 { fput(file) } else { _ = close_fd(UInt64(pidfd)) }
            error = pidfd < 0 ? Errno(rawValue: -pidfd) ?? .EMFILE : .EFAULT
            put_pid(pid)
            abort_fork(p)
            return nil
        }
    }

    // Make it visible: linked to its parent, findable by pid.
    let flags = tasklistLock.lockIrqSave()
    if f.contains(.parent) || f.contains(.thread) {
        p.realParent = parentTask.realParent
    } else {
        p.realParent = parentTask
    }
    p.parent = p.realParent
    // A fatal signal that arrived while we copied: give up, as Linux does.
    // Checked under siglock, which a group exit and a core dump's
    // zap_threads() hold while they mark the group and count its threads:
    // a thread linked after them would be neither killed nor counted, and
    // a dump waiting for its count could finish with a thread still on its
    // way to park (that thread then sleeps for ever).
    sched_seed_delay_point()        // a zap_threads() on another CPU meets this window often
    let siglockFlags = siglock.lockIrqSave()
    if fatal_signal_pending(parentTask) {
        siglock.unlockIrqRestore(siglockFlags)
        tasklistLock.unlockIrqRestore(flags)
        if pidfd >= 0 { _ = close_fd(UInt64(pidfd)) }
        put_pid(pid)
        abort_fork(p)
        error = .EINTR; return nil
    }
    if f.contains(.thread) {
        // A thread joins its group; it is nobody's child.
        p.tgid = parentTask.tgid
        p.groupLeader = parentTask.groupLeader
        sig.nrThreads += 1
        sig.live += 1
        sig.quickThreads += 1
    } else {
        p.tgid = pid
        p.groupLeader = p
        get_pid(sig.pgrp)
        get_pid(sig.session)
        // The controlling terminal, read under siglock as TIOCNOTTY and a hangup write it.
        sig.tty = parentTask.signal.tty
        if let tty = sig.tty { tty_kref_get(tty) }
        link_child(p, to: p.realParent)
    }
    link_thread(p)
    siglock.unlockIrqRestore(siglockFlags)
    link_task_list(p)
    attach_pid(p)
    tasklistLock.unlockIrqRestore(flags)
    trace_sched_process_fork(parentTask, p)
    return p
}

/// Undo a half-built child (the error paths of copy_process).
private func abort_fork(_ p: Task) {
    exit_sem(p)                                          // bad_fork_cleanup_semundo
    if let mm = p.mm { mmput(mm); p.mm = nil }
    if let files = p.files { put_files_struct(files); p.files = nil }
    if let fs = p.fs { put_fs_struct(fs); p.fs = nil }
    p.usage.store(1, ordering: .relaxed)
    put_task_struct(p)
}

/// The thread list of a group (signal->thread_head), in creation order.
func link_thread(_ p: Task) {
    let sig = p.signal
    p.threadNext = nil
    guard var last = sig.threadHead else { sig.threadHead = p; p.threadPrev = nil; return }
    while let n = last.threadNext { last = n }
    last.threadNext = p
    p.threadPrev = last
}

func unlink_thread(_ p: Task) {
    if let prev = p.threadPrev { prev.threadNext = p.threadNext }
    else if p.signal.threadHead === p { p.signal.threadHead = p.threadNext }
    if let next = p.threadNext { next.threadPrev = p.threadPrev }
    p.threadNext = nil
    p.threadPrev = nil
}

/// Children list: the child goes to the tail of its parent's children.
func link_child(_ p: Task, to parent: Task) {
    p.siblingNext = nil
    if let last = parent.childrenTail {
        last.siblingNext = p
        p.siblingPrev = last
    } else {
        parent.childrenHead = p
        p.siblingPrev = nil
    }
    parent.childrenTail = p
}

func unlink_child(_ p: Task) {
    if let prev = p.siblingPrev { prev.siblingNext = p.siblingNext } else { p.realParent.childrenHead = p.siblingNext }
    if let next = p.siblingNext { next.siblingPrev = p.siblingPrev } else { p.realParent.childrenTail = p.siblingPrev }
    p.siblingNext = nil
    p.siblingPrev = nil
}

func link_task_list(_ p: Task) {
    guard let head = init_task_list_head else { init_task_list_head = p; return }
    p.tasksNext = head.tasksNext
    p.tasksPrev = head
    head.tasksNext?.tasksPrev = p
    head.tasksNext = p
}

func unlink_task_list(_ p: Task) {
    p.tasksPrev?.tasksNext = p.tasksNext
    p.tasksNext?.tasksPrev = p.tasksPrev
    p.tasksNext = nil
    p.tasksPrev = nil
}

/// kernel_clone(): copy_process(), then wake the child and report its pid.
func kernel_clone(_ args: KernelCloneArgs, regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var vfork: Completion? = nil
    var error = Errno.EINVAL
    // Legacy clone() returns the pidfd through parent_tid: it cannot also
    // store the tid there.
    if args.flags.contains(.pidfd) && args.flags.contains(.parentSettid) { return Errno.EINVAL.negated }
    guard let p = copy_process(args, regs: regs, error: &error) else { return error.negated }
    let pid = Int(p.pid)
    if args.flags.contains(.parentSettid) {
        _ = put_user(Int32(pid), args.parentTid)
    }
    if args.flags.contains(.childSettid) {
        // Written into the child's address space (shared with CLONE_VM).
        p.setChildTid = args.childTid
    }
    if args.flags.contains(.vfork) {
        let c = Completion()
        p.vforkDone = c
        vfork = c
        get_task_struct(p)
    }
    wake_up_new_task(p)
    if let c = vfork {
        // wait_for_vfork_done(): only a fatal signal ends the wait early;
        // then the child must not complete a completion that is gone.
        if wait_for_completion_killable(c) == .interrupted {
            tasklistLock.withLock { p.vforkDone = nil }
        }
        put_task_struct(p)
        kfree_object(c.wait)
        kfree_object(c)
    }
    return pid
}

func sys_fork(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    kernel_clone(KernelCloneArgs(flags: [], exitSignal: SIGCHLD), regs: regs)
}

func sys_vfork(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    kernel_clone(KernelCloneArgs(flags: CloneFlags.vfork.union(.vm), exitSignal: SIGCHLD), regs: regs)
}

/// clone(flags, stack, parent_tid, child_tid, tls): x86-64's argument order.
func sys_clone(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let raw = regs.arg0
    let sig = Int32(raw & CloneFlags.csignal.rawValue)
    guard sig >= 0 && sig <= _NSIG else { return Errno.EINVAL.negated }
    var args = KernelCloneArgs()
    args.flags = CloneFlags(rawValue: raw & ~CloneFlags.csignal.rawValue)
    args.exitSignal = sig
    args.stack = regs.arg1
    args.parentTid = regs.arg2
    args.childTid = regs.arg3
    args.tls = regs.arg4
    return kernel_clone(args, regs: regs)
}

/// The first user-mode return of a new task: CLONE_CHILD_SETTID is written
/// from the child itself (Linux does it in schedule_tail()).
@_cdecl("exit_to_user_mode_from_fork")
public func exit_to_user_mode_from_fork(_ regs: UnsafeMutablePointer<PtRegs>) {
    let t = current
    if t.setChildTid != 0 {
        _ = put_user(t.pid, t.setChildTid)
    }
    if t === child_reaper { kernel_init(regs) }
    exit_to_user_mode(regs)
}

/// put_task_stack(): a dead task's stack goes as soon as nothing runs on it
/// (finish_task_switch), not when the zombie is reaped: a zombie is a
/// task_struct and a pid, nothing more.
func put_task_stack(_ t: Task) {
    guard t.stackBase != 0 else { return }
    free_thread_stack(t.stackBase)
    t.stackBase = 0
    t.stackTop = 0
}
