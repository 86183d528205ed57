// Extended attributes. Linux: fs/xattr.c (setxattr_copy, import_xattr_name,
// xattr_permission, vfs_getxattr, vfs_listxattr, vfs_removexattr).
//
// The RAM filesystem has none, as Linux's ramfs has none (tmpfs has them only
// with CONFIG_TMPFS_XATTR): no handler takes any name, so setting, reading
// and removing one is -EOPNOTSUPP, and a listing is empty (0 bytes: with no
// LSM, security_inode_listsecurity() adds nothing). What programs see first
// is the checks, in Linux's order: the flags and the name (-EINVAL, -EFAULT,
// -ERANGE) and the value's size (-E2BIG) before the path is looked up, then
// the lookup's own errors, then xattr_permission()'s "user." rule. `ls -l`
// asks for security.selinux and system.posix_acl_access on every file.

import CShim

private let XATTR_CREATE: UInt64 = 1, XATTR_REPLACE: UInt64 = 2
private let XATTR_NAME_MAX = 255
private let XATTR_SIZE_MAX: UInt64 = 65536

/// The object a call names: a path followed or not, or an open file.
private enum XattrTarget {
    case path(follow: Bool)
    case fd
}

/// import_xattr_name(): the name, 1 to 255 bytes (-ERANGE), from user memory (-EFAULT).
/// Returns whether it is in the "user." namespace, or -errno.
private func import_xattr_name(_ uname: UInt64, _ isUser: inout Bool) -> Int {
    var buf = InlineArray<257, UInt8>(repeating: 0)
    let n = withUnsafeMutableBytes(of: &buf) { strncpy_from_user($0.baseAddress.unsafelyUnwrapped, uname, XATTR_NAME_MAX + 1) }
    if n < 0 { return n }
    if n == 0 || n > XATTR_NAME_MAX { return Errno.ERANGE.negated }
    isUser = n >= 5 && buf[0] == 117 && buf[1] == 115 && buf[2] == 101 && buf[3] == 114 && buf[4] == 46   // "user."
    return 0
}

/// The inode a call is about, referenced through its dentry: 0, or the lookup's -errno.
private func xattr_lookup(_ target: XattrTarget, _ arg: UInt64, _ mode: inout UInt32) -> Int {
    switch target {
    case .fd:
        guard let f = fget_raw(arg & 0xffff_ffff) else { return Errno.EBADF.negated }
        mode = f.inode?.mode ?? 0
        fput(f)
    case .path(let follow):
        var err = 0
        guard let d = user_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), arg, follow: follow, &err) else { return err }
        mode = d.inode.mode
        fs_lock.withLock { dput_locked(d) }
    }
    return 0
}

/// xattr_permission() for root: a "user." attribute exists only on regular
/// files and directories (reading: -ENODATA, writing: -EPERM).
private func xattr_permission(_ mode: UInt32, isUser: Bool, write: Bool) -> Int {
    let kind = mode & S_IFMT
    if isUser && kind != S_IFREG && kind != S_IFDIR { return write ? Errno.EPERM.negated : Errno.ENODATA.negated }
    return 0
}

/// setxattr(), lsetxattr(), fsetxattr(): setxattr_copy()'s checks, the
/// lookup, then no handler: -EOPNOTSUPP.
private func do_setxattr(_ regs: UnsafeMutablePointer<PtRegs>, _ target: XattrTarget) -> Int {
    let flags = regs.arg4
    if flags & ~(XATTR_CREATE | XATTR_REPLACE) != 0 { return Errno.EINVAL.negated }
    var isUser = false
    let e = import_xattr_name(regs.arg1, &isUser)
    if e < 0 { return e }
    let size = regs.arg3
    if size > XATTR_SIZE_MAX { return Errno.E2BIG.negated }
    if size > 0 {
        // The value is copied in before the lookup (vmemdup_user()): a bad one is -EFAULT.
        guard let buf = kmalloc(Int(size)) else { return Errno.ENOMEM.negated }
        let ok = copy_from_user(buf, regs.arg2, Int(size))
        kfree(buf)
        if !ok { return Errno.EFAULT.negated }
    }
    var mode: UInt32 = 0
    let l = xattr_lookup(target, regs.arg0, &mode)
    if l < 0 { return l }
    let p = xattr_permission(mode, isUser: isUser, write: true)
    return p < 0 ? p : Errno.EOPNOTSUPP.negated
}

/// getxattr(), lgetxattr(), fgetxattr() and, writing, removexattr(),
/// lremovexattr(), fremovexattr(): the name, the lookup, xattr_permission(),
/// then no handler.
private func do_xattr_name(_ regs: UnsafeMutablePointer<PtRegs>, _ target: XattrTarget, write: Bool) -> Int {
    var isUser = false
    let e = import_xattr_name(regs.arg1, &isUser)
    if e < 0 { return e }
    var mode: UInt32 = 0
    let l = xattr_lookup(target, regs.arg0, &mode)
    if l < 0 { return l }
    let p = xattr_permission(mode, isUser: isUser, write: write)
    return p < 0 ? p : Errno.EOPNOTSUPP.negated
}

/// listxattr(), llistxattr(), flistxattr(): the lookup, then an empty list.
private func do_listxattr(_ regs: UnsafeMutablePointer<PtRegs>, _ target: XattrTarget) -> Int {
    var mode: UInt32 = 0
    let l = xattr_lookup(target, regs.arg0, &mode)
    return l < 0 ? l : 0
}

func sys_setxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_setxattr(regs, .path(follow: true)) }
func sys_lsetxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_setxattr(regs, .path(follow: false)) }
func sys_fsetxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_setxattr(regs, .fd) }
func sys_getxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .path(follow: true), write: false) }
func sys_lgetxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .path(follow: false), write: false) }
func sys_fgetxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .fd, write: false) }
func sys_listxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_listxattr(regs, .path(follow: true)) }
func sys_llistxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_listxattr(regs, .path(follow: false)) }
func sys_flistxattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_listxattr(regs, .fd) }
func sys_removexattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .path(follow: true), write: true) }
func sys_lremovexattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .path(follow: false), write: true) }
func sys_fremovexattr(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_xattr_name(regs, .fd, write: true) }
