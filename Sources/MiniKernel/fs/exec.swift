// execve(2) and its argument handling. Linux: fs/exec.c (do_execveat_common,
// bprm_execve, count, copy_strings, valid_arg_len, bprm_stack_limits).
//
// The order is Linux's, and it is what user programs can observe: the file
// is found first (a missing one is -ENOENT even if argv is bad), then the
// argument and environment strings are copied in (-EFAULT, -E2BIG), then the
// new image is built in a fresh address space. Up to there, failure returns
// to the old program. After that is the point of no return: the old address
// space is dropped (completing a vfork parent's wait), and the task returns
// to user mode at the new entry point.
//
// Linux copies argv and envp straight into the pages of the new stack while
// the old mm is still alive. We copy them into the kernel first — one
// kmalloc'd block of NUL-separated strings per list, an `ArgBuffer` — because
// the new mm does not exist yet when the old one's memory must be read, and
// the old one is gone by the time the new stack is written (binfmt_elf.swift
// lays them out). A plain struct over one raw block (no Array, no String):
// exec runs once per process and must not leak.

import CShim
import Synchronization

let PATH_MAX = 4096

/// do_open_execat(): the program's dentry, referenced. Path walking fails as
/// always (-ENOENT, -ENOTDIR, -ELOOP, ...); anything but a regular file with
/// an execute bit is -EACCES (we are root: any x bit will do).
func open_exec(_ path: ByteString, _ err: inout Int) -> Dentry? {
    guard let d = kern_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), path, follow: true, &err) else { return nil }
    if !d.inode.isReg || d.inode.mode & 0o111 == 0 {
        fs_lock.withLock { dput_locked(d) }
        err = Errno.EACCES.negated
        return nil
    }
    return d
}

/// lookup_exec_file(): whether `path` could be exec'd (kernel_init's test for rdinit=).
func lookup_exec_file(_ path: ByteString, _ error: inout Errno) -> Bool {
    var err = 0
    guard let d = open_exec(path, &err) else { error = Errno(rawValue: -err) ?? .ENOENT; return false }
    fs_lock.withLock { dput_locked(d) }
    return true
}

/// do_execveat_common() for a path already in kernel memory.
func do_execve(_ path: ByteString, argvAddr: UInt64, envpAddr: UInt64,
               regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = 0
    guard let file = open_exec(path, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(file) } }
    // Linux's order: count both vectors, then copy envp's strings, then argv's.
    let argc = count_user_vector(argvAddr)
    if argc < 0 { return argc }
    let envc = count_user_vector(envpAddr)
    if envc < 0 { return envc }
    var argv = ArgBuffer()
    var envp = ArgBuffer()
    defer { argv.release(); envp.release() }
    let e = copy_strings(&envp, userVector: envpAddr, count: envc)
    if e < 0 { return e }
    let a = copy_strings(&argv, userVector: argvAddr, count: argc)
    if a < 0 { return a }
    // An empty argv still gives the program an argv[0] (Linux 5.18+: "").
    if argv.count == 0 && !argv.append(ByteString.empty) { return Errno.ENOMEM.negated }
    return bprm_execve(file, path, argv: argv, envp: envp, regs: regs)
}

/// kernel_execve(): exec from the kernel (init), with kernel-side strings.
func kernel_execve(_ path: ByteString, argv: ArgBuffer, envp: ArgBuffer, regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = 0
    guard let file = open_exec(path, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(file) } }
    return bprm_execve(file, path, argv: argv, envp: envp, regs: regs)
}

/// The whole bytes of an executable while it is loaded, with writers kept
/// out (deny_write_access()) until release().
struct ExecImage {
    private(set) var data = ByteString.empty
    private var inode: Inode? = nil
    private var owned = false

