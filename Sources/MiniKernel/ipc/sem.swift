// System V semaphores: semget, semop, semtimedop, semctl, and the undo
// that a process's exit performs (exit_sem). Linux: ipc/sem.c.
//
// The rules, before the code
// --------------------------
// A semaphore array holds nsems counters, each 0..SEMVMX. One semop() call
// applies a list of operations to one array atomically: all of them or
// none. An operation adds sem_op to its counter; a negative one may not
// take the counter below 0, and sem_op 0 waits for the counter to be 0.
// When the list cannot be applied whole, the caller fails with EAGAIN
// (IPC_NOWAIT) or sleeps on the array's queue of pending operations; each
// change to the array retries that queue in order (update_queue()), and a
// sleeper's operations are applied for it, by the task that made them
// possible, before it is woken. A sleeper also ends with EAGAIN when its
// semtimedop() time runs out, EINTR on a signal (never restarted, whatever
// SA_RESTART says), EIDRM when the array is removed.
//
// SEM_UNDO: an operation with this flag also records its opposite in the
// caller's adjustment for that counter (semadj). The adjustments live in a
// sem_undo per array, on the process's undo list, which threads created
// with CLONE_SYSVSEM share (glibc's threads do) and fork does not copy.
// When the last task sharing the list exits, exit_sem() adds every
// adjustment back, clamped to 0..SEMVMX, and wakes the sleepers it may
// satisfy: a process that dies holding a semaphore gives it back. SETVAL
// and SETALL forget every process's adjustments for the counters they set;
// removing the array forgets them all.
//
// Locks: sem_lock guards every array, queue and undo list (Linux: the ids'
// rwsem, a spinlock per array and per semaphore, one per undo list, and
// RCU). Nothing touches user memory while holding it. The pending queue is
// one FIFO per array, retried from its head after each operation that
// changed a counter (Linux keeps per-semaphore queues besides, and retries
// wait-for-zero operations first; the outcomes differ only in which of
// several competing sleepers wins).

import CShim

let SEMMSL = 32000, SEMMNS = 1_024_000_000, SEMOPM = 500, SEMMNI = 32000
let SEMVMX: Int32 = 32767, SEMAEM: Int32 = 32767
let SEMMNU = 1_024_000_000, SEMMAP = 1_024_000_000, SEMUME = 500, SEMUSZ: Int32 = 20
let GETPID: Int32 = 11, GETVAL: Int32 = 12, GETALL: Int32 = 13, GETNCNT: Int32 = 14, GETZCNT: Int32 = 15
let SETVAL: Int32 = 16, SETALL: Int32 = 17, SEM_STAT: Int32 = 18, SEM_INFO: Int32 = 19, SEM_STAT_ANY: Int32 = 20
let SEM_UNDO: Int16 = 0x1000

/// struct sembuf: one operation, as user space passes it.
struct SemBuf {
    var semNum: UInt16 = 0
    var semOp: Int16 = 0
    var semFlg: Int16 = 0
}

/// struct sem: one counter and the process that last changed it.
struct Sem {
    var semval: Int32 = 0
    var sempid: Int32 = 0
}

/// struct semid64_ds (x86-64): what IPC_STAT copies out.
struct Semid64Ds {
    var perm = Ipc64Perm()
    var otime: Int64 = 0
    var unused1: UInt64 = 0
    var ctime: Int64 = 0
    var unused2: UInt64 = 0
    var nsems: UInt64 = 0
    var unused3: UInt64 = 0, unused4: UInt64 = 0
}

/// struct seminfo: IPC_INFO's and SEM_INFO's answer.
struct SemInfo {
    var semmap: Int32 = 0, semmni: Int32 = 0, semmns: Int32 = 0, semmnu: Int32 = 0, semmsl: Int32 = 0
    var semopm: Int32 = 0, semume: Int32 = 0, semusz: Int32 = 0, semvmx: Int32 = 0, semaem: Int32 = 0
}

