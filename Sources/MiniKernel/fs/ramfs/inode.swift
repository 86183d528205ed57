// The RAM filesystem: the root filesystem, all in kernel memory.
// Linux: fs/ramfs/inode.c, fs/ramfs/file-mmu.c, fs/libfs.c (simple_*),
// fs/dcache.c (dget/dput/d_lookup), fs/inode.c (iput).
//
// As in Linux's ramfs the names (dentries) are the filesystem: a directory's
// entries are its dentry's children, and nothing exists anywhere else. An
// Inode is a file's data and attributes; a Dentry names an inode inside a
// parent directory. Hard links are several dentries on one inode.
//
// Lifetimes are counted by hand under one lock (fs_lock):
//   dentry->d_count: its parent's list while it is linked, each child (a
//     child pins its parent), each fs_struct root/pwd and open File on it;
//   inode->i_count: each dentry on it. The inode goes when its last dentry
//     does (nlink has reached 0 by then: only unlink drops a dentry).
// So an unlinked file stays readable through an open descriptor and goes
// with the last close, and a removed working directory lingers until chdir.
//
// Regular file data lives in pages (fs/ramfs/file.swift); files unpacked from
// the initramfs borrow their bytes from the archive (it stays reserved) until
// their first write copies them (capacity 0 = borrowed). A symbolic link's
// target is one small kmalloc'd block.
// Running out of memory is -ENOSPC, never a panic: nothing is allocated
// when fewer than RAMFS_RESERVE_PAGES pages would remain free.

import CShim
import Synchronization

let S_IFMT: UInt32 = 0o170000
let S_IFSOCK: UInt32 = 0o140000
let S_IFLNK: UInt32 = 0o120000
let S_IFREG: UInt32 = 0o100000
let S_IFBLK: UInt32 = 0o060000
let S_IFDIR: UInt32 = 0o040000
let S_IFCHR: UInt32 = 0o020000
let S_IFIFO: UInt32 = 0o010000

/// The root filesystem's device number (an anonymous 0:N, as tmpfs's); mounts take the next ones.
let ROOT_DEV: UInt32 = 0x15

/// One lock for the whole tree, the reference counts and file data.
let fs_lock = SpinLock(name: "ramfs_lock")
/// Never take the last pages: the rest of the kernel needs them more.
let RAMFS_RESERVE_PAGES = 512

/// Inodes in existence (leakcheck's `inodes`).
let nr_inodes = Atomic<Int>(0)
private var next_ino: UInt64 = 1

final class Inode {
    let ino: UInt64
    var mode: UInt32
    var nlink: UInt32 = 1
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var rdev: UInt32 = 0
    var size = 0
    var data: UnsafeMutableRawPointer? = nil
    /// Bytes allocated at `data`; 0 while the bytes are the initramfs's.
    var capacity = 0
    var atime = Timespec(), mtime = Timespec(), ctime = Timespec()
    /// i_count: dentries on this inode.
    var count = 0
    /// deny_write_access(): an exec is reading the image.
    var writeDenied = 0
    /// What it shows, on procfs (fs/proc/); nil elsewhere.
    var proc: ProcEntry? = nil
    /// A memfd (mm/memfd.swift), and its seals (F_SEAL_*).
    var memfd = false
    var seals: UInt32 = 0
    /// i_flctx: the record locks on it (fs/locks.swift), under file_lock_lock.
    var locks: FileLock? = nil
    /// i_mapping: page-sized copies of the data that mappings share (mm/filemap.swift);
    /// a frame address per page index, 0 when not cached.
    var pageCache: UnsafeMutablePointer<UInt64>? = nil
    var pageCacheSlots = 0
    /// i_mmap: the areas that map this file (mm/filemap.swift), linked
    /// through VMArea.iMmapNext. Guarded by fs_lock.
    unowned(unsafe) var iMmap: VMArea? = nil
    /// A regular file's data once written: one frame per page (0: a hole, reads as zeros).
    var pages: UnsafeMutablePointer<UInt64>? = nil
    var pageSlots = 0
    var nrPages = 0
    /// i_pipe: a FIFO's pipe while it is open (fs/pipe.swift: fifo_open).
    var pipe: PipeInodeInfo? = nil
    /// s_dev of the filesystem it belongs to (the root one, or a mounted tmpfs).
    var sbDev: UInt32 = ROOT_DEV

    init(mode: UInt32) {
        self.mode = mode
        ino = next_ino
        next_ino += 1
        let now = current_time()
        atime = now; mtime = now; ctime = now
        nr_inodes.wrappingAdd(1, ordering: .relaxed)
    }

