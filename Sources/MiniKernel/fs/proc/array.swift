// /proc/<pid>/stat and /proc/<pid>/status. Linux: fs/proc/array.c
// (do_task_stat, proc_pid_status, task_state, get_task_state).
//
// The state letter is the exit path made visible: R running, S sleeping,
// D uninterruptible, T stopped, t traced, Z a zombie its parent has not
// reaped, X dead (seen only in the instant release_task() runs). A zombie
// has no memory left, so its sizes read 0, as on Linux.
//
// Fields a small kernel does not keep read 0, as Linux's read when the
// feature is off: nice and the scheduling policy (all tasks are SCHED_OTHER
// at nice 0), itrealvalue, nswap, delay accounting, guest time; in status,
// VmPeak (the size's high mark is not kept), VmLck and VmPin, RssFile and
// RssShmem (resident pages are counted, not sorted: all show as RssAnon),
// and every capability set
// other than root's. docs/interfaces.md lists them.

/// What both files read of a task, copied under tasklist_lock and siglock
/// in one go so that the fields agree with each other.
private struct TaskSnapshot {
    var pid: Int32 = 0, tgid: Int32 = 0, ppid: Int32 = 0, pgrp: Int32 = 0, session: Int32 = 0
    /// The controlling terminal's device number (new_encode_dev(4:64)) and foreground group, 0 and -1 for none.
    var ttyNr = 0, tpgid: Int32 = -1
    var comm = InlineArray<16, UInt8>(repeating: 0)
    var state: UInt8 = 82, flags: UInt32 = 0, running = true
    var counts = RUsageCounts(), ccounts = RUsageCounts()
    var utime: UInt64 = 0, stime: UInt64 = 0, cutime: UInt64 = 0, cstime: UInt64 = 0
    var numThreads = 0, startTime: UInt64 = 0, rssLimit: UInt64 = 0
    var pending: UInt64 = 0, shared: UInt64 = 0, blocked: UInt64 = 0, ignored: UInt64 = 0, caught: UInt64 = 0
    var exitSignal: Int32 = 0, exitCode: Int32 = 0, cpu = 0, fdSize = 0
    var cpusAllowed: UInt64 = 0, umask: UInt32 = 0
}

private func task_snapshot(_ e: ProcEntry) -> TaskSnapshot? {
    tasklistLock.withLock { () -> TaskSnapshot? in
        guard let t = proc_task_locked(e) else { return nil }
        var s = TaskSnapshot()
        s.pid = t.pid; s.tgid = t.tgid; s.comm = t.comm; s.ppid = t.realParent.tgid
        s.state = task_state_letter(t); s.flags = t.flags.rawValue; s.startTime = t.startTime
        s.running = t.state == .running && t.exitState == .none
        s.exitSignal = t.exitSignal; s.exitCode = t.exitCode; s.cpu = t.cpu; s.cpusAllowed = t.cpusAllowed
        s.blocked = t.blocked.bits; s.pending = t.pending.signal.bits
        siglock.withLock {
            let sig = t.signal
            s.pgrp = sig.pgrp; s.session = sig.session
            if let tty = sig.tty { s.ttyNr = Int(TTY_MAJOR << 8 | 64); s.tpgid = tty.lock.withLock { tty.pgrp } }
            s.numThreads = sig.nrThreads
            (s.utime, s.stime) = thread_group_cputime(sig)
            s.cutime = sig.cutime; s.cstime = sig.cstime
            s.counts = sig.counts
            for th in for_each_thread(sig) { s.counts += th.counts }
            s.ccounts = sig.ccounts
            s.rssLimit = sig.rlim[RLIMIT_RSS].cur
            s.shared = sig.sharedPending.signal.bits
            for n in 1...64 {
                let h = t.sighand.action[n - 1].handler
                if h == SIG_IGN { s.ignored |= sigbit(Int32(n)) } else if h != SIG_DFL { s.caught |= sigbit(Int32(n)) }
            }
        }
        t.allocLock.withLock {
            if let files = t.files { s.fdSize = files.maxFds }
            s.umask = t.fs?.umask ?? 0
        }
        return s
    }
}