/// struct sem_array.
final class SemArray: IpcObject {
    var perm = KernIpcPerm()
    var ipcNext: SemArray? = nil
    let nsems: Int
    let sems: UnsafeMutablePointer<Sem>
    var otime: Int64 = 0
    var ctime: Int64 = 0
    /// The sleepers, oldest first (pending_alter and pending_const in one).
    var pendingHead: SemQueue? = nil
    unowned(unsafe) var pendingTail: SemQueue? = nil
    /// list_id: every process's adjustments for this array.
    var undos: SemUndo? = nil

    init(nsems: Int, sems: UnsafeMutablePointer<Sem>) {
        self.nsems = nsems
        self.sems = sems
    }
}

/// struct sem_queue: a task asleep in semtimedop() and what it asked for.
final class SemQueue {
    unowned(unsafe) let task: Task
    let sops: UnsafeMutablePointer<SemBuf>
    let nsops: Int
    unowned(unsafe) let undo: SemUndo?
    let pid: Int32
    let alter: Bool
    /// SEM_QUEUE_WAITING until a waker settles it: 0, or -errno.
    var status = SEM_QUEUE_WAITING
    /// The operation it is blocked on (GETNCNT and GETZCNT count by it).
    var blocking = 0
    var next: SemQueue? = nil

    init(task: Task, sops: UnsafeMutablePointer<SemBuf>, nsops: Int, undo: SemUndo?, pid: Int32, alter: Bool) {
        (self.task, self.sops, self.nsops, self.undo, self.pid, self.alter) = (task, sops, nsops, undo, pid, alter)
    }
}
let SEM_QUEUE_WAITING = 1

/// struct sem_undo: one process's adjustments for one array.
final class SemUndo {
    unowned(unsafe) let sma: SemArray
    let semadj: UnsafeMutablePointer<Int16>
    /// list_proc: the next on the process's undo list.
    var procNext: SemUndo? = nil
    /// list_id: the next on the array's list.
    var idNext: SemUndo? = nil
    unowned(unsafe) let ulp: SemUndoList

    init(sma: SemArray, semadj: UnsafeMutablePointer<Int16>, ulp: SemUndoList) {
        self.sma = sma
        self.semadj = semadj
        self.ulp = ulp
    }
}

/// struct sem_undo_list: a process's undo structures, shared by CLONE_SYSVSEM.
final class SemUndoList {
    var refcnt = 1
    var head: SemUndo? = nil
    init() {}
}

/// sem_ids(ns), ns->used_sems, and the lock over all of it.
private var sem_ids = IpcIds<SemArray>()
private var used_sems = 0
let sem_lock = SpinLock(name: "sem_lock")

/// Arrays in existence (leakcheck's `sem_arrays`).
func nr_sem_arrays() -> Int { sem_lock.withLock { sem_ids.inUse } }

// MARK: - Applying operations

/// perform_atomic_semop_slow(): apply q's operations in order, or none of
/// them. 0 when done, 1 when the caller must sleep, -EAGAIN (IPC_NOWAIT)
/// or -ERANGE otherwise. sem_lock held.
private func perform_atomic_semop(_ sma: SemArray, _ q: SemQueue) -> Int {
    var result = 0
    var i = 0
    while i < q.nsops {
        let sop = q.sops[i]
        let n = Int(sop.semNum)
        let cur = sma.sems[n].semval
        let op = Int32(sop.semOp)
        if op == 0 && cur != 0 { result = blocked(q, i); break }
        let val = cur + op
        if val < 0 { result = blocked(q, i); break }
        if val > SEMVMX { result = Errno.ERANGE.negated; break }
        if sop.semFlg & SEM_UNDO != 0, let un = q.undo {
            let undo = Int32(un.semadj[n]) - op
            if undo < -SEMAEM - 1 || undo > SEMAEM { result = Errno.ERANGE.negated; break }
            un.semadj[n] = Int16(undo)
        }
        sma.sems[n].semval = val
        i += 1
    }
    if i == q.nsops {
        for j in 0..<q.nsops { sma.sems[Int(q.sops[j].semNum)].sempid = q.pid }
        return 0
    }
    // Take back what was applied before the operation that failed.
    while i > 0 {
        i -= 1
        let sop = q.sops[i]
        sma.sems[Int(sop.semNum)].semval -= Int32(sop.semOp)
        if sop.semFlg & SEM_UNDO != 0, let un = q.undo { un.semadj[Int(sop.semNum)] += sop.semOp }
    }
    return result
}