    var isDir: Bool { mode & S_IFMT == S_IFDIR }
    var isReg: Bool { mode & S_IFMT == S_IFREG }
    var isLink: Bool { mode & S_IFMT == S_IFLNK }
    var bytes: ByteString {
        ByteString(data.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }, count: size)
    }
}

final class Dentry {
    var name: UnsafeMutablePointer<UInt8>? = nil
    var nameLen = 0
    let inode: Inode
    /// d_parent (the root is its own parent); pinned by a reference.
    unowned(unsafe) var parent: Dentry
    var childHead: Dentry? = nil
    var siblingNext: Dentry? = nil
    var count = 1
    /// d_unhashed(): removed from its directory.
    var unhashed = false
    /// Mounts (fs/namespace.swift): the root of what is mounted on this
    /// directory, and for a mounted root the directory it covers.
    var mounted: Dentry? = nil
    unowned(unsafe) var mountpoint: Dentry? = nil

    init(inode: Inode) {
        self.inode = inode
        self.parent = unsafeBitCast(0 as UInt, to: Dentry.self)
        self.parent = self
    }
    var nameBytes: ByteString { ByteString(name.map { UnsafePointer($0) }, count: nameLen) }
}

var ramfs_root: Dentry? = nil

/// current_time(): wall-clock time (from boot: there is no RTC).
func current_time() -> Timespec {
    let ns = ktime_get_ns()
    return Timespec(sec: Int64(ns / 1_000_000_000), nsec: Int64(ns % 1_000_000_000))
}

func ramfs_has_room(_ pages: Int = 1) -> Bool { nr_free_pages() > RAMFS_RESERVE_PAGES + pages }

func dget_locked(_ d: Dentry) { d.count += 1 }

/// dput(): the last reference frees the dentry, then its inode's share, then
/// its parent's pin. Called with fs_lock held.
func dput_locked(_ dIn: Dentry) {
    var d = dIn
    while true {
        d.count -= 1
        guard d.count == 0 else { return }
        let parent = d.parent
        let isRoot = parent === d
        iput_locked(d.inode)
        kfree(d.name.map { UnsafeMutableRawPointer($0) })
        kfree_object(d)
        if isRoot { return }
        d = parent
    }
}

/// iput(): the inode and its data go with its last dentry.
private func iput_locked(_ i: Inode) {
    i.count -= 1
    guard i.count == 0 else { return }
    truncate_inode_pages_locked(i)
    ramfs_drop_pages_from_locked(i, 0)
    kfree(i.pages.map { UnsafeMutableRawPointer($0) })
    if i.capacity > 0 { kfree(i.data) }
    kfree_object(i)
    nr_inodes.wrappingSubtract(1, ordering: .relaxed)
}

/// d_lookup(): the child of `dir` called `name`.
func d_lookup(_ dir: Dentry, _ name: ByteString) -> Dentry? {
    var c = dir.childHead
    while let d = c {
        if d.nameBytes == name { return d }
        c = d.siblingNext
    }
    return nil
}

/// d_alloc() + d_add(): a new name `name` in `dir` for `inode`. The new
/// dentry's one reference is the directory's; nil when memory is short.
func d_add_locked(_ dir: Dentry, _ name: ByteString, _ inode: Inode) -> Dentry? {
    guard let d = d_alloc_locked(dir, name, inode) else { return nil }
    d_add_child_locked(dir, d)
    return d
}

/// d_alloc(): a dentry `name` below `dir` (which it pins) for `inode`, not
/// yet in the directory's list; its one reference is the caller's.
func d_alloc_locked(_ dir: Dentry, _ name: ByteString, _ inode: Inode) -> Dentry? {
    guard ramfs_has_room(), let mem = kmalloc(max(name.count, 1)) else { return nil }
    let d = Dentry(inode: inode)
    let n = mem.assumingMemoryBound(to: UInt8.self)
    for i in 0..<name.count { n[i] = name[i] }
    d.name = n
    d.nameLen = name.count
    inode.count += 1
    d.parent = dir
    dget_locked(dir)
    return d
}

/// list_add_tail(&d->d_child, &dir->d_children): appended, so that a
/// directory lists in creation order (getdents64, as ramfs on Linux).
private func d_add_child_locked(_ dir: Dentry, _ d: Dentry) {
    if var last = dir.childHead {
        while let nx = last.siblingNext { last = nx }
        last.siblingNext = d
    } else {
        dir.childHead = d
    }
}