    /// deny_write_access() and a read of the whole file: 0, or -ENOMEM.
    mutating func read(_ file: Dentry) -> Int {
        let i = file.inode
        fs_lock.withLock { i.writeDenied += 1 }
        inode = i
        var copied = false
        guard let d = fs_lock.withLock({ ramfs_contiguous_locked(i, &copied) }) else { return Errno.ENOMEM.negated }
        data = d
        owned = copied
        return 0
    }

    mutating func release() {
        if owned { kfree(data.base.map { UnsafeMutableRawPointer(mutating: $0) }) }
        if let i = inode { fs_lock.withLock { i.writeDenied -= 1 } }
        data = ByteString.empty
        inode = nil
        owned = false
    }
}

/// bprm_execve(): build the new image; past success there is no way back.
func bprm_execve(_ file: Dentry, _ path: ByteString, argv: ArgBuffer, envp: ArgBuffer,
                 regs: UnsafeMutablePointer<PtRegs>, depth: Int = 0) -> Int {
    var exe = ExecImage()
    defer { exe.release() }
    let g = exe.read(file)
    if g < 0 { return g }
    let data = exe.data
    if data.count >= 2 && data[0] == 35 && data[1] == 33 {         // "#!"
        return load_script(data, path, argv: argv, envp: envp, regs: regs, depth: depth)
    }
    // Address-space randomisation, unless the command line or the process's
    // personality (setarch -R) turns it off.
    let randomize = randomize_va_space > 0 && current.personality & ADDR_NO_RANDOMIZE == 0
    let layout = ExecLayout.pick(randomize: randomize, stackLimit: current.signal.rlim[RLIMIT_STACK].cur)
    var image = ElfImage()
    let r = load_elf_binary(data, argv: argv, envp: envp, execfn: path, into: &image, backing: file, layout: layout)
    exe.release()
    if r < 0 && image.mm == nil { return r }
    guard let newMM = image.mm else { return Errno.ENOMEM.negated }

    // The point of no return (begin_new_exec()). First the other threads go:
    // the new image runs alone, under the process's pid.
    let me = current
    let dt = de_thread(me)
    if dt < 0 {
        // Another group exit or exec won the race and killed us; we die on the
        // way out (Linux: no SIGSEGV then, the fatal signal is already pending).
        mmput(newMM)
        return dt
    }
    // POSIX timers do not survive exec (setitimer's do: they are the
    // process's, which goes on).
    exit_itimers(me.signal)
    if unshare_files(me) < 0 {
        mmput(newMM)
        return Errno.ENOMEM.negated
    }
    exec_mm_release(me)
    fs_lock.withLock { dget_locked(file) }
    newMM.exeFile = file                      // set_mm_exe_file()
    // exec_mmap(): the new address space in, under task_lock; the old one's
    // peak is kept for getrusage before it goes.
    let old = me.mm
    me.allocLock.withLock { me.mm = newMM }
    switch_mm(newMM)
    if let old {
        setmax_mm_hiwater_rss(&me.signal.maxrss, old)
        mmput(old)
    }
    me.setComm(path)
    me.flags.remove(.forkNoExec)
    if randomize { me.flags.insert(.randomize) } else { me.flags.remove(.randomize) }
    unshare_sighand(me)
    flush_signal_handlers(me)
    sas_ss_reset(me)                 // the new image has no alternate signal stack
    if let files = me.files { do_close_on_exec(files) }
    if r < 0 {
        // load_elf_binary() failed where Linux is past begin_new_exec():
        // there is no old image to go back to (bprm_execve()'s
        // force_fatal_sig(SIGSEGV)).
        force_fatal_sig(SIGSEGV)
        return r
    }
    start_thread(regs, ip: image.entry, sp: image.sp)
    trace_sched_process_exec(me)
    return 0
}

// MARK: - de_thread: exec in a multi-threaded process

