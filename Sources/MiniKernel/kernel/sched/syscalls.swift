// The scheduler's system calls: CPUs (sched_setaffinity, sched_getaffinity,
// getcpu) and policies (sched_setscheduler and friends). Linux:
// kernel/sched/syscalls.c (since 6.10; kernel/sched/core.c before),
// kernel/sys.c (getcpu).
//
// Policies: every task runs under the one fair scheduler. SCHED_NORMAL,
// SCHED_BATCH and SCHED_IDLE are accepted and reported back as set (Linux
// runs the latter two as fair tasks too, with other weights; here they get
// the same share). There is no real-time class: SCHED_FIFO and SCHED_RR are
// refused with EPERM, which is what Linux answers a task that may not use
// them (no CAP_SYS_NICE, RLIMIT_RTPRIO 0), and SCHED_DEADLINE is EINVAL
// here as through sched_setscheduler() on Linux (it needs sched_setattr).
//
// A cpumask crosses the boundary as an array of longs; Linux's
// cpumask_size() is the bytes that hold nr_cpu_ids bits, rounded up to a
// long: 8 for us (NR_CPUS = 8), as on any Linux machine with at most 64 CPUs.

import CShim

private let CPUMASK_SIZE = 8

/// The CPUs that exist, as a mask.
func cpu_possible_mask() -> UInt64 { (UInt64(1) << UInt64(nr_cpu_ids)) - 1 }

/// find_process_by_pid(): 0 is the caller. Call with tasklist_lock held.
private func find_process_by_pid(_ pid: Int32) -> Task? {
    pid == 0 ? current : find_task_by_vpid(pid)
}

/// __set_cpus_allowed_ptr(): a new affinity, and if the task sits on a CPU it
/// no longer allows: moved now if it is queued, at its next schedule() if it
/// is running (kicked there by an IPI), at its wake-up if it sleeps.
func set_cpus_allowed_ptr(_ t: Task, _ mask: UInt64) {
    let flags = local_irq_save()
    let rq = task_rq_lock(t)
    t.cpusAllowed = mask
    if mask & (1 << UInt64(rq.cpu)) != 0 {
        rq.lock.unlock()
    } else if t.onRq {
        rq.dequeue(t)
        rq.lock.unlock()
        let dst = cpu_rq(select_task_rq(t, prevCpu: rq.cpu))
        dst.lock.lock()
        dst.enqueue(t)
        resched_curr(dst)
        dst.lock.unlock()
    } else {
        if rq.curr === t { resched_curr(rq) }
        rq.lock.unlock()
    }
    local_irq_restore(flags)
}

/// sched_setaffinity(pid, len, user_mask_ptr).
func sys_sched_setaffinity(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    var len = Int(UInt32(truncatingIfNeeded: regs.arg1))
    // get_user_cpu_mask(): a short mask is zero-extended, a long one cut.
    var mask: UInt64 = 0
    if len > CPUMASK_SIZE { len = CPUMASK_SIZE }
    if len > 0 {
        let ok = withUnsafeMutableBytes(of: &mask) { copy_from_user($0.baseAddress.unsafelyUnwrapped, regs.arg2, len) }
        if !ok { return Errno.EFAULT.negated }
    }
    let newMask = mask & cpu_possible_mask()
    let flags = tasklistLock.lockIrqSave()
    guard let t = find_process_by_pid(pid) else {
        tasklistLock.unlockIrqRestore(flags)
        return Errno.ESRCH.negated
    }
    // No CPU of the new mask can run it: -EINVAL, and the old mask stays.
    if newMask & cpu_online_mask() == 0 {
        tasklistLock.unlockIrqRestore(flags)
        return Errno.EINVAL.negated
    }
    set_cpus_allowed_ptr(t, newMask)
    tasklistLock.unlockIrqRestore(flags)
    // Return on an allowed CPU, as Linux does (its migration stopper runs
    // before the call returns): schedule() hands us over.
    if t === current && newMask & (1 << UInt64(smp_processor_id())) == 0 { schedule() }
    return 0
}

/// sched_getaffinity(pid, len, user_mask_ptr): the bytes written.
func sys_sched_getaffinity(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    let len = Int(UInt32(truncatingIfNeeded: regs.arg1))
    if len * 8 < nr_cpu_ids { return Errno.EINVAL.negated }
    if len & 7 != 0 { return Errno.EINVAL.negated }
    let flags = tasklistLock.lockIrqSave()
    guard let t = find_process_by_pid(pid) else {
        tasklistLock.unlockIrqRestore(flags)
        return Errno.ESRCH.negated
    }
    var mask = t.cpusAllowed & cpu_online_mask()
    tasklistLock.unlockIrqRestore(flags)
    let n = min(len, CPUMASK_SIZE)
    let ok = withUnsafeBytes(of: &mask) { copy_to_user(regs.arg2, $0.baseAddress.unsafelyUnwrapped, n) }
    return ok ? n : Errno.EFAULT.negated
}

/// getcpu(cpup, nodep, unused): where the caller runs now (one NUMA node).
func sys_getcpu(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let cpu = UInt32(smp_processor_id())
    var ok = true
    if regs.arg0 != 0 { ok = put_user(UInt32(cpu), regs.arg0) && ok }
    if regs.arg1 != 0 { ok = put_user(UInt32(0), regs.arg1) && ok }
    return ok ? 0 : Errno.EFAULT.negated
}

