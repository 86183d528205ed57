// Waiting for children: wait4(2). Linux: kernel/exit.c (do_wait and friends).
//
// The rules, before the code
// --------------------------
// A parent may wait for a child that is EXIT_ZOMBIE; collecting it turns it
// EXIT_DEAD and releases it (wait_task_zombie → release_task). The pid
// argument selects which children count: > 0 that pid, -1 any, 0 any in
// the caller's process group, < -1 any in group -pid (waitid says the same
// with P_PID, P_ALL, P_PGID). __WCLONE selects children whose exit signal
// is not SIGCHLD, __WALL all of them. The children of every thread of the
// caller's group count, unless __WNOTHREAD. A group leader that exited
// before its threads cannot be collected until they are gone
// (delay_group_leader). WUNTRACED/WSTOPPED also reports a child whose group
// stopped, once; WCONTINUED one that was continued, once; WNOWAIT reports
// without consuming anything.
//
// do_wait() scans the children. If one is a zombie, it is reaped and its pid
// returned. If some child matches but none is a zombie, the parent sleeps
// on signal->wait_chldexit (exit_notify wakes it) — or returns 0 at once
// with WNOHANG. If no child matches at all, -ECHILD: there is nothing to
// wait for. A signal ends the sleep with -EINTR (-ERESTARTSYS in Linux,
// turned into EINTR or a restart when a handler runs).
//
// The status is written to user memory after the child is released, so a
// bad pointer costs the caller the status but not the reaping: wait4
// returns -EFAULT and the child is gone, as in Linux.

import CShim

/// Which children a wait is for (wait_opts.wo_type / wo_pid).
enum WaitSelector {
    case any                 // PIDTYPE_MAX: pid == -1
    case pid(Int32)          // PIDTYPE_PID
    case pgid(Int32)         // PIDTYPE_PGID: pid == 0 or pid < -1
}

struct WaitOpts {
    var selector: WaitSelector
    var flags: UInt64
    /// Filled in when a child is collected.
    var status: Int32 = 0
    var rusage = RUsage()
    /// waitid's view: si_code (CLD_*), si_pid and si_status.
    var cause: Int32 = 0
    var infoPid: Int32 = 0
    var infoStatus: Int32 = 0
}

/// eligible_pid() && eligible_child(): does `p` count for this wait?
private func eligible_child(_ wo: WaitOpts, _ p: Task) -> Bool {
    switch wo.selector {
    case .any: break
    case .pid(let pid): if p.tgid != pid { return false }
    case .pgid(let pg): if p.signal.pgrp != pg { return false }
    }
    if wo.flags & __WALL != 0 { return true }
    // Without __WALL: clone children (exit signal not SIGCHLD) only with
    // __WCLONE, the others only without it.
    if (p.exitSignal != SIGCHLD) != (wo.flags & __WCLONE != 0) { return false }
    return true
}

/// What looking at the children found.
private enum Found {
    case reported(Int32)     // a child was collected or reported: its pid
    case nothingYet          // eligible children exist, none is ready
    case noChild             // nothing to wait for: ECHILD
}

private func fill_info(_ wo: inout WaitOpts, pid: Int32, status: Int32) {
    wo.infoPid = pid
    (wo.cause, wo.infoStatus) = exit_status_to_cld(status)
}

/// wait_task_zombie(): collect one zombie (or, with WNOWAIT, only report
/// it). Called with tasklist_lock held; returns with it released.
private func wait_task_zombie(_ wo: inout WaitOpts, _ p: Task, lockFlags: IrqFlags) -> Int32 {
    let pid = p.tgid
    let status = task_exit_status(p)
    if wo.flags & WNOWAIT != 0 {
        // Read before the lock goes: another thread of ours may reap it then.
        wo.rusage = getrusage(p, .both)
        tasklistLock.unlockIrqRestore(lockFlags)
        wo.status = status
        fill_info(&wo, pid: pid, status: status)
        return pid
    }
    // EXIT_ZOMBIE → EXIT_DEAD: from here nobody else can collect it.
    p.exitState = .dead
    wo.status = status
    // What the child used, with all it had reaped, becomes the parent's
    // children's usage. Only here: a child nobody waits for is not counted.
    // (Linux skips this for a ptraced child and for a thread; neither is
    // ever waited for here.)
    let psig = current.signal
    let sig = p.signal
    siglock.withLock {
        let group = thread_group_cputime(sig)
        psig.cutime += group.utime + sig.cutime
        psig.cstime += group.stime + sig.cstime
        psig.ccounts += p.counts
        psig.ccounts += sig.counts
        psig.ccounts += sig.ccounts
        psig.cmaxrss = max(psig.cmaxrss, sig.maxrss, sig.cmaxrss)
    }
    wo.rusage = getrusage(p, .both)
    fill_info(&wo, pid: pid, status: status)
    tasklistLock.unlockIrqRestore(lockFlags)
    trace_sched_process_wait(p)
    release_task(p)
    return pid
}

