// mremap(2): growing, shrinking and moving an area. Linux: mm/mremap.c.
//
// Shrinking always happens in place (the tail is unmapped). Growing happens in
// place when the range ends where its area ends and nothing follows within
// the new length; otherwise, with MREMAP_MAYMOVE, the area moves: a new area
// gets the old one's permissions and file, and the page-table entries
// themselves are carried over (move_page_tables), so anonymous pages,
// copy-on-write shares and file pages go along without a copy. MREMAP_FIXED
// names the destination and unmaps whatever was there. Shared anonymous
// memory is made when mapped (mm/mmap.swift) and does not grow: the part an
// area grows by lies past its end and faults with SIGBUS, as past the end of
// Linux's shmem object.
//
// MREMAP_DONTUNMAP leaves the old range mapped: a private one empty (its
// next touch reads zeros, or the file), a shared one still showing the same
// pages, as a shmem or file mapping does in Linux.
//
// The checks follow check_mremap_params() and check_prep_vma() in order.
// Simplified: an old length of 0 (a second mapping of the same shared pages)
// is answered only for file mappings; shared anonymous memory has no object
// here to map twice, and gets EINVAL.

import CShim

let MREMAP_MAYMOVE: UInt64 = 1, MREMAP_FIXED: UInt64 = 2, MREMAP_DONTUNMAP: UInt64 = 4

/// move_page_tables(): the entries of [old, old+len) go to [new, new+len);
/// with `keep` (a shared area under MREMAP_DONTUNMAP) the old ones stay and
/// each frame gains a reference. mmap_lock held. False when a page table
/// cannot be made (those moved stay moved).
private func move_page_tables(_ mm: MMStruct, _ old: UInt64, _ new: UInt64, _ len: UInt64, keep: Bool) -> Bool {
    var ok = true
    walk_page_range(mm.pgd, old, old + len) { va, opte in
        guard ok else { return }
        guard let npte = pte_offset(mm, new + (va - old), create: true) else { ok = false; return }
        npte.pointee = opte.pointee
        if keep, let frame = pte_frame(opte.pointee) {
            get_page(frame)
            mm.rss += 1
        } else {
            opte.pointee = 0
        }
    }
    // No CPU may go on using the old translations.
    flush_tlb_mm_range(mm, start: old, end: old + len)
    return ok
}

/// move_vma(): a new area [newAddr, newAddr+newLen) like `vma`, the pages of
/// [oldAddr, oldAddr+oldLen) moved into it, the old range unmapped (left
/// mapped under MREMAP_DONTUNMAP). Lock held.
private func move_vma(_ mm: MMStruct, _ vma: VMArea, _ oldAddr: UInt64, _ oldLen: UInt64,
                      _ newAddr: UInt64, _ newLen: UInt64, dontUnmap: Bool) -> Int {
    // Splitting the old area may need up to three more.
    if mm.mapCount >= MAX_MAP_COUNT - 3 { return Errno.ENOMEM.negated }
    let new = VMArea(start: newAddr, end: newAddr + newLen, flags: vma.flags)
    vma_copy_file(mm, vma, new, delta: oldAddr - vma.start)
    new.anonVma = vma.anonVma
    insert_vma(mm, new)
    let moved = move_page_tables(mm, oldAddr, newAddr, oldLen, keep: dontUnmap && vma.isShared)
    if !dontUnmap { _ = __do_munmap(mm, oldAddr, oldLen) }
    if !moved { return Errno.ENOMEM.negated }
    return Int(newAddr)
}

/// vma_expandable(): nothing in [vma.end, vma.end + delta), and it stays in the user half.
private func vma_expandable(_ mm: MMStruct, _ vma: VMArea, _ delta: UInt64) -> Bool {
    let end = vma.end &+ delta
    if end < vma.end || end > TASK_SIZE { return false }
    return find_vma_intersection(mm, vma.end, end) == nil
}

