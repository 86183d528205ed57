// /proc/<pid>/fd: a link per open descriptor. Linux: fs/proc/fd.c
// (proc_readfd, proc_lookupfd, tid_fd_revalidate, proc_fd_link).
//
// A link's mode says how the file is open (lr-x for reading, l-wx for
// writing, lrwx for both). Following it reaches the open file itself: for a
// file with a name, that name's dentry, even when it has been renamed or
// unlinked since. Pipes, pidfds and the console init starts with have no
// name here: readlink shows Linux's "pipe:[ino]", "anon_inode:[pidfd]" and
// "/dev/console", but opening through them is -ENXIO (Linux reopens the
// pipe or the device; this kernel has no name to open it by).

/// The file at `fd` of the entry's task, with a reference, or nil.
/// `body` on the entry's task's descriptor table under tasklist_lock, alloc_lock and
/// file_lock; nil once the task or its table is gone.
private func with_task_files<R>(_ e: ProcEntry, _ body: (FilesStruct) -> R?) -> R? {
    tasklistLock.withLock { () -> R? in
        guard let t = proc_task_locked(e) else { return nil }
        return t.allocLock.withLock { () -> R? in
            guard let files = t.files else { return nil }
            return files.fileLock.withLock { body(files) }
        }
    }
}

/// The file at `fd` of the entry's task, with a reference, or nil.
private func task_fd_file(_ e: ProcEntry, _ fd: Int32) -> File? {
    with_task_files(e) { files -> File? in
        guard let f = files.get(Int(fd)) else { return nil }
        get_file(f)
        return f
    }
}

/// The link's mode for how `f` is open.
private func fd_link_mode(_ f: File) -> UInt32 {
    S_IFLNK | 0o100 | (f.readable ? 0o400 : 0) | (f.writable ? 0o200 : 0)
}

/// proc_lookupfd(): fd/<n> while descriptor n is open.
func proc_lookupfd_locked(_ dir: Dentry, _ pe: ProcEntry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    err = .ENOENT
    guard let fd = proc_name_to_int(name), let f = task_fd_file(pe, fd) else { return nil }
    let mode = fd_link_mode(f)
    fput(f)
    return proc_instantiate_locked(dir, name, mode, ProcEntry(type: .fd, pid: pe.pid, start: pe.start, fd: fd), &err)
}

/// tid_fd_revalidate(): is the descriptor still open? Its mode follows the file.
func tid_fd_revalidate_locked(_ i: Inode) -> Bool {
    guard let e = i.proc, let f = task_fd_file(e, e.fd) else { return false }
    i.mode = fd_link_mode(f)
    fput(f)
    return true
}

/// proc_readfd(): the first open descriptor at or after position `pos` - 2.
func proc_readfd_next(_ e: ProcEntry, _ pos: Int64) -> (name: ProcName, next: Int64)? {
    let from = Int(clamping: pos - 2)
    let fd = with_task_files(e) { files -> Int? in
        var fd = from
        while fd < files.maxFds && files.get(fd) == nil { fd += 1 }
        return fd < files.maxFds ? fd : nil
    }
    guard let fd else { return nil }
    return (.number(fd), Int64(fd) + 3)
}

/// proc_fd_link(): the open file itself, or the name Linux shows for one
/// without a path. fs_lock held.
func proc_fd_link_locked(_ e: ProcEntry) -> ProcLink {
    guard let f = task_fd_file(e, e.fd) else { return .failed(.ENOENT) }
    defer { fput(f) }
    // The dentry stays while fs_lock is held: the file's own dput needs it.
    if let d = f.dentry { return .jump(d) }
    return .failed(.ENXIO)
}

/// readlink of fd/<n> for a file without a path (see the top of the file).
func proc_fd_anon_name(_ e: ProcEntry, _ buf: UnsafeMutableRawBufferPointer) -> Int {
    guard let f = task_fd_file(e, e.fd) else { return Errno.ENOENT.negated }
    defer { fput(f) }
    var l = LineBuffer()
    if let p = f.pipe, f.kind == .pipe {
        l.append("pipe:[")
        l.appendDecimal(p.ino)
        l.append("]")
    } else if f.kind == .pidfd {
        l.append("anon_inode:[pidfd]")
    } else if f.kind == .eventfd {
        l.append("anon_inode:[eventfd]")
    } else {
        l.append("/dev/console")
    }
    return copy_line(l, buf)
}
