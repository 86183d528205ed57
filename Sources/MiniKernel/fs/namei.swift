// Path lookup and the calls that change names. Linux: fs/namei.c.
//
// link_path_walk(): a path is walked one component at a time from the root
// ("/...") or from the starting directory (the working directory, or the
// directory open at `dfd` for the *at() calls). Symbolic links met on the
// way are expanded in place — the target, then the rest of the path — at
// most MAXSYMLINKS (40) times per lookup (-ELOOP after that). A component
// longer than NAME_MAX is -ENAMETOOLONG, a path of PATH_MAX or more too
// (getname), a non-directory used as one -ENOTDIR, a missing name -ENOENT.
// The final component is followed only when the call says so
// (LOOKUP_FOLLOW), or when a slash follows it. The *parent* walks of
// mkdir/unlink/rename/... stop before the final component and hand it over.
//
// The whole walk runs under fs_lock (fs/ramfs/inode.swift): names cannot
// change under it, so no per-dentry locking is needed; whatever outlives
// the walk takes a reference first.

import CShim

let AT_FDCWD: Int32 = -100
let AT_SYMLINK_NOFOLLOW: UInt64 = 0x100
let AT_REMOVEDIR: UInt64 = 0x200
let AT_EACCESS: UInt64 = 0x200
let AT_SYMLINK_FOLLOW: UInt64 = 0x400
let AT_NO_AUTOMOUNT: UInt64 = 0x800
let AT_EMPTY_PATH: UInt64 = 0x1000
let MAXSYMLINKS = 40
let NAME_MAX = 255

/// A path copied in from user space (struct filename).
struct KName {
    var buf: UnsafeMutableRawPointer? = nil
    var count = 0
    var bytes: ByteString { ByteString(buf.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }, count: count) }
    mutating func release() { kfree(buf); buf = nil }
}

/// getname(): the user's path, or -EFAULT / -ENAMETOOLONG / -ENOENT (empty,
/// unless the call allows an empty path).
func getname(_ addr: UInt64, _ name: inout KName, allowEmpty: Bool = false) -> Int {
    guard let buf = kmalloc(PATH_MAX) else { return Errno.ENOMEM.negated }
    let n = strncpy_from_user(buf, addr, PATH_MAX)
    if n < 0 { kfree(buf); return n }
    if n >= PATH_MAX { kfree(buf); return Errno.ENAMETOOLONG.negated }
    if n == 0 && !allowEmpty { kfree(buf); return Errno.ENOENT.negated }
    name.buf = buf
    name.count = n
    return 0
}

/// nameidata: the state of one walk.
struct NameiData {
    var err: Errno = .ENOENT
    /// LOOKUP_PARENT walks: the final component (empty for "/"), and whether slashes followed it.
    var last = ByteString.empty
    var trailingSlash = false
    private var links: UnsafeMutableRawPointer? = nil

    /// Two PATH_MAX buffers for expanded symlinks, used in turn.
    mutating func linkBuffer(_ which: Int) -> UnsafeMutablePointer<UInt8>? {
        if links == nil { links = kmalloc(2 * PATH_MAX) }
        return links.map { ($0 + which * PATH_MAX).assumingMemoryBound(to: UInt8.self) }
    }
    mutating func release() { kfree(links); links = nil }
}

@inline(__always) private func isDot(_ c: ByteString) -> Bool { c.count == 1 && c[0] == 46 }
@inline(__always) private func isDotDot(_ c: ByteString) -> Bool { c.count == 2 && c[0] == 46 && c[1] == 46 }
/// LAST_DOT / LAST_DOTDOT / LAST_ROOT: a parent walk's final component is not a plain name.
func last_is_special(_ c: ByteString) -> Bool { c.isEmpty || isDot(c) || isDotDot(c) }