/// de_thread(): make `tsk` the only thread of its process before the new
/// image runs (Linux fs/exec.c, called from begin_new_exec()).
///
/// 1. zap_other_threads() sends SIGKILL to every other thread; we sleep until
///    each of them has been released (__exit_signal() counts notify_count
///    down and wakes us). The leader is not counted: a leader that dies
///    before its last thread stays a zombie (delay_group_leader).
/// 2. If we are not the leader, we wait for it to become a zombie
///    (exit_notify() wakes us while notify_count is -1), take its pid
///    (exchange_tids(), transfer_pid(); its process group and session go with
///    its place as leader) and its place in its parent's children, become the
///    group leader, and release the old leader, which now carries our old tid.
/// 3. exit_signal is SIGCHLD again: we are a process now, not a thread.
///
/// 0, or -EAGAIN when another group exit or exec is in progress, or a fatal
/// signal came while we waited.
func de_thread(_ tsk: Task) -> Int {
    let sig = tsk.signal
    if !thread_group_empty(tsk) {
        // Kill all other threads in the thread group.
        var flags = siglock.lockIrqSave()
        if sig.flags.contains(.groupExit) || sig.groupExecTask != nil {
            // Another group action in progress: return so that the signal is processed.
            siglock.unlockIrqRestore(flags)
            return Errno.EAGAIN.negated
        }
        sig.groupExecTask = tsk
        sig.notifyCount = zap_other_threads(tsk)
        if !tsk.isGroupLeader { sig.notifyCount -= 1 }
        while sig.notifyCount != 0 {
            set_current_state(.killable)
            siglock.unlockIrqRestore(flags)
            schedule()
            if fatal_signal_pending(tsk) { return de_thread_killed(sig) }
            flags = siglock.lockIrqSave()
        }
        siglock.unlockIrqRestore(flags)

        // All other threads have exited; wait for the leader to become
        // inactive, and assume its pid.
        if !tsk.isGroupLeader {
            let leader = tsk.groupLeader
            var tl: IrqFlags
            while true {
                tl = tasklistLock.lockIrqSave()
                // Under tasklist_lock, so that exit_notify() cannot miss it.
                sig.notifyCount = -1
                if leader.exitState != .none { break }
                set_current_state(.killable)
                tasklistLock.unlockIrqRestore(tl)
                schedule()
                if fatal_signal_pending(tsk) { return de_thread_killed(sig) }
            }
            // The process's age is the old leader's, whose pid we take.
            tsk.startTime = leader.startTime
            exchange_tids(tsk, leader)
            // transfer_pid(TGID, PGID, SID): our pid now is the process's, and
            // the group and session references follow the leadership (they
            // are dropped by __unhash_process() of the group leader).
            replace_child(leader, with: tsk)
            tsk.groupLeader = tsk
            for t in for_each_thread(sig) { t.groupLeader = tsk }   // the old leader, and us
            leader.exitSignal = -1                           // ours becomes SIGCHLD below
            BUG_ON(leader.exitState != .zombie, "de_thread: the old leader is not a zombie")
            leader.exitState = .dead
            tasklistLock.unlockIrqRestore(tl)
            release_task(leader)
        }
        flags = siglock.lockIrqSave()
        sig.groupExecTask = nil
        sig.notifyCount = 0
        siglock.unlockIrqRestore(flags)
    }
    // We have changed execution domain.
    tsk.exitSignal = SIGCHLD
    BUG_ON(!tsk.isGroupLeader, "de_thread: not the group leader")
    return 0
}

/// de_thread()'s `killed:` exit: a fatal signal ended the wait.
private func de_thread_killed(_ sig: SignalStruct) -> Int {
    set_current_state(.running)
    let flags = tasklistLock.lockIrqSave()   // protects against exit_notify() and __exit_signal()
    let f = siglock.lockIrqSave()
    sig.groupExecTask = nil
    sig.notifyCount = 0
    siglock.unlockIrqRestore(f)
    tasklistLock.unlockIrqRestore(flags)
    return Errno.EAGAIN.negated
}

/// exchange_tids(): the two tasks swap pid numbers. Called with tasklist_lock held.
private func exchange_tids(_ left: Task, _ right: Task) {
    detach_pid(left)
    detach_pid(right)
    let pid = left.pid
    left.pid = right.pid
    right.pid = pid
    attach_pid(left)
    attach_pid(right)
}

