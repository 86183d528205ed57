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
//    same group if there is one, else the nearest ancestor that declared
//    itself a child subreaper
//    (PR_SET_CHILD_SUBREAPER), else init. Each adopted child that is already
//    a zombie is announced to its new parent at once (reparent_leader), or
//    reaped on the spot if that parent does not want to wait.
//
// 3. The parent learns of the death (exit_notify): the task becomes
//    EXIT_ZOMBIE and do_notify_parent() sends its exit signal (SIGCHLD) and
//    wakes the parent's wait4(). If the parent ignores SIGCHLD or set
//    SA_NOCLDWAIT, nobody will wait: the task is reaped at once
//    (autoreap: EXIT_DEAD, then release_task). Only a thread-group leader
//    whose group is empty is announced; other threads reap themselves, and
//    a leader that exits before its threads stays a zombie, unannounced,
//    until release_task() of the last thread notices and announces it
//    (delay_group_leader, the zap_leader step).
//
// A whole group ends through do_group_exit(): the first thread to get
// there sets SIGNAL_GROUP_EXIT and the group's code under siglock, and
// zap_other_threads() sends SIGKILL to every other thread, waking it
// wherever it sleeps. If the threads instead exit one by one, the last one
// to enter do_exit() sets SIGNAL_GROUP_EXIT with its own code
// (synchronize_group_exit, Linux 5.19+): that is why a process whose leader
// called exit(1) first and whose last thread called exit(2) reports 2.
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
// thread group or init (no subreapers before 3.4), the recursion check
// below lived at the top of do_exit() itself (5.17 moved it to
// make_task_dead()), and before 5.19 a group whose threads exited one by one
// reported the leader's own exit code, not the last thread's.

import CShim
import Synchronization

/// Init's task: the reaper of last resort, and the task whose death ends the machine.
var child_reaper: Task? = nil

/// synchronize_group_exit(): the last thread into do_exit() decides the
/// group's exit code, unless a group exit already did. Under the same lock
/// the task marks itself past the point a core dump counts threads
/// (PF_POSTCOREDUMP), and joins a dump in progress (coredump_task_exit()).
private func synchronize_group_exit(_ tsk: Task, _ code: Int32) {
    let flags = siglock.lockIrqSave()
    let sig = tsk.signal
    sig.quickThreads -= 1
    if sig.quickThreads == 0 && !sig.flags.contains(.groupExit) {
        sig.flags = .groupExit
        sig.groupExitCode = code
        sig.groupStopCount = 0
    }
    tsk.flags.insert(.postCoredump)
    let coreState = sig.coreState
    siglock.unlockIrqRestore(flags)
    if let coreState { coredump_task_exit(tsk, coreState) }
}

