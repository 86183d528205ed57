// How a task ends. Linux: kernel/exit.c (v6.18).
//
// The rules, before the code that implements them
// ------------------------------------------------
// A task's death has three audiences: its own resources, its children, and
// its parent.
//
// 1. Resources go first, in a fixed order (do_exit): the task marks itself
//    PF_EXITING (exit_signals), so no new group-wide signal picks it, and
//    counts itself out of signal->live; the last thread out makes the group
//    dead (group_dead). Then its address space (exit_mm, which also wakes a
//    vfork parent and clears clear_child_tid), its open files (exit_files),
//    its filesystem context (exit_fs), its architecture state (exit_thread).
//
// 2. Children must never be left without a parent (forget_original_parent):
//    they are handed to a reaper (find_new_reaper) — a live thread of the
//    same group if there is one (the next issue adds threads), else the
//    nearest ancestor that declared itself a child subreaper
//    (PR_SET_CHILD_SUBREAPER), else init. Each adopted child that is already
//    a zombie is announced to its new parent at once (reparent_leader), or
//    reaped on the spot if that parent does not want to wait.
//
// 3. The parent learns of the death (exit_notify): the task becomes
//    EXIT_ZOMBIE and do_notify_parent() sends its exit signal (SIGCHLD) and
//    wakes the parent's wait4(). If the parent ignores SIGCHLD or set
//    SA_NOCLDWAIT, nobody will wait: the task is reaped at once
//    (autoreap: EXIT_DEAD, then release_task).
//
// A zombie keeps only its task_struct, its pid and its exit status. The
// parent's wait4() collects the status and calls release_task(), which
// unhashes the pid (it may be reused from then on) and drops the parent's
// reference. The task's last act is do_task_dead(): TASK_DEAD and a final
// schedule(); the task switched to drops the other reference in
// finish_task_switch(), and the stack and task_struct are freed there —
// never by the dying task, which is still standing on that stack.
//
// Locks, outermost first: tasklist_lock (family links, exit_state),
// siglock (signal state), rq->lock (run queues). Never the other way round.
//
// Older kernels (the seeds, 2.6.x) did the same in a different shape:
// exit_notify() chose a new parent with choose_new_parent() among the
// thread group or init (no subreapers before 3.4), and the recursion check
// below lived at the top of do_exit() itself (6.x moved it to make_task_dead()).

import CShim

/// Init's task, for find_child_reaper() and the init-exit rule.
var child_reaper: Task? = nil

/// do_exit(): the task's end. Never returns.
func do_exit(_ code: Int32) -> Never {
    let tsk = current
    // A fault inside do_exit() would come back here; Linux parks the task
    // rather than tear it down twice (make_task_dead()).
    if tsk.flags.contains(.exiting) {
        pr_alert("Fixing recursive fault but reboot is needed!")
        tsk.exitState = .dead
        do_task_dead()
    }
    if tsk.isIdle { panic("Attempted to kill the idle task!") }
    BUG_ON(irqs_disabled() && false)
    local_irq_enable()

    trace_do_exit_step(tsk, "do_exit")
    exit_signals(tsk)                                    // PF_EXITING
    trace_do_exit_step(tsk, "exit_signals")
    let groupDead = siglock.withLock { () -> Bool in
        tsk.signal.live -= 1
        return tsk.signal.live == 0
    }
    if groupDead && tsk === child_reaper {
        // Linux panics here; so do we, and the panic powers the machine off
        // with init's status (init_exit()).
        init_exit(tsk, code: tsk.signal.flags.contains(.groupExit) ? tsk.signal.groupExitCode : code)
    }
    tsk.exitCode = code
    trace_sched_process_exit(tsk, groupDead: groupDead)
    exit_mm(tsk)
    trace_do_exit_step(tsk, "exit_mm")
    exit_files(tsk)
    exit_fs(tsk)
    trace_do_exit_step(tsk, "exit_files+exit_fs")
    exit_thread(tsk)
    exit_notify(tsk, groupDead: groupDead)
    do_task_dead()
}

