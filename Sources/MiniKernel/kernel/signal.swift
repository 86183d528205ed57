// Signals. Linux: kernel/signal.c. The types and constants are in include/
// (signal_types.swift, sched_signal.swift, uapi_signal.swift), where Linux has
// them in headers.
//
// The rules, before the code
// --------------------------
// A signal is sent to a thread (tkill, tgkill, faults) or to a thread group
// (kill, exit notifications); the group's pending set (signal->shared_pending)
// is taken by whichever thread gets to it first. prepare_signal() applies the
// side effects that happen at send time, whatever the handler: a stop signal
// cancels a pending SIGCONT, SIGCONT cancels pending stops and resumes a
// stopped group. A signal whose action is to ignore it is dropped at once.
// complete_signal() picks a thread to wake; if the signal will kill the group
// anyway, it marks the group SIGNAL_GROUP_EXIT and queues SIGKILL to every
// thread, as Linux does, so that the whole group dies at once.
//
// On each return to user mode, get_signal() takes the next deliverable
// signal (synchronous faults first, then the lowest number): ignore it, stop
// the group (do_signal_stop: the last thread to stop tells the parent,
// CLD_STOPPED), run a user handler (handle_signal builds the frame), or end
// the group (do_group_exit, with the signal as exit code). Init (pid 1) only
// gets the signals it has a handler for.
//
// Locks: siglock guards every sighand, signal and pending set. Lock order:
// tasklist_lock → siglock → rq->lock.

import CShim
import Synchronization

var nr_sigqueues = 0

private func sigqueueAdd(_ p: inout SigPending, _ info: KSigInfo) {
    let q = SigQueue(info)
    nr_sigqueues += 1
    if let head = p.list {
        var last = head
        while let n = last.next { last = n }
        last.next = q
    } else {
        p.list = q
    }
}

/// flush_sigqueue(): forget everything pending.
func flush_sigqueue(_ p: inout SigPending) {
    var q = p.list
    while let cur = q { q = cur.next; kfree_object(cur); nr_sigqueues -= 1 }
    p.list = nil
    p.signal = SigSet()
}

/// Drop every pending instance of the signals in `mask` (flush_sigqueue_mask).
private func flushMask(_ p: inout SigPending, _ mask: SigSet) {
    if p.signal.bits & mask.bits == 0 { return }
    p.signal.bits &= ~mask.bits
    var prev: SigQueue? = nil
    var q = p.list
    while let cur = q {
        q = cur.next
        if mask.contains(cur.info.signo) {
            if let pr = prev { pr.next = cur.next } else { p.list = cur.next }
            kfree_object(cur)
            nr_sigqueues -= 1
        } else {
            prev = cur
        }
    }
}

func put_sighand(_ sh: SighandStruct) {
    if sh.count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { kfree_object(sh) }
}

/// siglock: guards every sighand, signal and pending set (Linux has one per
/// sighand; one global lock keeps the code short and is no slower here).
let siglock = SpinLock(name: "sighand->siglock")

func put_signal_struct(_ sig: SignalStruct) {
    if sig.usage.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
        flush_sigqueue(&sig.sharedPending)
        kfree_object(sig.waitChldExit)
        kfree_object(sig)
    }
}

// MARK: - pending signals

/// The signals `t` could take now.
private func deliverable(_ t: Task) -> SigSet {
    SigSet(bits: (t.pending.signal.bits | t.signal.sharedPending.signal.bits) & ~t.blocked.bits)
}

func signal_pending(_ t: Task) -> Bool {
    !deliverable(t).isEmpty || t.jobctlStopPending || t.signal.flags.contains(.groupExit)
        || t.pending.signal.contains(SIGKILL)
}

func fatal_signal_pending(_ t: Task) -> Bool {
    t.pending.signal.contains(SIGKILL) || t.signal.flags.contains(.groupExit)
}

/// The sleeping states a pending signal may interrupt.
func signal_pending_state(_ state: TaskState, _ t: Task) -> Bool {
    if !state.contains(.interruptible) && !state.contains(.wakekill) { return false }
    if !signal_pending(t) { return false }
    return state.contains(.interruptible) || fatal_signal_pending(t)
}

/// Whether the handler makes the signal a no-op (sig_ignored()).
private func sig_handler_ignored(_ h: UInt64, _ sig: Int32) -> Bool {
    h == SIG_IGN || (h == SIG_DFL && sig_kernel_ignore(sig))
}

private func sig_ignored(_ t: Task, _ sig: Int32, force: Bool) -> Bool {
    // Blocked signals are never ignored: the handler may change before
    // unblocking, or sigtimedwait (real_blocked) is waiting for them.
    if t.blocked.contains(sig) || t.realBlocked.contains(sig) { return false }
    let h = t.sighand.actionFor(sig).handler
    // Init and SIGNAL_UNKILLABLE tasks: SIG_DFL means ignore, unless forced.
    if t.signal.flags.contains(.unkillable) && h == SIG_DFL && !(force && sig_kernel_only(sig)) {
        return true
    }
    return sig_handler_ignored(h, sig)
}