/// wait_task_stopped(): a child whose group stopped, reported once.
private func wait_task_stopped(_ wo: inout WaitOpts, _ p: Task) -> Int32? {
    guard wo.flags & WUNTRACED != 0 else { return nil }
    return siglock.withLock { () -> Int32? in
        guard p.signal.flags.contains(.stopStopped), p.signal.groupExitCode != 0 else { return nil }
        let code = p.signal.groupExitCode
        if wo.flags & WNOWAIT == 0 { p.signal.groupExitCode = 0 }
        wo.status = (code << 8) | 0x7f
        wo.cause = CLD_STOPPED
        wo.infoPid = p.tgid
        wo.infoStatus = code
        return p.tgid
    }
}

/// wait_task_continued(): a child continued since it stopped, reported once.
private func wait_task_continued(_ wo: inout WaitOpts, _ p: Task) -> Int32? {
    guard wo.flags & WCONTINUED != 0 else { return nil }
    return siglock.withLock { () -> Int32? in
        guard p.signal.flags.contains(.stopContinued) else { return nil }
        if wo.flags & WNOWAIT == 0 { p.signal.flags.remove(.stopContinued) }
        wo.status = 0xffff
        wo.cause = CLD_CONTINUED
        wo.infoPid = p.tgid
        wo.infoStatus = SIGCONT
        return p.tgid
    }
}

/// __do_wait(): one pass over the children — for wait4(pid > 0) just the one
/// child with that pid (do_wait_pid(), Linux 5.14 on: no walk of a long
/// children list), else do_wait_thread() for each thread of the group.
private func do_wait_scan(_ wo: inout WaitOpts) -> Found {
    let me = current
    let flags = tasklistLock.lockIrqSave()
    var any = false
    if case .pid(let pid) = wo.selector {
        // pid_task(PIDTYPE_TGID) and is_effectively_child().
        if let p = find_task_by_vpid(pid), p.isGroupLeader,
           p.realParent === me || (wo.flags & __WNOTHREAD == 0 && p.realParent.signal === me.signal) {
            if let pid = wait_consider_task(&wo, p, flags, &any) { return .reported(pid) }
        }
        tasklistLock.unlockIrqRestore(flags)
        return any ? .nothingYet : .noChild
    }
    for th in for_each_thread(me.signal) where wo.flags & __WNOTHREAD == 0 || th === me {
        // do_wait_thread()
        for p in for_each_child(th) {
            if let pid = wait_consider_task(&wo, p, flags, &any) { return .reported(pid) }
        }
    }
    tasklistLock.unlockIrqRestore(flags)
    return any ? .nothingYet : .noChild
}

/// wait_consider_task(): collect or report `p` if it has something for this
/// wait (and then tasklist_lock has been dropped), else note in `any`
/// whether it is a child worth sleeping for. Called with tasklist_lock held.
private func wait_consider_task(_ wo: inout WaitOpts, _ p: Task, _ flags: IrqFlags, _ any: inout Bool) -> Int32? {
    if p.exitState == .dead { return nil }
    guard eligible_child(wo, p) else { return nil }
    if p.exitState == .zombie {
        // We don't reap group leaders with live threads.
        let delayed = !thread_group_empty(p)
        if !delayed && wo.flags & WEXITED != 0 {
            return wait_task_zombie(&wo, p, lockFlags: flags)
        }
        if wo.flags & (WCONTINUED | WEXITED) != 0 { any = true }
    } else {
        any = true
    }
    guard let pid = wait_task_stopped(&wo, p) ?? wait_task_continued(&wo, p) else { return nil }
    // The usage of a live child, read without tasklist_lock; the reference
    // keeps `p` while its siblings may come and go.
    get_task_struct(p)
    tasklistLock.unlockIrqRestore(flags)
    wo.rusage = getrusage(p, .both)
    put_task_struct(p)
    return pid
}

/// do_wait(): scan, and sleep on wait_chldexit until something changes.
/// Returns the pid, 0 (WNOHANG, nothing yet), -ECHILD or -ERESTARTSYS.
private func do_wait(_ wo: inout WaitOpts) -> Int {
    let me = current
    let wq = me.signal.waitChldExit
    while true {
        // Queue ourselves before scanning, so that a child exiting between
        // the scan and schedule() still wakes us.
        var f = wq.lock.lockIrqSave()
        wq.add(me)
        set_current_state(.interruptible)
        wq.lock.unlockIrqRestore(f)

        let found = do_wait_scan(&wo)
        var result: Int? = nil
        switch found {
        case .reported(let pid): result = Int(pid)
        case .noChild: result = Errno.ECHILD.negated
        case .nothingYet:
            if wo.flags & WNOHANG != 0 { result = 0 }
            else if signal_pending(me) { result = Errno.ERESTARTSYS.negated }
        }
        if let r = result {
            finish_wait(wq, me)
            return r
        }
        schedule()
        f = wq.lock.lockIrqSave()
        set_current_state(.running)
        wq.remove(me)
        wq.lock.unlockIrqRestore(f)
    }
}