/// The would_block exit of perform_atomic_semop().
private func blocked(_ q: SemQueue, _ i: Int) -> Int {
    q.blocking = i
    return q.sops[i].semFlg & Int16(IPC_NOWAIT) != 0 ? Errno.EAGAIN.negated : 1
}

private func enqueue(_ sma: SemArray, _ q: SemQueue) {
    q.next = nil
    if let tail = sma.pendingTail { tail.next = q } else { sma.pendingHead = q }
    sma.pendingTail = q
}

/// unlink_queue().
private func unlink_queue(_ sma: SemArray, _ q: SemQueue) {
    var prev: SemQueue? = nil
    var p = sma.pendingHead
    while let cur = p, cur !== q { prev = cur; p = cur.next }
    guard p != nil else { return }
    if let prev { prev.next = q.next } else { sma.pendingHead = q.next }
    if sma.pendingTail === q { sma.pendingTail = prev }
    q.next = nil
}

/// wake_up_sem_queue_prepare() + wake_up_q(): the sleeper's outcome is
/// settled before it wakes; it reads only its own queue entry from then on.
private func settle(_ q: SemQueue, _ status: Int) {
    q.status = status
    wake_up_process(q.task)
}

/// update_queue() / do_smart_update(): after the array changed, complete
/// every sleeper whose operations can now be applied, oldest first; after
/// one that changed a counter, start again from the oldest. sem_lock held.
private func do_smart_update(_ sma: SemArray) {
    var restart = true
    while restart {
        restart = false
        var p = sma.pendingHead
        while let q = p {
            p = q.next
            let error = perform_atomic_semop(sma, q)
            if error > 0 { continue }
            unlink_queue(sma, q)
            if error == 0 {
                sma.otime = ipc_now()
                if q.alter { restart = true }
            }
            settle(q, error)
            if restart { break }
        }
    }
}

/// count_semcnt(): sleepers blocked on counter `semnum` — by a decrement
/// (GETNCNT) or by a wait for zero (GETZCNT). sem_lock held.
private func count_semcnt(_ sma: SemArray, _ semnum: Int, countZero: Bool) -> Int {
    var n = 0
    var p = sma.pendingHead
    while let q = p {
        let sop = q.sops[q.blocking]
        if Int(sop.semNum) == semnum && (countZero ? sop.semOp == 0 : sop.semOp < 0) { n += 1 }
        p = q.next
    }
    return n
}

// MARK: - Undo lists

/// get_undo_list(): the caller's list, made on first use. sem_lock held.
private func get_undo_list(_ t: Task) -> SemUndoList {
    if let ulp = t.sysvsem { return ulp }
    let ulp = SemUndoList()
    t.sysvsem = ulp
    return ulp
}

/// find_alloc_undo(): the caller's adjustments for `sma`, made (all zero)
/// on first use. Nil when memory is short. sem_lock held.
private func find_alloc_undo(_ sma: SemArray) -> SemUndo? {
    let ulp = get_undo_list(current)
    var p = ulp.head
    while let un = p {
        if un.sma === sma { return un }
        p = un.procNext
    }
    guard let mem = kzalloc(sma.nsems * 2) else { return nil }
    let un = SemUndo(sma: sma, semadj: mem.bindMemory(to: Int16.self, capacity: sma.nsems), ulp: ulp)
    un.procNext = ulp.head
    ulp.head = un
    un.idNext = sma.undos
    sma.undos = un
    return un
}

/// Off the array's list (list_id). sem_lock held.
private func unlink_undo_id(_ un: SemUndo) {
    slist_remove(&un.sma.undos, un, { $0.idNext }, { $0.idNext = $1 })
}

