// open, close and the calls on a file's attributes. Linux: fs/open.c,
// fs/char_dev.c (chrdev_open), fs/attr.c, fs/sync.c.

import CShim
import Synchronization

/// build_open_flags(): what is kept in f_flags.
private func kept_flags(_ flags: UInt32) -> UInt32 {
    flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)
}

/// chrdev_open(): the driver of a character device, by major and minor.
private func chrdev_kind(_ rdev: UInt32) -> FileKind? {
    let major = rdev >> 20, minor = rdev & 0xfffff
    switch (major, minor) {
    case (1, 3): return .null
    case (1, 5): return .zero
    case (1, 8), (1, 9): return .random
    case (5, 1): return .console                       // /dev/console
    case (5, 0), (4, 64): return .tty                  // /dev/tty, /dev/ttyS0
    default: return nil
    }
}

/// do_dentry_open(): a File on `d` (which the File's reference then owns).
func dentry_open(_ d: Dentry, _ flags: UInt32, _ err: inout Int) -> File? {
    let inode = d.inode
    let kind: FileKind
    if flags & O_PATH != 0 {
        kind = .path
    } else if inode.proc != nil {
        kind = .proc
    } else {
        switch inode.mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFCHR:
            guard let k = chrdev_kind(inode.rdev) else { err = Errno.ENXIO.negated; return nil }
            kind = k
        case S_IFIFO:
            kind = .pipe
        default:
            // Sockets and block devices have no driver here.
            err = Errno.ENXIO.negated
            return nil
        }
    }
    let f = File(kind: kind, flags: kept_flags(flags))
    f.dentry = d
    f.inode = inode
    if kind == .pipe || kind == .console || kind == .tty {
        let r = kind == .pipe ? fifo_open(f, inode) : tty_open(f, inode.rdev, flags)
        if r < 0 { err = r; f.dentry = nil; nr_files.wrappingSubtract(1, ordering: .relaxed); kfree_object(f); return nil }
    }
    return f
}

let O_VALID_FLAGS: UInt32 = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
    O_DSYNC | 0o20000 /* FASYNC */ | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
    O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE

/// do_sys_openat2() → path_openat() → do_open().
func do_sys_open(_ dfd: UInt64, _ upath: UInt64, _ flagsIn: UInt32, _ modeIn: UInt32) -> Int {
    var flags = flagsIn & O_VALID_FLAGS      // open() ignores unknown flags
    if flags & O_TMPFILE == O_TMPFILE { return Errno.EOPNOTSUPP.negated }
    if flags & O_PATH != 0 { flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC }
    var name = KName()
    var e = getname(upath, &name)
    if e < 0 { return e }
    defer { name.release() }
    let path = name.bytes
    let acc = flags & O_ACCMODE
    let wantWrite = flags & O_PATH == 0 && (acc == O_WRONLY || acc == O_RDWR || flags & O_TRUNC != 0)
    var file: File? = nil
    e = path_start(dfd, path, &file)
    if e < 0 { return e }
    defer { if let f = file { fput(f) } }
    var nd = NameiData()
    defer { nd.release() }
    let umask = current.fs?.umask ?? 0o022
    var err = 0
    var truncated: Inode? = nil      // O_TRUNC shrank this file
    let d = fs_lock.withLock { () -> Dentry? in
        guard let sr = start_root_locked(file) else { err = Errno.ENOENT.negated; return nil }
        var target: Dentry
        if flags & O_CREAT != 0 {
            guard let dir = path_walk_locked(sr.start, sr.root, path, &nd, follow: true, parent: true) else {
                err = nd.err.negated; return nil
            }
            if last_is_special(nd.last) || nd.trailingSlash { err = Errno.EISDIR.negated; return nil }
            if let existing = lookup_one_locked(dir, nd.last) {
                if flags & O_EXCL != 0 { err = Errno.EEXIST.negated; return nil }
                if existing.inode.isLink {
                    if flags & O_NOFOLLOW != 0 { err = Errno.ELOOP.negated; return nil }
                    var nd2 = NameiData()
                    let t = path_walk_locked(dir, sr.root, nd.last, &nd2, follow: true)
                    nd2.release()
                    guard let t else { err = nd2.err.negated; return nil }
                    target = t
                } else {
                    target = existing
                }
                if target.inode.isDir { err = Errno.EISDIR.negated; return nil }
            } else {
                if dir.unhashed { err = Errno.ENOENT.negated; return nil }
                var ce = Errno.ENOSPC
                guard let created = ramfs_mknod_locked(dir, nd.last, S_IFREG | (modeIn & 0o7777 & ~umask), &ce) else {
                    err = ce.negated; return nil
                }
                target = created
            }
        } else {
            guard let t = path_walk_locked(sr.start, sr.root, path, &nd, follow: flags & O_NOFOLLOW == 0) else {
                err = nd.err.negated; return nil
            }
            target = t
            if target.inode.isLink && flags & O_PATH == 0 { err = Errno.ELOOP.negated; return nil }
        }
        let inode = target.inode
        if flags & O_DIRECTORY != 0 && !inode.isDir { err = Errno.ENOTDIR.negated; return nil }
        if inode.isDir && wantWrite { err = Errno.EISDIR.negated; return nil }
        if wantWrite && inode.isReg && inode.writeDenied > 0 { err = Errno.ETXTBSY.negated; return nil }
        if flags & O_TRUNC != 0 && inode.isReg && flags & O_PATH == 0 {
            let hadPages = inode.size > 0
            let r = ramfs_truncate_locked(inode, 0)
            if r < 0 { err = r; return nil }
            if hadPages { truncated = inode }
        }
        dget_locked(target)
        return target
    }
    // O_TRUNC's truncate_pagecache(): out of every mapping (mm/filemap.swift).
    if let truncated { unmap_mapping_range(truncated, from: 0) }
    guard let d else { return err }
    guard let f = dentry_open(d, flags, &err) else {
        fs_lock.withLock { dput_locked(d) }
        return err
    }
    let fd = install_new_fd(f, cloexec: flags & O_CLOEXEC != 0)
    if fd < 0 { fput(f) }
    return fd
}

