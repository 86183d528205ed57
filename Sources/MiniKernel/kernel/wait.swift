// Waiting for children: wait4(2). Linux: kernel/exit.c (do_wait and friends).
//
// The rules, before the code
// --------------------------
// A parent may wait for a child that is EXIT_ZOMBIE; collecting it turns it
// EXIT_DEAD and releases it (wait_task_zombie → release_task). The pid
// argument selects which children count: > 0 that pid, -1 any, 0 any in
// the caller's process group, < -1 any in group -pid. __WCLONE selects
// children whose exit signal is not SIGCHLD, __WALL all of them.
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

let WNOHANG: UInt64 = 0x0000_0001
let WUNTRACED: UInt64 = 0x0000_0002
let WSTOPPED: UInt64 = WUNTRACED
let WEXITED: UInt64 = 0x0000_0004
let WCONTINUED: UInt64 = 0x0000_0008
let WNOWAIT: UInt64 = 0x0100_0000
let __WNOTHREAD: UInt64 = 0x2000_0000
let __WALL: UInt64 = 0x4000_0000
let __WCLONE: UInt64 = 0x8000_0000

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
}

/// struct rusage, 144 bytes, as wait4 writes it.
struct RUsage {
    var utimeSec: Int64 = 0, utimeUsec: Int64 = 0
    var stimeSec: Int64 = 0, stimeUsec: Int64 = 0
    var rest = InlineArray<14, Int64>(repeating: 0)

    init() {}
    init(utime: UInt64, stime: UInt64) {
        utimeSec = Int64(utime / 1_000_000_000); utimeUsec = Int64(utime % 1_000_000_000 / 1000)
        stimeSec = Int64(stime / 1_000_000_000); stimeUsec = Int64(stime % 1_000_000_000 / 1000)
    }
}

/// eligible_pid() && eligible_child(): does `p` count for this wait?
private func eligible_child(_ wo: WaitOpts, _ p: Task) -> Bool {
    switch wo.selector {
    case .any: break
    case .pid(let pid): if p.pid != pid { return false }
    case .pgid(let pg): if p.signal.pgrp != pg { return false }
    }
    // Wait for all children (clone and not) if __WALL is set; otherwise
    // wait for clone children only if __WCLONE, else only the others.
    if (p.exitSignal != SIGCHLD) != (wo.flags & __WCLONE != 0) && wo.flags & __WALL == 0 {
        return false
    }
    return true
}

/// What looking at the children found.
private enum Found {
    case reaped(Int32)       // a zombie was collected: its pid
    case nothingYet          // eligible children exist, none is ready
    case noChild             // nothing to wait for: ECHILD
}

/// wait_task_zombie(): collect one zombie. Called with tasklist_lock held;
/// returns with it released (release_task takes it again).
private func wait_task_zombie(_ wo: inout WaitOpts, _ p: Task, lockFlags: IrqFlags) -> Int32 {
    // EXIT_ZOMBIE → EXIT_DEAD: from here nobody else can collect it.
    p.exitState = .dead
    let pid = p.pid
    // The group's exit code if the group died as one, else the task's own.
    wo.status = p.signal.flags.contains(.groupExit) ? p.signal.groupExitCode : p.exitCode
    // The child's CPU time, and its own reaped children's, go to the parent.
    let me = current
    let ut = p.utime + p.signal.utime + p.signal.cutime
    let st = p.stime + p.signal.stime + p.signal.cstime
    siglock.withLock {
        me.signal.cutime += ut
        me.signal.cstime += st
    }
    wo.rusage = RUsage(utime: ut, stime: st)
    tasklistLock.unlockIrqRestore(lockFlags)
    trace_sched_process_wait(p)
    release_task(p)
    return pid
}

/// __do_wait() → do_wait_thread(): one pass over the caller's children.
private func do_wait_scan(_ wo: inout WaitOpts) -> Found {
    let me = current
    let flags = tasklistLock.lockIrqSave()
    var any = false
    var p = me.childrenHead
    while let c = p {
        p = c.siblingNext
        guard eligible_child(wo, c) else { continue }
        any = true
        if c.exitState == .zombie {
            return .reaped(wait_task_zombie(&wo, c, lockFlags: flags))
        }
    }
    tasklistLock.unlockIrqRestore(flags)
    return any ? .nothingYet : .noChild
}

/// do_wait(): scan, and sleep on wait_chldexit until something changes.
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
        case .reaped(let pid): result = Int(pid)
        case .noChild: result = Errno.ECHILD.negated
        case .nothingYet:
            if wo.flags & WNOHANG != 0 { result = 0 }
            else if signal_pending(me) { result = Errno.EINTR.negated }
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
        var st = wo.status
        if !withUnsafeBytes(of: &st, { copy_to_user(statusAddr, $0.baseAddress!, 4) }) { return Errno.EFAULT.negated }
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
        let ok = withUnsafeBytes(of: &ru) { copy_to_user(ruAddr, $0.baseAddress!, 144) }
        if !ok { return Errno.EFAULT.negated }
    }
    return ret
}
