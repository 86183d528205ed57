// Resource limits and sysinfo. Linux: kernel/sys.c (getrlimit, setrlimit,
// prlimit64, do_prlimit, sysinfo), include/asm-generic/resource.h (INIT_RLIMITS).

import CShim
import Synchronization

let RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4
let RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9
let RLIMIT_LOCKS = 10, RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13
let RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15, RLIM_NLIMITS = 16
let RLIM_INFINITY = UInt64.max

struct RLimit {
    var cur: UInt64 = RLIM_INFINITY
    var max: UInt64 = RLIM_INFINITY
}

/// signal->rlim: per process, inherited at fork.
struct RLimits {
    var lim = InlineArray<16, RLimit>(repeating: RLimit())
    /// INIT_RLIMITS: what init starts with.
    init() {
        lim[RLIMIT_STACK] = RLimit(cur: 8 << 20, max: RLIM_INFINITY)
        lim[RLIMIT_CORE] = RLimit(cur: 0, max: RLIM_INFINITY)
        lim[RLIMIT_NPROC] = RLimit(cur: 0, max: 0)       // set from memory at boot, as fork_init() does
        lim[RLIMIT_NOFILE] = RLimit(cur: 1024, max: 4096)
        lim[RLIMIT_MEMLOCK] = RLimit(cur: 8 << 20, max: 8 << 20)
        lim[RLIMIT_SIGPENDING] = RLimit(cur: 0, max: 0)
        lim[RLIMIT_MSGQUEUE] = RLimit(cur: 819_200, max: 819_200)
        lim[RLIMIT_NICE] = RLimit(cur: 0, max: 0)
        lim[RLIMIT_RTPRIO] = RLimit(cur: 0, max: 0)
        let threads = UInt64(max(buddy.nrManaged / 8 / 2, 20))   // fork_init(): max_threads / 2
        lim[RLIMIT_NPROC] = RLimit(cur: threads, max: threads)
        lim[RLIMIT_SIGPENDING] = RLimit(cur: threads, max: threads)
    }
    subscript(_ r: Int) -> RLimit {
        get { lim[r] }
        set { lim[r] = newValue }
    }
}

/// do_prlimit(): read and/or set one limit of `tsk`'s process.
private func do_prlimit(_ tsk: Task, _ resource: Int, _ new: RLimit?, _ old: inout RLimit) -> Int {
    guard resource >= 0 && resource < RLIM_NLIMITS else { return Errno.EINVAL.negated }
    if let n = new {
        if n.cur > n.max { return Errno.EINVAL.negated }
        if resource == RLIMIT_NOFILE && n.max > UInt64(NR_OPEN_MAX) { return Errno.EPERM.negated }
    }
    siglock.withLock {
        old = tsk.signal.rlim[resource]
        if let n = new { tsk.signal.rlim[resource] = n }
    }
    return 0
}

private func put_rlimit(_ addr: UInt64, _ r: RLimit) -> Bool {
    copy_to_user(addr, from: r)
}

func sys_prlimit64(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let pid = Int32(truncatingIfNeeded: regs.arg0), resource = Int(Int32(truncatingIfNeeded: regs.arg1))
    var new: RLimit? = nil
    if regs.arg2 != 0 {
        var n = RLimit()
        guard copy_from_user(&n, regs.arg2) else { return Errno.EFAULT.negated }
        new = n
    }
    let tsk: Task
    if pid == 0 { tsk = current } else {
        guard let t = find_task_by_vpid(pid) else { return Errno.ESRCH.negated }
        tsk = t
    }
    var old = RLimit()
    let r = do_prlimit(tsk, resource, new, &old)
    if r < 0 { return r }
    if regs.arg3 != 0 && !put_rlimit(regs.arg3, old) { return Errno.EFAULT.negated }
    return 0
}

func sys_getrlimit(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var old = RLimit()
    let r = do_prlimit(current, Int(Int32(truncatingIfNeeded: regs.arg0)), nil, &old)
    if r < 0 { return r }
    return put_rlimit(regs.arg1, old) ? 0 : Errno.EFAULT.negated
}

func sys_setrlimit(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var n = RLimit()
    guard copy_from_user(&n, regs.arg1) else { return Errno.EFAULT.negated }
    var old = RLimit()
    return do_prlimit(current, Int(Int32(truncatingIfNeeded: regs.arg0)), n, &old)
}

/// sysinfo(info): uptime, memory, process count (no swap, no load average).
func sys_sysinfo(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var b = InlineArray<14, UInt64>(repeating: 0)     // struct sysinfo, 112 bytes
    b[0] = ktime_get_ns() / 1_000_000_000 + 1         // uptime, rounded up as Linux does
    b[4] = UInt64(buddy.nrManaged) * PAGE_SIZE        // totalram
    b[5] = UInt64(nr_free_pages()) * PAGE_SIZE        // freeram
    b[10] = UInt64(min(nr_tasks.load(ordering: .relaxed), 0xffff))   // procs (u16)
    b[13] = 1                                          // mem_unit (u32 at offset 104)
    return copy_to_user(regs.arg0, from: b) ? 0 : Errno.EFAULT.negated
}