/// link_path_walk() + walk_component() + lookup_last(). fs_lock held.
/// Returns the final dentry (or, with `parent`, its directory), unreferenced.
func path_walk_locked(_ start: Dentry, _ root: Dentry, _ path: ByteString, _ nd: inout NameiData,
                      follow: Bool, parent: Bool = false) -> Dentry? {
    var cur = start
    var p = path
    var i = 0
    var links = 0
    var which = 0
    // A relative walk starts in its directory even if something is mounted on it
    // since (as a working directory keeps the covered directory in Linux).
    if p.count > 0 && p[0] == 47 { cur = follow_mount(root) }
    while true {
        while i < p.count && p[i] == 47 { i += 1 }
        if i >= p.count {
            if parent { nd.last = .empty; nd.trailingSlash = false }
            return cur
        }
        var j = i
        while j < p.count && p[j] != 47 { j += 1 }
        let comp = p.slice(i, j)
        var k = j
        while k < p.count && p[k] == 47 { k += 1 }
        let isLast = k >= p.count
        let slash = isLast && j < p.count
        if comp.count > NAME_MAX { nd.err = .ENAMETOOLONG; return nil }
        guard cur.inode.isDir else { nd.err = .ENOTDIR; return nil }
        if isLast && parent {
            nd.last = comp
            nd.trailingSlash = slash
            return cur
        }
        i = k
        if isDot(comp) { if isLast { return cur }; continue }
        if isDotDot(comp) {
            // follow_dotdot(): out of a mounted filesystem's root to the directory it covers.
            while cur !== root, cur.parent === cur, let mp = cur.mountpoint { cur = mp }
            if cur !== root { cur = cur.parent }
            cur = follow_mount(cur)
            if isLast { return cur }
            continue
        }
        guard let found = lookup_one_locked(cur, comp, &nd.err) else { return nil }
        let child = follow_mount(found)
        if child.inode.isLink && (!isLast || follow || slash) {
            links += 1
            if links > MAXSYMLINKS { nd.err = .ELOOP; return nil }
            var procText = InlineArray<24, UInt8>(repeating: 0)
            var target = child.inode.bytes
            if child.inode.proc != nil {
                // A /proc link: a jump (nd_jump_link) or a short text ("self").
                let link = withUnsafeMutableBytes(of: &procText) { proc_get_link_locked(child.inode, $0) }
                switch link {
                case .failed(let e): nd.err = e; return nil
                case .jump(let d):
                    if isLast { return d }
                    cur = d
                    continue
                case .text(let n):
                    target = withUnsafeBytes(of: &procText) { ByteString($0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n) }
                }
            }
            if target.isEmpty { nd.err = .ENOENT; return nil }
            let rest = p.slice(j, p.count)
            guard target.count + rest.count < PATH_MAX else { nd.err = .ENAMETOOLONG; return nil }
            guard let buf = nd.linkBuffer(which) else { nd.err = .ENOMEM; return nil }
            which ^= 1
            for n in 0..<target.count { buf[n] = target[n] }
            for n in 0..<rest.count { buf[target.count + n] = rest[n] }
            p = ByteString(UnsafePointer(buf), count: target.count + rest.count)
            i = 0
            if target[0] == 47 { cur = follow_mount(root) }
            continue
        }
        if isLast {
            if slash && !child.inode.isDir { nd.err = .ENOTDIR; return nil }
            return child
        }
        cur = child
    }
}

/// Where a lookup starts: `dfd`'s directory for a relative path (the *at
/// calls), else the working directory. The File, if any, is referenced and
/// must be fput() by the caller; -EBADF / -ENOTDIR for a bad dfd.
func path_start(_ dfd: UInt64, _ name: ByteString, _ file: inout File?, emptyPath: Bool = false) -> Int {
    let fd = Int32(truncatingIfNeeded: dfd)
    if !emptyPath && name.count > 0 && name[0] == 47 { return 0 }
    if fd == AT_FDCWD { return 0 }
    guard let f = fget_raw(dfd) else { return Errno.EBADF.negated }
    if !emptyPath || name.count > 0 {
        guard let d = f.dentry, d.inode.isDir else { fput(f); return Errno.ENOTDIR.negated }
    }
    file = f
    return 0
}

