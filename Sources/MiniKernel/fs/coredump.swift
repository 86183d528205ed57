// Core dumps: a process killed by a signal whose default action is "core"
// writes its memory and registers to a file. Linux: fs/coredump.c
// (vfs_coredump, coredump_wait, zap_threads, coredump_finish, dump_emit),
// kernel/exit.c (coredump_task_exit), fs/binfmt_elf.c (elf_core_dump, in
// fs/binfmt_elf_core.swift here).
//
// The rules, before the code
// --------------------------
// The thread that takes the signal (get_signal) becomes the dumper. Unless
// its mm was made undumpable (prctl(PR_SET_DUMPABLE, 0)), it first stops the
// whole group where it stands: zap_threads() makes the group exit with the
// signal as its code and sends SIGKILL to every other thread that has not
// yet passed synchronize_group_exit(); each of those enters do_exit() and,
// in synchronize_group_exit(), finds signal->core_state and parks in
// coredump_task_exit() — in the kernel, with its user registers saved —
// after counting itself in. The dumper waits for the count to reach zero
// (coredump_wait), so that every thread's state is still and can be written.
//
// Then the file: with RLIMIT_CORE below one page nothing is written. Else
// `core` in the dumper's working directory (core_pattern's default, with
// core_uses_pid off) is unlinked if it exists and made anew with O_EXCL,
// mode 0600 less the umask — and refused unless that leaves 0600 — and the
// ELF image is written into it, never more than RLIMIT_CORE bytes. Whether
// or not the write got to the end, a started dump counts: coredump_finish()
// adds 0x80 to the group's exit code, the WCOREDUMP bit its parent sees
// (and CLD_DUMPED in siginfo), and lets the parked threads go on to their
// deaths. A dump that never started (undumpable, the limit, the file
// refused) still stopped the threads, and exits without the bit.
//
// Locks: siglock guards signal->core_state and the parked threads' list.
// The file is written under fs_lock a piece at a time; user pages are read
// through the page tables under mmap_lock, without faulting anything in.

import CShim

/// struct core_thread: a thread parked for the dump. `task` is cleared by
/// coredump_finish() when it may go on (siglock).
final class CoreThread {
    unowned(unsafe) var task: Task?
    var next: CoreThread? = nil
    init(task: Task?) { self.task = task }
}

/// struct core_state: the dumper, the threads parked for it, and how many
/// it still waits for.
final class CoreState {
    let dumper: CoreThread
    var nrThreads = 0
    let startup = Completion()
    init(dumper: Task) { self.dumper = CoreThread(task: dumper) }
}

/// SUID_DUMP_DISABLE and SUID_DUMP_USER: mm->flags' dumpable values.
let SUID_DUMP_DISABLE: Int32 = 0, SUID_DUMP_USER: Int32 = 1
/// binfmt->min_coredump (ELF_EXEC_PAGESIZE): a smaller RLIMIT_CORE writes nothing.
let MIN_COREDUMP: UInt64 = PAGE_SIZE

// MARK: - Stopping the group

/// zap_process(): the group exits with `exitCode`; every other thread not
/// yet past synchronize_group_exit() gets SIGKILL. How many. siglock held.
private func zap_process(_ tsk: Task, _ exitCode: Int32) -> Int {
    let signal = tsk.signal
    signal.flags = .groupExit
    signal.groupExitCode = exitCode
    signal.groupStopCount = 0
    var nr = 0
    for t in for_each_thread(signal) {
        t.jobctlStopPending = false
        if t !== tsk && !t.flags.contains(.postCoredump) {
            t.pending.signal.insert(SIGKILL)
            signal_wake_up(t, fatal: true)
            nr += 1
        }
    }
    return nr
}

/// zap_threads(): start the dump, unless the group is already exiting or
/// exec'ing (then -EAGAIN: that exit wins, and there is no dump).
private func zap_threads(_ tsk: Task, _ coreState: CoreState, _ exitCode: Int32) -> Int {
    siglock.withLock { () -> Int in
        let signal = tsk.signal
        guard !signal.flags.contains(.groupExit) && signal.groupExecTask == nil else { return Errno.EAGAIN.negated }
        signal.coreState = coreState
        let nr = zap_process(tsk, exitCode)
        tsk.flags.insert(.dumpCore)
        coreState.nrThreads = nr
        return nr
    }
}