/// d_delete(): `d` leaves its directory and drops the directory's reference.
func d_unlink_locked(_ d: Dentry) {
    let dir = d.parent
    if dir.childHead === d { dir.childHead = d.siblingNext }
    else {
        var c = dir.childHead
        while let p = c {
            if p.siblingNext === d { p.siblingNext = d.siblingNext; break }
            c = p.siblingNext
        }
    }
    d.siblingNext = nil
    d.unhashed = true
    dput_locked(d)
}

/// shrink_dcache_parent(): everything under `d` is unlinked, deepest first
/// (an unmount's contents, a /proc directory whose process is gone).
func shrink_dcache_parent_locked(_ d: Dentry) {
    while let e = d.childHead {
        shrink_dcache_parent_locked(e)
        e.inode.nlink = 0
        d_unlink_locked(e)
    }
}

/// d_move() for rename: `d` goes to `newDir` under `newName`.
func d_move_locked(_ d: Dentry, _ newDir: Dentry, _ newName: ByteString) -> Bool {
    guard let mem = kmalloc(max(newName.count, 1)) else { return false }
    let n = mem.assumingMemoryBound(to: UInt8.self)
    for i in 0..<newName.count { n[i] = newName[i] }
    dget_locked(d)                 // held across the unlink
    let oldDir = d.parent
    d_unlink_locked(d)             // drops the old directory's list reference
    kfree(d.name.map { UnsafeMutableRawPointer($0) })
    d.name = n
    d.nameLen = newName.count
    d.unhashed = false
    d.parent = newDir
    dget_locked(newDir)
    d_add_child_locked(newDir, d)
    dput_locked(oldDir)            // the child's pin on its old parent
    return true                    // the reference taken above is now the new list's
}

/// ramfs_get_inode(): a fresh inode (nil when memory is short).
func ramfs_get_inode(_ mode: UInt32, rdev: UInt32 = 0) -> Inode? {
    guard ramfs_has_room() else { return nil }
    let i = Inode(mode: mode)
    i.rdev = rdev
    if i.isDir { i.nlink = 2 }
    return i
}

/// d_instantiate() + d_add() of a fresh inode: its name in `dir` (a
/// directory counts in the parent's nlink); nil, with the inode freed, when
/// memory is short.
func d_add_new_locked(_ dir: Dentry, _ name: ByteString, _ inode: Inode) -> Dentry? {
    guard let d = d_add_locked(dir, name, inode) else { discard_new_inode(inode); return nil }
    if inode.isDir { dir.inode.nlink += 1 }
    return d
}

/// discard_new_inode(): an inode no dentry ever named goes.
func discard_new_inode(_ inode: Inode) {
    kfree_object(inode)
    nr_inodes.wrappingSubtract(1, ordering: .relaxed)
}

/// ramfs_mknod(): a new inode named `name` in `dir`; -ENOSPC when full.
func ramfs_mknod_locked(_ dir: Dentry, _ name: ByteString, _ mode: UInt32, rdev: UInt32 = 0, _ err: inout Errno) -> Dentry? {
    if dir.inode.proc != nil { err = .ENOENT; return nil }      // /proc makes its own names only
    guard let inode = ramfs_get_inode(mode, rdev: rdev) else { err = .ENOSPC; return nil }
    inode.sbDev = dir.inode.sbDev
    guard let d = d_add_new_locked(dir, name, inode) else { err = .ENOSPC; return nil }
    dir.inode.mtime = inode.mtime
    dir.inode.ctime = inode.mtime
    return d
}

/// Grow (or own) the data block so that it holds `size` bytes. fs_lock held.
func ramfs_reserve_locked(_ i: Inode, _ size: Int) -> Bool {
    truncate_inode_pages_locked(i)       // the data changes: mappings' cached pages go stale
    if size <= i.capacity { return true }
    var cap = max(i.capacity, 64)
    while cap < size { cap *= 2 }
    guard ramfs_has_room(cap / Int(PAGE_SIZE) + 1), let mem = kmalloc(cap) else { return false }
    if let old = i.data, i.size > 0 { mem.copyMemory(from: UnsafeRawPointer(old), byteCount: min(i.size, size)) }
    if i.capacity > 0 { kfree(i.data) }
    i.data = mem
    i.capacity = cap
    return true
}

/// vfs_truncate → simple_setattr: the new size; what it grows into reads as zeros.
func ramfs_truncate_locked(_ i: Inode, _ len: Int) -> Int {
    if len == 0 && ramfs_borrowed(i) {
        truncate_inode_pages_locked(i)
        i.data = nil                     // nothing of the archive's bytes is kept
    }
    guard ramfs_unborrow_locked(i) else { return Errno.ENOSPC.negated }
    ramfs_drop_pages_from_locked(i, len)
    i.size = len
    let now = current_time()
    i.mtime = now
    i.ctime = now
    return 0
}