/// prepare_signal(): send-time side effects; false if the signal is dropped.
private func prepare_signal(_ sig: Int32, _ p: Task, force: Bool) -> Bool {
    let signal = p.signal
    if signal.flags.contains(.groupExit) {
        // The group is dying: only SIGKILL still matters.
        return sig == SIGKILL
    }
    if sig_kernel_stop(sig) {
        // A stop cancels a pending SIGCONT.
        flushMask(&signal.sharedPending, SigSet.single(SIGCONT))
        for t in for_each_thread(signal) { flushMask(&t.pending, SigSet.single(SIGCONT)) }
    } else if sig == SIGCONT {
        // SIGCONT cancels pending stops and resumes a stopped group, handler or not.
        flushMask(&signal.sharedPending, SIG_KERNEL_STOP_MASK)
        for t in for_each_thread(signal) {
            flushMask(&t.pending, SIG_KERNEL_STOP_MASK)
            t.jobctlStopPending = false
            try_to_wake_up(t, mask: .stopped)
        }
        if signal.flags.contains(.stopStopped) || signal.groupStopCount > 0 {
            let wasStopped = signal.flags.contains(.stopStopped)
            signal.flags = [.stopContinued, wasStopped ? .cldContinued : .cldStopped]
            signal.groupExitCode = 0
            signal.groupStopCount = 0
            // The parent is told by the first thread to return to user mode
            // (get_signal); wake one so that it happens soon.
            if let t = signal.threadHead { signal_wake_up(t, fatal: false) }
        }
    }
    return !sig_ignored(p, sig, force: force)
}

/// wants_signal(): can `t` take `sig` right now?
private func wants_signal(_ sig: Int32, _ t: Task) -> Bool {
    if t.blocked.contains(sig) { return false }
    if t.flags.contains(.exiting) { return false }
    if sig == SIGKILL { return true }
    if t.state.contains(.stopped) { return false }
    return true
}

/// complete_signal(): wake a thread to take it — or, for a signal that will
/// kill the group anyway, kill every thread now.
private func complete_signal(_ sig: Int32, _ p: Task, group: Bool) {
    let signal = p.signal
    var t: Task? = nil
    if wants_signal(sig, p) {
        t = p
    } else if group {
        for th in for_each_thread(signal) where wants_signal(sig, th) { t = th; break }
    }
    guard let target = t else { return }   // nobody can take it now; it stays pending
    let act = p.sighand.actionFor(sig)
    let fatal = act.handler == SIG_DFL && !sig_kernel_ignore(sig) && !sig_kernel_stop(sig)
        && !signal.flags.contains(.unkillable) || sig == SIGKILL
    // A core dump in progress is a group exit that a SIGKILL may still
    // cut short (dump_interrupted() sees it in the dumper's pending set).
    if fatal && (signal.coreState != nil || !signal.flags.contains(.groupExit))
        && !target.blocked.contains(sig) && !target.realBlocked.contains(sig)
        // A "core" signal is taken by a thread, in get_signal(), which dumps first.
        && !sig_kernel_coredump(sig) {
        signal.flags = .groupExit
        signal.groupExitCode = sig
        signal.groupStopCount = 0
        for th in for_each_thread(signal) {
            th.jobctlStopPending = false
            th.pending.signal.insert(SIGKILL)
            signal_wake_up(th, fatal: true)
        }
        return
    }
    signal_wake_up(target, fatal: sig == SIGKILL)
}

/// __send_signal_locked(). Called with siglock held.
func send_signal_locked(_ sig: Int32, _ info: KSigInfo, to t: Task, group: Bool, force: Bool = false) {
    trace_signal_generate(sig, t, group: group)
    guard prepare_signal(sig, t, force: force) else { return }
    // Standard signals queue at most once; real-time ones every time.
    if group {
        if sig < SIGRTMIN && t.signal.sharedPending.signal.contains(sig) { return }
        t.signal.sharedPending.signal.insert(sig)
        sigqueueAdd(&t.signal.sharedPending, info)
    } else {
        if sig < SIGRTMIN && t.pending.signal.contains(sig) { return }
        t.pending.signal.insert(sig)
        sigqueueAdd(&t.pending, info)
    }
    complete_signal(sig, t, group: group)
}

/// posixtimer_send_sigqueue(): a POSIX timer's signal, queued even where a
/// standard signal is already pending (the timer's own sigqueue, in Linux).
/// False when the signal is ignored: nothing was queued.
func posixtimer_send_sigqueue(_ sig: Int32, _ info: KSigInfo, to t: Task, group: Bool) -> Bool {
    trace_signal_generate(sig, t, group: group)
    guard prepare_signal(sig, t, force: false) else { return false }
    if group {
        t.signal.sharedPending.signal.insert(sig)
        sigqueueAdd(&t.signal.sharedPending, info)
    } else {
        t.pending.signal.insert(sig)
        sigqueueAdd(&t.pending, info)
    }
    complete_signal(sig, t, group: group)
    return true
}

/// signal_wake_up(): an interruptible sleeper (and, for fatal signals, a
/// killable or stopped one) is woken so that it notices the signal; a thread
/// running in user mode on another CPU is kicked into the kernel.
func signal_wake_up(_ t: Task, fatal: Bool) {
    if !try_to_wake_up(t, mask: fatal ? TaskState.interruptible.union(.wakekill) : .interruptible) {
        kick_process(t)
    }
}

