// BSD process accounting: acct(2), and the record each process writes when
// it ends. Linux: kernel/acct.c (acct_on, acct_collect, acct_process,
// fill_ac, encode_comp_t, encode_float), include/uapi/linux/acct.h
// (struct acct_v3: Linux's CONFIG_BSD_PROCESS_ACCT_V3, as Debian builds it).
//
// While accounting is on (acct(path), root only — everyone here), every
// thread group that dies appends one 64-byte record to the file: its name,
// pid and parent, exit code, times (in AHZ = 100 ticks a second, as 16-bit
// "comp_t" floats; the elapsed time as an IEEE float), peak virtual size,
// faults, and flags — AFORK (forked, never exec'd), AXSIG (killed by a
// signal), ACORE (dumped core). Each thread adds its times and faults to
// the group's tally (acct_collect, in do_exit() before exit_mm()); the last
// one also measures the address space and, once the mm is gone, writes the
// record (acct_process). Linux suspends accounting while the filesystem is
// nearly full; a full RAM filesystem here only loses the record.

import CShim

let AFORK: UInt8 = 0x01, ASU: UInt8 = 0x02, ACORE: UInt8 = 0x08, AXSIG: UInt8 = 0x10
/// ACCT_VERSION 3, little-endian (ACCT_BYTEORDER 0).
let ACCT_VERSION: UInt8 = 3
/// AHZ: the unit of the record's times, 1/100 s.
let AHZ: UInt64 = 100
let ACCT_RECORD_SIZE = 64

/// struct pacct_struct: the group's tally (signal->pacct), under siglock.
struct PacctStruct {
    var flag: UInt8 = 0
    /// The group's address-space size in KiB when its last thread exits.
    var mem: UInt64 = 0
    var exitcode: Int32 = 0
    var utime: UInt64 = 0, stime: UInt64 = 0
    var minflt: UInt64 = 0, majflt: UInt64 = 0
}

/// The accounting file (Linux: one per pid namespace), referenced; nil when off.
private var acct_file: File? = nil
let acct_lock = SpinLock(name: "acct_lock")

/// acct(name): start accounting to the regular file `name` (opened for
/// appending), or stop with NULL. EISDIR for a directory (the open fails),
/// EACCES for anything else that is not a regular file.
func sys_acct(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var new: File? = nil
    if regs.arg0 != 0 {
        var name = KName()
        let e = getname(regs.arg0, &name)
        if e < 0 { return e }
        defer { name.release() }
        var err = 0
        guard let d = kern_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), name.bytes, follow: true, &err) else { return err }
        if d.inode.isDir {
            fs_lock.withLock { dput_locked(d) }
            return Errno.EISDIR.negated
        }
        if !d.inode.isReg {
            fs_lock.withLock { dput_locked(d) }
            return Errno.EACCES.negated
        }
        guard let f = dentry_open(d, O_WRONLY | O_APPEND, &err) else {
            fs_lock.withLock { dput_locked(d) }
            return err
        }
        new = f
    }
    let old = acct_lock.withLock { () -> File? in
        let o = acct_file
        acct_file = new
        return o
    }
    if let old {
        // acct_pin_kill(): the file being let go of gets a last record, the caller's.
        do_acct_process(old, current)
        fput(old)
    }
    return 0
}

/// Accounting off for good (init's end under `leakcheck`: the file is not a leak).
func acct_exit() {
    let old = acct_lock.withLock { () -> File? in
        let o = acct_file
        acct_file = nil
        return o
    }
    if let old { fput(old) }
}

/// acct_collect(): this thread's share of the group's tally; the last
/// thread also measures the address space. Before exit_mm().
func acct_collect(_ tsk: Task, _ exitcode: Int32, groupDead: Bool) {
    var vsize: UInt64 = 0
    if groupDead, let mm = tsk.mm {
        mm.mmapLock.lock()
        var v = mm.mmap
        while let vma = v { vsize += vma.length; v = vma.next }
        mm.mmapLock.unlock()
    }
    siglock.withLock {
        let sig = tsk.signal
        if groupDead { sig.pacct.mem = vsize / 1024 }
        if tsk.isGroupLeader {
            sig.pacct.exitcode = exitcode
            if tsk.flags.contains(.forkNoExec) { sig.pacct.flag |= AFORK }
        }
        if tsk.flags.contains(.dumpCore) { sig.pacct.flag |= ACORE }
        if tsk.flags.contains(.signaled) { sig.pacct.flag |= AXSIG }
        sig.pacct.utime += tsk.utime
        sig.pacct.stime += tsk.stime
        sig.pacct.minflt += tsk.counts.minFlt
        sig.pacct.majflt += tsk.counts.majFlt
    }
}