/// do_group_exit(): the whole thread group exits with `code` (exit_group(2),
/// a fatal signal). With one thread per process this is do_exit() after
/// recording the group's code; zap_other_threads() comes with thread groups.
func do_group_exit(_ codeIn: Int32) -> Never {
    let tsk = current
    var code = codeIn
    let flags = siglock.lockIrqSave()
    if tsk.signal.flags.contains(.groupExit) {
        code = tsk.signal.groupExitCode
    } else {
        tsk.signal.groupExitCode = code
        tsk.signal.flags.insert(.groupExit)
    }
    siglock.unlockIrqRestore(flags)
    do_exit(code)
}

/// exit_signals(): from now on the task takes no group-wide signals.
func exit_signals(_ tsk: Task) {
    siglock.withLock { _ = tsk.flags.insert(.exiting) }
}

/// exit_mm() → mm_release(): the vfork parent is released and
/// clear_child_tid is zeroed (and futex-woken, with futexes) while the
/// address space still exists; then this task's reference to it goes.
func exit_mm(_ tsk: Task) {
    mm_release(tsk)
    guard let mm = tsk.mm else { return }
    tsk.mm = nil
    // Keep running on the kernel's page tables: the user half may be freed now.
    switch_to_kernel_mm()
    mmput(mm)
}

/// mm_release(): what a task owes others before it lets go of its memory
/// (exit and exec alike).
func mm_release(_ tsk: Task) {
    if tsk.clearChildTid != 0 {
        // Only worth writing when someone else can see the memory; Linux
        // checks mm_users > 1 too.
        if let mm = tsk.mm, mm_users(mm) > 1 {
            var zero: Int32 = 0
            _ = withUnsafeBytes(of: &zero) { copy_to_user(tsk.clearChildTid, $0.baseAddress!, 4) }
            futex_wake_hook(tsk.clearChildTid)
        }
        tsk.clearChildTid = 0
    }
    // complete_vfork_done()
    let flags = tasklistLock.lockIrqSave()
    let done = tsk.vforkDone
    tsk.vforkDone = nil
    tasklistLock.unlockIrqRestore(flags)
    if let c = done { complete(c) }
}

func exit_files(_ tsk: Task) {
    guard let f = tsk.files else { return }
    tsk.files = nil
    put_files_struct(f)
}

func exit_fs(_ tsk: Task) {
    guard let fs = tsk.fs else { return }
    tsk.fs = nil
    put_fs_struct(fs)
}

/// exit_thread(): architecture state. Nothing to release on x86-64 without
/// an I/O bitmap; the FPU area lives on the kernel stack.
func exit_thread(_ tsk: Task) {}

/// find_new_reaper(): who adopts the children of `father`.
private func find_new_reaper(_ father: Task) -> Task {
    guard let initTask = child_reaper else { BUG("no child reaper") }
    if father.signal.hasChildSubreaper {
        // The nearest ancestor that is a subreaper and still has a live thread.
        var reaper = father.realParent
        while reaper !== initTask && !reaper.isIdle {
            if reaper.signal.isChildSubreaper && !reaper.flags.contains(.exiting) {
                return reaper
            }
            reaper = reaper.realParent
        }
    }
    return initTask
}

/// reparent_leader(): an adopted zombie is announced to its new parent; if
/// that parent would never wait, it goes on the `dead` list to be released.
private func reparent_leader(_ father: Task, _ p: Task, _ dead: inout Task?) {
    if p.exitState == .dead { return }
    p.exitSignal = SIGCHLD
    if p.exitState == .zombie {
        if do_notify_parent(p, sig: p.exitSignal) {
            p.exitState = .dead
            p.rqNext = dead        // the dead list reuses the idle rq link
            dead = p
        }
    }
}

