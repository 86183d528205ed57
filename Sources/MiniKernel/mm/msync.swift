// msync(2). Linux: mm/msync.c.
//
// A RAM file's pages are its data: a store through a shared mapping is
// already in the file, so there is nothing to write back (ramfs's fsync does
// nothing either). What is left is the range check, in Linux's order: flags,
// alignment, then a walk over the areas where an unmapped gap gives ENOMEM
// (at once for a plain MS_ASYNC, after the walk otherwise).

import CShim

let MS_ASYNC: UInt64 = 1, MS_INVALIDATE: UInt64 = 2, MS_SYNC: UInt64 = 4

/// SYSCALL_DEFINE3(msync): 0, or EINVAL / ENOMEM as Linux answers.
func sys_msync(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var start = regs.arg0
    let flags = regs.arg2 & 0xffff_ffff
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 { return Errno.EINVAL.negated }
    if start & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    if flags & MS_ASYNC != 0 && flags & MS_SYNC != 0 { return Errno.EINVAL.negated }
    let len = PAGE_ALIGN(regs.arg1)
    let end = start &+ len
    if end < start { return Errno.ENOMEM.negated }
    if end == start { return 0 }
    guard let mm = mm_of_current() else { return Errno.ENOMEM.negated }
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    var unmappedError = 0
    var v = find_vma(mm, start)
    while true {
        guard let vma = v else { return Errno.ENOMEM.negated }
        if start < vma.start {
            if flags == MS_ASYNC { return Errno.ENOMEM.negated }
            start = vma.start
            if start >= end { return Errno.ENOMEM.negated }
            unmappedError = Errno.ENOMEM.negated
        }
        // vfs_fsync_range() of a shared file area would go here: a no-op for RAM files.
        start = vma.end
        if start >= end { return unmappedError }
        v = find_vma(mm, start)
    }
}