/// The information a kill()-like sender leaves.
func info_user(_ sig: Int32, code: Int32 = SI_USER) -> KSigInfo {
    var i = KSigInfo()
    i.signo = sig
    i.code = code
    let me = current
    i.pid = me.isIdle ? 0 : me.tgid
    return i
}

func info_kernel(_ sig: Int32) -> KSigInfo {
    var i = KSigInfo()
    i.signo = sig
    i.code = SI_KERNEL
    return i
}

/// do_send_sig_info(): `sig` to the thread group of `t`, unconditionally —
/// the kernel's own signals (pdeath_signal, SIGHUP and SIGCONT to an orphaned
/// process group). kill() goes through group_send_sig_info() instead, which
/// answers the null signal and skips groups being torn down.
func do_send_sig_info(_ sig: Int32, _ info: KSigInfo, to t: Task) {
    let flags = siglock.lockIrqSave()
    send_signal_locked(sig, info, to: t, group: true)
    siglock.unlockIrqRestore(flags)
}

/// zap_other_threads(): SIGKILL to every other thread of the group, woken
/// wherever it is. Called with siglock held. Returns how many other threads
/// there are, dead ones included (as Linux counts them: de_thread() waits for
/// each of them to be released, except a leader, which stays a zombie).
@discardableResult
func zap_other_threads(_ p: Task) -> Int {
    var count = 0
    p.signal.groupStopCount = 0
    for t in for_each_thread(p.signal) {
        guard t !== p else { continue }
        t.jobctlStopPending = false
        count += 1
        // Don't bother with already dead threads.
        if t.exitState != .none { continue }
        t.pending.signal.insert(SIGKILL)
        signal_wake_up(t, fatal: true)
    }
    return count
}

/// force_sig_fault(): a synchronous fault in user mode. It cannot be ignored
/// or blocked away: if it is, the action is reset to the default and the
/// signal unblocked (force_sig_info_to_task), so the process dies of it.
func force_sig_fault(_ sig: Int32, code: Int32 = SEGV_MAPERR, address: UInt64) {
    let t = current
    let flags = siglock.lockIrqSave()
    var act = t.sighand.action[Int(sig - 1)]
    if act.handler == SIG_IGN || t.blocked.contains(sig) {
        act.handler = SIG_DFL
        t.sighand.action[Int(sig - 1)] = act
        t.blocked.remove(sig)
    }
    // A fault that will kill kills init too; one with a handler leaves init
    // as unkillable as it was.
    if act.handler == SIG_DFL { t.signal.flags.remove(.unkillable) }
    var info = KSigInfo()
    info.signo = sig
    info.code = code
    info.addr = address
    info.isFault = true
    send_signal_locked(sig, info, to: t, group: false, force: true)
    siglock.unlockIrqRestore(flags)
}

/// force_fatal_sig(): `sig` with its default action whatever the handler or
/// mask, from the kernel (SI_KERNEL) — an exec that failed past its point
/// of no return.
func force_fatal_sig(_ sig: Int32) {
    let t = current
    let flags = siglock.lockIrqSave()
    t.sighand.action[Int(sig - 1)].handler = SIG_DFL
    t.blocked.remove(sig)
    t.signal.flags.remove(.unkillable)
    var info = KSigInfo()
    info.signo = sig
    info.code = SI_KERNEL
    send_signal_locked(sig, info, to: t, group: false, force: true)
    siglock.unlockIrqRestore(flags)
}

/// The hook the page-fault handler calls for a bad user access.
func force_sig_fault_segv(_ address: UInt64) { force_sig_fault(SIGSEGV, address: address) }

// MARK: - taking a signal

/// dequeue_signal(): the next signal `t` may take, synchronous ones first;
/// `mask` is what it must leave pending (its blocked set, or for
/// sigtimedwait everything it does not wait for). Called with siglock held.
func dequeue_signal(_ t: Task, _ mask: SigSet, _ info: inout KSigInfo) -> Int32? {
    func pick(_ p: inout SigPending) -> Int32? {
        let avail = SigSet(bits: p.signal.bits & ~mask.bits)
        guard !avail.isEmpty else { return nil }
        let sync = avail.bits & SYNCHRONOUS_MASK.bits
        let bits = sync != 0 ? sync : avail.bits
        let sig = Int32(bits.trailingZeroBitCount + 1)
        // Collect its queued information (the first entry for it).
        var prev: SigQueue? = nil
        var q = p.list
        var found = false
        var more = false
        while let cur = q {
            if cur.info.signo == sig {
                if !found {
                    info = cur.info
                    found = true
                    if let pr = prev { pr.next = cur.next } else { p.list = cur.next }
                    q = cur.next
                    kfree_object(cur)
                    nr_sigqueues -= 1
                    continue
                }
                more = true
            }
            prev = cur
            q = cur.next
        }
        if !found { info = KSigInfo(); info.signo = sig; info.code = SI_USER }
        if !more { p.signal.remove(sig) }
        return sig
    }
    while true {
        guard let s = pick(&t.pending) ?? pick(&t.signal.sharedPending) else { return nil }
        // An interval ITIMER_REAL starts its next period now (kernel/time/itimer.swift).
        if s == SIGALRM { posixtimer_rearm_itimer(t.signal) }
        // A POSIX timer's signal: the timer re-arms now; a signal of a timer
        // deleted or re-set since it was sent is dropped (kernel/time/posix_timers.swift).
        if info.code == SI_TIMER && !posixtimer_deliver_signal(&info, t.signal) { continue }
        return s
    }
}