/// do_exit(): the task's end. Never returns.
///
/// Every step of Linux 6.18's do_exit() is here in its order: either the
/// code that does it, or a comment at its place saying why MiniKernel has
/// nothing for it to do (the feature does not exist here). docs/exit-path.md
/// walks the same list with what each step does in Linux.
func do_exit(_ code: Int32) -> Never {
    let tsk = current
    // A fault inside do_exit() would come back here; Linux parks the task
    // rather than tear it down twice (since 5.17 this check lives in
    // make_task_dead(), called by the oops path; ours stays here because a
    // kernel-mode fault panics instead of killing the task).
    if tsk.flags.contains(.exiting) {
        pr_alert("Fixing recursive fault but reboot is needed!")
        tsk.exitState = .dead
        do_task_dead()
    }
    if tsk.isIdle { panic("Attempted to kill the idle task!") }
    local_irq_enable()
    // kcov_task_exit(), kmsan_task_exit(): no sanitizers.

    trace_do_exit_step(tsk, "do_exit")
    synchronize_group_exit(tsk, code)                    // and coredump_task_exit(): parked for a dump
    // ptrace_event(PTRACE_EVENT_EXIT): no ptrace. user_events_exit(),
    // io_uring_files_cancel(): no user events, no io_uring.
    exit_signals(tsk)                                    // PF_EXITING
    trace_do_exit_step(tsk, "exit_signals")
    // seccomp_filter_release(): no seccomp. acct_update_integrals(): no
    // extended (taskstats) accounting; CPU time is charged by the tick.
    let groupDead = siglock.withLock { () -> Bool in
        tsk.signal.live -= 1
        return tsk.signal.live == 0
    }
    tsk.exitCode = code
    if groupDead && tsk.signal === child_reaper?.signal {
        // Linux panics here; so do we, and the panic powers the machine off
        // with init's status (init_exit()).
        init_exit(tsk, code: task_exit_status(tsk))
    }
    // From here on the task is dying, until the switch away from it for the
    // last time (finish_task_switch). Counted before exit_notify() can make
    // it invisible to wait: init's leak check waits for every dying task.
    nr_dying_tasks.wrappingAdd(1, ordering: .releasing)
    if groupDead {
        let realArmed = real_timer_cancel(tsk.signal)    // hrtimer_cancel(&sig->real_timer)
        let posixTimers = exit_itimers(tsk.signal)       // the POSIX timers
        trace_exit_itimers(tsk, realArmed: realArmed, posixTimers: posixTimers)
        // The group's peak memory, for its parent's wait4() and RUSAGE_CHILDREN.
        if let mm = tsk.mm { setmax_mm_hiwater_rss(&tsk.signal.maxrss, mm) }
    }
    acct_collect(tsk, code, groupDead: groupDead)        // this thread's times for acct(2)'s record
    // tty_audit_exit(), audit_free(): no audit. taskstats_exit(): no taskstats.
    trace_sched_process_exit(tsk, groupDead: groupDead)
    // perf_event_exit_task(): no perf events.
    exit_mm(tsk)                                         // robust futexes, clear_child_tid, vfork, the mm
    trace_do_exit_step(tsk, "exit_mm")
    if groupDead && acct_process(tsk) {                  // the group's record, if accounting is on
        trace_do_exit_step(tsk, "acct_process")
    }
    trace_exit_sem(tsk, arrays: exit_sem(tsk))           // SEM_UNDO, by the last CLONE_SYSVSEM sharer
    // exit_shm(): Linux forgets which segments this task created; only
    // kernel.shm_rmid_forced (off by default, no sysctl here) would destroy
    // them. The segments it had attached were detached by exit_mm() above:
    // exit_mmap() → shm_close(), which destroys one marked for IPC_RMID.
    exit_files(tsk)
    exit_fs(tsk)
    if groupDead { disassociate_ctty(true) }             // a session leader lets go of its terminal
    // exit_task_namespaces(): one set of namespaces for all.
    exit_task_work(tsk)                                  // the files' final fput()s
    trace_do_exit_step(tsk, "exit_files+exit_fs")
    exit_thread(tsk)
    // sched_autogroup_exit_task(), cgroup_exit(): no autogroups, no cgroups.
    // flush_ptrace_hw_breakpoint(): no debug registers in use.
    // exit_tasks_rcu_start(): no RCU.
    exit_notify(tsk, groupDead: groupDead)
    // proc_exit_connector(): no netlink. mpol_put_task_policy(): no NUMA
    // policy. The PI-state cache: no PI futexes.
    debug_check_no_locks_held()
    // exit_io_context(), the splice pipe, task_frag, the stack accounting,
    // check_stack_usage(), dirty_throttle_leaks, exit_rcu(),
    // exit_tasks_rcu_finish(), lockdep_free_task(): none of these exist here.
    do_task_dead()
}

/// do_group_exit(): the whole thread group exits with `code` (exit_group(2),
/// a fatal signal). The first caller wins: its code is the group's.
func do_group_exit(_ codeIn: Int32) -> Never {
    let tsk = current
    var code = codeIn
    let sig = tsk.signal
    if sig.flags.contains(.groupExit) {
        code = sig.groupExitCode
    } else if sig.groupExecTask != nil {
        // Killed by de_thread(): another thread is exec'ing; the process
        // lives on in it, so this is no group exit.
        code = 0
    } else {
        let flags = siglock.lockIrqSave()
        if sig.flags.contains(.groupExit) {
            // Another thread got here before we took the lock.
            code = sig.groupExitCode
        } else if sig.groupExecTask != nil {
            code = 0
        } else {
            sig.groupExitCode = code
            sig.flags = .groupExit
            zap_other_threads(tsk)
        }
        siglock.unlockIrqRestore(flags)
    }
    do_exit(code)
}

