// stat and friends, getdents64, getcwd. Linux: fs/stat.c, fs/readdir.c,
// fs/d_path.c, fs/statfs.c.

import CShim
import Synchronization

/// The attributes of a file, whatever it is open on (generic_fillattr).
struct KStat {
    var ino: UInt64 = 0, mode: UInt32 = 0, nlink: UInt32 = 1, uid: UInt32 = 0, gid: UInt32 = 0
    var rdev: UInt32 = 0, size: Int64 = 0, blocks: Int64 = 0, dev: UInt32 = 0
    var atime = Timespec(), mtime = Timespec(), ctime = Timespec()
}

/// Device numbers of pipes' pipefs and of anon_inodefs (eventfd, pidfd).
private let PIPEFS_DEV: UInt32 = 0x0d
private let ANON_INODE_DEV: UInt32 = 0x0e

func inode_getattr(_ i: Inode) -> KStat {
    fs_lock.withLock {
        var k = KStat()
        k.ino = i.ino; k.mode = i.mode; k.nlink = i.nlink; k.uid = i.uid; k.gid = i.gid
        k.rdev = i.rdev
        k.size = Int64(i.proc != nil ? i.size : i.isDir ? 4096 : (i.mode & S_IFMT == S_IFCHR ? 0 : i.size))
        k.blocks = Int64(i.nrPages) * 8 + Int64(i.isLink ? (i.capacity + 511) / 512 : 0)
        k.dev = i.sbDev
        k.atime = i.atime; k.mtime = i.mtime; k.ctime = i.ctime
        return k
    }
}

func file_getattr(_ f: File) -> KStat {
    if let i = f.inode { return inode_getattr(i) }
    var k = KStat()
    if let p = f.pipe {
        k.mode = S_IFIFO | 0o600
        k.ino = p.ino
        k.dev = PIPEFS_DEV
        k.atime = p.ctime; k.mtime = p.ctime; k.ctime = p.ctime
    } else if f.kind == .eventfd || f.kind == .pidfd {
        k.mode = 0o600                  // an anonymous inode: no file type bits
        k.dev = ANON_INODE_DEV
    } else {
        k.mode = S_IFCHR | 0o600        // the console opened by the kernel for init
        k.rdev = MKDEV(5, 1)
    }
    return k
}

/// new_encode_dev().
private func encode_dev(_ d: UInt32) -> UInt64 {
    let major = UInt64(d >> 20), minor = UInt64(d & 0xfffff)
    return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
}

/// x86-64's struct stat (arch/x86/include/uapi/asm/stat.h), 144 bytes.
struct UserStat: BitwiseCopyable {
    var dev: UInt64 = 0, ino: UInt64 = 0, nlink: UInt64 = 0
    var mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0, pad0: UInt32 = 0
    var rdev: UInt64 = 0, size: Int64 = 0, blksize: Int64 = 0, blocks: Int64 = 0
    var atime = Timespec(), mtime = Timespec(), ctime = Timespec()
    var unused: (Int64, Int64, Int64) = (0, 0, 0)
}

/// asm-generic's struct stat (include/uapi/asm-generic/stat.h), 128 bytes:
/// what the int 0x80 gate's stat calls fill.
struct UserStatGeneric: BitwiseCopyable {
    var dev: UInt64 = 0, ino: UInt64 = 0
    var mode: UInt32 = 0, nlink: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
    var rdev: UInt64 = 0, pad1: UInt64 = 0, size: Int64 = 0
    var blksize: Int32 = 0, pad2: Int32 = 0, blocks: Int64 = 0
    var atime = Timespec(), mtime = Timespec(), ctime = Timespec()
    var unused4: UInt32 = 0, unused5: UInt32 = 0
}

/// cp_new_stat(): x86-64's struct stat, or asm-generic's for int 0x80.
func cp_new_stat(_ k: KStat, _ addr: UInt64, generic: Bool) -> Int {
    let ok = generic
        ? copy_to_user(addr, from: UserStatGeneric(
            dev: encode_dev(k.dev), ino: k.ino, mode: k.mode, nlink: k.nlink, uid: k.uid, gid: k.gid,
            rdev: encode_dev(k.rdev), size: k.size, blksize: 4096, blocks: k.blocks,
            atime: k.atime, mtime: k.mtime, ctime: k.ctime))
        : copy_to_user(addr, from: UserStat(
            dev: encode_dev(k.dev), ino: k.ino, nlink: UInt64(k.nlink), mode: k.mode, uid: k.uid, gid: k.gid,
            rdev: encode_dev(k.rdev), size: k.size, blksize: 4096, blocks: k.blocks,
            atime: k.atime, mtime: k.mtime, ctime: k.ctime))
    return ok ? 0 : Errno.EFAULT.negated
}

private func isGeneric(_ regs: UnsafeMutablePointer<PtRegs>) -> Bool { regs.pointee.vector != SYSCALL_VECTOR }