/// do_notify_parent(): send the exit signal, with SIGCHLD's siginfo, and
/// wake the parent's wait4(). Returns true when the child should be reaped
/// now because the parent ignores SIGCHLD or set SA_NOCLDWAIT. Called with
/// tasklist_lock held.
@discardableResult
func do_notify_parent(_ tsk: Task, sig sigIn: Int32) -> Bool {
    var sig = sigIn
    let parent = tsk.parent
    var info = KSigInfo()
    info.signo = sig
    info.pid = tsk.tgid
    info.isChld = true
    info.utime = nsec_to_clock_t(tsk.utime + tsk.signal.utime)
    info.stime = nsec_to_clock_t(tsk.stime + tsk.signal.stime)
    (info.code, info.status) = exit_status_to_cld(task_exit_status(tsk))
    // The process has exited as a whole: its pidfds become readable.
    if thread_group_empty(tsk) { do_notify_pidfd(tsk) }
    var autoreap = false
    let act = parent.sighand.actionFor(SIGCHLD)
    if sig == SIGCHLD && (act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0) {
        autoreap = true
        if act.handler == SIG_IGN { sig = 0 }
    }
    if valid_signal(sig) && sig > 0 {
        let f = siglock.lockIrqSave()
        send_signal_locked(sig, info, to: parent, group: true)
        siglock.unlockIrqRestore(f)
    }
    // __wake_up_parent()
    wake_up_all(parent.signal.waitChldExit)
    return autoreap
}

/// do_notify_parent_cldstop(): tell the parent its child stopped or
/// continued. Takes tasklist_lock then siglock (the documented order), so
/// callers must not hold siglock — Linux's callers drop it first too.
///
/// `stopCode` is signal->group_exit_code as the caller saw it under siglock.
/// Linux reads group_exit_code here, after the caller dropped siglock; but
/// the group is already SIGNAL_STOP_STOPPED then, so a parent in
/// wait4(WUNTRACED) on another CPU may collect the stop in between and zero
/// the code (wait_task_stopped), and si_status would read 0. On hardware that
/// window is a few instructions and Linux reports the stop signal; under
/// QEMU it is wide (sigchld_siginfo saw si_status 0 at -smp 2 and 4), so we
/// take the value from before the window.
func do_notify_parent_cldstop(_ tsk: Task, why: Int32, stopCode: Int32) {
    let tl = tasklistLock.lockIrqSave()
    let sl = siglock.lockIrqSave()
    defer { siglock.unlockIrqRestore(sl); tasklistLock.unlockIrqRestore(tl) }
    let leader = tsk.groupLeader
    let parent = leader.realParent
    var info = KSigInfo()
    info.signo = SIGCHLD
    info.code = why
    info.pid = leader.tgid
    info.status = why == CLD_CONTINUED ? SIGCONT : (stopCode & 0x7f)
    info.isChld = true
    let act = parent.sighand.actionFor(SIGCHLD)
    if act.flags & SA_NOCLDSTOP == 0 {
        send_signal_locked(SIGCHLD, info, to: parent, group: true)
    }
    wake_up_all(parent.signal.waitChldExit)
}

/// do_signal_stop(): take part in a group stop; the last thread to stop
/// marks the group stopped and tells the parent. Returns with siglock dropped.
private func do_signal_stop(_ t: Task, _ sig: Int32, _ flags: IrqFlags) {
    let signal = t.signal
    if !t.jobctlStopPending {
        // The first thread to see the stop signal starts a group stop.
        if signal.flags.contains(.groupExit) { siglock.unlockIrqRestore(flags); return }
        signal.groupExitCode = sig
        signal.groupStopCount = 0
        for th in for_each_thread(signal) {
            if !th.flags.contains(.exiting) && th.exitState == .none {
                th.jobctlStopPending = true
                signal.groupStopCount += 1
                if th !== t { signal_wake_up(th, fatal: false) }
            }
        }
    }
    t.jobctlStopPending = false
    signal.groupStopCount -= 1
    var notify = false
    if signal.groupStopCount <= 0 {
        signal.groupStopCount = 0
        signal.flags = .stopStopped
        notify = true
    }
    t.state = .taskStopped
    let stopCode = signal.groupExitCode
    siglock.unlockIrqRestore(flags)
    // A SIGCONT from here on sets us running again, and schedule() returns.
    if notify { do_notify_parent_cldstop(t, why: CLD_STOPPED, stopCode: stopCode) }
    schedule()
}

