// procfs: its inodes, their lookup and the operations of its files.
// Linux: fs/proc/inode.c, fs/proc/internal.h (struct proc_inode),
// fs/proc/generic.c (proc_lookup, proc_readdir), fs/dcache.c (d_invalidate).
//
// /proc holds nothing of its own. A name in it is made when it is first
// looked up (or listed: readdir makes the names it lists, as Linux's
// proc_fill_cache, so `ls -i` and stat agree), from what the kernel knows at
// that moment, and it stays in the dentry tree only while what it shows
// exists:
//   - the fixed entries (meminfo, sys/kernel/pid_max, ...) for good;
//   - /proc/<pid> and what is under it until the task is released:
//     release_task() calls proc_flush_pid(), which unhashes them (an open
//     file on one stays valid and reads -ESRCH);
//   - /proc/<pid>/fd/<n> while the descriptor is open: each lookup checks
//     (tid_fd_revalidate), and a stale name goes.
// A per-process entry names its task by pid *and* start time, so that when
// the number is reused an old open file never shows the newer process
// (Linux holds struct pid for the same reason).
//
// Files are text made at each read (fs/seq_file.swift); links are "magic":
// following /proc/<pid>/exe or fd/<n> jumps to the file itself, whatever
// its name now is (nd_jump_link). Nothing can be created, removed or renamed
// in /proc: a missing name is -ENOENT for every call (proc's lookups return
// an error, not a negative dentry), an existing one -EPERM for unlink.
//
// Locking: lookups run under fs_lock, as every walk does, and take
// tasklist_lock, a task's alloc_lock or a files_struct's file_lock inside
// it. Reads run under no lock and take what they need.

/// What a procfs inode shows.
enum ProcType: UInt8 {
    case root, selfLink, meminfo, uptime, loadavg, sys, sysKernel, pidMax, randomizeVaSpace
    case pidDir, fdDir, status, comm, cmdline, stat, exe, fd
}

/// struct proc_inode, reduced to what an entry needs: its type and, for a
/// per-process entry, its task (number and start time) and descriptor.
struct ProcEntry {
    var type: ProcType
    var pid: Int32 = 0, start: UInt64 = 0, fd: Int32 = 0
}

/// PROC_SUPER_MAGIC, for statfs.
let PROC_SUPER_MAGIC: UInt64 = 0x9fa0

/// proc_get_inode(): an inode for `entry` in `dir`'s filesystem.
func proc_get_inode(_ dir: Dentry, _ mode: UInt32, _ entry: ProcEntry) -> Inode? {
    guard let i = ramfs_get_inode(mode) else { return nil }
    i.sbDev = dir.inode.sbDev
    i.proc = entry
    if entry.type == .fd { i.size = 64 }        // as Linux's fd links report
    return i
}

/// The task a per-process entry shows, if it still exists. tasklist_lock held.
func proc_task_locked(_ e: ProcEntry) -> Task? {
    lockdep_assert_held(tasklistLock)
    guard let t = find_task_by_vpid(e.pid), t.startTime == e.start else { return nil }
    return t
}

/// The task of a per-process entry, with a reference, or nil once it is gone
/// (get_proc_task()).
func get_proc_task(_ e: ProcEntry) -> Task? {
    tasklistLock.withLock { () -> Task? in
        guard let t = proc_task_locked(e) else { return nil }
        get_task_struct(t)
        return t
    }
}

/// lookup_one(): the child `name` of `dir`, made on demand in /proc. fs_lock held.
func lookup_one_locked(_ dir: Dentry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    guard let pe = dir.inode.proc else {
        if let d = d_lookup(dir, name) { return d }
        err = .ENOENT
        return nil
    }
    err = .ENOENT
    if dir.unhashed { return nil }
    if let d = d_lookup(dir, name) {
        if proc_revalidate_locked(d) { return d }
        d_invalidate_locked(d)
    }
    var e = Errno.ENOENT
    let d: Dentry?
    switch pe.type {
    case .root: d = proc_root_lookup_locked(dir, name, &e)
    case .sys, .sysKernel: d = proc_fixed_lookup_locked(dir, pe, name, &e)
    case .pidDir: d = proc_pident_lookup_locked(dir, pe, name, &e)
    case .fdDir: d = proc_lookupfd_locked(dir, pe, name, &e)
    default: d = nil
    }
    if d == nil { err = e }
    return d
}

/// lookup_one() where only the dentry matters (a missing name is -ENOENT).
func lookup_one_locked(_ dir: Dentry, _ name: ByteString) -> Dentry? {
    var err = Errno.ENOENT
    return lookup_one_locked(dir, name, &err)
}

