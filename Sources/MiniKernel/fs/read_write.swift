// read, write and their vector and positional forms, lseek. Linux: fs/read_write.c.
//
// vfs_read()/vfs_write() check the file's mode and the buffer (access_ok,
// so a kernel address is -EFAULT even for zero bytes), then call the file's
// f_op. Positional I/O (pread64/pwrite64) needs a seekable file (-ESPIPE on
// pipes and the console, as FMODE_PREAD is missing there).

import CShim

let UIO_MAXIOV = 1024
let MAX_RW_COUNT = 0x7fff_f000

private func isStream(_ f: File) -> Bool { f.kind == .pipe || f.kind == .console || f.kind == .eventfd }

func vfs_read(_ f: File, _ buf: UInt64, _ countIn: Int, _ pos: inout Int64) -> Int {
    guard f.readable else { return Errno.EBADF.negated }
    guard let read = f.fOp.read else { return Errno.EINVAL.negated }
    guard access_ok(buf, countIn) else { return Errno.EFAULT.negated }
    let count = min(countIn, MAX_RW_COUNT)
    if count == 0 && f.kind != .directory { return 0 }
    return read(f, buf, count, &pos)
}

func vfs_write(_ f: File, _ buf: UInt64, _ countIn: Int, _ pos: inout Int64) -> Int {
    guard f.writable else { return Errno.EBADF.negated }
    guard let write = f.fOp.write else { return Errno.EINVAL.negated }
    guard access_ok(buf, countIn) else { return Errno.EFAULT.negated }
    let count = min(countIn, MAX_RW_COUNT)
    if count == 0 { return 0 }
    return write(f, buf, count, &pos)
}

private func countArg(_ v: UInt64) -> Int? {
    let c = Int64(bitPattern: v)
    return c < 0 ? nil : Int(c)
}

/// ksys_read()/ksys_write(): `io` at the file's position (file_ppos()), which
/// moves on by what was done; a stream has no position to move.
private func ksys_rw(_ regs: UnsafeMutablePointer<PtRegs>,
                     _ io: (File, UInt64, Int, inout Int64) -> Int) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard let count = countArg(regs.arg2) else { return Errno.EFAULT.negated }
    var pos = f.pos
    let r = io(f, regs.arg1, count, &pos)
    if r > 0 && !isStream(f) { f.pos = pos }
    return r
}

func sys_read(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { ksys_rw(regs, vfs_read) }

func sys_write(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { ksys_rw(regs, vfs_write) }

/// ksys_pread64()/ksys_pwrite64(): at the offset given, which a stream does
/// not have (FMODE_PREAD/FMODE_PWRITE unset: -ESPIPE); the file's position
/// stays. pwrite on an O_APPEND file still appends, as on Linux (a known
/// difference from POSIX).
private func ksys_prw(_ regs: UnsafeMutablePointer<PtRegs>, write: Bool) -> Int {
    var pos = Int64(bitPattern: regs.arg3)
    if pos < 0 { return Errno.EINVAL.negated }
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard write ? f.writable : f.readable else { return Errno.EBADF.negated }
    if isStream(f) { return Errno.ESPIPE.negated }
    guard let count = countArg(regs.arg2) else { return Errno.EFAULT.negated }
    return write ? vfs_write(f, regs.arg1, count, &pos) : vfs_read(f, regs.arg1, count, &pos)
}

func sys_pread64(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { ksys_prw(regs, write: false) }

func sys_pwrite64(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { ksys_prw(regs, write: true) }

/// struct iovec.
private struct IoVec {
    var base: UInt64 = 0
    var len: UInt64 = 0
}

/// import_iovec(): the whole vector is checked before any byte moves.
private func check_iovec(_ iovAddr: UInt64, _ iovcnt: Int64) -> Int {
    guard iovcnt >= 0, iovcnt <= Int64(UIO_MAXIOV) else { return Errno.EINVAL.negated }
    var total: UInt64 = 0
    for i in 0..<Int(iovcnt) {
        var v = IoVec()
        guard copy_from_user(&v, iovAddr + UInt64(i * MemoryLayout<IoVec>.size)) else {
            return Errno.EFAULT.negated
        }
        guard Int64(bitPattern: v.len) >= 0 else { return Errno.EINVAL.negated }
        guard access_ok(v.base, Int(clamping: v.len)) else { return Errno.EFAULT.negated }
        total &+= v.len
        guard total <= UInt64(Int64.max) else { return Errno.EINVAL.negated }
    }
    return 0
}

/// preadv2/pwritev2's flags (RWF_*). HIPRI, DSYNC and SYNC ask nothing of
/// RAM (no device to poll, nothing to write back); APPEND writes at the end.
let RWF_HIPRI: UInt64 = 0x1, RWF_DSYNC: UInt64 = 0x2, RWF_SYNC: UInt64 = 0x4, RWF_APPEND: UInt64 = 0x10

/// The vector calls: at offset `at`, or at the file's position (which then moves) for nil.
private func do_iter(_ regs: UnsafeMutablePointer<PtRegs>, write: Bool, at: Int64?, rwf: UInt64 = 0) -> Int {
    // kiocb_set_rw_flags(): any other flag (NOWAIT, ATOMIC, DONTCACHE...) is
    // one this kernel's files do not offer: -EOPNOTSUPP.
    if rwf & ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND) != 0 { return Errno.EOPNOTSUPP.negated }
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    guard write ? f.writable : f.readable else { return Errno.EBADF.negated }
    let positional = at != nil
    var pos = at ?? f.pos
    if write && rwf & RWF_APPEND != 0, let i = f.inode { pos = Int64(fs_lock.withLock { i.size }) }
    if positional {
        if pos < 0 { return Errno.EINVAL.negated }
        if isStream(f) { return Errno.ESPIPE.negated }
    }
    let iovAddr = regs.arg1
    let iovcnt = Int64(bitPattern: regs.arg2)
    let c = check_iovec(iovAddr, iovcnt)
    if c < 0 { return c }
    var done = 0
    for i in 0..<Int(iovcnt) {
        var v = IoVec()
        _ = copy_from_user(&v, iovAddr + UInt64(i * MemoryLayout<IoVec>.size))
        if v.len == 0 { continue }
        let n = write ? vfs_write(f, v.base, Int(clamping: v.len), &pos) : vfs_read(f, v.base, Int(clamping: v.len), &pos)
        if n < 0 { if done == 0 { return n }; break }
        done += n
        if n < Int(clamping: v.len) { break }
    }
    if !positional && done > 0 && !isStream(f) { f.pos = pos }
    return done
}

func sys_readv(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: false, at: nil) }
func sys_writev(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: true, at: nil) }
func sys_preadv(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: false, at: Int64(bitPattern: regs.arg3)) }
func sys_pwritev(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: true, at: Int64(bitPattern: regs.arg3)) }
/// preadv2/pwritev2(fd, iov, iovcnt, pos_l, pos_h, flags): pos_h is unused on
/// 64-bit; offset -1 is the file's position, as readv/writev.
private func pos_v2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int64? {
    Int64(bitPattern: regs.arg3) == -1 ? nil : Int64(bitPattern: regs.arg3)
}
func sys_preadv2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: false, at: pos_v2(regs), rwf: regs.arg5) }
func sys_pwritev2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_iter(regs, write: true, at: pos_v2(regs), rwf: regs.arg5) }