/// get_signal(): true with `ksig` filled in when a signal is to be handled
/// by a user handler; false when none is left to act on. Signals that are
/// ignored, stop the group or are taken by the default action are dealt
/// with here; fatal ones end in do_group_exit() and never return.
func get_signal(_ ksig: inout KSignal) -> Bool {
    let t = current
    while true {
        let flags = siglock.lockIrqSave()
        let signal = t.signal
        // A continue or stop the parent has not heard of yet.
        if signal.flags.contains(.cldContinued) || signal.flags.contains(.cldStopped) {
            let why = signal.flags.contains(.cldContinued) ? CLD_CONTINUED : CLD_STOPPED
            signal.flags.remove(SignalFlags.cldContinued.union(.cldStopped))
            let stopCode = signal.groupExitCode
            siglock.unlockIrqRestore(flags)
            do_notify_parent_cldstop(t, why: why, stopCode: stopCode)
            continue
        }
        if signal.flags.contains(.groupExit) || t.pending.signal.contains(SIGKILL) {
            let code = signal.flags.contains(.groupExit) ? signal.groupExitCode : SIGKILL
            t.pending.signal.remove(SIGKILL)
            t.flags.insert(.signaled)
            siglock.unlockIrqRestore(flags)
            trace_signal_deliver(SIGKILL, t)
            do_group_exit(code)
        }
        if t.jobctlStopPending {
            do_signal_stop(t, signal.groupExitCode, flags)
            continue
        }
        var info = KSigInfo()
        guard let sig = dequeue_signal(t, t.blocked, &info) else {
            siglock.unlockIrqRestore(flags)
            return false
        }
        let act = t.sighand.actionFor(sig)
        trace_signal_deliver(sig, t)
        if act.handler == SIG_IGN { siglock.unlockIrqRestore(flags); continue }
        if act.handler != SIG_DFL {
            ksig = KSignal(sig: sig, info: info, action: act)
            if act.flags & SA_RESETHAND != 0 {
                var a = act
                a.handler = SIG_DFL
                a.flags &= ~SA_SIGINFO
                t.sighand.action[Int(sig - 1)] = a
            }
            siglock.unlockIrqRestore(flags)
            return true
        }
        // Default actions.
        if sig_kernel_ignore(sig) { siglock.unlockIrqRestore(flags); continue }
        if signal.flags.contains(.unkillable) && !sig_kernel_only(sig) { siglock.unlockIrqRestore(flags); continue }
        if sig_kernel_stop(sig) {
            // Terminal stops are discarded in an orphaned process group. The
            // group is a walk of the task list, which needs tasklist_lock, and
            // that lock comes before siglock: drop siglock first, as Linux
            // does. A signal may arrive in the window; the next round sees it.
            var flags = flags
            if sig != SIGSTOP {
                siglock.unlockIrqRestore(flags)
                if is_current_pgrp_orphaned() { continue }
                flags = siglock.lockIrqSave()
            }
            do_signal_stop(t, sig, flags)
            continue
        }
        siglock.unlockIrqRestore(flags)
        t.flags.insert(.signaled)
        // Anything else kills the group. A "core" signal first dumps it, if
        // it may: that stops the other threads and may set the core flag
        // in the group's code, which do_group_exit() then takes.
        if sig_kernel_coredump(sig) { vfs_coredump(info) }
        do_group_exit(sig)
    }
}

// MARK: - system calls

/// rt_sigaction(sig, act, oact, sigsetsize).
func sys_rt_sigaction(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let sig = Int32(truncatingIfNeeded: regs.arg0)
    let actAddr = regs.arg1, oactAddr = regs.arg2
    guard regs.arg3 == 8 else { return Errno.EINVAL.negated }
    guard sig >= 1 && sig <= _NSIG else { return Errno.EINVAL.negated }
    var newAct = KSigAction()
    if actAddr != 0 {
        var raw = InlineArray<4, UInt64>(repeating: 0)      // struct sigaction: handler, flags, restorer, mask
        guard copy_from_user(&raw, actAddr) else {
            return Errno.EFAULT.negated
        }
        newAct = KSigAction(handler: raw[0], flags: raw[1], restorer: raw[2], mask: SigSet(bits: raw[3]))
        if sig_kernel_only(sig) { return Errno.EINVAL.negated }
    }
    let me = current
    let flags = siglock.lockIrqSave()
    let old = me.sighand.actionFor(sig)
    if actAddr != 0 {
        newAct.mask.bits &= ~SIG_KERNEL_ONLY_MASK.bits
        me.sighand.action[Int(sig - 1)] = newAct
        // POSIX: setting an ignoring action discards what is pending.
        if sig_handler_ignored(newAct.handler, sig) {
            flushMask(&me.signal.sharedPending, SigSet.single(sig))
            for t in for_each_thread(me.signal) { flushMask(&t.pending, SigSet.single(sig)) }
        }
    }
    siglock.unlockIrqRestore(flags)
    if oactAddr != 0 {
        let raw: InlineArray<4, UInt64> = [old.handler, old.flags, old.restorer, old.mask.bits]
        guard copy_to_user(oactAddr, from: raw) else {
            return Errno.EFAULT.negated
        }
    }
    return 0
}

/// rt_sigprocmask(how, set, oset, sigsetsize).
func sys_rt_sigprocmask(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let how = regs.arg0 & 0xffff_ffff, setAddr = regs.arg1, osetAddr = regs.arg2
    guard regs.arg3 == 8 else { return Errno.EINVAL.negated }
    let me = current
    let old = me.blocked
    if setAddr != 0 {
        guard let v: UInt64 = get_user(setAddr) else { return Errno.EFAULT.negated }
        let set = SigSet(bits: v & ~SIG_KERNEL_ONLY_MASK.bits)
        var newMask = old
        switch how {
        case SIG_BLOCK: newMask.bits |= set.bits
        case SIG_UNBLOCK: newMask.bits &= ~set.bits
        case SIG_SETMASK: newMask = set
        default: return Errno.EINVAL.negated
        }
        set_current_blocked(newMask)
    }
    if osetAddr != 0 {
        guard put_user(old.bits, osetAddr) else { return Errno.EFAULT.negated }
    }
    return 0
}