/// Off the process's list (list_proc). sem_lock held.
private func unlink_undo_proc(_ un: SemUndo) {
    slist_remove(&un.ulp.head, un, { $0.procNext }, { $0.procNext = $1 })
}

private func free_undo(_ un: SemUndo) {
    kfree(UnsafeMutableRawPointer(un.semadj))
    kfree_object(un)
}

/// copy_semundo(): a CLONE_SYSVSEM child shares the parent's undo list
/// (made now if the parent has none, so that both see the same one); any
/// other child starts with none.
func copy_semundo(_ flags: CloneFlags, _ tsk: Task) {
    guard flags.contains(.sysvsem) else { tsk.sysvsem = nil; return }
    sem_lock.withLock {
        let ulp = get_undo_list(current)
        ulp.refcnt += 1
        tsk.sysvsem = ulp
    }
}

/// exit_sem(): the task lets go of its undo list; the last of the tasks
/// sharing it applies every adjustment on it, array by array, and wakes
/// the sleepers that this satisfies. How many arrays it adjusted.
@discardableResult
func exit_sem(_ tsk: Task) -> Int {
    guard let ulp = tsk.sysvsem else { return 0 }
    tsk.sysvsem = nil
    var arrays = 0
    let last = sem_lock.withLock { () -> Bool in
        ulp.refcnt -= 1
        guard ulp.refcnt == 0 else { return false }
        while let un = ulp.head {
            ulp.head = un.procNext
            let sma = un.sma
            unlink_undo_id(un)                           // (an IPC_RMID would have freed `un` already)
            var adjusted = false
            for i in 0..<sma.nsems where un.semadj[i] != 0 {
                // Linux caps the result at both ends, 0 and SEMVMX.
                let val = sma.sems[i].semval + Int32(un.semadj[i])
                sma.sems[i].semval = min(max(val, 0), SEMVMX)
                sma.sems[i].sempid = tsk.tgid
                adjusted = true
            }
            if adjusted { arrays += 1 }
            do_smart_update(sma)
            free_undo(un)
        }
        return true
    }
    if last { kfree_object(ulp) }
    return arrays
}

// MARK: - semget

/// newary(): a new array of `nsems` counters, all 0.
private func newary(_ ids: inout IpcIds<SemArray>, key: Int32, nsems: Int, flags: Int32) -> IpcGetResult {
    if nsems == 0 { return .error(.EINVAL) }
    if used_sems + nsems > SEMMNS { return .error(.ENOSPC) }
    guard let mem = kzalloc(nsems * MemoryLayout<Sem>.stride) else { return .error(.ENOMEM) }
    let sma = SemArray(nsems: nsems, sems: mem.bindMemory(to: Sem.self, capacity: nsems))
    ipc_init_perm(&sma.perm, key: key, flags: flags)
    sma.ctime = ipc_now()
    guard ipc_addid(&ids, sma, limit: SEMMNI) else {
        kfree(mem)
        kfree_object(sma)
        return .error(.ENOSPC)
    }
    used_sems += nsems
    return .id(sma.perm.id)
}

/// semget(key, nsems, semflg).
func sys_semget(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let key = Int32(truncatingIfNeeded: regs.arg0)
    let nsems = Int(Int32(truncatingIfNeeded: regs.arg1))
    let flags = Int32(truncatingIfNeeded: regs.arg2)
    if nsems < 0 || nsems > SEMMSL { return Errno.EINVAL.negated }
    return sem_lock.withLock {
        ipcget(&sem_ids, key: key, flags: flags,
               new: { newary(&$0, key: key, nsems: nsems, flags: flags) },
               more: { sma in nsems > sma.nsems ? Errno.EINVAL : nil }).syscallReturn
    }
}

// MARK: - semop, semtimedop