/// coredump_wait(): stop the group and wait until every other thread is
/// parked and off its CPU. The number of threads parked, or -errno.
private func coredump_wait(_ exitCode: Int32, _ coreState: CoreState) -> Int {
    let waiters = zap_threads(current, coreState, exitCode)
    if waiters > 0 {
        wait_for_completion(coreState.startup)
        // Their registers are saved only once they have switched away.
        var p = coreState.dumper.next
        while let ct = p {
            if let t = ct.task { wait_task_inactive(t) }
            p = ct.next
        }
    }
    return waiters
}

/// coredump_task_exit(): a thread in do_exit() while a dump is on. One
/// killed for it (PF_SIGNALED) parks until coredump_finish(); any other
/// only counts itself out. Called with no lock held.
func coredump_task_exit(_ tsk: Task, _ coreState: CoreState) {
    let me = CoreThread(task: tsk.flags.contains(.signaled) ? tsk : nil)
    siglock.withLock {
        if me.task != nil {
            me.next = coreState.dumper.next
            coreState.dumper.next = me
        }
        coreState.nrThreads -= 1
        if coreState.nrThreads == 0 { complete(coreState.startup) }
    }
    while true {
        let flags = siglock.lockIrqSave()
        if me.task == nil {
            siglock.unlockIrqRestore(flags)
            break
        }
        set_current_state(.uninterruptible)             // TASK_IDLE: not a load, not a signal
        siglock.unlockIrqRestore(flags)
        schedule()
    }
    set_current_state(.running)
    kfree_object(me)
}

/// coredump_finish(): the dump is over. A dump that started adds the core
/// flag to the group's exit code; the parked threads go on to their deaths.
private func coredump_finish(_ coreDumped: Bool) {
    let tsk = current
    siglock.withLock {
        let signal = tsk.signal
        if coreDumped && !tsk.pending.signal.contains(SIGKILL) { signal.groupExitCode |= 0x80 }
        var next = signal.coreState?.dumper.next
        signal.coreState = nil
        while let ct = next {
            next = ct.next
            if let t = ct.task {
                ct.task = nil
                wake_up_process(t)
            }
        }
    }
}

// MARK: - Writing

/// struct coredump_params: where the dump goes and how far it got.
struct CoredumpParams {
    var siginfo: KSigInfo
    /// RLIMIT_CORE: the dump never writes past it.
    let limit: UInt64
    let file: Dentry
    /// The file position, and the bytes written (holes count for the limit, as in Linux).
    var pos = 0
    var written: UInt64 = 0
    /// dump_skip() leaves a hole; a final byte makes the size cover it.
    var toSkip = 0
    let mm: MMStruct
}

/// dump_emit(): `n` bytes at `src` to the file, or false when the limit,
/// the memory or a fatal signal stops the dump.
func dump_emit(_ cprm: inout CoredumpParams, _ src: UnsafeRawPointer, _ n: Int) -> Bool {
    if cprm.toSkip > 0 {
        if cprm.written + UInt64(cprm.toSkip) > cprm.limit { return false }
        cprm.pos += cprm.toSkip
        cprm.written += UInt64(cprm.toSkip)
        cprm.toSkip = 0
    }
    if cprm.written + UInt64(n) > cprm.limit { return false }
    // dump_interrupted(): a SIGKILL sent to the dumper (the group's own
    // exit, which fatal_signal_pending() also counts, does not stop it).
    if current.pending.signal.contains(SIGKILL) { return false }
    let inode = cprm.file.inode
    let off = cprm.pos
    let ok = fs_lock.withLock { () -> Bool in
        guard ramfs_copy_in_locked(inode, off, src, n) else { return false }
        if off + n > inode.size { inode.size = off + n }
        return true
    }
    guard ok else { return false }
    cprm.pos += n
    cprm.written += UInt64(n)
    return true
}