// MARK: - sigaltstack

let SS_ONSTACK: UInt32 = 1, SS_DISABLE: UInt32 = 2, SS_AUTODISARM: UInt32 = 1 << 31
/// MINSIGSTKSZ: the smallest alternate stack sigaltstack() takes (x86: 2048 bytes).
let MINSIGSTKSZ: UInt64 = 2048

/// stack_t: ss_sp, ss_flags (an int, then padding), ss_size.
struct StackT {
    var sp: UInt64 = 0
    var flags: UInt32 = 0
    var pad: UInt32 = 0
    var size: UInt64 = 0
}

/// on_sig_stack(): `sp` is on t's alternate stack (which grows down: its top
/// is in, its base is not). With SS_AUTODISARM never: the stack was disarmed
/// when the handler got it, so user code that set it again meant it.
func on_sig_stack(_ t: Task, _ sp: UInt64) -> Bool {
    if t.sasSsFlags & SS_AUTODISARM != 0 { return false }
    return sp > t.sasSsSp && sp &- t.sasSsSp <= t.sasSsSize
}

/// sas_ss_flags(): SS_DISABLE without an alternate stack, else whether `sp` is on it.
func sas_ss_flags(_ t: Task, _ sp: UInt64) -> UInt32 {
    if t.sasSsSize == 0 { return SS_DISABLE }
    return on_sig_stack(t, sp) ? SS_ONSTACK : 0
}

/// sas_ss_reset(): no alternate stack (exec, a new thread, SS_AUTODISARM at delivery).
func sas_ss_reset(_ t: Task) {
    t.sasSsSp = 0
    t.sasSsSize = 0
    t.sasSsFlags = SS_DISABLE
}

/// do_sigaltstack(): the current thread's alternate stack becomes `ss`
/// (unless it is running on it now: -EPERM), after `old` has the previous
/// one. `sp` is the user stack pointer that "on it" is judged by.
func do_sigaltstack(_ ss: StackT?, old: UnsafeMutablePointer<StackT>?, sp: UInt64) -> Int {
    let t = current
    if let old {
        old.pointee = StackT(sp: t.sasSsSp, flags: sas_ss_flags(t, sp) | (t.sasSsFlags & SS_AUTODISARM),
                             size: t.sasSsSize)
    }
    guard let ss else { return 0 }
    if on_sig_stack(t, sp) { return Errno.EPERM.negated }
    let mode = ss.flags & ~SS_AUTODISARM
    if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 { return Errno.EINVAL.negated }
    if t.sasSsSp == ss.sp && t.sasSsSize == ss.size && t.sasSsFlags == ss.flags { return 0 }
    if mode == SS_DISABLE {
        t.sasSsSp = 0
        t.sasSsSize = 0
    } else {
        if ss.size < MINSIGSTKSZ { return Errno.ENOMEM.negated }
        t.sasSsSp = ss.sp
        t.sasSsSize = ss.size
    }
    t.sasSsFlags = ss.flags
    return 0
}

/// sigaltstack(uss, uoss).
func sys_sigaltstack(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let uss = regs.pointee.rdi, uoss = regs.pointee.rsi
    var new = StackT(), old = StackT()
    if uss != 0 && !copy_from_user(&new, uss) { return Errno.EFAULT.negated }
    let sp = regs.pointee.rsp
    let err = withUnsafeMutablePointer(to: &old) { do_sigaltstack(uss != 0 ? new : nil, old: uoss != 0 ? $0 : nil, sp: sp) }
    if err == 0 && uoss != 0 && !copy_to_user(uoss, from: old) { return Errno.EFAULT.negated }
    return err
}

/// set_current_blocked(): a newly unblocked shared signal may be for
/// another thread that can take it now; wake one.
func set_current_blocked(_ mask: SigSet) {
    let me = current
    let flags = siglock.lockIrqSave()
    let unblocked = me.blocked.bits & ~mask.bits
    me.blocked = SigSet(bits: mask.bits & ~SIG_KERNEL_ONLY_MASK.bits)
    if unblocked & me.signal.sharedPending.signal.bits != 0 {
        for t in for_each_thread(me.signal) {
            if t !== me && t.blocked.bits & me.signal.sharedPending.signal.bits != me.signal.sharedPending.signal.bits {
                signal_wake_up(t, fatal: false)
            }
        }
    }
    siglock.unlockIrqRestore(flags)
}

/// rt_sigpending(set, sigsetsize).
func sys_rt_sigpending(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard regs.arg1 <= 8 else { return Errno.EINVAL.negated }
    let me = current
    var v = (me.pending.signal.bits | me.signal.sharedPending.signal.bits) & me.blocked.bits
    return withUnsafeMutableBytes(of: &v, { copy_to_user(regs.arg0, $0.baseAddress.unsafelyUnwrapped, Int(regs.arg1)) })
        ? 0 : Errno.EFAULT.negated
}