/// exit_mm() → exit_mm_release(): the robust locks are released, the vfork
/// parent is released and clear_child_tid is zeroed and futex-woken while
/// the address space still exists; then this task's reference to it goes.
func exit_mm(_ tsk: Task) {
    exit_mm_release(tsk)
    guard let mm = tsk.mm else { return }
    tsk.allocLock.withLock { tsk.mm = nil }              // task_lock(): get_task_mm() may be looking
    // Keep running on the kernel's page tables: the user half may be freed now.
    switch_to_kernel_mm()
    mmput(mm)
}

/// exit_mm_release(): the locks in user memory first (a joiner woken by
/// clear_child_tid may go straight for them), then mm_release().
func exit_mm_release(_ tsk: Task) {
    trace_exit_robust_list(tsk, released: futex_exit_release(tsk))
    mm_release(tsk)
}

/// mm_release(): what a task owes others before it lets go of its memory
/// (exit and exec alike).
func mm_release(_ tsk: Task) {
    if tsk.clearChildTid != 0 {
        // Only worth writing when someone else can see the memory (Linux
        // checks mm_users > 1 too); a joining thread sleeps on the word.
        if let mm = tsk.mm, mm_users(mm) > 1 {
            if put_user(Int32(0), tsk.clearChildTid) {
                futex_wake_hook(tsk.clearChildTid)
            }
        }
        tsk.clearChildTid = 0
    }
    // complete_vfork_done(): under the lock a killed parent takes to clear
    // vfork_done, so that it cannot free the completion while we use it.
    let flags = tasklistLock.lockIrqSave()
    if let c = tsk.vforkDone {
        tsk.vforkDone = nil
        complete(c)
    }
    tasklistLock.unlockIrqRestore(flags)
}

func exit_files(_ tsk: Task) {
    guard let f = tsk.files else { return }
    tsk.files = nil
    trace_exit_files(tsk, closed: put_files_struct(f))
}

func exit_fs(_ tsk: Task) {
    guard let fs = tsk.fs else { return }
    tsk.fs = nil
    put_fs_struct(fs)
}

/// exit_thread(): architecture state. Nothing to release on x86-64 without
/// an I/O bitmap; the FPU area lives on the kernel stack.
func exit_thread(_ tsk: Task) {}

// MARK: - exit_notify

/// will_become_orphaned_pgrp(): would the group have no member whose parent
/// is in another group of the same session (init's children do not count)?
/// Preconditions: tasklist_lock, which keeps tasks from being unlinked and
/// freed under the walk (Linux: read_lock(&tasklist_lock)).
func will_become_orphaned_pgrp(_ pgrp: Int32, ignoring: Task?) -> Bool {
    for p in for_each_process() where p.signal.pgrp == pgrp {
        if p === ignoring || (p.exitState != .none && thread_group_empty(p)) { continue }
        let parent = p.realParent
        if parent.tgid == 1 || parent.isIdle { continue }
        if parent.signal.pgrp != pgrp && parent.signal.session == p.signal.session { return false }
    }
    return true
}

/// is_current_pgrp_orphaned(): no member has a parent in another group of
/// the same session (then terminal stop signals are discarded). Takes
/// tasklist_lock: get_signal() calls it with no lock held.
func is_current_pgrp_orphaned() -> Bool {
    tasklistLock.withLock { will_become_orphaned_pgrp(current.signal.pgrp, ignoring: nil) }
}

/// Preconditions: tasklist_lock.
private func has_stopped_jobs(_ pgrp: Int32) -> Bool {
    for p in for_each_process() where p.signal.pgrp == pgrp && p.signal.flags.contains(.stopStopped) { return true }
    return false
}