/// dump_skip(): `n` bytes of hole (pages that were never touched).
func dump_skip(_ cprm: inout CoredumpParams, _ n: Int) {
    cprm.toSkip += n
}

/// dump_skip_to(): a hole up to file offset `pos`.
func dump_skip_to(_ cprm: inout CoredumpParams, _ pos: Int) {
    cprm.toSkip = pos - cprm.pos
}

/// dump_user_range(): the user pages of [start, start+len): a page that is
/// mapped is copied, one that is not becomes a hole (get_dump_page()).
func dump_user_range(_ cprm: inout CoredumpParams, _ start: UInt64, _ len: UInt64) -> Bool {
    guard let buf = kmalloc(Int(PAGE_SIZE)) else { return false }
    defer { kfree(buf) }
    var addr = start
    while addr < start + len {
        var present = false
        cprm.mm.mmapLock.lock()
        if let pte = pte_offset(cprm.mm, addr, create: false), let frame = pte_frame(pte.pointee) {
            buf.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(frame.virt)).unsafelyUnwrapped, byteCount: Int(PAGE_SIZE))
            present = true
        }
        cprm.mm.mmapLock.unlock()
        if present {
            if !dump_emit(&cprm, buf, Int(PAGE_SIZE)) { return false }
        } else {
            dump_skip(&cprm, Int(PAGE_SIZE))
        }
        addr += PAGE_SIZE
    }
    return true
}

/// The core file: `core` in the working directory, an old one unlinked
/// first, made with O_EXCL and mode 0600 (less the umask), and refused
/// unless it is a fresh regular file of mode 0600 (Linux: vfs_coredump's
/// file path, do_unlinkat() then filp_open() and its checks). Referenced
/// for the caller; nil when it cannot be made.
private func coredump_open_file() -> Dentry? {
    let name: StaticString = "core"
    let path = ByteString(name.utf8Start, count: name.utf8CodeUnitCount)
    let umask = current.fs?.umask ?? 0o022
    var file: Dentry? = nil
    _ = with_parent_kern(UInt64(bitPattern: Int64(AT_FDCWD)), path) { dir, last, _ in
        if let old = d_lookup(dir, last), !old.inode.isDir {
            old.inode.nlink -= 1
            old.inode.ctime = current_time()
            d_unlink_locked(old)
        }
        guard d_lookup(dir, last) == nil else { return Errno.EEXIST.negated }
        let mode = 0o600 & ~umask
        var err = Errno.ENOSPC
        guard let d = ramfs_mknod_locked(dir, last, S_IFREG | mode, &err) else { return err.negated }
        if mode & 0o677 != 0o600 { return Errno.EPERM.negated }    // "cannot preserve file permissions"
        dget_locked(d)
        file = d
        return 0
    }
    return file
}

/// vfs_coredump() (do_coredump() before 6.12): dump the current process for
/// the signal in `siginfo`, if it may and if RLIMIT_CORE allows.
func vfs_coredump(_ siginfo: KSigInfo) {
    let tsk = current
    guard let mm = tsk.mm, mm.dumpable != SUID_DUMP_DISABLE else { return }
    let coreState = CoreState(dumper: tsk)
    defer {
        kfree_object(coreState.startup.wait)
        kfree_object(coreState.startup)
        kfree_object(coreState.dumper)
        kfree_object(coreState)
    }
    if coredump_wait(siginfo.signo, coreState) < 0 { return }
    var coreDumped = false
    let limit = tsk.signal.rlim[RLIMIT_CORE].cur
    if limit >= MIN_COREDUMP, let file = coredump_open_file() {
        var cprm = CoredumpParams(siginfo: siginfo, limit: limit, file: file, mm: mm)
        coreDumped = elf_core_dump(&cprm, coreState)
        // The size must cover a final hole (gdb would call the file truncated).
        if cprm.toSkip > 0 {
            cprm.toSkip -= 1
            var zero: UInt8 = 0
            _ = dump_emit(&cprm, &zero, 1)
        }
        trace_coredump(tsk, bytes: cprm.pos)
        fs_lock.withLock { dput_locked(file) }
    }
    coredump_finish(coreDumped)
}