/// group_send_sig_info(): kill()'s send to the thread group of `p`: sig 0
/// only checks that it exists, and a group whose threads are all gone takes
/// nothing. (No permission check: everything runs as root.)
private func group_send_sig_info(_ sig: Int32, _ info: KSigInfo, _ p: Task) -> Int {
    if sig == 0 { return 0 }
    let flags = siglock.lockIrqSave()
    // Threads still being torn down can no longer take signals.
    if p.signal.threadHead == nil && p.exitState != .none {
        siglock.unlockIrqRestore(flags)
        return 0
    }
    send_signal_locked(sig, info, to: p, group: true)
    siglock.unlockIrqRestore(flags)
    return 0
}

/// kill(pid, sig).
func sys_kill(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    let sig = Int32(truncatingIfNeeded: regs.arg1)
    // Linux checks the signal number in check_kill_permission(), once a target
    // has been found: kill(no such pid, 65) is ESRCH, kill(a process, 65) EINVAL.
    let info = info_user(sig)
    if pid > 0 {
        // tasklist_lock keeps the task from being released under us (Linux: RCU).
        return tasklistLock.withLock { () -> Int in
            guard let p = find_task_by_vpid(pid), p.exitState != .dead else { return Errno.ESRCH.negated }
            guard valid_signal(sig) else { return Errno.EINVAL.negated }
            return group_send_sig_info(sig, info, p.groupLeader)
        }
    }
    if pid == Int32.min { return Errno.ESRCH.negated }
    let me = current
    // pid 0: the caller's process group; pid < -1: group -pid; -1: everyone
    // but init and the caller's own group.
    var found = false
    tasklistLock.withLock {
        for p in for_each_process() {
            guard p.exitState == .none || p.signal.threadHead != nil else { continue }
            let match: Bool
            if pid == -1 { match = p.tgid != 1 && p.signal !== me.signal }
            else if pid == 0 { match = p.signal.pgrp == me.signal.pgrp }
            else { match = p.signal.pgrp == -pid }
            if match {
                found = true
                if valid_signal(sig) { _ = group_send_sig_info(sig, info, p) }
            }
        }
    }
    if !found { return Errno.ESRCH.negated }
    return valid_signal(sig) ? 0 : Errno.EINVAL.negated
}

/// do_send_specific(): one thread, by tgid and tid (tgid < 0: any group).
private func do_send_specific(_ tgid: Int32, _ tid: Int32, _ sig: Int32) -> Int {
    tasklistLock.withLock { () -> Int in
        guard let p = find_task_by_vpid(tid), tgid <= 0 || p.tgid == tgid else {
            return Errno.ESRCH.negated
        }
        // check_kill_permission(): the signal number is checked once the thread is found.
        guard valid_signal(sig) else { return Errno.EINVAL.negated }
        // The null signal is an existence check. A thread that has exited but is
        // not yet released (a zombie leader) still exists: Linux answers 0, and a
        // signal sent to it is lost, as if it died right after receiving it.
        if sig == 0 || p.exitState != .none { return 0 }
        let flags = siglock.lockIrqSave()
        send_signal_locked(sig, info_user(sig, code: SI_TKILL), to: p, group: false)
        siglock.unlockIrqRestore(flags)
        return 0
    }
}

/// tgkill(tgid, tid, sig).
func sys_tgkill(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let tgid = Int32(truncatingIfNeeded: regs.arg0), tid = Int32(truncatingIfNeeded: regs.arg1)
    let sig = Int32(truncatingIfNeeded: regs.arg2)
    guard tid > 0, tgid > 0 else { return Errno.EINVAL.negated }
    return do_send_specific(tgid, tid, sig)
}

/// tkill(tid, sig).
func sys_tkill(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let tid = Int32(truncatingIfNeeded: regs.arg0), sig = Int32(truncatingIfNeeded: regs.arg1)
    guard tid > 0 else { return Errno.EINVAL.negated }
    return do_send_specific(-1, tid, sig)
}

/// exit_signals(): from now on the task takes no group-wide signals, and
/// what it will never take is handed to a thread that can.
func exit_signals(_ tsk: Task) {
    let flags = siglock.lockIrqSave()
    tsk.flags.insert(.exiting)
    var notifyStopped = false
    if tsk.jobctlStopPending && !tsk.signal.flags.contains(.groupExit) {
        // Our part of a group stop is done by leaving.
        tsk.jobctlStopPending = false
        tsk.signal.groupStopCount -= 1
        if tsk.signal.groupStopCount == 0 {
            tsk.signal.flags = .stopStopped
            notifyStopped = true
        }
    }
    // retarget_shared_pending(): another thread takes the group's signals.
    if !tsk.signal.sharedPending.signal.isEmpty {
        for t in for_each_thread(tsk.signal) {
            if t !== tsk && !t.flags.contains(.exiting) { signal_wake_up(t, fatal: false) }
        }
    }
    let stopCode = tsk.signal.groupExitCode
    siglock.unlockIrqRestore(flags)
    if notifyStopped { do_notify_parent_cldstop(tsk, why: CLD_STOPPED, stopCode: stopCode) }
}

// MARK: - pidfd_send_signal

let PIDFD_SIGNAL_THREAD: UInt32 = 1 << 0
let PIDFD_SIGNAL_THREAD_GROUP: UInt32 = 1 << 1
let PIDFD_SIGNAL_PROCESS_GROUP: UInt32 = 1 << 2
/// The pidfds that need no descriptor: the caller's thread, the caller's process.
let PIDFD_SELF_THREAD: Int32 = -10000
let PIDFD_SELF_THREAD_GROUP: Int32 = -20000