/// The start and root dentries, read under fs_lock.
func start_root_locked(_ file: File?) -> (start: Dentry, root: Dentry)? {
    guard let rootDefault = ramfs_root else { return nil }
    let fs = current.fs
    let root = fs?.root ?? rootDefault
    let start = file?.dentry ?? fs?.pwd ?? root
    return (start, root)
}

/// user_path_at(): the dentry `upath` names (relative to `dfd`), referenced;
/// nil with `err` set. With AT_EMPTY_PATH an empty path names dfd's own file.
func user_path_at(_ dfd: UInt64, _ upath: UInt64, follow: Bool, emptyPath: Bool = false, _ err: inout Int) -> Dentry? {
    var name = KName()
    err = getname(upath, &name, allowEmpty: emptyPath)
    if err < 0 { return nil }
    defer { name.release() }
    return kern_path_at(dfd, name.bytes, follow: follow, emptyPath: emptyPath, &err)
}

/// kern_path() with a start directory: as user_path_at for a kernel path.
func kern_path_at(_ dfd: UInt64, _ path: ByteString, follow: Bool, emptyPath: Bool = false, _ err: inout Int) -> Dentry? {
    var file: File? = nil
    err = path_start(dfd, path, &file, emptyPath: emptyPath)
    if err < 0 { return nil }
    defer { if let f = file { fput(f) } }
    if path.isEmpty {
        guard let d = file?.dentry else { err = Errno.ENOENT.negated; return nil }
        fs_lock.withLock { dget_locked(d) }
        return d
    }
    var nd = NameiData()
    defer { nd.release() }
    let d = fs_lock.withLock { () -> Dentry? in
        guard let sr = start_root_locked(file) else { return nil }
        let d = path_walk_locked(sr.start, sr.root, path, &nd, follow: follow)
        if let d { dget_locked(d) }
        return d
    }
    if d == nil { err = nd.err.negated }
    return d
}

/// The parent walk of the name-changing calls: `body` runs under fs_lock
/// with the directory and the final component (check last_is_special()).
func with_parent(_ dfd: UInt64, _ upath: UInt64, _ body: (Dentry, ByteString, Bool) -> Int) -> Int {
    var name = KName()
    let e = getname(upath, &name)
    if e < 0 { return e }
    defer { name.release() }
    return with_parent_kern(dfd, name.bytes, body)
}

func with_parent_kern(_ dfd: UInt64, _ path: ByteString, _ body: (Dentry, ByteString, Bool) -> Int) -> Int {
    var file: File? = nil
    let e = path_start(dfd, path, &file)
    if e < 0 { return e }
    defer { if let f = file { fput(f) } }
    var nd = NameiData()
    defer { nd.release() }
    return fs_lock.withLock { () -> Int in
        guard let sr = start_root_locked(file) else { return Errno.ENOENT.negated }
        guard let dir = path_walk_locked(sr.start, sr.root, path, &nd, follow: true, parent: true) else { return nd.err.negated }
        return body(dir, nd.last, nd.trailingSlash)
    }
}

// MARK: - mkdir, mknod, unlink, rmdir

func do_mkdirat(_ dfd: UInt64, _ upath: UInt64, _ mode: UInt64) -> Int {
    with_parent(dfd, upath) { dir, last, _ in
        if last_is_special(last) { return Errno.EEXIST.negated }
        if dir.unhashed { return Errno.ENOENT.negated }
        if lookup_one_locked(dir, last) != nil { return Errno.EEXIST.negated }
        let m = UInt32(mode & 0o1777) & ~(current.fs?.umask ?? 0)
        var err = Errno.ENOSPC
        return ramfs_mknod_locked(dir, last, S_IFDIR | m, &err) != nil ? 0 : err.negated
    }
}

func sys_mkdirat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_mkdirat(regs.arg0, regs.arg1, regs.arg2) }
func sys_mkdir(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_mkdirat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1) }

