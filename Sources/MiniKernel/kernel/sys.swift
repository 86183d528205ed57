// Small system calls about the process and the machine. Linux: kernel/sys.c,
// kernel/reboot.c.

import CShim

func sys_getpid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { Int(current.tgid) }
func sys_gettid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { Int(current.pid) }

/// getppid(): the real parent's thread-group id (the reaper after reparenting).
func sys_getppid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    tasklistLock.withLock { Int(current.realParent.tgid) }
}

// Everything runs as root: credentials are outside the exit path.
func sys_getuid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { 0 }
func sys_geteuid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { 0 }
func sys_getgid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { 0 }
func sys_getegid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { 0 }

/// getresuid()/getresgid(): real, effective and saved ids, all root's.
private func put_res_ids(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let zero: UInt32 = 0
    let ok = copy_to_user(regs.arg0, from: zero) && copy_to_user(regs.arg1, from: zero) && copy_to_user(regs.arg2, from: zero)
    return ok ? 0 : Errno.EFAULT.negated
}
func sys_getresuid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { put_res_ids(regs) }
func sys_getresgid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { put_res_ids(regs) }

/// getgroups(size, list): root here has no supplementary groups; a negative
/// size is -EINVAL, as Linux.
func sys_getgroups(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    Int32(truncatingIfNeeded: regs.arg0) < 0 ? Errno.EINVAL.negated : 0
}

/// Marks every descendant process as having a subreaper above it.
private func propagate_has_child_subreaper(_ root: Task) {
    for th in for_each_thread(root.signal) {
        for p in for_each_child(th) where !p.signal.hasChildSubreaper {
            p.signal.hasChildSubreaper = true
            propagate_has_child_subreaper(p)
        }
    }
}

/// What getpgid() and getsid() read from `pid`'s process (pid 0: the caller's), or -ESRCH.
private func processIdOf(_ pid: Int32, _ read: (SignalStruct) -> Int32) -> Int {
    if pid == 0 { return Int(read(current.signal)) }
    return tasklistLock.withLock { () -> Int in
        guard pid > 0, let t = find_task_by_vpid(pid) else { return Errno.ESRCH.negated }
        return Int(read(t.signal))
    }
}

/// getpgid(pid): 0 means the caller.
func sys_getpgid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    processIdOf(Int32(truncatingIfNeeded: regs.arg0)) { $0.pgrp }
}

/// set_tid_address(tidptr): clear_child_tid, returning the caller's tid.
func sys_set_tid_address(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    current.clearChildTid = regs.arg0
    return Int(current.pid)
}

let PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_SET_DUMPABLE = 4, PR_GET_DUMPABLE = 3
let PR_SET_NAME = 15, PR_GET_NAME = 16
let PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37

/// prctl(option, ...): the options the exit path reads.
func sys_prctl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let option = Int(Int32(truncatingIfNeeded: regs.arg0))
    let arg2 = regs.arg1
    let me = current
    switch option {
    case PR_SET_CHILD_SUBREAPER:
        me.signal.isChildSubreaper = arg2 != 0
        if arg2 != 0 {
            // Descendants that exist already learn of it now
            // (walk_process_tree); later ones inherit it at fork.
            tasklistLock.withLock { propagate_has_child_subreaper(me) }
        }
        return 0
    case PR_GET_CHILD_SUBREAPER:
        return put_user(Int32(me.signal.isChildSubreaper ? 1 : 0), arg2) ? 0 : Errno.EFAULT.negated
    case PR_SET_PDEATHSIG:
        guard arg2 <= UInt64(_NSIG) else { return Errno.EINVAL.negated }
        me.pdeathSignal = Int32(arg2)
        return 0
    case PR_GET_PDEATHSIG:
        return put_user(me.pdeathSignal, arg2) ? 0 : Errno.EFAULT.negated
    case PR_SET_DUMPABLE:
        guard arg2 <= 1 else { return Errno.EINVAL.negated }
        me.mm?.dumpable = Int32(arg2)                    // set_dumpable()
        return 0
    case PR_GET_DUMPABLE:
        return Int(me.mm?.dumpable ?? SUID_DUMP_DISABLE)
    case PR_SET_NAME:
        var buf = InlineArray<16, UInt8>(repeating: 0)
        let n = withUnsafeMutableBytes(of: &buf) { strncpy_from_user($0.baseAddress.unsafelyUnwrapped, arg2, 16) }
        if n < 0 { return n }
        buf[15] = 0
        me.comm = buf
        return 0
    case PR_GET_NAME:
        return copy_to_user(arg2, from: me.comm) ? 0 : Errno.EFAULT.negated
    default:
        return Errno.EINVAL.negated
    }
}