/// do_semtimedop(): apply the operations, sleeping while they cannot be.
/// `timeout` in ns from now; nil: no limit.
private func do_semtimedop(_ semid: Int32, _ usops: UInt64, _ nsopsIn: UInt64, timeout: UInt64?) -> Int {
    if nsopsIn < 1 || semid < 0 { return Errno.EINVAL.negated }
    if nsopsIn > UInt64(SEMOPM) { return Errno.E2BIG.negated }
    let nsops = Int(nsopsIn)
    guard let mem = kmalloc(nsops * MemoryLayout<SemBuf>.stride) else { return Errno.ENOMEM.negated }
    defer { kfree(mem) }
    guard copy_from_user(mem, usops, nsops * MemoryLayout<SemBuf>.stride) else { return Errno.EFAULT.negated }
    let sops = mem.bindMemory(to: SemBuf.self, capacity: nsops)
    var maxNum = 0, undos = false, alter = false
    for i in 0..<nsops {
        maxNum = max(maxNum, Int(sops[i].semNum))
        if sops[i].semFlg & SEM_UNDO != 0 { undos = true }
        if sops[i].semOp != 0 { alter = true }
    }
    let me = current
    let deadline = timeout.map { ktime_get_ns() &+ $0 }

    var flags = sem_lock.lockIrqSave()
    guard let sma = ipc_obtain_object_check(sem_ids, semid) else {
        sem_lock.unlockIrqRestore(flags)
        return Errno.EINVAL.negated
    }
    if maxNum >= sma.nsems { sem_lock.unlockIrqRestore(flags); return Errno.EFBIG.negated }
    // ipcperms(): root may alter or read any array.
    var un: SemUndo? = nil
    if undos {
        un = find_alloc_undo(sma)
        if un == nil { sem_lock.unlockIrqRestore(flags); return Errno.ENOMEM.negated }
    }
    let q = SemQueue(task: me, sops: sops, nsops: nsops, undo: un, pid: me.tgid, alter: alter)
    defer { kfree_object(q) }
    let error = perform_atomic_semop(sma, q)
    if error <= 0 {
        if error == 0 {
            sma.otime = ipc_now()
            if alter { do_smart_update(sma) }
        }
        sem_lock.unlockIrqRestore(flags)
        return error
    }

    // Sleep on the array's queue: whoever makes the operations possible
    // applies them and settles q.status before waking us.
    enqueue(sma, q)
    var result = 0
    while true {
        if q.status != SEM_QUEUE_WAITING { result = q.status; break }
        set_current_state(.interruptible)
        sem_lock.unlockIrqRestore(flags)
        if let deadline { hrtimer_arm_current(deadline) }
        let beforeDeadline = deadline.map({ ktime_get_ns() < $0 }) ?? true
        if !signal_pending(me) && beforeDeadline { schedule() }
        set_current_state(.running)
        if deadline != nil { hrtimer_arm_current(0) }
        flags = sem_lock.lockIrqSave()
        if q.status != SEM_QUEUE_WAITING { result = q.status; break }
        if signal_pending(me) { result = Errno.EINTR.negated; unlink_queue(sma, q); break }
        if let deadline, ktime_get_ns() >= deadline { result = Errno.EAGAIN.negated; unlink_queue(sma, q); break }
    }
    sem_lock.unlockIrqRestore(flags)
    return result
}

/// semop(semid, sops, nsops).
func sys_semop(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_semtimedop(Int32(truncatingIfNeeded: regs.arg0), regs.arg1, regs.arg2, timeout: nil)
}

/// semtimedop(semid, sops, nsops, timeout): EAGAIN when the time runs out.
func sys_semtimedop(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var timeout: UInt64? = nil
    if regs.arg3 != 0 {
        var ts = Timespec()
        guard copy_from_user(&ts, regs.arg3) else { return Errno.EFAULT.negated }
        guard ts.sec >= 0, ts.nsec >= 0, ts.nsec < 1_000_000_000 else { return Errno.EINVAL.negated }
        timeout = UInt64(ts.sec) &* 1_000_000_000 &+ UInt64(ts.nsec)
    }
    return do_semtimedop(Int32(truncatingIfNeeded: regs.arg0), regs.arg1, regs.arg2, timeout: timeout)
}

// MARK: - semctl