/// dev_t as Linux's new_encode_dev/new_decode_dev.
func new_decode_dev(_ dev: UInt64) -> (major: UInt32, minor: UInt32) {
    (UInt32((dev & 0xfff00) >> 8), UInt32((dev & 0xff) | ((dev >> 12) & 0xfff00)))
}
func MKDEV(_ major: UInt32, _ minor: UInt32) -> UInt32 { major << 20 | minor }

func do_mknodat(_ dfd: UInt64, _ upath: UInt64, _ modeIn: UInt64, _ dev: UInt64) -> Int {
    var mode = UInt32(truncatingIfNeeded: modeIn)
    switch mode & S_IFMT {
    case 0: mode |= S_IFREG
    case S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK: break
    case S_IFDIR: return Errno.EPERM.negated
    default: return Errno.EINVAL.negated
    }
    let (maj, min) = new_decode_dev(dev)
    return with_parent(dfd, upath) { dir, last, _ in
        if last_is_special(last) { return Errno.EEXIST.negated }
        if lookup_one_locked(dir, last) != nil { return Errno.EEXIST.negated }
        let m = (mode & ~S_IFMT & 0o7777) & ~(current.fs?.umask ?? 0)
        var err = Errno.ENOSPC
        return ramfs_mknod_locked(dir, last, (mode & S_IFMT) | m, rdev: MKDEV(maj, min), &err) != nil ? 0 : err.negated
    }
}

func sys_mknodat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_mknodat(regs.arg0, regs.arg1, regs.arg2, regs.arg3) }
func sys_mknod(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_mknodat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, regs.arg2) }

/// do_rmdir().
func do_rmdir(_ dfd: UInt64, _ upath: UInt64) -> Int {
    with_parent(dfd, upath) { dir, last, _ in
        if last.isEmpty { return Errno.EBUSY.negated }
        if isDot(last) { return Errno.EINVAL.negated }
        if isDotDot(last) { return Errno.ENOTEMPTY.negated }
        guard let d = lookup_one_locked(dir, last) else { return Errno.ENOENT.negated }
        if dir.inode.proc != nil { return Errno.EPERM.negated }
        guard d.inode.isDir else { return Errno.ENOTDIR.negated }
        if d.mounted != nil { return Errno.EBUSY.negated }
        if d.childHead != nil { return Errno.ENOTEMPTY.negated }
        d.inode.nlink = 0
        dir.inode.nlink -= 1
        dir.inode.mtime = current_time()
        dir.inode.ctime = dir.inode.mtime
        d_unlink_locked(d)
        return 0
    }
}

/// do_unlinkat().
func do_unlinkat(_ dfd: UInt64, _ upath: UInt64) -> Int {
    with_parent(dfd, upath) { dir, last, slash in
        if last_is_special(last) { return Errno.EISDIR.negated }
        guard let d = lookup_one_locked(dir, last) else { return Errno.ENOENT.negated }
        if dir.inode.proc != nil { return Errno.EPERM.negated }
        if d.inode.isDir { return Errno.EISDIR.negated }
        if slash { return Errno.ENOTDIR.negated }
        d.inode.nlink -= 1
        d.inode.ctime = current_time()
        dir.inode.mtime = d.inode.ctime
        dir.inode.ctime = d.inode.ctime
        d_unlink_locked(d)
        return 0
    }
}

func sys_unlinkat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let flags = regs.arg2
    if flags & ~AT_REMOVEDIR != 0 { return Errno.EINVAL.negated }
    return flags & AT_REMOVEDIR != 0 ? do_rmdir(regs.arg0, regs.arg1) : do_unlinkat(regs.arg0, regs.arg1)
}
func sys_unlink(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_unlinkat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0) }
func sys_rmdir(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_rmdir(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0) }

// MARK: - symlink, link, readlink