/// struct new_utsname: six 65-byte fields.
private func fillUtsField(_ dst: UnsafeMutableRawPointer, _ s: StaticString) {
    dst.initializeMemory(as: UInt8.self, repeating: 0, count: 65)
    s.withUTF8Buffer { b in for i in 0..<min(b.count, 64) { dst.storeBytes(of: b[i], toByteOffset: i, as: UInt8.self) } }
}

/// uname(): "Linux", so that programs that check it behave as on Linux; the
/// release says which kernel this really is.
func sys_newuname(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var uts = InlineArray<390, UInt8>(repeating: 0)
    withUnsafeMutableBytes(of: &uts) { raw in
        let b = raw.baseAddress.unsafelyUnwrapped
        fillUtsField(b, "Linux")
        fillUtsField(b + 65, "minikernel")
        fillUtsField(b + 130, UTS_RELEASE)
        fillUtsField(b + 195, "#1 SMP MiniKernel")
        fillUtsField(b + 260, "x86_64")
        fillUtsField(b + 325, "(none)")
    }
    return copy_to_user(regs.arg0, from: uts) ? 0 : Errno.EFAULT.negated
}

let LINUX_REBOOT_MAGIC1: UInt64 = 0xfee1_dead
let LINUX_REBOOT_MAGIC2: UInt64 = 672274793
let LINUX_REBOOT_CMD_POWER_OFF: UInt64 = 0x4321_FEDC
let LINUX_REBOOT_CMD_RESTART: UInt64 = 0x0123_4567
let LINUX_REBOOT_CMD_HALT: UInt64 = 0xCDEF_0123

/// reboot(magic1, magic2, cmd): power-off and halt end the machine cleanly.
func sys_reboot(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let m2 = regs.arg1 & 0xffff_ffff
    guard regs.arg0 & 0xffff_ffff == LINUX_REBOOT_MAGIC1,
          m2 == LINUX_REBOOT_MAGIC2 || m2 == 85072278 || m2 == 369367448 || m2 == 537993216 else {
        return Errno.EINVAL.negated
    }
    switch regs.arg2 & 0xffff_ffff {
    case LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_HALT:
        pr_emerg("reboot: Power down")
        machine_power_off(code: .success)
    case LINUX_REBOOT_CMD_RESTART:
        pr_emerg("reboot: Restarting system")
        machine_power_off(code: .success)
    default:
        return Errno.EINVAL.negated
    }
}

/// Whether any process is in process group `pgrp` of session `sid`.
/// Preconditions: tasklist_lock.
private func pgrp_exists(_ pgrp: Int32, session sid: Int32) -> Bool {
    // Zombies too: a process stays in its group until it is released.
    for p in for_each_process() where p.exitState != .dead && p.signal.pgrp == pgrp && p.signal.session == sid {
        return true
    }
    return false
}

/// change_pid() for a group's process group or session.
private func set_pgrp(_ p: Task, _ pgrp: Int32) {
    get_pid(pgrp)
    put_pid(p.signal.pgrp)
    p.signal.pgrp = pgrp
}