/// freeary(): IPC_RMID. Every process's adjustments for the array are
/// forgotten, every sleeper fails with EIDRM, and the array is gone. sem_lock held.
private func freeary(_ sma: SemArray) {
    while let un = sma.undos {
        sma.undos = un.idNext
        unlink_undo_proc(un)
        free_undo(un)
    }
    while let q = sma.pendingHead {
        unlink_queue(sma, q)
        settle(q, Errno.EIDRM.negated)
    }
    ipc_rmid(&sem_ids, sma)
    used_sems -= sma.nsems
    kfree(UnsafeMutableRawPointer(sma.sems))
    kfree_object(sma)
}

/// semctl_info(): IPC_INFO and SEM_INFO; the highest index in use.
private func semctl_info(_ cmd: Int32, _ buf: UInt64) -> Int {
    var info = SemInfo(semmap: Int32(SEMMAP), semmni: Int32(SEMMNI), semmns: Int32(SEMMNS), semmnu: Int32(SEMMNU),
                       semmsl: Int32(SEMMSL), semopm: Int32(SEMOPM), semume: Int32(SEMUME), semusz: SEMUSZ,
                       semvmx: SEMVMX, semaem: SEMAEM)
    let maxIdx = sem_lock.withLock { () -> Int in
        if cmd == SEM_INFO {
            info.semusz = Int32(sem_ids.inUse)
            info.semaem = Int32(used_sems)
        }
        return ipc_get_maxidx(sem_ids)
    }
    guard copy_to_user(buf, from: info) else { return Errno.EFAULT.negated }
    return max(maxIdx, 0)
}

/// semctl_stat(): IPC_STAT (by id, answers 0), SEM_STAT and SEM_STAT_ANY
/// (by index, answer the id).
private func semctl_stat(_ semid: Int32, _ cmd: Int32, _ buf: UInt64) -> Int {
    var ds = Semid64Ds()
    let id = sem_lock.withLock { () -> Int32? in
        guard let (sma, answer) = ipc_stat_lookup(sem_ids, semid, byIndex: cmd != IPC_STAT) else { return nil }
        ds.perm = kernel_to_ipc64_perm(sma.perm)
        ds.otime = sma.otime
        ds.ctime = sma.ctime
        ds.nsems = UInt64(sma.nsems)
        return answer
    }
    guard let id else { return Errno.EINVAL.negated }
    guard copy_to_user(buf, from: ds) else { return Errno.EFAULT.negated }
    return Int(id)
}

/// SETVAL and SETALL forget every process's adjustments for the counters
/// they set (the values are new; undoing old operations on them would be
/// wrong). sem_lock held.
private func forget_adjustments(_ sma: SemArray, _ semnum: Int?) {
    var p = sma.undos
    while let un = p {
        if let semnum { un.semadj[semnum] = 0 } else {
            for i in 0..<sma.nsems { un.semadj[i] = 0 }
        }
        p = un.idNext
    }
}

/// semctl_setval().
private func semctl_setval(_ semid: Int32, _ semnum: Int, _ val: Int32) -> Int {
    if val > SEMVMX || val < 0 { return Errno.ERANGE.negated }
    return sem_lock.withLock { () -> Int in
        guard let sma = ipc_obtain_object_check(sem_ids, semid) else { return Errno.EINVAL.negated }
        guard semnum >= 0 && semnum < sma.nsems else { return Errno.EINVAL.negated }
        forget_adjustments(sma, semnum)
        sma.sems[semnum].semval = val
        sma.sems[semnum].sempid = current.tgid
        sma.ctime = ipc_now()
        do_smart_update(sma)
        return 0
    }
}