// MARK: - file_operations of regular files (generic_file_read_iter / write_iter)

private let RW_CHUNK = 512

private func ramfs_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let inode = f.inode else { return Errno.EINVAL.negated }
    var done = 0
    var chunk = InlineArray<512, UInt8>(repeating: 0)
    while done < count {
        let n = withUnsafeMutableBytes(of: &chunk) { raw -> Int in
            fs_lock.withLock { () -> Int in
                let p = Int(pos) + done
                guard p < inode.size else { return 0 }
                let k = min(RW_CHUNK, count - done, inode.size - p)
                ramfs_copy_out_locked(inode, p, raw.baseAddress!, k)
                return k
            }
        }
        if n == 0 { break }
        let ok = withUnsafeBytes(of: &chunk) { copy_to_user(buf + UInt64(done), $0.baseAddress!, n) }
        if !ok {
            if done == 0 { return Errno.EFAULT.negated }
            break
        }
        done += n
    }
    pos += Int64(done)
    return done
}

/// `n` bytes from `src` into the file at `pos`: the size grows to cover
/// them, the times move; n, or -ENOSPC. fs_lock held.
func ramfs_write_locked(_ inode: Inode, _ pos: Int, _ src: UnsafeRawPointer, _ n: Int) -> Int {
    guard ramfs_copy_in_locked(inode, pos, src, n) else { return Errno.ENOSPC.negated }
    if pos + n > inode.size { inode.size = pos + n }
    let now = current_time()
    inode.mtime = now
    inode.ctime = now
    return n
}

private func ramfs_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let inode = f.inode else { return Errno.EINVAL.negated }
    var done = 0
    var chunk = InlineArray<512, UInt8>(repeating: 0)
    if f.flags & O_APPEND != 0 { pos = Int64(fs_lock.withLock { inode.size }) }
    if inode.memfd {
        let p = Int(pos)
        let e = fs_lock.withLock { memfd_check_write_locked(inode, p, count) }
        if e < 0 { return e }
    }
    while done < count {
        let n = min(RW_CHUNK, count - done)
        let ok = withUnsafeMutableBytes(of: &chunk) { copy_from_user($0.baseAddress!, buf + UInt64(done), n) }
        if !ok { break }
        let r = withUnsafeBytes(of: &chunk) { raw -> Int in
            fs_lock.withLock { ramfs_write_locked(inode, Int(pos) + done, raw.baseAddress!, n) }
        }
        if r < 0 {
            if done == 0 { return r }
            break                        // a short write: what was written counts
        }
        done += n
    }
    if done == 0 && count > 0 { return Errno.EFAULT.negated }
    pos += Int64(done)
    return done
}

let SEEK_SET: Int32 = 0, SEEK_CUR: Int32 = 1, SEEK_END: Int32 = 2, SEEK_DATA: Int32 = 3, SEEK_HOLE: Int32 = 4

/// generic_file_llseek().
func generic_file_llseek(_ f: File, _ off: Int64, _ whence: Int32) -> Int64 {
    let size = Int64(fs_lock.withLock { f.inode?.size ?? 0 })
    var newPos: Int64
    switch whence {
    case SEEK_SET: newPos = off
    case SEEK_CUR:
        let (r, o) = f.pos.addingReportingOverflow(off)
        if o { return Int64(Errno.EINVAL.negated) }
        newPos = r
    case SEEK_END:
        let (r, o) = size.addingReportingOverflow(off)
        if o { return Int64(Errno.EINVAL.negated) }
        newPos = r
    case SEEK_DATA:
        if off < 0 || off >= size { return Int64(Errno.ENXIO.negated) }
        newPos = off
    case SEEK_HOLE:
        if off < 0 || off >= size { return Int64(Errno.ENXIO.negated) }
        newPos = size
    default: return Int64(Errno.EINVAL.negated)
    }
    if newPos < 0 { return Int64(Errno.EINVAL.negated) }
    f.pos = newPos
    return newPos
}

let ramfs_file_operations = FileOperations(read: ramfs_read, write: ramfs_write, llseek: generic_file_llseek)

// MARK: - directories (dcache_readdir)