func do_symlinkat(_ utarget: UInt64, _ dfd: UInt64, _ upath: UInt64) -> Int {
    var target = KName()
    let e = getname(utarget, &target)
    if e < 0 { return e }
    defer { target.release() }
    return with_parent(dfd, upath) { dir, last, _ in
        if last_is_special(last) { return Errno.EEXIST.negated }
        if lookup_one_locked(dir, last) != nil { return Errno.EEXIST.negated }
        var err = Errno.ENOSPC
        guard let d = ramfs_mknod_locked(dir, last, S_IFLNK | 0o777, &err) else { return err.negated }
        guard ramfs_reserve_locked(d.inode, target.count), let data = d.inode.data else {
            d.inode.nlink = 0
            d_unlink_locked(d)
            return Errno.ENOSPC.negated
        }
        data.copyMemory(from: UnsafeRawPointer(target.buf!), byteCount: target.count)
        d.inode.size = target.count
        return 0
    }
}

func sys_symlinkat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_symlinkat(regs.arg0, regs.arg1, regs.arg2) }
func sys_symlink(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_symlinkat(regs.arg0, UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg1) }

func do_linkat(_ olddfd: UInt64, _ oldpath: UInt64, _ newdfd: UInt64, _ newpath: UInt64, _ flags: UInt64) -> Int {
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 { return Errno.EINVAL.negated }
    var err = 0
    guard let old = user_path_at(olddfd, oldpath, follow: flags & AT_SYMLINK_FOLLOW != 0,
                                 emptyPath: flags & AT_EMPTY_PATH != 0, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(old) } }
    return with_parent(newdfd, newpath) { dir, last, _ in
        if last_is_special(last) { return Errno.EEXIST.negated }
        if lookup_one_locked(dir, last) != nil { return Errno.EEXIST.negated }
        if dir.inode.proc != nil { return Errno.ENOENT.negated }     // not found, as every new name in /proc
        if old.inode.sbDev != dir.inode.sbDev { return Errno.EXDEV.negated }
        if old.inode.isDir { return Errno.EPERM.negated }
        if old.inode.nlink == 0 { return Errno.ENOENT.negated }
        guard d_add_locked(dir, last, old.inode) != nil else { return Errno.ENOSPC.negated }
        old.inode.nlink += 1
        old.inode.ctime = current_time()
        return 0
    }
}

func sys_linkat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_linkat(regs.arg0, regs.arg1, regs.arg2, regs.arg3, regs.arg4) }
func sys_link(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let cwd = UInt64(bitPattern: Int64(AT_FDCWD))
    return do_linkat(cwd, regs.arg0, cwd, regs.arg1, 0)
}

func do_readlinkat(_ dfd: UInt64, _ upath: UInt64, _ buf: UInt64, _ bufsiz: UInt64) -> Int {
    let size = Int64(bitPattern: bufsiz) & 0xffff_ffff
    if Int32(truncatingIfNeeded: bufsiz) <= 0 { return Errno.EINVAL.negated }
    var err = 0
    guard let d = user_path_at(dfd, upath, follow: false, emptyPath: true, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    guard d.inode.isLink else { return Errno.EINVAL.negated }
    var tmp = KName()
    guard let mem = kmalloc(PATH_MAX) else { return Errno.ENOMEM.negated }
    tmp.buf = mem
    defer { tmp.release() }
    let n = fs_lock.withLock { () -> Int in
        if d.inode.proc != nil {
            let r = proc_readlink_locked(d.inode, UnsafeMutableRawBufferPointer(start: mem, count: PATH_MAX))
            return r < 0 ? r : min(r, Int(size))
        }
        let k = min(d.inode.size, Int(size), PATH_MAX)
        if let data = d.inode.data { mem.copyMemory(from: UnsafeRawPointer(data), byteCount: k) }
        return k
    }
    if n < 0 { return n }
    return copy_to_user(buf, UnsafeRawPointer(mem), n) ? n : Errno.EFAULT.negated
}

func sys_readlinkat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_readlinkat(regs.arg0, regs.arg1, regs.arg2, regs.arg3) }
func sys_readlink(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_readlinkat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, regs.arg2) }

// MARK: - rename

let RENAME_NOREPLACE: UInt64 = 1
let RENAME_EXCHANGE: UInt64 = 2
let RENAME_WHITEOUT: UInt64 = 4

