// The scheduler's system calls about CPUs: sched_setaffinity,
// sched_getaffinity, getcpu. Linux: kernel/sched/syscalls.c (since 6.10;
// kernel/sched/core.c before), kernel/sys.c (getcpu).
//
// A cpumask crosses the boundary as an array of longs; Linux's
// cpumask_size() is the bytes that hold nr_cpu_ids bits, rounded up to a
// long: 8 for us (NR_CPUS = 8), as on any Linux machine with at most 64 CPUs.

import CShim

private let CPUMASK_SIZE = 8

/// The CPUs that exist, as a mask.
private func cpu_possible_mask() -> UInt64 { (UInt64(1) << UInt64(nr_cpu_ids)) - 1 }

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