/// The getdents64 loop of every directory: `fill` formats, under fs_lock,
/// the entry at or after position `pos` into `raw` and says its d_reclen
/// (0: no more) and the position after it. Returns the bytes written, or
/// -EINVAL when not even one entry fits.
func dir_emit_all(_ f: File, _ buf: UInt64, _ count: Int,
                  _ fill: (Int64, UnsafeMutableRawBufferPointer) -> (reclen: Int, next: Int64)) -> Int {
    var written = 0
    var ent = InlineArray<280, UInt8>(repeating: 0)
    while true {
        let (reclen, next) = withUnsafeMutableBytes(of: &ent) { raw in fs_lock.withLock { fill(f.pos, raw) } }
        if reclen == 0 { break }
        if written + reclen > count {
            if written == 0 { return Errno.EINVAL.negated }
            break
        }
        let ok = withUnsafeBytes(of: &ent) { copy_to_user(buf + UInt64(written), $0.baseAddress!, reclen) }
        if !ok { return written > 0 ? written : Errno.EFAULT.negated }
        written += reclen
        f.pos = next
    }
    return written
}

/// dir_emit_dots(): "." at position 0, ".." at 1. fs_lock held.
func dir_emit_dot_locked(_ d: Dentry, _ pos: Int64, _ raw: UnsafeMutableRawBufferPointer) -> (reclen: Int, next: Int64) {
    let ino = pos == 0 ? d.inode.ino : d.parent.inode.ino
    var dots = InlineArray<2, UInt8>(repeating: 46)
    let reclen = withUnsafeBytes(of: &dots) { b in
        format_dirent(raw, ino: ino, off: pos + 1, mode: S_IFDIR,
                      ByteString(b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(pos) + 1))
    }
    return (reclen, pos + 1)
}

/// dir_emit(): the entry for `child`, at offset `off`. fs_lock held.
func dir_emit_locked(_ raw: UnsafeMutableRawBufferPointer, _ child: Dentry, off: Int64) -> Int {
    format_dirent(raw, ino: child.inode.ino, off: off, mode: child.inode.mode, child.nameBytes)
}

/// dcache_readdir(): ".", "..", then the k-th child at position 2 + k.
private func dcache_readdir(_ f: File, _ buf: UInt64, _ count: Int) -> Int {
    guard let d = f.dentry else { return Errno.ENOTDIR.negated }
    return dir_emit_all(f, buf, count) { pos, raw in
        if pos < 2 { return dir_emit_dot_locked(d, pos, raw) }
        if d.unhashed { return (0, pos) }
        var c = d.childHead
        var k: Int64 = 2
        while let e = c, k < pos { c = e.siblingNext; k += 1 }
        guard let e = c else { return (0, pos) }
        return (dir_emit_locked(raw, e, off: pos + 1), pos + 1)
    }
}

/// One linux_dirent64 into `raw`; its d_reclen.
private func format_dirent(_ raw: UnsafeMutableRawBufferPointer, ino: UInt64, off: Int64, mode: UInt32, _ name: ByteString) -> Int {
    let reclen = (19 + name.count + 1 + 7) & ~7
    guard reclen <= raw.count, let p = raw.baseAddress else { return 0 }
    p.initializeMemory(as: UInt8.self, repeating: 0, count: reclen)
    p.storeBytes(of: ino, toByteOffset: 0, as: UInt64.self)
    p.storeBytes(of: off, toByteOffset: 8, as: Int64.self)
    p.storeBytes(of: UInt16(reclen), toByteOffset: 16, as: UInt16.self)
    p.storeBytes(of: UInt8((mode >> 12) & 15), toByteOffset: 18, as: UInt8.self)   // DT_* = S_IFMT >> 12
    for i in 0..<name.count { p.storeBytes(of: name[i], toByteOffset: 19 + i, as: UInt8.self) }
    return reclen
}

private func dcache_dir_lseek(_ f: File, _ off: Int64, _ whence: Int32) -> Int64 {
    switch whence {
    case SEEK_SET where off >= 0: f.pos = off
    case SEEK_CUR where f.pos + off >= 0: f.pos += off
    default: return Int64(Errno.EINVAL.negated)
    }
    return f.pos
}

private func dir_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int { Errno.EISDIR.negated }

let simple_dir_operations = FileOperations(read: dir_read, llseek: dcache_dir_lseek, iterate: dcache_readdir)

/// init_rootfs(): the empty root directory.
func init_rootfs() {
    guard let inode = ramfs_get_inode(S_IFDIR | 0o755) else { panic("rootfs: no memory") }
    let d = Dentry(inode: inode)
    inode.count = 1
    ramfs_root = d
    _ = poll_wq.head          // made now, not inside the first workload (leakcheck)
    _ = file_lock_wq.head
    memfd_init()
}