/// vfs_fstatat(): by name, or the dfd's own file with AT_EMPTY_PATH and "".
private func vfs_fstatat(_ dfd: UInt64, _ upath: UInt64, _ flags: UInt64, _ k: inout KStat) -> Int {
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 { return Errno.EINVAL.negated }
    if flags & AT_EMPTY_PATH != 0 {
        var name = KName()
        let e = getname(upath, &name, allowEmpty: true)
        if e < 0 { return e }
        let empty = name.count == 0
        name.release()
        if empty {
            if Int32(truncatingIfNeeded: dfd) == AT_FDCWD {
                var err = 0
                guard let d = kern_path_at(dfd, staticBytes("."), follow: true, &err) else { return err }
                k = inode_getattr(d.inode)
                fs_lock.withLock { dput_locked(d) }
                return 0
            }
            guard let f = fget_raw(dfd & 0xffff_ffff) else { return Errno.EBADF.negated }
            k = file_getattr(f)
            fput(f)
            return 0
        }
    }
    var err = 0
    guard let d = user_path_at(dfd, upath, follow: flags & AT_SYMLINK_NOFOLLOW == 0, &err) else { return err }
    k = inode_getattr(d.inode)
    fs_lock.withLock { dput_locked(d) }
    return 0
}

func sys_newfstatat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var k = KStat()
    let r = vfs_fstatat(regs.arg0, regs.arg1, regs.arg3, &k)
    return r < 0 ? r : cp_new_stat(k, regs.arg2, generic: isGeneric(regs))
}
func sys_stat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var k = KStat()
    let r = vfs_fstatat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, 0, &k)
    return r < 0 ? r : cp_new_stat(k, regs.arg1, generic: false)
}
func sys_lstat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var k = KStat()
    let r = vfs_fstatat(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, AT_SYMLINK_NOFOLLOW, &k)
    return r < 0 ? r : cp_new_stat(k, regs.arg1, generic: false)
}
func sys_fstat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget_raw(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    let k = file_getattr(f)
    fput(f)
    return cp_new_stat(k, regs.arg1, generic: isGeneric(regs))
}

/// statx(dfd, path, flags, mask, buf): the basic fields (STATX_BASIC_STATS).
func sys_statx(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let flags = regs.arg2 & ~0x6000      // AT_STATX_SYNC_TYPE bits
    var k = KStat()
    let r = vfs_fstatat(regs.arg0, regs.arg1, flags, &k)
    if r < 0 { return r }
    var b = InlineArray<32, UInt64>(repeating: 0)      // struct statx, 256 bytes
    b[0] = 0x7ff | UInt64(4096) << 32                  // stx_mask = STATX_BASIC_STATS, stx_blksize
    b[2] = UInt64(k.nlink) | UInt64(k.uid) << 32
    b[3] = UInt64(k.gid) | UInt64(k.mode & 0xffff) << 32
    b[4] = k.ino
    b[5] = UInt64(bitPattern: k.size)
    b[6] = UInt64(bitPattern: k.blocks)
    b[8] = UInt64(bitPattern: k.atime.sec); b[9] = UInt64(k.atime.nsec)
    b[12] = UInt64(bitPattern: k.ctime.sec); b[13] = UInt64(k.ctime.nsec)
    b[14] = UInt64(bitPattern: k.mtime.sec); b[15] = UInt64(k.mtime.nsec)
    b[16] = UInt64(k.rdev >> 20) | UInt64(k.rdev & 0xfffff) << 32
    b[17] = UInt64(k.dev >> 20) | UInt64(k.dev & 0xfffff) << 32
    return copy_to_user(regs.arg4, from: b) ? 0 : Errno.EFAULT.negated
}

/// getdents64(fd, dirp, count).
func sys_getdents64(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    let count = Int(regs.arg2 & 0xffff_ffff)
    guard access_ok(regs.arg1, count) else { return Errno.EFAULT.negated }
    guard let iterate = f.fOp.iterate else { return Errno.ENOTDIR.negated }
    return iterate(f, regs.arg1, count)
}

/// getcwd(buf, size): the working directory's path, NUL included; -ENOENT
/// once it has been removed, -ERANGE when it does not fit.
func sys_getcwd(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let mem = kmalloc(PATH_MAX) else { return Errno.ENOMEM.negated }
    defer { kfree(mem) }
    let buf = mem.assumingMemoryBound(to: UInt8.self)
    let len = fs_lock.withLock { () -> Int in
        guard let fs = current.fs, let pwd = fs.pwd, let root = fs.root ?? ramfs_root else { return Errno.ENOENT.negated }
        if pwd.unhashed { return Errno.ENOENT.negated }
        buf[PATH_MAX - 1] = 0
        guard let start = prepend_path_locked(pwd, root, buf, PATH_MAX - 1) else { return Errno.ENAMETOOLONG.negated }
        let total = PATH_MAX - start
        mem.copyMemory(from: UnsafeRawPointer(buf + start), byteCount: total)
        return total
    }
    if len < 0 { return len }
    if len > Int(regs.arg1 & 0xffff_ffff) { return Errno.ERANGE.negated }
    return copy_to_user(regs.arg0, UnsafeRawPointer(mem), len) ? len : Errno.EFAULT.negated
}