/// semctl_main(): GETALL, SETALL (arrays of unsigned short in user
/// memory), GETVAL, GETPID, GETNCNT, GETZCNT.
private func semctl_main(_ semid: Int32, _ semnum: Int, _ cmd: Int32, _ arg: UInt64) -> Int {
    let nsems = sem_lock.withLock { ipc_obtain_object_check(sem_ids, semid)?.nsems }
    guard let nsems else { return Errno.EINVAL.negated }
    switch cmd {
    case GETALL, SETALL:
        guard let mem = kmalloc(max(nsems * 2, 2)) else { return Errno.ENOMEM.negated }
        defer { kfree(mem) }
        let vals = mem.bindMemory(to: UInt16.self, capacity: nsems)
        if cmd == GETALL {
            let ok = sem_lock.withLock { () -> Bool in
                // The array may have gone, or been replaced, since we looked.
                guard let sma = ipc_obtain_object_check(sem_ids, semid), sma.nsems == nsems else { return false }
                for i in 0..<nsems { vals[i] = UInt16(truncatingIfNeeded: sma.sems[i].semval) }
                return true
            }
            guard ok else { return Errno.EIDRM.negated }
            return copy_to_user(arg, mem, nsems * 2) ? 0 : Errno.EFAULT.negated
        }
        guard copy_from_user(mem, arg, nsems * 2) else { return Errno.EFAULT.negated }
        for i in 0..<nsems where Int32(vals[i]) > SEMVMX { return Errno.ERANGE.negated }
        return sem_lock.withLock { () -> Int in
            guard let sma = ipc_obtain_object_check(sem_ids, semid), sma.nsems == nsems else { return Errno.EIDRM.negated }
            for i in 0..<nsems {
                sma.sems[i].semval = Int32(vals[i])
                sma.sems[i].sempid = current.tgid
            }
            forget_adjustments(sma, nil)
            sma.ctime = ipc_now()
            do_smart_update(sma)
            return 0
        }
    default:
        return sem_lock.withLock { () -> Int in
            guard let sma = ipc_obtain_object_check(sem_ids, semid) else { return Errno.EIDRM.negated }
            guard semnum >= 0 && semnum < sma.nsems else { return Errno.EINVAL.negated }
            switch cmd {
            case GETVAL: return Int(sma.sems[semnum].semval)
            case GETPID: return Int(sma.sems[semnum].sempid)
            case GETNCNT: return count_semcnt(sma, semnum, countZero: false)
            default: return count_semcnt(sma, semnum, countZero: true)
            }
        }
    }
}

/// semctl_down(): IPC_RMID and IPC_SET (only the owner or root may; every
/// task is root here).
private func semctl_down(_ semid: Int32, _ cmd: Int32, _ set: Ipc64Perm) -> Int {
    sem_lock.withLock { () -> Int in
        guard let sma = ipc_obtain_object_check(sem_ids, semid) else { return Errno.EINVAL.negated }
        if cmd == IPC_RMID {
            freeary(sma)
        } else {
            ipc_update_perm(set, &sma.perm)
            sma.ctime = ipc_now()
        }
        return 0
    }
}

/// semctl(semid, semnum, cmd, arg). `arg` is the union semun: a value
/// for SETVAL (its low 32 bits), a pointer otherwise. IPC_64 is not a
/// flag on x86-64: cmd must be exact.
func sys_semctl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let semid = Int32(truncatingIfNeeded: regs.arg0)
    let semnum = Int(Int32(truncatingIfNeeded: regs.arg1))
    let cmd = Int32(truncatingIfNeeded: regs.arg2)
    let arg = regs.arg3
    if semid < 0 { return Errno.EINVAL.negated }
    switch cmd {
    case IPC_INFO, SEM_INFO:
        return semctl_info(cmd, arg)
    case IPC_STAT, SEM_STAT, SEM_STAT_ANY:
        return semctl_stat(semid, cmd, arg)
    case GETALL, GETVAL, GETPID, GETNCNT, GETZCNT, SETALL:
        return semctl_main(semid, semnum, cmd, arg)
    case SETVAL:
        return semctl_setval(semid, semnum, Int32(truncatingIfNeeded: arg))
    case IPC_SET:
        var ds = Semid64Ds()
        guard copy_from_user(&ds, arg) else { return Errno.EFAULT.negated }
        return semctl_down(semid, cmd, ds.perm)
    case IPC_RMID:
        return semctl_down(semid, cmd, Ipc64Perm())
    default:
        return Errno.EINVAL.negated
    }
}