/// do_mremap(): the area's (new) address, or -errno.
func do_mremap(_ mm: MMStruct, _ addr: UInt64, _ oldLenIn: UInt64, _ newLenIn: UInt64,
               _ flags: UInt64, _ newAddrIn: UInt64) -> Int {
    var oldLen = PAGE_ALIGN(oldLenIn)
    let newLen = PAGE_ALIGN(newLenIn)
    var newAddr = newAddrIn
    // check_mremap_params()
    if flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP) != 0 { return Errno.EINVAL.negated }
    if addr & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    if newLen == 0 || newLen > TASK_SIZE { return Errno.EINVAL.negated }
    let toNewAddr = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
    if toNewAddr {
        if newAddr > TASK_SIZE - newLen || newAddr & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
        if flags & MREMAP_MAYMOVE == 0 { return Errno.EINVAL.negated }
        if flags & MREMAP_DONTUNMAP != 0 && oldLen != newLen { return Errno.EINVAL.negated }
        if addr &+ oldLen > newAddr && newAddr + newLen > addr { return Errno.EINVAL.negated }
        if mm.mapCount + 2 >= MAX_MAP_COUNT - 3 { return Errno.ENOMEM.negated }
    }

    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    // check_prep_vma()
    guard var vma = find_vma(mm, addr), vma.start <= addr else { return Errno.EFAULT.negated }
    if !toNewAddr {
        if newLen == oldLen { return Int(addr) }
        if newLen < oldLen {
            let r = __do_munmap(mm, addr + newLen, oldLen - newLen)
            return r < 0 ? r : Int(addr)
        }
    }
    // From here on a new range is mapped: growing, or moving.
    if oldLen == 0 && (!vma.flags.contains(.mayShare) || vma.file == nil) { return Errno.EINVAL.negated }
    if min(oldLen, newLen) > vma.end - addr { return Errno.EFAULT.negated }
    let delta = newLen > oldLen ? newLen - oldLen : 0
    if delta > 0 && !vma.isShared && vma.flags.contains(.write) && !vm_enough_memory(pages: delta >> PAGE_SHIFT) {
        return Errno.ENOMEM.negated
    }

    if toNewAddr {
        // mremap_to(): a fixed destination is cleared first, then the area found
        // again; without MREMAP_FIXED (MREMAP_DONTUNMAP alone) the address is a hint.
        if flags & MREMAP_FIXED != 0 {
            let r = __do_munmap(mm, newAddr, newLen)
            if r < 0 { return r }
            guard let v = find_vma(mm, addr), v.start <= addr else { return Errno.EFAULT.negated }
            vma = v
        } else {
            let placed = get_unmapped_area(mm, newAddr, newLen, vma.flags.contains(.mayShare) ? MAP_SHARED : MAP_PRIVATE)
            if placed < 0 { return placed }
            newAddr = UInt64(placed)
        }
        if newLen < oldLen {
            let r = __do_munmap(mm, addr + newLen, oldLen - newLen)
            if r < 0 { return r }
            oldLen = newLen
        }
        return move_vma(mm, vma, addr, oldLen, newAddr, newLen, dontUnmap: flags & MREMAP_DONTUNMAP != 0)
    }
    // expand_vma(): in place when the range ends with its area and the space after is free.
    if vma.end - addr == oldLen && vma_expandable(mm, vma, delta) {
        vma.end += delta
        return Int(addr)
    }
    if flags & MREMAP_MAYMOVE == 0 { return Errno.ENOMEM.negated }
    let placed = get_unmapped_area(mm, 0, newLen, vma.flags.contains(.mayShare) ? MAP_SHARED : MAP_PRIVATE)
    if placed < 0 { return placed }
    newAddr = UInt64(placed)
    return move_vma(mm, vma, addr, oldLen, newAddr, newLen, dontUnmap: false)
}

/// SYSCALL_DEFINE5(mremap).
func sys_mremap(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let mm = mm_of_current() else { return Errno.ENOMEM.negated }
    return do_mremap(mm, regs.arg0, regs.arg1, regs.arg2, regs.arg3, regs.arg4)
}