/// kill_orphaned_pgrp(): POSIX 3.2.2.2 — a process group that becomes
/// orphaned while a member is stopped gets SIGHUP then SIGCONT, so it is
/// not left stopped forever with nobody to continue it. Two cases: `tsk`
/// exiting (parent nil), or `tsk` reparented away from `parent`.
/// Preconditions: tasklist_lock (exit_notify and reparenting hold it).
private func kill_orphaned_pgrp(_ tsk: Task, parent parentIn: Task?) {
    lockdep_assert_held(tasklistLock)
    let pgrp = tsk.signal.pgrp
    var ignored: Task? = tsk
    let parent: Task
    if let p = parentIn { parent = p; ignored = nil } else { parent = tsk.realParent }
    guard parent.signal.pgrp != pgrp, parent.signal.session == tsk.signal.session,
          will_become_orphaned_pgrp(pgrp, ignoring: ignored), has_stopped_jobs(pgrp) else { return }
    trace_kill_orphaned_pgrp(current, pgrp: pgrp)
    for p in for_each_process() where p.signal.pgrp == pgrp {
        do_send_sig_info(SIGHUP, info_kernel(SIGHUP), to: p)
        do_send_sig_info(SIGCONT, info_kernel(SIGCONT), to: p)
    }
}

/// A thread of the group that has not begun to exit (find_alive_thread).
func find_alive_thread(_ p: Task) -> Task? {
    for t in for_each_thread(p.signal) where !t.flags.contains(.exiting) { return t }
    return nil
}

/// find_child_reaper(): when the task that is init's child reaper exits but
/// its process lives on (a thread of init exec'd, or init's leader called
/// exit()), a live thread of init takes the role. Linux keeps it in the pid
/// namespace (pid_ns->child_reaper); we have one namespace and one variable.
/// A dying init group is handled in do_exit() before we get here.
private func find_child_reaper(_ father: Task) {
    guard father === child_reaper, let thread = find_alive_thread(father) else { return }
    child_reaper = thread
}

/// find_new_reaper(): who adopts the children of `father` — a live thread
/// of its own group, else the nearest live subreaper above it, else init.
private func find_new_reaper(_ father: Task) -> Task {
    if let thread = find_alive_thread(father) { return thread }
    guard let initTask = child_reaper else { BUG("no child reaper") }
    if father.signal.hasChildSubreaper {
        var reaper = father.realParent
        while reaper.signal !== initTask.signal && !reaper.isIdle {
            if reaper.signal.isChildSubreaper, let thread = find_alive_thread(reaper) { return thread }
            reaper = reaper.realParent
        }
    }
    return find_alive_thread(initTask) ?? initTask
}

/// reparent_leader(): an adopted zombie is announced to its new parent; if
/// that parent would never wait, it goes on the `dead` list to be released.
private func reparent_leader(_ father: Task, _ p: Task, _ dead: inout DeadList) {
    if p.exitState == .dead { return }
    p.exitSignal = SIGCHLD
    if p.exitState == .zombie && thread_group_empty(p) {
        if do_notify_parent(p, sig: p.exitSignal) {
            p.exitState = .dead
            dead.add(p)
        }
    }
    kill_orphaned_pgrp(p, parent: father)
}

/// forget_original_parent(): every child moves to the reaper, each of its
/// threads too. Called with tasklist_lock held.
private func forget_original_parent(_ father: Task, _ dead: inout DeadList) {
    find_child_reaper(father)
    guard father.childrenHead != nil else { return }
    let reaper = find_new_reaper(father)
    while let p = father.childrenHead {
        unlink_child(p)
        for t in for_each_thread(p.signal) {
            t.realParent = reaper
            t.parent = reaper
            // Linux sends it with SEND_SIG_NOINFO: si_code SI_USER and si_pid the
            // dying parent's tgid (current is the father), as if it had called kill().
            if t.pdeathSignal != 0 { do_send_sig_info(t.pdeathSignal, info_user(t.pdeathSignal), to: t) }
        }
        link_child(p, to: reaper)
        trace_reparent(p, from: father, to: reaper)
        if reaper.signal !== father.signal { reparent_leader(father, p, &dead) }
    }
}