/// forget_original_parent(): every child moves to the reaper. Called with
/// tasklist_lock held.
private func forget_original_parent(_ father: Task, _ dead: inout Task?) {
    guard father.childrenHead != nil else { return }
    let reaper = find_new_reaper(father)
    while let p = father.childrenHead {
        unlink_child(p)
        p.realParent = reaper
        p.parent = reaper
        if p.pdeathSignal != 0 { group_send_sig(p.pdeathSignal, to: p) }
        link_child(p, to: reaper)
        trace_reparent(p, from: father, to: reaper)
        reparent_leader(father, p, &dead)
    }
}

/// exit_notify(): children to their reaper, then the zombie announced to
/// the parent — or reaped at once if nobody will wait for it.
func exit_notify(_ tsk: Task, groupDead: Bool) {
    var dead: Task? = nil
    let flags = tasklistLock.lockIrqSave()
    forget_original_parent(tsk, &dead)
    tsk.exitState = .zombie
    trace_do_exit_step(tsk, "exit_notify: EXIT_ZOMBIE")
    var autoreap = false
    if tsk.isGroupLeader {
        autoreap = do_notify_parent(tsk, sig: tsk.exitSignal)
    } else {
        autoreap = true
    }
    if autoreap {
        tsk.exitState = .dead
        tsk.rqNext = dead
        dead = tsk
    }
    tasklistLock.unlockIrqRestore(flags)
    while let p = dead {
        dead = p.rqNext
        p.rqNext = nil
        release_task(p)
    }
}

/// do_notify_parent(): send the exit signal and wake the parent's wait4().
/// Returns true when the child should be reaped now, because the parent
/// ignores SIGCHLD or set SA_NOCLDWAIT. Called with tasklist_lock held.
@discardableResult
func do_notify_parent(_ tsk: Task, sig sigIn: Int32) -> Bool {
    var sig = sigIn
    let parent = tsk.parent
    var autoreap = false
    let act = parent.signal.actionFor(SIGCHLD)
    if sig == SIGCHLD && (act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0) {
        autoreap = true
        if act.handler == SIG_IGN { sig = 0 }
    }
    if sig > 0 && sig <= _NSIG { group_send_sig(sig, to: parent) }
    // __wake_up_parent()
    wake_up_all(parent.signal.waitChldExit)
    return autoreap
}

let SA_NOCLDSTOP: UInt64 = 0x0000_0001
let SA_NOCLDWAIT: UInt64 = 0x0000_0002

/// release_task(): the last of a task — its pid is freed, it leaves every
/// list, and the parent's reference to it is dropped.
func release_task(_ p: Task) {
    trace_sched_process_free(p)
    let flags = tasklistLock.lockIrqSave()
    __exit_signal(p)
    tasklistLock.unlockIrqRestore(flags)
    put_task_struct(p)
}

/// __exit_signal(): fold the task's CPU time into its group, then
/// __unhash_process(). Called with tasklist_lock held.
private func __exit_signal(_ p: Task) {
    siglock.withLock {
        p.signal.utime += p.utime
        p.signal.stime += p.stime
        p.signal.nrThreads -= 1
    }
    __unhash_process(p)
}

/// __unhash_process(): the pid is free for reuse and the task leaves its
/// parent's children and the all-tasks list.
private func __unhash_process(_ p: Task) {
    detach_pid(p)
    free_pid(p.pid)
    if p.siblingPrev != nil || p.realParent.childrenHead === p { unlink_child(p) }
    unlink_task_list(p)
}

/// do_task_dead(): TASK_DEAD and the final schedule(). The next task frees us.
func do_task_dead() -> Never {
    let t = current
    local_irq_disable()
    t.state = .dead
    trace_do_exit_step(t, "do_task_dead: TASK_DEAD")
    schedule()
    BUG("a dead task was scheduled again")
}

// MARK: - system calls

func sys_exit(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_exit(Int32(truncatingIfNeeded: regs.arg0 & 0xff) << 8)
}

func sys_exit_group(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_group_exit(Int32(truncatingIfNeeded: regs.arg0 & 0xff) << 8)
}