/// d_revalidate(): is a cached /proc name still right? fs_lock held.
private func proc_revalidate_locked(_ d: Dentry) -> Bool {
    guard let e = d.inode.proc else { return true }
    switch e.type {
    case .pidDir: return tasklistLock.withLock { proc_task_locked(e) != nil }
    case .fd: return tid_fd_revalidate_locked(d.inode)
    default: return true
    }
}

/// d_invalidate(): `d` and everything cached under it leave the tree; what
/// is still in use lingers, unhashed, until its last reference. fs_lock held.
func d_invalidate_locked(_ d: Dentry) {
    shrink_dcache_parent_locked(d)
    d_unlink_locked(d)
}

/// d_add() for a made /proc name: nil (-ENOMEM) when memory is short.
func proc_instantiate_locked(_ dir: Dentry, _ name: ByteString, _ mode: UInt32, _ entry: ProcEntry,
                             _ err: inout Errno) -> Dentry? {
    guard let inode = proc_get_inode(dir, mode, entry),
          let d = d_add_new_locked(dir, name, inode) else { err = .ENOMEM; return nil }
    return d
}

// MARK: - file operations

/// What a /proc file's text is made by (its proc_ops' show).
private func proc_show(_ e: ProcEntry, _ m: inout SeqFile) -> Int {
    switch e.type {
    case .meminfo: return meminfo_proc_show(&m)
    case .uptime: return uptime_proc_show(&m)
    case .loadavg: return loadavg_proc_show(&m)
    case .pidMax: return proc_pid_max_show(&m)
    case .randomizeVaSpace: return proc_randomize_va_space_show(&m)
    case .stat: return proc_pid_stat(e, &m)
    case .status: return proc_pid_status(e, &m)
    case .cmdline: return proc_pid_cmdline(e, &m)
    case .comm: return comm_show(e, &m)
    default: return Errno.EINVAL.negated
    }
}

/// seq_read_iter() for every /proc file: the text is made anew, then the
/// part from the position on is copied out.
private func proc_reg_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let i = f.inode, let e = i.proc else { return Errno.EINVAL.negated }
    if i.isDir { return Errno.EISDIR.negated }
    guard var m = SeqFile(size: e.type == .cmdline ? 4 * Int(PAGE_SIZE) : Int(PAGE_SIZE)) else { return Errno.ENOMEM.negated }
    let r = proc_show(e, &m)
    if r < 0 { return r }
    return m.read(to: buf, count, &pos)
}

private func proc_reg_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let e = f.inode?.proc, e.type == .comm else { return Errno.EINVAL.negated }
    return comm_write(e, buf, count)
}

/// getdents64 on a /proc directory.
private func proc_iterate(_ f: File, _ buf: UInt64, _ count: Int) -> Int {
    guard let d = f.dentry, let e = d.inode.proc, d.inode.isDir else { return Errno.ENOTDIR.negated }
    return dir_emit_all(f, buf, count) { pos, raw in proc_readdir_locked(d, e, pos, raw) }
}

/// One entry of a /proc directory at or after `pos`, formatted into `raw`
/// (its d_reclen and the position after it; reclen 0 at the end). fs_lock held.
private func proc_readdir_locked(_ d: Dentry, _ e: ProcEntry, _ pos: Int64, _ raw: UnsafeMutableRawBufferPointer)
    -> (reclen: Int, next: Int64) {
    if pos < 2 { return dir_emit_dot_locked(d, pos, raw) }
    if d.unhashed { return (0, pos) }
    // Each kind of directory names its entry at `pos`; it is then looked up
    // (made) so that its inode number is the one stat will see.
    var p = pos
    while true {
        let next: (name: ProcName, next: Int64)?
        switch e.type {
        case .root: next = proc_root_readdir_next(p)
        case .sys, .sysKernel, .pidDir: next = proc_fixed_readdir_next(e.type, p)
        case .fdDir: next = proc_readfd_next(e, p)
        default: next = nil
        }
        guard let n = next else { return (0, p) }
        var err = Errno.ENOENT
        if let child = n.name.withBytes({ lookup_one_locked(d, $0, &err) }) {
            return (dir_emit_locked(raw, child, off: n.next), n.next)
        }
        p = n.next            // gone between the two looks: skip it
    }
}

/// A /proc name: a fixed one, or a number (a pid, a descriptor).
enum ProcName {
    case fixed(StaticString)
    case number(Int)

    func withBytes<R>(_ body: (ByteString) -> R) -> R {
        switch self {
        case .fixed(let s): return body(staticBytes(s))
        case .number(let v):
            var l = LineBuffer()
            l.appendDecimal(v)
            return l.withBytes(body)
        }
    }
}

let proc_file_operations = FileOperations(read: proc_reg_read, write: proc_reg_write, llseek: seq_lseek,
                                          iterate: proc_iterate)