/// list_replace_init(&leader->sibling, &tsk->sibling): `new` takes `old`'s
/// place among its parent's children, in the same position (wait4(-1)
/// order). Called with tasklist_lock held.
private func replace_child(_ old: Task, with new: Task) {
    new.siblingPrev = old.siblingPrev
    new.siblingNext = old.siblingNext
    if let prev = old.siblingPrev { prev.siblingNext = new }
    else if old.realParent.childrenHead === old { old.realParent.childrenHead = new }
    if let next = old.siblingNext { next.siblingPrev = new }
    else if old.realParent.childrenTail === old { old.realParent.childrenTail = new }
    old.siblingPrev = nil
    old.siblingNext = nil
}

/// unshare_sighand(): a handler table shared with another process
/// (CLONE_SIGHAND without CLONE_THREAD) is copied before exec resets it, so
/// the other process keeps its handlers.
func unshare_sighand(_ t: Task) {
    let old = t.sighand
    guard old.count.load(ordering: .acquiring) > 1 else { return }
    let fresh = SighandStruct()
    let flags = siglock.lockIrqSave()
    fresh.action = old.action
    t.sighand = fresh
    siglock.unlockIrqRestore(flags)
    put_sighand(old)
}

/// exec_mm_release(): as at exit, the robust locks the old image held are
/// released, and a vfork parent may run again — our memory is no longer
/// its memory.
func exec_mm_release(_ tsk: Task) {
    futex_exec_release(tsk)
    mm_release(tsk)
}

/// flush_signal_handlers(): handlers point into the old image; ignored
/// signals stay ignored (POSIX).
func flush_signal_handlers(_ t: Task) {
    for i in 0..<Int(_NSIG) {
        var a = t.sighand.action[i]
        if a.handler != SIG_IGN { a.handler = SIG_DFL }
        a.flags = 0
        a.restorer = 0
        a.mask = SigSet()
        t.sighand.action[i] = a
    }
}

/// execve(filename, argv, envp).
func sys_execve(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let buf = kmalloc(PATH_MAX) else { return Errno.ENOMEM.negated }
    defer { kfree(buf) }
    let n = strncpy_from_user(buf, regs.arg0, PATH_MAX)
    if n < 0 { return n }
    if n >= PATH_MAX { return Errno.ENAMETOOLONG.negated }
    let path = ByteString(UnsafePointer(buf.assumingMemoryBound(to: UInt8.self)), count: n)
    return do_execve(path, argvAddr: regs.arg1, envpAddr: regs.arg2, regs: regs)
}

// MARK: - Argument strings

/// MAX_ARG_STRLEN: one string may be at most 32 pages, NUL included.
let MAX_ARG_STRLEN = 32 * Int(PAGE_SIZE)
/// MAX_ARG_STRINGS.
let MAX_ARG_STRINGS = 0x7fff_ffff
/// The room for strings plus pointers: RLIMIT_STACK / 4 (8 MiB / 4), as
/// bprm_stack_limits() computes with the default stack limit.
let ARG_SPACE_LIMIT = Int(STACK_SIZE_MAX / 4)

/// argv or envp in kernel memory: `count` strings, each followed by its NUL,
/// packed in `bytes` bytes of one kmalloc block. The owner calls
/// `release()` exactly once.
struct ArgBuffer {
    private(set) var base: UnsafeMutableRawPointer? = nil
    private(set) var bytes = 0
    private(set) var count = 0
    private var capacity = 0

    init() {}

    /// Room for `extra` more bytes; false when memory or the argument space runs out.
    private mutating func reserve(_ extra: Int) -> Bool {
        let need = bytes + extra
        if need <= capacity { return true }
        if need > ARG_SPACE_LIMIT { return false }
        var cap = max(capacity, 256)
        while cap < need { cap *= 2 }
        guard let fresh = kmalloc(cap) else { return false }
        if let old = base {
            fresh.copyMemory(from: UnsafeRawPointer(old), byteCount: bytes)
            kfree(old)
        }
        base = fresh
        capacity = cap
        return true
    }