/// Is `d` `ancestor` or below it?
private func is_subdir(_ d: Dentry, _ ancestor: Dentry) -> Bool {
    var c = d
    while true {
        if c === ancestor { return true }
        if c.parent === c { return false }
        c = c.parent
    }
}

/// do_renameat2(). RENAME_EXCHANGE and RENAME_WHITEOUT are not supported
/// (-EINVAL, as from a filesystem without them).
func do_renameat2(_ olddfd: UInt64, _ oldpath: UInt64, _ newdfd: UInt64, _ newpath: UInt64, _ flags: UInt64) -> Int {
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 { return Errno.EINVAL.negated }
    if flags & RENAME_NOREPLACE != 0 && flags & RENAME_EXCHANGE != 0 { return Errno.EINVAL.negated }
    if flags & (RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 { return Errno.EINVAL.negated }
    var oldName = KName(), newName = KName()
    var e = getname(oldpath, &oldName)
    if e < 0 { return e }
    defer { oldName.release() }
    e = getname(newpath, &newName)
    if e < 0 { return e }
    defer { newName.release() }
    // The old parent, referenced across the second walk.
    var oldDir: Dentry? = nil
    var oldLast = ByteString.empty
    var oldSlash = false
    e = with_parent_kern(olddfd, oldName.bytes) { dir, last, slash in
        dget_locked(dir); oldDir = dir; oldLast = last; oldSlash = slash
        return 0
    }
    if e < 0 { return e }
    guard let od = oldDir else { return Errno.ENOENT.negated }
    defer { fs_lock.withLock { dput_locked(od) } }
    return with_parent_kern(newdfd, newName.bytes) { nd, newLast, newSlash in
        if last_is_special(oldLast) || last_is_special(newLast) { return Errno.EBUSY.negated }
        guard let src = lookup_one_locked(od, oldLast), !od.unhashed else { return Errno.ENOENT.negated }
        if od.inode.sbDev != nd.inode.sbDev { return Errno.EXDEV.negated }
        if src.mounted != nil { return Errno.EBUSY.negated }
        if (oldSlash || newSlash) && !src.inode.isDir { return Errno.ENOTDIR.negated }
        let dst = lookup_one_locked(nd, newLast)
        // Nothing in /proc is renamed: a new name there is not found, an old one not allowed.
        if od.inode.proc != nil || nd.inode.proc != nil { return (dst == nil ? Errno.ENOENT : Errno.EPERM).negated }
        if let dst {
            if flags & RENAME_NOREPLACE != 0 { return Errno.EEXIST.negated }
            if dst.inode === src.inode { return 0 }
            if src.inode.isDir {
                guard dst.inode.isDir else { return Errno.ENOTDIR.negated }
                if dst.childHead != nil { return Errno.ENOTEMPTY.negated }
            } else if dst.inode.isDir {
                return Errno.EISDIR.negated
            }
        }
        if src.inode.isDir && is_subdir(nd, src) { return Errno.EINVAL.negated }
        if nd.unhashed { return Errno.ENOENT.negated }
        if let dst {
            if dst.inode.isDir { dst.inode.nlink = 0; nd.inode.nlink -= 1 } else { dst.inode.nlink -= 1 }
            d_unlink_locked(dst)
        }
        if src.inode.isDir && od !== nd { od.inode.nlink -= 1; nd.inode.nlink += 1 }
        guard d_move_locked(src, nd, newLast) else { return Errno.ENOMEM.negated }
        let now = current_time()
        src.inode.ctime = now
        od.inode.mtime = now; nd.inode.mtime = now
        return 0
    }
}

func sys_renameat2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_renameat2(regs.arg0, regs.arg1, regs.arg2, regs.arg3, regs.arg4) }
func sys_renameat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_renameat2(regs.arg0, regs.arg1, regs.arg2, regs.arg3, 0) }
func sys_rename(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let cwd = UInt64(bitPattern: Int64(AT_FDCWD))
    return do_renameat2(cwd, regs.arg0, cwd, regs.arg1, 0)
}