/// The sizes status and stat show, read from the task's areas.
private struct MMFigures {
    var vmSize: UInt64 = 0, data: UInt64 = 0, stack: UInt64 = 0, exec: UInt64 = 0
    var rss = 0, hiwaterRss = 0, ptes = 0
    var startCode: UInt64 = 0, endCode: UInt64 = 0, startStack: UInt64 = 0
    var startData: UInt64 = 0, endData: UInt64 = 0, startBrk: UInt64 = 0
    var argStart: UInt64 = 0, argEnd: UInt64 = 0, envStart: UInt64 = 0, envEnd: UInt64 = 0
}

private func mm_figures(_ e: ProcEntry) -> MMFigures? {
    guard let t = get_proc_task(e) else { return nil }
    let mm = get_task_mm(t)
    put_task_struct(t)
    guard let mm else { return nil }
    defer { mmput(mm) }
    var f = MMFigures()
    mm.mmapLock.withLock {
        var c = mm.mmap
        while let v = c {
            f.vmSize += v.length
            // Linux's classes (mm/internal.h): stack_vm, data_vm, exec_vm.
            if v.flags.contains(.growsDown) { f.stack += v.length }
            else if v.flags.contains(.write) && !v.flags.contains(.shared) { f.data += v.length }
            else if v.flags.contains(.exec) && !v.flags.contains(.write) { f.exec += v.length }
            c = v.next
        }
        f.rss = mm.rss; f.hiwaterRss = max(mm.hiwaterRss, mm.rss); f.ptes = mm.nrPtes
        f.startCode = mm.startCode; f.endCode = mm.endCode; f.startStack = mm.startStack
        f.startData = mm.startData; f.endData = mm.endData; f.startBrk = mm.startBrk
        f.argStart = mm.argStart; f.argEnd = mm.argEnd; f.envStart = mm.envStart; f.envEnd = mm.envEnd
    }
    return f
}

/// do_task_stat(): one line, 52 fields, in Linux's order.
func proc_pid_stat(_ e: ProcEntry, _ m: inout SeqFile) -> Int {
    guard let s = task_snapshot(e) else { return Errno.ESRCH.negated }
    let f = mm_figures(e) ?? MMFigures()
    // wchan: 1 for a sleeping single-threaded task (Linux no longer shows where).
    let wchan = !s.running && s.numThreads < 2 ? 1 : 0
    m.puts("\(s.pid) (\(comm: s.comm)) \(char: s.state) \(s.ppid) \(s.pgrp) \(s.session) \(s.ttyNr) \(s.tpgid) \(s.flags) ")
    m.puts("\(s.counts.minFlt) \(s.ccounts.minFlt) \(s.counts.majFlt) \(s.ccounts.majFlt) ")
    m.puts("\(nsec_to_clock_t(s.utime)) \(nsec_to_clock_t(s.stime)) \(nsec_to_clock_t(s.cutime)) \(nsec_to_clock_t(s.cstime)) ")
    m.puts("20 0 \(s.numThreads) 0 \(nsec_to_clock_t(s.startTime)) \(f.vmSize) \(f.rss) \(s.rssLimit) ")
    m.puts("\(f.startCode) \(f.endCode) \(f.startStack) 0 0 ")
    m.puts("\(s.pending & 0x7fff_ffff) \(s.blocked & 0x7fff_ffff) \(s.ignored & 0x7fff_ffff) \(s.caught & 0x7fff_ffff) ")
    m.puts("\(wchan) 0 0 \(s.exitSignal) \(s.cpu) 0 0 0 0 0 ")
    m.puts("\(f.startData) \(f.endData) \(f.startBrk) \(f.argStart) \(f.argEnd) \(f.envStart) \(f.envEnd) \(s.exitCode)\n")
    return 0
}