    /// Appends one string (given without its NUL). False on -ENOMEM / -E2BIG.
    mutating func append(_ s: ByteString) -> Bool {
        guard s.count + 1 <= MAX_ARG_STRLEN, reserve(s.count + 1), let b = base else { return false }
        for i in 0..<s.count { b.storeBytes(of: s[i], toByteOffset: bytes + i, as: UInt8.self) }
        b.storeBytes(of: 0, toByteOffset: bytes + s.count, as: UInt8.self)
        bytes += s.count + 1
        count += 1
        return true
    }

    mutating func append(_ s: StaticString) -> Bool {
        append(ByteString(s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends a string from user memory, `len` bytes including its NUL
    /// (as strnlen_user measured it). 0, -EFAULT or -E2BIG.
    mutating func appendUser(_ addr: UInt64, len: Int) -> Int {
        guard len > 0, reserve(len), let b = base else { return Errno.E2BIG.negated }
        guard copy_from_user(b + bytes, addr, len) else { return Errno.EFAULT.negated }
        b.storeBytes(of: 0, toByteOffset: bytes + len - 1, as: UInt8.self)   // it may have changed under us
        bytes += len
        count += 1
        return 0
    }

    /// The strings, in order.
    func forEach(_ body: (ByteString) -> Void) {
        guard let b = base else { return }
        var off = 0
        while off < bytes {
            let s = ByteString(cString: UnsafePointer((b + off).assumingMemoryBound(to: UInt8.self)), limit: bytes - off)
            body(s)
            off += s.count + 1
        }
    }

    /// The i-th string (without its NUL). O(n).
    func string(_ i: Int) -> ByteString {
        var k = 0
        var found = ByteString.empty
        forEach { s in
            if k == i { found = s }
            k += 1
        }
        return found
    }

    /// The packed strings as they go onto the new stack.
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) }, count: bytes) }

    mutating func release() {
        kfree(base)
        base = nil
        bytes = 0
        capacity = 0
        count = 0
    }
}

/// count(): how many pointers come before the NULL in the user array at
/// `vec` (0 for a NULL array, which Linux accepts), or -EFAULT / -E2BIG.
/// Linux counts argv and then envp before copying any string, so a bad envp
/// array is -EFAULT even when an argv string is too long.
func count_user_vector(_ vec: UInt64) -> Int {
    if vec == 0 { return 0 }
    var n = 0
    while true {
        guard let p: UInt64 = get_user(vec &+ UInt64(n) &* 8) else { return Errno.EFAULT.negated }
        if p == 0 { return n }
        n += 1
        if n >= MAX_ARG_STRINGS { return Errno.E2BIG.negated }
    }
}

/// copy_strings(): the first `n` strings of the user array at `vec` appended
/// to `buf`. 0, or -EFAULT (a bad pointer or string), -E2BIG (a string over
/// MAX_ARG_STRLEN, or strings and pointers over the argument space), -ENOMEM.
func copy_strings(_ buf: inout ArgBuffer, userVector vec: UInt64, count n: Int) -> Int {
    for i in 0..<max(n, 0) {
        guard let p: UInt64 = get_user(vec &+ UInt64(i) &* 8) else { return Errno.EFAULT.negated }
        let len = strnlen_user(p, MAX_ARG_STRLEN)   // includes the NUL; 0 on a fault
        if len == 0 { return Errno.EFAULT.negated }
        if len > MAX_ARG_STRLEN { return Errno.E2BIG.negated }   // valid_arg_len()
        if buf.bytes + len + (n + 1) * 8 > ARG_SPACE_LIMIT { return Errno.E2BIG.negated }
        let r = buf.appendUser(p, len: len)
        if r < 0 { return r }
    }
    return 0
}