/// kernel_wait4().
func kernel_wait4(pid upid: Int64, statusAddr: UInt64, options: UInt64, rusage: UnsafeMutablePointer<RUsage>?) -> Int {
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) != 0 {
        return Errno.EINVAL.negated
    }
    // INT_MIN has no process group to negate to.
    if upid == Int64(Int32.min) { return Errno.ESRCH.negated }
    let selector: WaitSelector
    if upid == -1 { selector = .any }
    else if upid < 0 { selector = .pgid(Int32(truncatingIfNeeded: -upid)) }
    else if upid == 0 { selector = .pgid(current.signal.pgrp) }
    else { selector = .pid(Int32(truncatingIfNeeded: upid)) }
    var wo = WaitOpts(selector: selector, flags: options | WEXITED)
    let ret = do_wait(&wo)
    if ret > 0 && statusAddr != 0 {
        if !put_user(wo.status, statusAddr) { return Errno.EFAULT.negated }
    }
    if ret > 0, let rusage { rusage.pointee = wo.rusage }
    return ret
}

/// wait4(pid, status, options, rusage).
func sys_wait4(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let upid = Int64(Int32(truncatingIfNeeded: regs.arg0))
    let ruAddr = regs.arg3
    var ru = RUsage()
    let ret = withUnsafeMutablePointer(to: &ru) { p in
        kernel_wait4(pid: upid, statusAddr: regs.arg1, options: regs.arg2 & 0xffff_ffff, rusage: ruAddr != 0 ? p : nil)
    }
    if ret > 0 && ruAddr != 0 {
        if !copy_to_user(ruAddr, from: ru) { return Errno.EFAULT.negated }
    }
    return ret
}

/// kernel_waitid(): the wait itself — the child's pid, 0 (WNOHANG, nothing
/// yet) or an error — with what it found in `wo`.
private func kernel_waitid(_ which: UInt64, _ upid: Int32, _ options: UInt64, _ wo: inout WaitOpts) -> Int {
    if options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) != 0 {
        return Errno.EINVAL.negated
    }
    if options & (WEXITED | WSTOPPED | WCONTINUED) == 0 { return Errno.EINVAL.negated }
    var nonblock = false
    switch which {
    case P_ALL: wo.selector = .any
    case P_PID:
        if upid <= 0 { return Errno.EINVAL.negated }
        wo.selector = .pid(upid)
    case P_PGID:
        if upid < 0 { return Errno.EINVAL.negated }
        wo.selector = .pgid(upid == 0 ? current.signal.pgrp : upid)
    case P_PIDFD:
        if upid < 0 { return Errno.EINVAL.negated }
        var error = Errno.EBADF
        guard let (nr, fileFlags) = pidfd_get_pid(UInt64(upid), &error) else { return error.negated }
        wo.selector = .pid(nr)
        nonblock = fileFlags & O_NONBLOCK != 0
    default:
        return Errno.EINVAL.negated
    }
    // A PIDFD_NONBLOCK pidfd: no sleep, and EAGAIN where a sleep would have been.
    wo.flags = nonblock ? options | WNOHANG : options
    let ret = do_wait(&wo)
    if ret == 0 && nonblock && options & WNOHANG == 0 { return Errno.EAGAIN.negated }
    return ret
}

/// waitid(idtype, id, infop, options, rusage): 0 on success with *infop
/// filled. Whatever the wait answered, infop is written: all zero when
/// nothing was found (WNOHANG) and on every error, as Linux does.
func sys_waitid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let which = regs.arg0 & 0xffff_ffff
    let upid = Int32(truncatingIfNeeded: regs.arg1)
    let infop = regs.arg2, options = regs.arg3 & 0xffff_ffff, ruAddr = regs.arg4
    var wo = WaitOpts(selector: .any, flags: options)
    let ret = kernel_waitid(which, upid, options, &wo)
    let found = ret > 0
    if found && ruAddr != 0 {
        if !copy_to_user(ruAddr, from: wo.rusage) { return Errno.EFAULT.negated }
    }
    let err = found ? 0 : ret
    // Linux stores exactly six fields, one unsafe_put_user() each: si_signo, si_errno,
    // si_code, si_pid, si_uid, si_status (bytes 0-11 and 16-27). The padding and
    // everything after si_status (si_utime, si_stime...) keep what the caller had.
    if infop == 0 { return err }
    if !access_ok(infop, 128) { return Errno.EFAULT.negated }
    let signo: Int32 = found ? SIGCHLD : 0
    let fields: (Int32, Int32, Int32, Int32, UInt32, Int32) =
        (signo, 0, found ? wo.cause : 0, found ? wo.infoPid : 0, 0 /* si_uid: every task is root */,
         found ? wo.infoStatus : 0)
    if !put_user(fields.0, infop + 0) || !put_user(fields.1, infop + 4) || !put_user(fields.2, infop + 8)
        || !put_user(fields.3, infop + 16) || !put_user(fields.4, infop + 20) || !put_user(fields.5, infop + 24) {
        return Errno.EFAULT.negated
    }
    return err
}