// MARK: - policies

let SCHED_NORMAL: Int32 = 0, SCHED_FIFO: Int32 = 1, SCHED_RR: Int32 = 2, SCHED_BATCH: Int32 = 3
let SCHED_IDLE: Int32 = 5, SCHED_DEADLINE: Int32 = 6, SCHED_EXT: Int32 = 7
let SCHED_RESET_ON_FORK: Int32 = 0x4000_0000
/// MAX_RT_PRIO - 1: the highest real-time priority a user can ask for.
private let MAX_USER_RT_PRIO: Int32 = 99

private func rt_policy(_ p: Int32) -> Bool { p == SCHED_FIFO || p == SCHED_RR }
private func fair_policy(_ p: Int32) -> Bool { p == SCHED_NORMAL || p == SCHED_BATCH || p == SCHED_IDLE }

/// __sched_setscheduler(): `policy` (-1: keep the task's) with `prio` for task `pid`.
private func do_sched_setscheduler(_ pid: Int32, _ policyIn: Int32, _ param: UInt64) -> Int {
    if pid < 0 || param == 0 { return Errno.EINVAL.negated }
    var prio: Int32 = 0
    guard copy_from_user(&prio, param) else { return Errno.EFAULT.negated }
    let reset = policyIn >= 0 && policyIn & SCHED_RESET_ON_FORK != 0
    let policy = policyIn >= 0 ? policyIn & ~SCHED_RESET_ON_FORK : -1
    return tasklistLock.withLock { () -> Int in
        guard let t = find_process_by_pid(pid) else { return Errno.ESRCH.negated }
        let p = policy < 0 ? t.policy : policy
        // valid_policy() and the priority's range for it.
        guard fair_policy(p) || rt_policy(p) else { return Errno.EINVAL.negated }
        if fair_policy(p) ? prio != 0 : (prio < 1 || prio > MAX_USER_RT_PRIO) { return Errno.EINVAL.negated }
        if rt_policy(p) { return Errno.EPERM.negated }         // no real-time class here
        t.policy = p
        if policy >= 0 { t.schedResetOnFork = reset }
        return 0
    }
}

/// sched_setscheduler(pid, policy, param).
func sys_sched_setscheduler(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let policy = Int32(truncatingIfNeeded: regs.arg1)
    if policy < 0 { return Errno.EINVAL.negated }
    return do_sched_setscheduler(Int32(truncatingIfNeeded: regs.arg0), policy, regs.arg2)
}

/// sched_setparam(pid, param): the priority under the task's own policy.
func sys_sched_setparam(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_sched_setscheduler(Int32(truncatingIfNeeded: regs.arg0), -1, regs.arg1)
}

/// sched_getscheduler(pid): the policy, SCHED_RESET_ON_FORK included.
func sys_sched_getscheduler(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0)
    if pid < 0 { return Errno.EINVAL.negated }
    return tasklistLock.withLock { () -> Int in
        guard let t = find_process_by_pid(pid) else { return Errno.ESRCH.negated }
        return Int(t.policy | (t.schedResetOnFork ? SCHED_RESET_ON_FORK : 0))
    }
}

/// The checks of the calls that only read: 0, or -EINVAL, or -ESRCH.
private func sched_check_pid(_ pid: Int32) -> Int {
    if pid < 0 { return Errno.EINVAL.negated }
    return tasklistLock.withLock { find_process_by_pid(pid) != nil } ? 0 : Errno.ESRCH.negated
}

/// sched_getparam(pid, param): a fair task's priority is 0.
func sys_sched_getparam(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    if regs.arg1 == 0 { return Errno.EINVAL.negated }
    let e = sched_check_pid(Int32(truncatingIfNeeded: regs.arg0))
    if e < 0 { return e }
    let prio: Int32 = 0
    return copy_to_user(regs.arg1, from: prio) ? 0 : Errno.EFAULT.negated
}

/// sched_get_priority_max(policy) / sched_get_priority_min(policy).
func sys_sched_get_priority_max(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let p = Int32(truncatingIfNeeded: regs.arg0)
    if rt_policy(p) { return Int(MAX_USER_RT_PRIO) }
    return fair_policy(p) || p == SCHED_DEADLINE || p == SCHED_EXT ? 0 : Errno.EINVAL.negated
}
func sys_sched_get_priority_min(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let p = Int32(truncatingIfNeeded: regs.arg0)
    if rt_policy(p) { return 1 }
    return fair_policy(p) || p == SCHED_DEADLINE || p == SCHED_EXT ? 0 : Errno.EINVAL.negated
}

/// sched_rr_get_interval(pid, interval): a fair task's time slice.
func sys_sched_rr_get_interval(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let e = sched_check_pid(Int32(truncatingIfNeeded: regs.arg0))
    if e < 0 { return e }
    let ns = UInt64(SCHED_SLICE_TICKS) * (1_000_000_000 / HZ)
    let ts = Timespec(sec: Int64(ns / 1_000_000_000), nsec: Int64(ns % 1_000_000_000))
    return copy_to_user(regs.arg1, from: ts) ? 0 : Errno.EFAULT.negated
}