/// lseek(fd, offset, whence).
func sys_lseek(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    let whence = Int32(truncatingIfNeeded: regs.arg2)
    guard whence >= 0 && whence <= SEEK_HOLE else { return Errno.EINVAL.negated }
    guard let llseek = f.fOp.llseek else { return Errno.ESPIPE.negated }
    return Int(llseek(f, Int64(bitPattern: regs.arg1), whence))
}

/// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): bytes from
/// one regular file to another inside the kernel (vfs_copy_file_range() with
/// generic_copy_file_checks(), then the page-by-page copy every filesystem
/// without a copy method falls back to). A NULL offset pointer means the
/// file's position, which then moves on; the copy stops at the end of the
/// input. Overlapping ranges of one file are -EINVAL, an O_APPEND output
/// -EBADF, a directory -EISDIR, anything else not regular -EINVAL.
func sys_copy_file_range(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    if regs.arg5 != 0 { return Errno.EINVAL.negated }
    guard let fin = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(fin) }
    guard let fout = fget(regs.arg2 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(fout) }
    var posIn = fin.pos, posOut = fout.pos
    if regs.arg1 != 0 { guard copy_from_user(&posIn, regs.arg1) else { return Errno.EFAULT.negated } }
    if regs.arg3 != 0 { guard copy_from_user(&posOut, regs.arg3) else { return Errno.EFAULT.negated } }
    guard let iin = fin.inode, let iout = fout.inode else { return Errno.EINVAL.negated }
    if iin.isDir || iout.isDir { return Errno.EISDIR.negated }
    if !iin.isReg || !iout.isReg { return Errno.EINVAL.negated }
    if !fin.readable || !fout.writable || fout.flags & O_APPEND != 0 { return Errno.EBADF.negated }
    if posIn < 0 || posOut < 0 { return Errno.EINVAL.negated }
    var len = min(Int64(bitPattern: regs.arg4 & 0x7fff_ffff_ffff_ffff), Int64(MAX_RW_COUNT))
    let (_, o1) = posIn.addingReportingOverflow(len), (_, o2) = posOut.addingReportingOverflow(len)
    if o1 || o2 { return Errno.EOVERFLOW.negated }
    if iin === iout && posIn < posOut + len && posOut < posIn + len { return Errno.EINVAL.negated }
    guard let buf = kmalloc(4096) else { return Errno.ENOMEM.negated }
    defer { kfree(buf) }
    var done: Int64 = 0
    while len > 0 {
        let n = fs_lock.withLock { () -> Int in
            let avail = Int64(iin.size) - posIn - done
            let k = Int(min(len, 4096, max(avail, 0)))
            if k == 0 { return 0 }
            if iout.memfd {
                let e = memfd_check_write_locked(iout, Int(posOut + done), k)
                if e < 0 { return e }
            }
            ramfs_copy_out_locked(iin, Int(posIn + done), buf, k)
            return ramfs_write_locked(iout, Int(posOut + done), UnsafeRawPointer(buf), k)
        }
        if n < 0 {
            if done == 0 { return n }
            break
        }
        if n == 0 { break }
        done += Int64(n)
        len -= Int64(n)
    }
    // The offsets move on: through the pointers given, or the files' positions.
    if regs.arg1 != 0 { _ = copy_to_user(regs.arg1, from: posIn + done) } else { fin.pos = posIn + done }
    if regs.arg3 != 0 { _ = copy_to_user(regs.arg3, from: posOut + done) } else { fout.pos = posOut + done }
    return Int(done)
}
