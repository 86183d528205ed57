// fcntl and ioctl. Linux: fs/fcntl.c, fs/ioctl.c.

import CShim

let F_DUPFD: UInt64 = 0, F_GETFD: UInt64 = 1, F_SETFD: UInt64 = 2, F_GETFL: UInt64 = 3, F_SETFL: UInt64 = 4
let F_DUPFD_CLOEXEC: UInt64 = 1030
let FD_CLOEXEC: UInt64 = 1

func sys_fcntl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let fd = regs.arg0 & 0xffff_ffff, cmd = regs.arg1 & 0xffff_ffff, arg = regs.arg2
    guard let f = fget_raw(fd), let files = current.files else { return Errno.EBADF.negated }
    defer { fput(f) }
    switch cmd {
    case F_DUPFD, F_DUPFD_CLOEXEC:
        let start = arg & 0xffff_ffff
        if start >= UInt64(nofile_limit()) { return Errno.EINVAL.negated }
        get_file(f)
        let r = install_new_fd(f, start: Int(start), cloexec: cmd == F_DUPFD_CLOEXEC)
        if r < 0 { fput(f) }
        return r
    case F_GETFD:
        return files.fileLock.withLock { files.isCloexec(Int(fd)) ? 1 : 0 }
    case F_SETFD:
        files.fileLock.withLock { if files.get(Int(fd)) != nil { files.setCloexec(Int(fd), arg & FD_CLOEXEC != 0) } }
        return 0
    case F_GETFL:
        return Int(f.flags)
    case F_SETFL:
        if f.kind == .path { return Errno.EBADF.negated }
        f.flags = (f.flags & ~SETFL_MASK) | (UInt32(truncatingIfNeeded: arg) & SETFL_MASK)
        return 0
    case F_GETLK, F_OFD_GETLK:
        return f.kind == .path ? Errno.EBADF.negated : fcntl_getlk(f, arg, ofd: cmd == F_OFD_GETLK)
    case F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW:
        if f.kind == .path { return Errno.EBADF.negated }
        return fcntl_setlk(f, arg, ofd: cmd >= F_OFD_GETLK, wait: cmd == F_SETLKW || cmd == F_OFD_SETLKW)
    case F_SETPIPE_SZ, F_GETPIPE_SZ:
        return f.kind == .path ? Errno.EBADF.negated : pipe_fcntl(f, cmd, arg)
    case F_ADD_SEALS, F_GET_SEALS:
        return f.kind == .path ? Errno.EBADF.negated : memfd_fcntl(f, cmd, arg)
    default:
        return f.kind == .path ? Errno.EBADF.negated : Errno.EINVAL.negated
    }
}

let FIOCLEX: UInt64 = 0x5451, FIONCLEX: UInt64 = 0x5450, FIONBIO: UInt64 = 0x5421, FIONREAD: UInt64 = 0x541B

/// ioctl(fd, cmd, arg): the generic commands of do_vfs_ioctl(), then the
/// file's own; -ENOTTY for what nobody knows (terminal ioctls on a pipe or
/// a file — and on the console, which has no tty layer here).
func sys_ioctl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let fd = regs.arg0 & 0xffff_ffff, cmd = regs.arg1 & 0xffff_ffff, arg = regs.arg2
    guard let f = fget(fd), let files = current.files else { return Errno.EBADF.negated }
    defer { fput(f) }
    switch cmd {
    case FIOCLEX, FIONCLEX:
        files.fileLock.withLock { files.setCloexec(Int(fd), cmd == FIOCLEX) }
        return 0
    case FIONBIO:
        guard let v = (get_user(arg) as UInt32?) else { return Errno.EFAULT.negated }
        if v != 0 { f.flags |= O_NONBLOCK } else { f.flags &= ~O_NONBLOCK }
        return 0
    case FIONREAD where f.kind == .regular:
        let left = max(0, Int64(fs_lock.withLock { f.inode?.size ?? 0 }) - f.pos)
        return put_user(UInt32(clamping: left), arg) ? 0 : Errno.EFAULT.negated
    default:
        if let ioctl = f.fOp.ioctl { return ioctl(f, UInt32(cmd), arg) }
        return Errno.ENOTTY.negated
    }
}
