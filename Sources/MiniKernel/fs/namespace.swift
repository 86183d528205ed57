// mount and umount2, for tmpfs and proc. Linux: fs/namespace.c (path_mount,
// do_new_mount, do_umount), mm/shmem.c (tmpfs), fs/namei.c (follow_mount,
// follow_dotdot), fs/proc/root.c (the proc type).
//
// A mount hangs the root of a fresh RAM filesystem on a directory: the
// directory's dentry points at the new root (`mounted`), the new root back
// at the directory (`mountpoint`). Path walking steps onto the top of such
// a stack whenever it reaches a covered directory (follow_mount), and ".."
// from a mounted root leaves through the directory it covers. Each mounted
// filesystem has its own device number: rename and link across mounts are
// -EXDEV. umount2 refuses while anything inside is in use (an open file, a
// working directory, a mount inside it: -EBUSY); otherwise the contents go
// with it, as tmpfs's do. A proc mount is procfs (fs/proc/): its names are
// made on demand, and it holds no data. The type must be tmpfs, ramfs or proc: any other
// filesystem is unknown here (-ENODEV, as Linux answers for a type it lacks).
//
// Not supported (-EINVAL): MS_REMOUNT, MS_BIND, MS_MOVE, propagation flags,
// MS_RDONLY and MS_NOEXEC (nothing here would enforce them), MNT_DETACH.

import CShim

let MS_RDONLY: UInt64 = 1, MS_NOSUID: UInt64 = 2, MS_NODEV: UInt64 = 4, MS_NOEXEC: UInt64 = 8
let MS_SYNCHRONOUS: UInt64 = 16, MS_REMOUNT: UInt64 = 32, MS_NOATIME: UInt64 = 1024, MS_NODIRATIME: UInt64 = 2048
let MS_BIND: UInt64 = 4096, MS_MOVE: UInt64 = 8192, MS_SILENT: UInt64 = 32768, MS_RELATIME: UInt64 = 1 << 21
let MS_STRICTATIME: UInt64 = 1 << 24, MS_LAZYTIME: UInt64 = 1 << 25
let MS_MGC_VAL: UInt64 = 0xC0ED_0000, MS_MGC_MSK: UInt64 = 0xffff_0000
let MNT_FORCE: UInt64 = 1, MNT_DETACH: UInt64 = 2, MNT_EXPIRE: UInt64 = 4, UMOUNT_NOFOLLOW: UInt64 = 8

private var next_sb_dev: UInt32 = ROOT_DEV + 1

/// get_anon_bdev(): a device number of its own for a filesystem (a mount,
/// the memfd root). fs_lock held, or at boot.
func alloc_anon_dev() -> UInt32 {
    let d = next_sb_dev
    next_sb_dev += 1
    return d
}

/// follow_mount(): the top of whatever is mounted on `d`. fs_lock held.
func follow_mount(_ d: Dentry) -> Dentry {
    var c = d
    while let m = c.mounted { c = m }
    return c
}

func sys_mount(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var flags = regs.arg3
    if flags & MS_MGC_MSK == MS_MGC_VAL { flags &= ~MS_MGC_MSK }
    // The type first (copy_mount_string), then the target.
    var type = KName()
    if regs.arg2 != 0 {
        let e = getname(regs.arg2, &type, allowEmpty: true)
        if e < 0 { return e }
    }
    defer { type.release() }
    if regs.arg0 != 0 {
        var source = KName()
        let e = getname(regs.arg0, &source, allowEmpty: true)
        if e < 0 { return e }
        source.release()
    }
    var err = 0
    guard let target = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg1, follow: true, &err) else { return err }
    defer { fs_lock.withLock { dput_locked(target) } }
    let supported = MS_NOSUID | MS_NODEV | MS_SILENT | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME
    if flags & ~supported != 0 { return Errno.EINVAL.negated }
    let fstype = type.bytes
    let isProc = fstype.equals("proc")
    guard fstype.equals("tmpfs") || fstype.equals("ramfs") || isProc else { return Errno.ENODEV.negated }
    guard target.inode.isDir else { return Errno.ENOTDIR.negated }
    return fs_lock.withLock { () -> Int in
        if target.unhashed { return Errno.ENOENT.negated }
        let top = follow_mount(target)
        let dev = alloc_anon_dev()
        let made = isProc ? proc_fill_super(dev) : ramfs_get_inode(S_IFDIR | (fstype.equals("tmpfs") ? 0o1777 : 0o755))
        guard let inode = made else { return Errno.ENOMEM.negated }
        inode.sbDev = dev
        let root = Dentry(inode: inode)     // its one reference is the mount's
        inode.count = 1
        root.mountpoint = top
        dget_locked(top)                    // the mount pins the directory it covers
        top.mounted = root
        if isProc { proc_mounted_locked(root) }
        return 0
    }
}

/// Is anything under `d` (a mounted root) in use? Each dentry's count is its
/// parent's list reference plus one per child, plus whatever else holds it.
private func subtree_busy(_ d: Dentry, isRoot: Bool, held: Int) -> Bool {
    var children = 0
    var c = d.childHead
    while let e = c {
        children += 1
        if e.mounted != nil || subtree_busy(e, isRoot: false, held: 0) { return true }
        c = e.siblingNext
    }
    return d.count - 1 - children - held > 0
}


func sys_umount2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let flags = regs.arg1
    if flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 { return Errno.EINVAL.negated }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 { return Errno.EINVAL.negated }
    var err = 0
    guard let d = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), regs.arg0, follow: flags & UMOUNT_NOFOLLOW == 0, &err) else {
        return err
    }
    return fs_lock.withLock { () -> Int in
        guard d.parent === d, let mp = d.mountpoint else { dput_locked(d); return Errno.EINVAL.negated }
        if flags & MNT_DETACH != 0 { dput_locked(d); return Errno.EINVAL.negated }
        // Held here: the mount's reference and our lookup's.
        if d.mounted != nil || subtree_busy(d, isRoot: true, held: 1) { dput_locked(d); return Errno.EBUSY.negated }
        mp.mounted = nil
        d.mountpoint = nil
        if d.inode.proc != nil { proc_kill_sb_locked(d) }
        shrink_dcache_parent_locked(d)
        dput_locked(d)          // the lookup's
        dput_locked(d)          // the mount's: the root goes
        dput_locked(mp)         // the pin on the covered directory
        return 0
    }
}
