// read, write, writev on the console. Linux: fs/read_write.c.
//
// Descriptors 0, 1 and 2 are the console. Bytes are copied from user
// memory in chunks through a kernel buffer, so a bad pointer is -EFAULT
// (or a short count, if some bytes already went out), never a fault.

import CShim

private let CHUNK = 256
let UIO_MAXIOV = 1024
let MAX_RW_COUNT = 0x7fff_f000

private func fdIsOpen(_ fd: UInt64) -> Bool {
    guard fd < 64, let files = current.files else { return false }
    return files.openFds & (1 << fd) != 0
}

/// Writes `count` user bytes at `buf` to the console; bytes written or -errno.
private func console_write_user(_ buf: UInt64, _ count: Int) -> Int {
    var buffer = InlineArray<256, UInt8>(repeating: 0)
    var done = 0
    while done < count {
        let n = min(CHUNK, count - done)
        let ok = withUnsafeMutableBytes(of: &buffer) { raw -> Bool in
            guard copy_from_user(raw.baseAddress.unsafelyUnwrapped, buf + UInt64(done), n) else { return false }
            console_write(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            return true
        }
        if !ok { return done > 0 ? done : Errno.EFAULT.negated }
        done += n
    }
    return done
}

func sys_write(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let fd = regs.arg0, buf = regs.arg1
    let count = Int(clamping: min(regs.arg2, UInt64(MAX_RW_COUNT)))
    guard fdIsOpen(fd) else { return Errno.EBADF.negated }
    // access_ok() even for zero bytes: a kernel address is refused.
    guard access_ok(buf, count) else { return Errno.EFAULT.negated }
    if count == 0 { return 0 }
    return console_write_user(buf, count)
}

/// struct iovec.
private struct IoVec {
    var base: UInt64 = 0
    var len: UInt64 = 0
}

func sys_writev(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let fd = regs.arg0, iovAddr = regs.arg1
    let iovcnt = Int64(bitPattern: regs.arg2)
    guard fdIsOpen(fd) else { return Errno.EBADF.negated }
    guard iovcnt >= 0, iovcnt <= Int64(UIO_MAXIOV) else { return Errno.EINVAL.negated }
    if iovcnt == 0 { return 0 }
    // Linux copies and checks the whole vector before writing anything.
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
    var written = 0
    for i in 0..<Int(iovcnt) {
        var v = IoVec()
        _ = copy_from_user(&v, iovAddr + UInt64(i * MemoryLayout<IoVec>.size))
        if v.len == 0 { continue }
        let n = console_write_user(v.base, Int(clamping: v.len))
        if n < 0 { return written > 0 ? written : n }
        written += n
        if n < Int(clamping: v.len) { break }
    }
    return written
}

/// read(0, ...): console input if a byte is waiting, else end of file —
/// the harness gives init no input, and a blocking read would hang a test.
func sys_read(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let fd = regs.arg0, buf = regs.arg1
    let count = Int(clamping: min(regs.arg2, UInt64(MAX_RW_COUNT)))
    guard fdIsOpen(fd) else { return Errno.EBADF.negated }
    guard access_ok(buf, count) else { return Errno.EFAULT.negated }
    var n = 0
    while n < count, let c = serial_getc() {
        guard put_user(c, buf + UInt64(n)) else {
            return n > 0 ? n : Errno.EFAULT.negated
        }
        n += 1
    }
    return n
}