/// get_task_state()'s words for each letter.
private func state_name(_ c: UInt8) -> StaticString {
    switch c {
    case 82: return "R (running)"
    case 83: return "S (sleeping)"
    case 68: return "D (disk sleep)"
    case 84: return "T (stopped)"
    case 116: return "t (tracing stop)"
    case 88: return "X (dead)"
    default: return "Z (zombie)"
    }
}

private func kb(_ bytes: UInt64) -> UInt64 { bytes / 1024 }

/// proc_pid_status(): "Name:\tvalue" lines, Linux's names and order.
func proc_pid_status(_ e: ProcEntry, _ m: inout SeqFile) -> Int {
    guard let s = task_snapshot(e) else { return Errno.ESRCH.negated }
    let mmf = mm_figures(e)
    m.puts("Name:\t\(comm: s.comm)\nUmask:\t\(s.umask, octal: 4)\nState:\t\(state_name(s.state))\n")
    m.puts("Tgid:\t\(s.tgid)\nNgid:\t0\nPid:\t\(s.pid)\nPPid:\t\(s.ppid)\nTracerPid:\t0\n")
    m.puts("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t\(s.fdSize)\nGroups:\t \n")
    m.puts("NStgid:\t\(s.tgid)\nNSpid:\t\(s.pid)\nNSpgid:\t\(s.pgrp)\nNSsid:\t\(s.session)\nKthread:\t0\n")
    if let f = mmf {
        let page = UInt64(PAGE_SIZE)
        m.puts("VmPeak:\t\(kb(0), width: 8) kB\nVmSize:\t\(kb(f.vmSize), width: 8) kB\n")
        m.puts("VmLck:\t\(0, width: 8) kB\nVmPin:\t\(0, width: 8) kB\n")
        m.puts("VmHWM:\t\(kb(UInt64(f.hiwaterRss) * page), width: 8) kB\nVmRSS:\t\(kb(UInt64(f.rss) * page), width: 8) kB\n")
        m.puts("RssAnon:\t\(kb(UInt64(f.rss) * page), width: 8) kB\nRssFile:\t\(0, width: 8) kB\nRssShmem:\t\(0, width: 8) kB\n")
        let text = (page_align_up(f.endCode) &- page_align_down(f.startCode))
        m.puts("VmData:\t\(kb(f.data), width: 8) kB\nVmStk:\t\(kb(f.stack), width: 8) kB\n")
        m.puts("VmExe:\t\(kb(text), width: 8) kB\nVmLib:\t\(kb(f.exec > text ? f.exec - text : 0), width: 8) kB\n")
        m.puts("VmPTE:\t\(kb(UInt64(f.ptes) * page), width: 8) kB\nVmSwap:\t\(0, width: 8) kB\n")
    }
    m.puts("Threads:\t\(s.numThreads)\n")
    m.puts("SigPnd:\t\(hex: s.pending)\nShdPnd:\t\(hex: s.shared)\nSigBlk:\t\(hex: s.blocked)\n")
    m.puts("SigIgn:\t\(hex: s.ignored)\nSigCgt:\t\(hex: s.caught)\n")
    m.puts("CapInh:\t\(hex: 0 as UInt64)\nCapPrm:\t\(hex: CAP_FULL_SET)\nCapEff:\t\(hex: CAP_FULL_SET)\n")
    m.puts("CapBnd:\t\(hex: CAP_FULL_SET)\nCapAmb:\t\(hex: 0 as UInt64)\nNoNewPrivs:\t0\n")
    m.puts("Cpus_allowed:\t\(hex: s.cpusAllowed & cpu_possible_mask(), width: 1)\n")
    m.puts("voluntary_ctxt_switches:\t\(s.counts.nvcsw)\nnonvoluntary_ctxt_switches:\t\(s.counts.nivcsw)\n")
    return 0
}

/// Every capability of Linux 6.18 (CAP_LAST_CAP 40): what root holds.
let CAP_FULL_SET: UInt64 = (1 << 41) - 1