/// prepend_path(): `d`'s path seen from `root`, built backwards so that it
/// ends just before buf[end] (a mounted root continues from the directory it
/// covers). Returns where it starts, or nil when it does not fit. fs_lock held.
func prepend_path_locked(_ dIn: Dentry, _ root: Dentry, _ buf: UnsafeMutablePointer<UInt8>, _ endIn: Int) -> Int? {
    var end = endIn
    var d = dIn
    while d !== root {
        if d.parent === d {
            guard let mp = d.mountpoint else { break }
            d = mp
            continue
        }
        let n = d.nameBytes
        if end - n.count - 1 < 0 { return nil }
        end -= n.count
        for i in 0..<n.count { buf[end + i] = n[i] }
        end -= 1; buf[end] = 47
        d = d.parent
    }
    if end == endIn {
        if end == 0 { return nil }
        end -= 1; buf[end] = 47
    }
    return end
}

/// d_path(): `d`'s path as the caller sees it, " (deleted)" after it once it
/// is unlinked, at the start of `out` (no NUL); -ENAMETOOLONG if it does not fit.
func d_path_locked(_ d: Dentry, _ out: UnsafeMutableRawBufferPointer) -> Int {
    guard let root = current.fs?.root ?? ramfs_root, let base = out.baseAddress else { return Errno.ENOENT.negated }
    let buf = base.assumingMemoryBound(to: UInt8.self)
    var end = out.count
    if d.unhashed {
        let suffix = staticBytes(" (deleted)")
        guard end >= suffix.count else { return Errno.ENAMETOOLONG.negated }
        end -= suffix.count
        for i in 0..<suffix.count { buf[end + i] = suffix[i] }
    }
    guard let start = prepend_path_locked(d, root, buf, end) else { return Errno.ENAMETOOLONG.negated }
    let n = out.count - start
    base.copyMemory(from: UnsafeRawPointer(buf + start), byteCount: n)
    return n
}

/// statfs/fstatfs: the RAM filesystem's figures (RAMFS_MAGIC; f_blocks 0 as
/// ramfs reports), or procfs's magic for a file in /proc.
private func fill_statfs(_ addr: UInt64, _ i: Inode?) -> Int {
    var b = InlineArray<15, UInt64>(repeating: 0)      // struct statfs, 120 bytes
    b[0] = i?.proc != nil ? PROC_SUPER_MAGIC : 0x858458f6    // RAMFS_MAGIC
    b[1] = 4096                                        // f_bsize
    b[8] = 255                                         // f_namelen
    b[9] = 4096                                        // f_frsize
    b[10] = 0x20                                       // ST_RELATIME
    return copy_to_user(addr, from: b) ? 0 : Errno.EFAULT.negated
}
func sys_statfs(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var err = 0
    guard let d = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, follow: true, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(d) } }
    return fill_statfs(regs.arg1, d.inode)
}
func sys_fstatfs(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget_raw(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    return fill_statfs(regs.arg1, f.inode)
}

/// utimensat(dfd, path, times, flags): times are set (UTIME_NOW, UTIME_OMIT honoured).
func sys_utimensat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var ts = InlineArray<4, Int64>(repeating: 0)
    let now = current_time()
    var at = now, mt = now
    if regs.arg2 != 0 {
        guard copy_from_user(&ts, regs.arg2) else { return Errno.EFAULT.negated }
        let UTIME_NOW: Int64 = (1 << 30) - 1, UTIME_OMIT: Int64 = (1 << 30) - 2
        for k in 0..<2 {
            let nsec = ts[2 * k + 1]
            if nsec != UTIME_NOW && nsec != UTIME_OMIT && (nsec < 0 || nsec >= 1_000_000_000) { return Errno.EINVAL.negated }
        }
        at = ts[1] == UTIME_NOW ? now : Timespec(sec: ts[0], nsec: ts[1])
        mt = ts[3] == UTIME_NOW ? now : Timespec(sec: ts[2], nsec: ts[3])
        if ts[1] == UTIME_OMIT { at.nsec = -1 }
        if ts[3] == UTIME_OMIT { mt.nsec = -1 }
    }
    var d: Dentry? = nil
    var err = 0
    if regs.arg1 == 0 {
        guard let f = fget_raw(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
        if let dd = f.dentry { fs_lock.withLock { dget_locked(dd) }; d = dd }
        fput(f)
        if d == nil { return 0 }
    } else {
        d = user_path_at(regs.arg0, regs.arg1, follow: regs.arg3 & AT_SYMLINK_NOFOLLOW == 0, &err)
    }
    guard let dd = d else { return err }
    fs_lock.withLock {
        if at.nsec >= 0 { dd.inode.atime = at }
        if mt.nsec >= 0 { dd.inode.mtime = mt }
        dd.inode.ctime = now
        dput_locked(dd)
    }
    return 0
}