/// setpgid(pid, pgid), with Linux's checks: the target must be the caller or
/// one of its children that has not exec'd (EACCES), in the same session,
/// not a session leader (EPERM); the group must exist in that session or be
/// the target's own pid (EPERM).
func sys_setpgid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var pid = Int32(truncatingIfNeeded: regs.arg0)
    var pgid = Int32(truncatingIfNeeded: regs.arg1)
    let me = current.groupLeader
    if pid == 0 { pid = me.tgid }
    if pgid == 0 { pgid = pid }
    if pgid < 0 { return Errno.EINVAL.negated }
    return tasklistLock.withLock { () -> Int in
        // A zombie child still counts (Linux does not look at exit_state
        // here): it keeps its pid, and its process group, until it is reaped.
        guard let t = find_task_by_vpid(pid) else { return Errno.ESRCH.negated }
        guard t.isGroupLeader else { return Errno.EINVAL.negated }
        let p = t
        if p.realParent.signal === me.signal {
            if p.signal.session != me.signal.session { return Errno.EPERM.negated }
            if !p.flags.contains(.forkNoExec) { return Errno.EACCES.negated }
        } else if p !== me {
            return Errno.ESRCH.negated
        }
        if p.signal.session == p.tgid { return Errno.EPERM.negated }        // a session leader
        if pgid != pid && !pgrp_exists(pgid, session: me.signal.session) { return Errno.EPERM.negated }
        if p.signal.pgrp != pgid { set_pgrp(p, pgid) }
        return 0
    }
}

/// getpgrp(): the caller's process group.
func sys_getpgrp(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { Int(current.signal.pgrp) }

/// setsid(): a new session and process group, named after the caller,
/// without a controlling terminal — unless the caller already leads a
/// session or a process group (EPERM).
func sys_setsid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let me = current.groupLeader
    return tasklistLock.withLock { () -> Int in
        let sid = me.tgid
        if me.signal.leader || pgrp_exists(sid, session: me.signal.session) || pgrp_exists(sid, session: sid) {
            return Errno.EPERM.negated
        }
        me.signal.leader = true
        set_pgrp(me, sid)
        get_pid(sid)
        put_pid(me.signal.session)
        me.signal.session = sid
        proc_clear_tty(me)
        return Int(sid)
    }
}

/// getsid(pid): 0 means the caller.
func sys_getsid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    processIdOf(Int32(truncatingIfNeeded: regs.arg0)) { $0.session }
}

// MARK: - Resource usage: getrusage(), times()
//
// What a process has used comes from three places: each live thread's own
// counters, the group's dead threads' (folded into signal_struct by
// __exit_signal()), and its reaped children's (folded into the parent's
// signal_struct by wait_task_zombie(), each child bringing what it had
// reaped in turn). A child nobody waits for — autoreaped, or still a
// zombie — is not counted anywhere.

/// struct rusage, 144 bytes, as getrusage(), wait4() and waitid() store it.
struct RUsage {
    var utimeSec: Int64 = 0, utimeUsec: Int64 = 0
    var stimeSec: Int64 = 0, stimeUsec: Int64 = 0
    var maxrss: Int64 = 0                                    // KiB
    var ixrss: Int64 = 0, idrss: Int64 = 0, isrss: Int64 = 0 // never filled, as Linux
    var minflt: Int64 = 0, majflt: Int64 = 0
    var nswap: Int64 = 0, inblock: Int64 = 0, oublock: Int64 = 0
    var msgsnd: Int64 = 0, msgrcv: Int64 = 0, nsignals: Int64 = 0
    var nvcsw: Int64 = 0, nivcsw: Int64 = 0
}

/// Whose usage getrusage() sums: RUSAGE_SELF (0), RUSAGE_CHILDREN (-1),
/// RUSAGE_THREAD (1), and RUSAGE_BOTH (-2), which only wait uses.
enum RUsageWho {
    case selfGroup, children, both, thread

