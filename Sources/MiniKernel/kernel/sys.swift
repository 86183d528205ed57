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
        return arg2 <= 1 ? 0 : Errno.EINVAL.negated
    case PR_GET_DUMPABLE:
        return 1
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

/// The leader of the group `t` belongs to, for process-group calls.
private func process_of(_ pid: Int32) -> Task? {
    guard let t = find_task_by_vpid(pid) else { return nil }
    return t.groupLeader
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

/// setsid(): a new session and process group, named after the caller —
/// unless the caller already leads a process group (EPERM).
func sys_setsid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let me = current.groupLeader
    return tasklistLock.withLock { () -> Int in
        let sid = me.tgid
        if pgrp_exists(sid, session: me.signal.session) || pgrp_exists(sid, session: sid) { return Errno.EPERM.negated }
        set_pgrp(me, sid)
        get_pid(sid)
        put_pid(me.signal.session)
        me.signal.session = sid
        return Int(sid)
    }
}

/// getsid(pid): 0 means the caller.
func sys_getsid(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    processIdOf(Int32(truncatingIfNeeded: regs.arg0)) { $0.session }
}