/// exit_notify(): children to their reaper, then the zombie announced to
/// the parent — or reaped at once if nobody will wait for it.
func exit_notify(_ tsk: Task, groupDead: Bool) {
    var dead = DeadList()
    let flags = tasklistLock.lockIrqSave()
    forget_original_parent(tsk, &dead)
    if groupDead { kill_orphaned_pgrp(tsk.groupLeader, parent: nil) }
    tsk.exitState = .zombie
    trace_do_exit_step(tsk, "exit_notify: EXIT_ZOMBIE")
    var autoreap: Bool
    if tsk.isGroupLeader {
        // A leader with live threads waits, unannounced (delay_group_leader).
        autoreap = thread_group_empty(tsk) && do_notify_parent(tsk, sig: tsk.exitSignal)
    } else {
        autoreap = true
        do_notify_pidfd(tsk)                             // a thread's pidfd: readable now
    }
    if autoreap {
        tsk.exitState = .dead
        dead.add(tsk)
    }
    // mt-exec: de_thread() is waiting for the group leader to become a zombie.
    if tsk.signal.notifyCount < 0, let execer = tsk.signal.groupExecTask { wake_up_process(execer) }
    tasklistLock.unlockIrqRestore(flags)
    dead.releaseAll()
}

/// Tasks found under tasklist_lock that nobody will wait for, to be
/// released once it is dropped (release_task() takes it itself). Linux:
/// exit_notify()'s `dead` list, linked through ptrace_entry.
struct DeadList {
    private var head: Task? = nil

    mutating func add(_ p: Task) {
        p.deadNext = head
        head = p
    }

    mutating func releaseAll() {
        while let p = head {
            head = p.deadNext
            p.deadNext = nil
            release_task(p)
        }
    }
}

// MARK: - release

/// release_task(): the last of a task — its pid is freed, it leaves every
/// list, and the parent's reference to it is dropped. If it was the last
/// thread of a group whose leader is a zombie, the leader is announced now,
/// and released too if nobody will wait (zap_leader).
func release_task(_ pIn: Task) {
    var p = pIn
    while true {
        trace_sched_process_free(p)
        let flags = tasklistLock.lockIrqSave()
        __exit_signal(p)
        var zapLeader = false
        let leader = p.groupLeader
        if leader !== p && thread_group_empty(leader) && leader.exitState == .zombie {
            zapLeader = do_notify_parent(leader, sig: leader.exitSignal)
            if zapLeader { leader.exitState = .dead }
        }
        tasklistLock.unlockIrqRestore(flags)
        proc_flush_pid(p.pid, start: p.startTime)       // its /proc/<pid> goes with the pid
        put_task_struct(p)
        guard zapLeader else { return }
        p = leader
    }
}

/// __exit_signal(): fold the task's CPU time into its group, leave the
/// thread group, then __unhash_process(). Called with tasklist_lock held.
private func __exit_signal(_ p: Task) {
    let flags = siglock.lockIrqSave()
    let sig = p.signal
    sig.utime += p.utime
    sig.stime += p.stime
    sig.counts += p.counts
    sig.nrThreads -= 1
    if !p.isGroupLeader {
        // If there is any task waiting for the group exit (de_thread()), then notify it.
        if sig.notifyCount > 0 {
            sig.notifyCount -= 1
            if sig.notifyCount == 0, let execer = sig.groupExecTask { wake_up_process(execer) }
        }
    }
    // The group's last thread takes the controlling terminal's reference with it.
    var tty: TtyStruct? = nil
    if p.isGroupLeader { tty = sig.tty; sig.tty = nil }
    unlink_thread(p)
    flush_sigqueue(&p.pending)
    siglock.unlockIrqRestore(flags)
    tty_kref_put(tty)
    __unhash_process(p)
}

/// __unhash_process(): the pid is free for reuse (unless a process group
/// or session still names it) and the task leaves its parent's children
/// and the all-tasks list.
private func __unhash_process(_ p: Task) {
    detach_pid(p)
    do_notify_pidfd(p)                                   // its pidfds hang up
    put_pid(p.pid)
    if p.isGroupLeader {
        put_pid(p.signal.pgrp)
        put_pid(p.signal.session)
        if p.siblingPrev != nil || p.realParent.childrenHead === p { unlink_child(p) }
    }
    unlink_task_list(p)
}

// MARK: - system calls

func sys_exit(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_exit(Int32(truncatingIfNeeded: regs.arg0 & 0xff) << 8)
}

func sys_exit_group(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_group_exit(Int32(truncatingIfNeeded: regs.arg0 & 0xff) << 8)
}