    init?(_ who: Int32) {
        switch who {
        case 0: self = .selfGroup
        case -1: self = .children
        case 1: self = .thread
        default: return nil
        }
    }
}

/// getrusage(): `p`'s usage, for `who`. For RUSAGE_THREAD, `p` is current.
func getrusage(_ p: Task, _ who: RUsageWho) -> RUsage {
    let sig = p.signal
    var utime: UInt64 = 0, stime: UInt64 = 0
    var counts = RUsageCounts()
    var maxrss = 0
    if who == .thread {
        utime = p.utime
        stime = p.stime
        counts = p.counts                                 // accumulate_thread_rusage()
        maxrss = sig.maxrss
    } else {
        siglock.withLock {
            if who != .selfGroup {
                utime = sig.cutime
                stime = sig.cstime
                counts = sig.ccounts
                maxrss = sig.cmaxrss
            }
            guard who != .children else { return }
            counts += sig.counts
            maxrss = max(maxrss, sig.maxrss)
            for t in for_each_thread(sig) { counts += t.counts }
            let group = thread_group_cputime(sig)
            utime += group.utime
            stime += group.stime
        }
    }
    // A live process's current address space may be past every peak recorded.
    if who != .children, let mm = get_task_mm(p) {
        setmax_mm_hiwater_rss(&maxrss, mm)
        mmput(mm)
    }
    var r = RUsage()
    (r.utimeSec, r.utimeUsec) = ns_to_kernel_old_timeval(utime)
    (r.stimeSec, r.stimeUsec) = ns_to_kernel_old_timeval(stime)
    r.maxrss = Int64(maxrss) * Int64(PAGE_SIZE / 1024)
    r.minflt = Int64(counts.minFlt)
    r.majflt = Int64(counts.majFlt)
    r.nvcsw = Int64(counts.nvcsw)
    r.nivcsw = Int64(counts.nivcsw)
    return r
}

func ns_to_kernel_old_timeval(_ ns: UInt64) -> (Int64, Int64) {
    (Int64(ns / 1_000_000_000), Int64(ns % 1_000_000_000 / 1000))
}

/// getrusage(who, ru).
func sys_getrusage(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let who = RUsageWho(Int32(truncatingIfNeeded: regs.arg0)) else { return Errno.EINVAL.negated }
    let r = getrusage(current, who)
    return copy_to_user(regs.arg1, from: r) ? 0 : Errno.EFAULT.negated
}

/// USER_HZ: the unit of clock_t that times() and siginfo's si_utime use,
/// whatever the tick's own rate.
let USER_HZ: UInt64 = 100

func nsec_to_clock_t(_ ns: UInt64) -> Int64 { Int64(ns / (1_000_000_000 / USER_HZ)) }

/// struct tms.
struct Tms {
    var utime: Int64 = 0, stime: Int64 = 0
    var cutime: Int64 = 0, cstime: Int64 = 0
}

/// times(buf): the group's and its reaped children's CPU time (buf may be
/// NULL), and clock ticks since an arbitrary point. Linux's point is
/// INITIAL_JIFFIES, five minutes before a 32-bit jiffies counter wraps, so
/// that wrap bugs show soon after boot; ours is the same count of ticks.
func sys_times(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    if regs.arg0 != 0 {
        let sig = current.signal
        let tms = siglock.withLock { () -> Tms in
            let group = thread_group_cputime(sig)
            return Tms(utime: nsec_to_clock_t(group.utime), stime: nsec_to_clock_t(group.stime),
                       cutime: nsec_to_clock_t(sig.cutime), cstime: nsec_to_clock_t(sig.cstime))
        }
        if !copy_to_user(regs.arg0, from: tms) { return Errno.EFAULT.negated }
    }
    let initialJiffies = (UInt64(1) << 32) - 300 * HZ
    return Int(initialJiffies * USER_HZ / HZ) + Int(nsec_to_clock_t(ktime_get_ns()))
}
