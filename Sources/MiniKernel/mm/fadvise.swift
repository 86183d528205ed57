// posix_fadvise(). Linux: mm/fadvise.c (ksys_fadvise64_64, generic_fadvise).
//
// Advice is a hint, and a RAM file has nothing to act on: its pages are
// always resident (nothing to read ahead for WILLNEED or SEQUENTIAL) and
// are its only copy (nothing to drop for DONTNEED). What remains are
// Linux's checks, in its order: a bad descriptor (EBADF), a pipe or FIFO
// (ESPIPE), a negative length or an unknown advice (EINVAL).

let POSIX_FADV_NORMAL: Int32 = 0, POSIX_FADV_NOREUSE: Int32 = 5
/// fadvise64(fd, offset, len, advice).
func sys_fadvise64(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    if f.kind == .pipe { return Errno.ESPIPE.negated }
    let len = Int64(bitPattern: regs.arg2)
    let advice = Int32(truncatingIfNeeded: regs.arg3)
    if len < 0 || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE { return Errno.EINVAL.negated }
    return 0
}
