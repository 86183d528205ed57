// /proc/<pid>: a process's directory and its small files. Linux:
// fs/proc/base.c (proc_pid_lookup, proc_pident_lookup, proc_pid_readdir,
// proc_flush_pid, proc_pid_cmdline_read, comm_show/comm_write,
// proc_exe_link, proc_pid_get_link), fs/proc/self.c.
//
// The directory exists from the task's fork to its release_task(): a
// zombie keeps it (that is how ps sees "Z"), and the reap removes it —
// proc_flush_pid() — in the same step that frees the pid. Its files read
// what the task is at the moment of the read; once the task is gone they
// read -ESRCH (stat, status, comm) or nothing (cmdline), as on Linux.

/// name_to_int(): a decimal number without sign or leading zero, or nil.
func proc_name_to_int(_ name: ByteString) -> Int32? {
    guard name.count > 0, name.count <= 10, name.count == 1 || name[0] != 48 else { return nil }
    var v: Int64 = 0
    for i in 0..<name.count {
        let c = name[i]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
    }
    return v <= Int64(Int32.max) ? Int32(v) : nil
}

/// proc_pid_lookup(): /proc/<n> for any task numbered n (a thread too).
func proc_pid_lookup_locked(_ dir: Dentry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    err = .ENOENT
    guard let nr = proc_name_to_int(name),
          let start = tasklistLock.withLock({ find_task_by_vpid(nr)?.startTime }) else { return nil }
    return proc_instantiate_locked(dir, name, S_IFDIR | 0o555, ProcEntry(type: .pidDir, pid: nr, start: start), &err)
}

/// proc_pident_lookup(): an entry of a process directory (root.swift's
/// table), while the process exists.
func proc_pident_lookup_locked(_ dir: Dentry, _ pe: ProcEntry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    err = .ENOENT
    guard tasklistLock.withLock({ proc_task_locked(pe) != nil }) else { return nil }
    return proc_fixed_lookup_locked(dir, pe, name, &err)
}

/// proc_flush_pid(): the released task's /proc/<pid> leaves every /proc
/// mount (release_task(), after the pid is unhashed).
func proc_flush_pid(_ pid: Int32, start: UInt64) {
    // Every release comes here: no /proc mounted, no lock (a racy peek, as locks_remove_posix's).
    if proc_mounts == nil { return }
    fs_lock.withLock {
        var c = proc_mounts
        while let m = c {
            c = m.next
            let d = ProcName.number(Int(pid)).withBytes { d_lookup(m.root, $0) }
            if let d, let e = d.inode.proc, e.start == start { d_invalidate_locked(d) }
        }
    }
}

/// tgid_pidfd_to_pid(): the process an open /proc/<pid> directory names,
/// for pidfd_send_signal(); -EBADF for any other file, -ESRCH once the
/// process is gone. (Linux's proc inode holds struct pid; here the number
/// is checked against the task's start time, so a reused number is never
/// taken for the old process — in the instant between this check and the
/// signal, a reap and a reuse would have to both happen.)
func tgid_pidfd_to_pid(_ f: File, _ err: inout Errno) -> Int32? {
    guard let e = f.inode?.proc, e.type == .pidDir else { err = .EBADF; return nil }
    guard tasklistLock.withLock({ proc_task_locked(e) != nil }) else { err = .ESRCH; return nil }
    return e.pid
}

// MARK: - links

/// Where following a /proc link leads.
enum ProcLink {
    /// nd_jump_link(): straight to this dentry (unreferenced, valid under fs_lock).
    case jump(Dentry)
    /// A path to walk, `count` bytes written into the buffer given.
    case text(Int)
    case failed(Errno)
}

/// The task a link entry names: its own, or for the initramfs's stand-in
/// /proc/self/exe (pid 0, fs/initramfs.swift) whoever follows it.
private func link_task_locked(_ e: ProcEntry) -> Task? { e.pid == 0 ? current : proc_task_locked(e) }

/// proc_pid_get_link() / proc_self_get_link(): follow a /proc link. fs_lock held.
func proc_get_link_locked(_ i: Inode, _ buf: UnsafeMutableRawBufferPointer) -> ProcLink {
    guard let e = i.proc else { return .failed(.ENOENT) }
    switch e.type {
    case .selfLink:
        var l = LineBuffer()
        l.appendDecimal(current.tgid)
        return .text(copy_line(l, buf))
    case .exe:
        // proc_exe_link(): the mm's exe_file, which stays while fs_lock is held
        // (its last dput needs the lock).
        var exe: Dentry? = nil
        tasklistLock.withLock {
            if let t = link_task_locked(e) { exe = t.allocLock.withLock { t.mm?.exeFile } }
        }
        guard let exe else { return .failed(.ENOENT) }
        return .jump(exe)
    case .fd: return proc_fd_link_locked(e)
    default: return .failed(.EINVAL)
    }
}

/// readlink() of a /proc link: the path it names. fs_lock held.
func proc_readlink_locked(_ i: Inode, _ buf: UnsafeMutableRawBufferPointer) -> Int {
    switch proc_get_link_locked(i, buf) {
    case .text(let n): return n
    case .failed(let err):
        if err == .ENXIO, let e = i.proc, e.type == .fd { return proc_fd_anon_name(e, buf) }
        return err.negated
    case .jump(let d): return d_path_locked(d, buf)
    }
}

func copy_line(_ l: LineBuffer, _ buf: UnsafeMutableRawBufferPointer) -> Int {
    var n = 0
    l.forEachByte { c in if n < buf.count { buf[n] = c; n += 1 } }
    return n
}

// MARK: - cmdline and comm

/// proc_pid_cmdline_read(): the argument strings, NULs and all, read from
/// the process's memory; nothing for a zombie (its memory is gone).
func proc_pid_cmdline(_ e: ProcEntry, _ m: inout SeqFile) -> Int {
    guard let t = get_proc_task(e) else { return 0 }
    let mm = get_task_mm(t)
    put_task_struct(t)
    guard let mm else { return 0 }
    defer { mmput(mm) }
    let start = mm.argStart, end = mm.argEnd
    guard end > start else { return 0 }
    let tail = m.tail
    let n = min(Int(end - start), tail.count)
    if access_remote_vm(mm, start, tail.baseAddress!, n, write: false) { m.commit(n) }
    return 0
}

/// comm_show().
func comm_show(_ e: ProcEntry, _ m: inout SeqFile) -> Int {
    guard let t = get_proc_task(e) else { return Errno.ESRCH.negated }
    defer { put_task_struct(t) }
    m.puts("\(comm: t.comm)\n")
    return 0
}

/// comm_write(): a thread of one's own group may be renamed (the bytes as
/// written, at most 15, a newline included); another's is -EINVAL.
func comm_write(_ e: ProcEntry, _ buf: UInt64, _ count: Int) -> Int {
    var name = InlineArray<16, UInt8>(repeating: 0)
    let n = min(count, TASK_COMM_LEN - 1)
    guard withUnsafeMutableBytes(of: &name, { copy_from_user($0.baseAddress!, buf, n) }) else { return Errno.EFAULT.negated }
    guard let t = get_proc_task(e) else { return Errno.ESRCH.negated }
    defer { put_task_struct(t) }
    guard t.tgid == current.tgid else { return Errno.EINVAL.negated }
    t.allocLock.withLock { t.comm = name }           // set_task_comm() takes task_lock
    return count
}