/// encode_comp_t(): 13 bits of mantissa, 3 bits of base-8 exponent, rounded.
func encode_comp_t(_ valueIn: UInt64) -> UInt16 {
    let mantSize: UInt64 = 13, expSize: UInt64 = 3, maxFract: UInt64 = (1 << 13) - 1
    var value = valueIn
    var exp: UInt64 = 0
    var rnd = false
    while value > maxFract {
        rnd = value & (1 << (expSize - 1)) != 0
        value >>= expSize
        exp += 1
    }
    if rnd {
        value += 1
        if value > maxFract { value >>= expSize; exp += 1 }
    }
    if exp > UInt64(UInt16.max) >> mantSize { return UInt16.max }
    return UInt16((exp << mantSize) + value)
}

/// encode_float(): the IEEE single-precision bits of a non-negative integer.
func encode_float(_ valueIn: UInt64) -> UInt32 {
    if valueIn == 0 { return 0 }
    var value = valueIn
    var exp: UInt32 = 190
    while Int64(bitPattern: value) > 0 {
        value <<= 1
        exp -= 1
    }
    return UInt32(truncatingIfNeeded: value >> 40) & 0x7f_ffff | exp << 23
}

/// acct_process(): the group's record, appended to the file. After
/// exit_mm(), by the group's last thread. Whether accounting was on.
func acct_process(_ tsk: Task) -> Bool {
    guard let f = acct_lock.withLock({ () -> File? in
        if let f = acct_file { get_file(f) }
        return acct_file
    }) else { return false }
    do_acct_process(f, tsk)
    fput(f)
    return true
}

/// do_acct_process() with fill_ac(): `tsk`'s group's record, at the end of `f`.
func do_acct_process(_ f: File, _ tsk: Task) {
    var ac = InlineArray<64, UInt8>(repeating: 0)
    withUnsafeMutableBytes(of: &ac) { raw in
        let w = LEWriter(base: raw.baseAddress.unsafelyUnwrapped)
        func put<T: FixedWidthInteger>(_ off: Int, _ v: T) { w.put(off, v) }
        let elapsed = (ktime_get_ns() &- tsk.groupLeader.startTime) / (1_000_000_000 / AHZ)
        let btime = max(current_time().sec - Int64(elapsed / AHZ), 0)
        let p = siglock.withLock { tsk.signal.pacct }
        put(0, p.flag)
        put(1, ACCT_VERSION)
        // ac_tty (2): no controlling terminal. ac_uid, ac_gid (8, 12): root.
        put(4, UInt32(bitPattern: p.exitcode))
        put(16, UInt32(bitPattern: tsk.tgid))
        put(20, UInt32(bitPattern: tsk.realParent.tgid))
        put(24, UInt32(clamping: btime))
        put(28, encode_float(elapsed))
        put(32, encode_comp_t(p.utime / (1_000_000_000 / AHZ)))
        put(34, encode_comp_t(p.stime / (1_000_000_000 / AHZ)))
        put(36, encode_comp_t(p.mem))
        put(42, encode_comp_t(p.minflt))
        put(44, encode_comp_t(p.majflt))
        for k in 0..<TASK_COMM_LEN { put(48 + k, tsk.comm[k]) }
    }
    guard let inode = f.inode else { return }
    withUnsafeBytes(of: &ac) { raw in
        fs_lock.withLock {
            let off = inode.size                              // O_APPEND
            if ramfs_copy_in_locked(inode, off, raw.baseAddress.unsafelyUnwrapped, ACCT_RECORD_SIZE) {
                inode.size = off + ACCT_RECORD_SIZE
                let now = current_time()
                inode.mtime = now
                inode.ctime = now
            }
        }
    }
}