func sys_openat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_sys_open(regs.arg0, regs.arg1, UInt32(truncatingIfNeeded: regs.arg2), UInt32(truncatingIfNeeded: regs.arg3))
}
func sys_open(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_sys_open(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, UInt32(truncatingIfNeeded: regs.arg1), UInt32(truncatingIfNeeded: regs.arg2))
}
func sys_creat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_sys_open(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, O_CREAT | O_WRONLY | O_TRUNC, UInt32(truncatingIfNeeded: regs.arg1))
}

// MARK: - chdir, fchdir, chroot

func sys_chdir(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = 0
    guard let d = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, follow: true, &err) else { return err }
    guard d.inode.isDir, let fs = current.fs else {
        fs_lock.withLock { dput_locked(d) }
        return Errno.ENOTDIR.negated
    }
    set_fs_pwd(fs, d)
    return 0
}

func sys_fchdir(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget_raw(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard let d = f.dentry, d.inode.isDir, let fs = current.fs else { return Errno.ENOTDIR.negated }
    fs_lock.withLock { dget_locked(d) }
    set_fs_pwd(fs, d)
    return 0
}

// MARK: - access, chmod, chown

let F_OK: UInt64 = 0, X_OK: UInt64 = 1, W_OK: UInt64 = 2, R_OK: UInt64 = 4

/// do_faccessat(): we are always root, so only execute needs a permission bit.
func do_faccessat(_ dfd: UInt64, _ upath: UInt64, _ mode: UInt64, _ flags: UInt64) -> Int {
    if mode & ~7 != 0 { return Errno.EINVAL.negated }
    if flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 { return Errno.EINVAL.negated }
    var err = 0
    guard let d = user_path_at(dfd, upath, follow: flags & AT_SYMLINK_NOFOLLOW == 0,
                               emptyPath: flags & AT_EMPTY_PATH != 0, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    if mode & X_OK != 0 && !d.inode.isDir && d.inode.mode & 0o111 == 0 { return Errno.EACCES.negated }
    return 0
}

func sys_faccessat2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_faccessat(regs.arg0, regs.arg1, regs.arg2, regs.arg3) }
func sys_faccessat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_faccessat(regs.arg0, regs.arg1, regs.arg2, 0) }
func sys_access(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_faccessat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, 0) }

private func chmod_inode(_ i: Inode, _ mode: UInt64) -> Int {
    fs_lock.withLock { () -> Int in
        // F_SEAL_EXEC: a sealed memfd's exec bits stay as they are.
        if i.seals & F_SEAL_EXEC != 0 && (UInt32(mode & 0o111) ^ (i.mode & 0o111)) != 0 { return Errno.EPERM.negated }
        i.mode = (i.mode & S_IFMT) | UInt32(mode & 0o7777)
        i.ctime = current_time()
        return 0
    }
}

func do_fchmodat(_ dfd: UInt64, _ upath: UInt64, _ mode: UInt64, _ flags: UInt64) -> Int {
    var err = 0
    guard let d = user_path_at(dfd, upath, follow: flags & AT_SYMLINK_NOFOLLOW == 0, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    if d.inode.isLink { return Errno.EOPNOTSUPP.negated }
    return chmod_inode(d.inode, mode)
}
func sys_fchmodat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_fchmodat(regs.arg0, regs.arg1, regs.arg2, 0) }
func sys_chmod(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_fchmodat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, 0) }
func sys_fchmod(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard let i = f.inode else { return 0 }
    return chmod_inode(i, regs.arg1)
}

