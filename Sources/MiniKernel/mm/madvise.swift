// madvise(2). Linux: mm/madvise.c.
//
// The advice MiniKernel knows: MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL and
// MADV_WILLNEED only tune read-ahead and swap-in in Linux, which a RAM-only
// kernel has none of, so they are accepted and change nothing (Linux also
// records RANDOM/SEQUENTIAL in vm_flags, visible only in /proc). MADV_DONTNEED
// drops the pages: private anonymous memory reads as zeros afterwards, a file
// area reads the file again. Any other advice is EINVAL, including the ones
// Linux accepts that are not here (MADV_FREE, MADV_DONTFORK, MADV_REMOVE...).

import CShim

let MADV_NORMAL: UInt64 = 0, MADV_RANDOM: UInt64 = 1, MADV_SEQUENTIAL: UInt64 = 2
let MADV_WILLNEED: UInt64 = 3, MADV_DONTNEED: UInt64 = 4

/// madvise_behavior_valid().
private func madvise_behavior_valid(_ behavior: UInt64) -> Bool {
    switch behavior {
    case MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED: return true
    default: return false
    }
}

/// madvise_dontneed_free() → zap_page_range_single(): the entries of
/// [start, end) go; the next touch faults in zeros or the file's bytes.
private func madvise_dontneed(_ mm: MMStruct, _ start: UInt64, _ end: UInt64) {
    unmap_page_range(mm, start, end)
}

/// do_madvise(): 0, or EINVAL for bad input, ENOMEM when part of the range is
/// unmapped (the mapped parts are still advised, as Linux does).
func do_madvise(_ mm: MMStruct, _ startIn: UInt64, _ lenIn: UInt64, _ behavior: UInt64) -> Int {
    // madvise_should_skip()
    if !madvise_behavior_valid(behavior) { return Errno.EINVAL.negated }
    if startIn & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    let len = PAGE_ALIGN(lenIn)
    if lenIn != 0 && len == 0 { return Errno.EINVAL.negated }
    let end = startIn &+ len
    if end < startIn { return Errno.EINVAL.negated }
    if end == startIn { return 0 }

    // madvise_walk_vmas(): unmapped gaps are skipped, and reported at the end.
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    var start = startIn
    var unmappedError = 0
    var v = find_vma(mm, start)
    while true {
        guard let vma = v else { return Errno.ENOMEM.negated }
        if start < vma.start {
            unmappedError = Errno.ENOMEM.negated
            start = vma.start
            if start >= end { break }
        }
        let tmp = min(vma.end, end)
        // Shared anonymous memory keeps its pages: in Linux they stay in the
        // shmem object and the next touch maps them again; here the frames
        // are the object, so they stay mapped (the same bytes either way).
        if behavior == MADV_DONTNEED && !(vma.isShared && vma.file == nil) { madvise_dontneed(mm, start, tmp) }
        start = tmp
        if start >= end { break }
        v = find_vma(mm, start)
    }
    return unmappedError
}

/// SYSCALL_DEFINE3(madvise).
func sys_madvise(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let mm = mm_of_current() else { return Errno.ENOMEM.negated }
    return do_madvise(mm, regs.arg0, regs.arg1, regs.arg2 & 0xffff_ffff)
}