/// Who a pidfd signal goes to (enum pid_type's PID, TGID, PGID).
private enum PidType: Comparable { case pid, tgid, pgid }

/// __kill_pgrp_info(): every process of group `pgrp`; ESRCH if it has none.
private func __kill_pgrp_info(_ sig: Int32, _ info: KSigInfo, _ pgrp: Int32) -> Int {
    tasklistLock.withLock { () -> Int in
        var found = false
        for p in for_each_process() where p.signal.pgrp == pgrp {
            guard p.exitState == .none || p.signal.threadHead != nil else { continue }
            found = true
            if valid_signal(sig) { _ = group_send_sig_info(sig, info, p) }
        }
        if !found { return Errno.ESRCH.negated }
        return valid_signal(sig) ? 0 : Errno.EINVAL.negated
    }
}

/// kill_pgrp(): the kernel's signal to process group `pgrp` — as the kernel
/// (`priv`, SI_KERNEL) or on the caller's behalf (SI_USER).
@discardableResult
func kill_pgrp(_ pgrp: Int32, _ sig: Int32, priv: Bool) -> Int {
    guard pgrp > 0 else { return Errno.ESRCH.negated }
    return __kill_pgrp_info(sig, priv ? info_kernel(sig) : info_user(sig), pgrp)
}

/// kill_pid_info_type(): the task with number `nr`, as a thread or as its process.
private func kill_pid_info_type(_ sig: Int32, _ info: KSigInfo, _ nr: Int32, _ type: PidType) -> Int {
    tasklistLock.withLock { () -> Int in
        guard let p = find_task_by_vpid(nr), p.exitState != .dead else { return Errno.ESRCH.negated }
        guard valid_signal(sig) else { return Errno.EINVAL.negated }
        if type == .tgid { return group_send_sig_info(sig, info, p.groupLeader) }
        if sig == 0 || p.exitState != .none { return 0 }
        siglock.withLock { send_signal_locked(sig, info, to: p, group: false) }
        return 0
    }
}

/// copy_siginfo_from_user(): the fields of a user siginfo that a signal
/// carries here; nil on a fault.
private func copy_siginfo_from_user(_ uinfo: UInt64) -> KSigInfo? {
    var w = InlineArray<16, UInt64>(repeating: 0)
    guard copy_from_user(&w, uinfo) else { return nil }
    var i = KSigInfo()
    i.signo = Int32(truncatingIfNeeded: w[0])
    i.errno = Int32(truncatingIfNeeded: w[0] >> 32)
    i.code = Int32(truncatingIfNeeded: w[1])
    i.pid = Int32(truncatingIfNeeded: w[2])
    i.uid = UInt32(truncatingIfNeeded: w[2] >> 32)
    i.value = w[3]
    return i
}

/// pidfd_send_signal(pidfd, sig, info, flags): kill() by pidfd. The pidfd
/// says whom (its process, or its thread for a PIDFD_THREAD pidfd) unless a
/// flag chooses; a siginfo from the caller may only claim to come from the
/// kernel or kill() (si_code >= 0, or SI_TKILL) when the caller signals itself.
func sys_pidfd_send_signal(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pidfd = Int32(truncatingIfNeeded: regs.arg0)
    let sig = Int32(truncatingIfNeeded: regs.arg1)
    let uinfo = regs.arg2
    let flags = UInt32(truncatingIfNeeded: regs.arg3)
    let scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP
    if flags & ~scopes != 0 || flags.nonzeroBitCount > 1 { return Errno.EINVAL.negated }
    let me = current
    var nr: Int32
    var type: PidType
    switch pidfd {
    case PIDFD_SELF_THREAD: (nr, type) = (me.pid, .pid)
    case PIDFD_SELF_THREAD_GROUP: (nr, type) = (me.tgid, .tgid)
    default:
        guard pidfd >= 0, let f = fget(UInt64(pidfd)) else { return Errno.EBADF.negated }
        defer { fput(f) }
        if let n = pidfd_pid(f) {
            (nr, type) = (n, f.flags & PIDFD_THREAD != 0 ? .pid : .tgid)
        } else {
            // pidfd_to_pid(): a /proc/<pid> directory names its process too.
            var err = Errno.EBADF
            guard let n = tgid_pidfd_to_pid(f, &err) else { return err.negated }
            (nr, type) = (n, .tgid)
        }
    }
    switch flags {
    case PIDFD_SIGNAL_THREAD: type = .pid
    case PIDFD_SIGNAL_THREAD_GROUP: type = .tgid
    case PIDFD_SIGNAL_PROCESS_GROUP: type = .pgid
    default: break
    }
    var info: KSigInfo
    if uinfo != 0 {
        guard let i = copy_siginfo_from_user(uinfo) else { return Errno.EFAULT.negated }
        if i.signo != sig { return Errno.EINVAL.negated }
        if (me.pid != nr || type > .tgid) && (i.code >= 0 || i.code == SI_TKILL) { return Errno.EPERM.negated }
        info = i
    } else {
        info = info_user(sig, code: type == .pid ? SI_TKILL : SI_USER)  // prepare_kill_siginfo()
    }
    if type == .pgid { return __kill_pgrp_info(sig, info, nr) }
    return kill_pid_info_type(sig, info, nr, type)
}