private func chown_inode(_ i: Inode, _ uid: UInt64, _ gid: UInt64) -> Int {
    fs_lock.withLock {
        if UInt32(truncatingIfNeeded: uid) != UInt32.max { i.uid = UInt32(truncatingIfNeeded: uid) }
        if UInt32(truncatingIfNeeded: gid) != UInt32.max { i.gid = UInt32(truncatingIfNeeded: gid) }
        i.ctime = current_time()
    }
    return 0
}

func do_fchownat(_ dfd: UInt64, _ upath: UInt64, _ uid: UInt64, _ gid: UInt64, _ flags: UInt64) -> Int {
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 { return Errno.EINVAL.negated }
    var err = 0
    guard let d = user_path_at(dfd, upath, follow: flags & AT_SYMLINK_NOFOLLOW == 0, emptyPath: flags & AT_EMPTY_PATH != 0, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    return chown_inode(d.inode, uid, gid)
}
func sys_fchownat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_fchownat(regs.arg0, regs.arg1, regs.arg2, regs.arg3, regs.arg4) }
func sys_chown(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_fchownat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, regs.arg2, 0) }
func sys_lchown(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_fchownat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, regs.arg1, regs.arg2, AT_SYMLINK_NOFOLLOW) }
func sys_fchown(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard let i = f.inode else { return 0 }
    return chown_inode(i, regs.arg1, regs.arg2)
}

// MARK: - truncate, fallocate, sync

private func do_truncate(_ i: Inode, _ length: Int64) -> Int {
    if length < 0 { return Errno.EINVAL.negated }
    if i.isDir { return Errno.EISDIR.negated }
    guard i.isReg else { return Errno.EINVAL.negated }
    var shrunk = false
    let r = fs_lock.withLock { () -> Int in
        if i.writeDenied > 0 { return Errno.ETXTBSY.negated }
        if i.memfd {
            let e = memfd_check_size_locked(i, Int(clamping: length))
            if e < 0 { return e }
        }
        shrunk = Int(clamping: length) < i.size
        return ramfs_truncate_locked(i, Int(clamping: length))
    }
    // truncate_pagecache(): mapped pages past the new end go (SIGBUS on touch).
    if r == 0 && shrunk { unmap_mapping_range(i, from: PAGE_ALIGN(UInt64(length))) }
    return r
}

func sys_truncate(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = 0
    guard let d = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, follow: true, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    return do_truncate(d.inode, Int64(bitPattern: regs.arg1))
}

func sys_ftruncate(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    let length = Int64(bitPattern: regs.arg1)
    if length < 0 { return Errno.EINVAL.negated }
    guard let i = f.inode, i.isReg, f.writable else { return Errno.EINVAL.negated }
    return do_truncate(i, length)
}

/// fallocate(fd, mode, offset, len): mode 0 (allocate, extending the size) and
/// FALLOC_FL_KEEP_SIZE; punching holes is not supported (-EOPNOTSUPP).
func sys_fallocate(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let mode = regs.arg1 & 0xffff_ffff
    let off = Int64(bitPattern: regs.arg2), len = Int64(bitPattern: regs.arg3)
    if off < 0 || len <= 0 { return Errno.EINVAL.negated }
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard f.writable else { return Errno.EBADF.negated }
    guard let i = f.inode else { return Errno.ESPIPE.negated }
    if i.isDir { return Errno.EISDIR.negated }
    guard i.isReg else { return Errno.ENODEV.negated }
    if mode & ~1 != 0 { return Errno.EOPNOTSUPP.negated }
    let (end, o) = off.addingReportingOverflow(len)
    if o { return Errno.EFBIG.negated }
    return fs_lock.withLock {
        if i.memfd && Int(clamping: end) > i.size && i.seals & F_SEAL_GROW != 0 { return Errno.EPERM.negated }
        guard ramfs_allocate_locked(i, Int(off), Int(clamping: end)) else { return Errno.ENOSPC.negated }
        if mode == 0 && Int(end) > i.size { return ramfs_truncate_locked(i, Int(end)) }
        return 0
    }
}

/// fsync/fdatasync: everything is in memory already; a bad fd is still -EBADF.
func sys_fsync(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    let r = f.kind == .pipe ? Errno.EINVAL.negated : 0
    fput(f)
    return r
}
func sys_sync(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { 0 }
