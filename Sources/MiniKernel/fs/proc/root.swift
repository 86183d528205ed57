// The root of /proc and its fixed entries. Linux: fs/proc/root.c
// (proc_fill_super, proc_root_lookup, proc_root_readdir, proc_kill_sb),
// fs/proc/proc_sysctl.c (/proc/sys, reduced here to kernel/pid_max and
// kernel/randomize_va_space).
//
// `mount -t proc proc /proc` makes a root whose names are the fixed
// entries, in Linux's order, then "self" and one directory per process
// (thread-group leader); a thread's own number is found by lookup though
// not listed, as on Linux. Readdir positions are Linux's: fixed entries
// from 2, "self" at FIRST_PROCESS_ENTRY, process N at TGID_OFFSET + N, so
// a listing resumed after a pause goes on from the next number.
// Not here: thread-self and everything else Linux puts in /proc.

let FIRST_PROCESS_ENTRY: Int64 = 256, TGID_OFFSET: Int64 = FIRST_PROCESS_ENTRY + 2   // after self and thread-self

/// The mounted /proc roots, for proc_flush_pid().
final class ProcMount {
    unowned(unsafe) let root: Dentry
    var next: ProcMount?
    init(root: Dentry, next: ProcMount?) { self.root = root; self.next = next }
}
/// Guarded by fs_lock.
var proc_mounts: ProcMount? = nil

/// proc_fill_super(): the root inode of a new /proc mount; nil when memory is short.
func proc_fill_super(_ dev: UInt32) -> Inode? {
    guard ramfs_has_room(), let i = ramfs_get_inode(S_IFDIR | 0o555) else { return nil }
    i.sbDev = dev
    i.proc = ProcEntry(type: .root)
    return i
}

/// The new mount's root joins the list. fs_lock held.
func proc_mounted_locked(_ root: Dentry) { proc_mounts = ProcMount(root: root, next: proc_mounts) }

/// proc_kill_sb(): an unmounted root leaves the list. fs_lock held.
func proc_kill_sb_locked(_ root: Dentry) {
    var c = proc_mounts
    while let m = c, m.root !== root { c = m.next }
    guard let m = c else { return }
    slist_remove(&proc_mounts, m, { $0.next }, { $0.next = $1 })
    kfree_object(m)
}

/// The fixed entries of each directory: the root's (proc_root's children),
/// /proc/sys's, and a process directory's in Linux's order (tgid_base_stuff).
private func proc_fixed_entry(_ dir: ProcType, _ i: Int) -> (name: StaticString, type: ProcType, mode: UInt32)? {
    switch (dir, i) {
    case (.pidDir, 0): return ("fd", .fdDir, S_IFDIR | 0o500)
    case (.pidDir, 1): return ("status", .status, S_IFREG | 0o444)
    case (.pidDir, 2): return ("comm", .comm, S_IFREG | 0o644)
    case (.pidDir, 3): return ("cmdline", .cmdline, S_IFREG | 0o444)
    case (.pidDir, 4): return ("stat", .stat, S_IFREG | 0o444)
    case (.pidDir, 5): return ("exe", .exe, S_IFLNK | 0o777)
    case (.root, 0): return ("sys", .sys, S_IFDIR | 0o555)
    case (.root, 1): return ("uptime", .uptime, S_IFREG | 0o444)
    case (.root, 2): return ("loadavg", .loadavg, S_IFREG | 0o444)
    case (.root, 3): return ("meminfo", .meminfo, S_IFREG | 0o444)
    case (.sys, 0): return ("kernel", .sysKernel, S_IFDIR | 0o555)
    // Linux's are writable (0644); here they read only.
    case (.sysKernel, 0): return ("pid_max", .pidMax, S_IFREG | 0o444)
    case (.sysKernel, 1): return ("randomize_va_space", .randomizeVaSpace, S_IFREG | 0o444)
    default: return nil
    }
}

/// proc_lookup() / proc_pident_lookup(): the fixed entry called `name` in
/// directory `pe`, made (a process directory's with its task).
func proc_fixed_lookup_locked(_ dir: Dentry, _ pe: ProcEntry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    var i = 0
    while let e = proc_fixed_entry(pe.type, i) {
        if name == staticBytes(e.name) {
            return proc_instantiate_locked(dir, name, e.mode, ProcEntry(type: e.type, pid: pe.pid, start: pe.start), &err)
        }
        i += 1
    }
    err = .ENOENT
    return nil
}

/// proc_readdir() / proc_pident_readdir(): the fixed entry at position `pos` (from 2).
func proc_fixed_readdir_next(_ dir: ProcType, _ pos: Int64) -> (name: ProcName, next: Int64)? {
    guard pos >= 2, let f = proc_fixed_entry(dir, Int(pos - 2)) else { return nil }
    return (.fixed(f.name), pos + 1)
}

/// proc_root_lookup(): a fixed entry, "self", or a process's number.
func proc_root_lookup_locked(_ dir: Dentry, _ name: ByteString, _ err: inout Errno) -> Dentry? {
    if name.equals("self") {
        return proc_instantiate_locked(dir, name, S_IFLNK | 0o777, ProcEntry(type: .selfLink), &err)
    }
    if let d = proc_fixed_lookup_locked(dir, ProcEntry(type: .root), name, &err) { return d }
    return proc_pid_lookup_locked(dir, name, &err)
}

/// proc_root_readdir(): the name at or after position `pos` (from 2).
func proc_root_readdir_next(_ pos: Int64) -> (name: ProcName, next: Int64)? {
    if pos < FIRST_PROCESS_ENTRY, let e = proc_fixed_readdir_next(.root, pos) { return e }
    if pos <= FIRST_PROCESS_ENTRY { return (.fixed("self"), FIRST_PROCESS_ENTRY + 1) }
    // next_tgid(): the first process numbered at least pos - TGID_OFFSET.
    guard let tgid = next_tgid(Int32(clamping: max(pos, TGID_OFFSET) - TGID_OFFSET)) else { return nil }
    return (.number(Int(tgid)), TGID_OFFSET + Int64(tgid) + 1)
}

/// next_tgid(): the lowest process (thread-group leader) number >= `nr`.
private func next_tgid(_ nr: Int32) -> Int32? {
    tasklistLock.withLock { () -> Int32? in
        var best: Int32? = nil
        for t in for_each_process() where t.pid >= nr && t.pid < (best ?? Int32.max) { best = t.pid }
        return best
    }
}

/// /proc/sys/kernel/pid_max.
func proc_pid_max_show(_ m: inout SeqFile) -> Int {
    m.puts("\(PID_MAX_DEFAULT)\n")
    return 0
}

/// /proc/sys/kernel/randomize_va_space: 2, or 0 after `norandmaps`.
func proc_randomize_va_space_show(_ m: inout SeqFile) -> Int {
    m.puts("\(randomize_va_space)\n")
    return 0
}
