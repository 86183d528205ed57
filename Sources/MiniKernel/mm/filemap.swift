// File mappings, filled page by page from the file. Linux: mm/filemap.c
// (filemap_fault), mm/memory.c (do_read_fault, do_cow_fault, do_shared_fault),
// mm/mmap.c (file mappings in do_mmap), fs/binfmt_elf.c (elf_map, padzero).
//
// An area may be backed by a file (vma->vm_file, vm_pgoff): a page not yet
// present is found in the file the first time it is touched. A RAM file's
// pages are its data (fs/ramfs/file_mmu.swift), so they are its page cache:
//  - MAP_SHARED maps the file's own frame, writable: a store through the
//    mapping is a store into the file, seen by read() and by every other
//    mapper, and write() is seen through the mapping (do_shared_fault).
//  - MAP_PRIVATE maps the same frame copy-on-write; the first write copies it
//    (do_cow_fault). A file still borrowed from the initramfs has no frames
//    of its own: its pages are copied once into a page cache.
// Bytes at or past `fileEnd` read as zeros: the ELF loader uses that for the
// partial page where .data meets .bss (padzero), and its areas run on past
// the file into .bss. An mmap() area (fileEnd = .max) ends with the file: a
// page wholly past its end is VM_FAULT_SIGBUS, as filemap_fault answers.
//
// Each file keeps the list of areas that map it (i_mmap), so that a
// shrinking truncate can take the pages past the new end out of every
// mapping (unmap_mapping_range): the next touch there is SIGBUS.

import CShim

/// The area of `mm` now reads its missing pages from `file` (referenced
/// here) at `pgoff`, and is on the file's i_mmap list (vma_link_file).
func vma_set_file(_ mm: MMStruct, _ vma: VMArea, _ file: Dentry, pgoff: UInt64, fileEnd: UInt64) {
    vma.file = file
    vma.pgoff = pgoff
    vma.fileEnd = fileEnd
    vma.mm = mm
    fs_lock.withLock {
        dget_locked(file)
        let inode = file.inode
        vma.iMmapPrev = nil
        vma.iMmapNext = inode.iMmap
        inode.iMmap?.iMmapPrev = vma
        inode.iMmap = vma
    }
}

/// A copy of `from`'s backing for `to` (of `mm`), which starts `delta` bytes further in (split, fork).
func vma_copy_file(_ mm: MMStruct, _ from: VMArea, _ to: VMArea, delta: UInt64) {
    guard let f = from.file else { return }
    vma_set_file(mm, to, f, pgoff: from.pgoff + delta, fileEnd: from.fileEnd)
    if let shp = from.shm {                              // vm_ops->open()
        to.shm = shp
        shm_open(shp)
    }
}

/// fput() of vma->vm_file when the area goes, off the file's i_mmap list.
func vma_put_file(_ vma: VMArea) {
    guard let f = vma.file else { return }
    vma.file = nil
    fs_lock.withLock {
        // Unlinked in O(1): a program's file is mapped by every process running it.
        if let prev = vma.iMmapPrev { prev.iMmapNext = vma.iMmapNext } else { f.inode.iMmap = vma.iMmapNext }
        vma.iMmapNext?.iMmapPrev = vma.iMmapPrev
        vma.iMmapNext = nil
        vma.iMmapPrev = nil
        dput_locked(f)
    }
    if let shp = vma.shm {                               // vm_ops->close(): may destroy the segment
        vma.shm = nil
        shm_close(shp)
    }
}

/// Which truncate last ran unmap_mapping_range (VMArea.truncateSeq). fs_lock.
private var truncate_seq = 0

/// unmap_mapping_range(mapping, holebegin, 0, even_cows = 1), for truncate:
/// every page of `i` at file offset `from` (page-aligned) or beyond leaves
/// every mapping of the file, private copies included, so the next touch
/// there faults and is SIGBUS. Called after the size changed and without
/// fs_lock (a fault takes mmap_lock, then fs_lock): a fault that read the
/// old size holds mmap_lock until its page is in, and the zap comes after
/// it. The ELF loader's areas are not touched: a running program's file
/// cannot be truncated (ETXTBSY).
func unmap_mapping_range(_ i: Inode, from: UInt64) {
    let seq = fs_lock.withLock { () -> Int in truncate_seq += 1; return truncate_seq }
    while true {
        // One mm at a time: find an area not done yet, hold its mm, and
        // do every area of that mm that maps the file.
        let mm = fs_lock.withLock { () -> MMStruct? in
            var v = i.iMmap
            while let vma = v {
                if vma.truncateSeq != seq {
                    vma.truncateSeq = seq
                    if let mm = vma.mm, mmget_not_zero(mm) { return mm }
                }
                v = vma.iMmapNext
            }
            return nil
        }
        guard let mm else { return }
        mm.mmapLock.lock()
        var v = mm.mmap
        while let vma = v {
            v = vma.next
            guard let f = vma.file, f.inode === i, vma.fileEnd == UInt64.max else { continue }
            fs_lock.withLock { vma.truncateSeq = seq }
            let endOff = vma.pgoff + vma.length
            guard endOff > from else { continue }
            let start = from > vma.pgoff ? vma.start + (from - vma.pgoff) : vma.start
            unmap_page_range(mm, start, vma.end)
        }
        mm.mmapLock.unlock()
        mmput(mm)
    }
}

// MARK: - The page cache

/// Frames held by inodes' page caches (reclaimable: leakcheck drops them first).
var nr_pagecache_pages = 0

/// find_or_create_page(): the cached frame for page `index` of `i`, filled
/// from the data (zeros past the end). fs_lock held. Nil when memory is short.
private func find_or_create_page_locked(_ i: Inode, _ index: Int) -> PhysAddr? {
    let slots = (i.size + Int(PAGE_SIZE) - 1) / Int(PAGE_SIZE)
    guard index < slots else { return nil }
    if i.pageCache == nil || i.pageCacheSlots < slots {
        truncate_inode_pages_locked(i)
        guard ramfs_has_room(), let mem = kzalloc(slots * 8) else { return nil }
        i.pageCache = mem.bindMemory(to: UInt64.self, capacity: slots)
        i.pageCacheSlots = slots
    }
    guard let cache = i.pageCache else { return nil }
    if cache[index] != 0 { return PhysAddr(cache[index]) }
    guard ramfs_has_room(), let page = get_zeroed_page() else { return nil }
    let off = index * Int(PAGE_SIZE)
    if let data = i.data {
        page.pointer.copyMemory(from: UnsafeRawPointer(data + off), byteCount: min(Int(PAGE_SIZE), i.size - off))
    }
    cache[index] = page.value
    nr_pagecache_pages += 1
    return page
}

/// truncate_inode_pages(): the cache lets go of every frame (mappings keep
/// theirs: each holds its own reference). fs_lock held.
func truncate_inode_pages_locked(_ i: Inode) {
    guard let cache = i.pageCache else { return }
    for k in 0..<i.pageCacheSlots where cache[k] != 0 {
        put_page(PhysAddr(cache[k]))
        nr_pagecache_pages -= 1
    }
    kfree(UnsafeMutableRawPointer(cache))
    i.pageCache = nil
    i.pageCacheSlots = 0
}

/// drop_caches: every inode's page cache goes (leakcheck, before it counts frames).
func drop_pagecache() {
    guard let root = ramfs_root else { return }
    fs_lock.withLock { drop_pagecache_below(root) }
}

private func drop_pagecache_below(_ d: Dentry) {
    truncate_inode_pages_locked(d.inode)
    var c = d.childHead
    while let e = c {
        drop_pagecache_below(e)
        c = e.siblingNext
    }
}

/// filemap_fault() + do_read_fault()/do_cow_fault()/do_shared_fault(): a
/// frame for `va` holding the file's bytes, zero past the end. A shared area
/// maps the file's own page, made if it was a hole. A private read of a whole
/// file page maps the page cache's frame, shared copy-on-write (so every
/// process running busybox runs the same frames of its text); a write, or the
/// page where the file's part of the area ends (.data meeting .bss), gets a
/// private copy. .sigbus past the end of the file, .sigsegv when memory runs out.
func filemap_fault(_ mm: MMStruct, _ vma: VMArea, _ va: UInt64, _ pte: UnsafeMutablePointer<UInt64>, write: Bool) -> VMFault {
    guard let file = vma.file else { return .sigsegv }
    let off = vma.pgoff + (va - vma.start)
    if off < vma.fileEnd {
        // A page the file should fill but that lies wholly past its end (an
        // mmap past EOF, an ELF segment of a truncated file): SIGBUS.
        let size = fs_lock.withLock { UInt64(file.inode.size) }
        if off >= PAGE_ALIGN(size) { return .sigbus }
    }
    if vma.isShared {
        let frame = fs_lock.withLock { () -> PhysAddr? in
            let inode = file.inode
            // The file's pages become its own before they are written through a mapping.
            guard ramfs_unborrow_locked(inode) else { return nil }
            return ramfs_share_page_locked(inode, Int(off / PAGE_SIZE), create: true)
        }
        guard let frame else { return .sigsegv }
        pte.pointee = mk_pte(frame, vma.flags, cow: false)
        mm.rss += 1
        return .ok
    }
    if !write && off & (PAGE_SIZE - 1) == 0 {
        if do_fault_around(mm, vma, va, pte) { return .ok }
        let shared = fs_lock.withLock { () -> PhysAddr? in
            let inode = file.inode
            guard off < UInt64(inode.size), off + PAGE_SIZE <= vma.fileEnd || vma.fileEnd >= UInt64(inode.size) else { return nil }
            if !ramfs_borrowed(inode) { return ramfs_share_page_locked(inode, Int(off / PAGE_SIZE)) }
            guard let frame = find_or_create_page_locked(inode, Int(off / PAGE_SIZE)) else { return nil }
            get_page(frame)
            return frame
        }
        if let frame = shared {
            pte.pointee = mk_pte(frame, vma.flags, cow: true)
            mm.rss += 1
            return .ok
        }
    }
    guard let page = get_zeroed_page() else { return .sigsegv }
    vma.anonVma = true
    fs_lock.withLock {
        let inode = file.inode
        let end = min(vma.fileEnd, UInt64(inode.size))
        if off < end {
            ramfs_copy_out_locked(inode, Int(off), page.pointer, Int(min(PAGE_SIZE, end - off)))
        }
    }
    pte.pointee = mk_pte(page, vma.flags, cow: false)
    mm.rss += 1
    return .ok
}

/// fault_around_bytes: a read fault in a private file area also maps the
/// file's pages already in memory around it, up to 64 KiB (Linux's default).
private let FAULT_AROUND_PAGES: UInt64 = 16

/// do_fault_around() + filemap_map_pages(): map, copy-on-write, the pages of
/// the 64 KiB-aligned window around `va` that the page cache already holds,
/// within the area and the one page table `pte` is in, where nothing is
/// mapped yet. A page is never read in for this (the faulting one is, by
/// filemap_fault, when it was not there). True when `va` itself got mapped.
/// A program that runs through its text then takes one fault per 16 pages.
private func do_fault_around(_ mm: MMStruct, _ vma: VMArea, _ va: UInt64, _ pte: UnsafeMutablePointer<UInt64>) -> Bool {
    guard let file = vma.file else { return false }
    let window = FAULT_AROUND_PAGES * PAGE_SIZE
    let tableStart = va & ~((1 << 21) - 1)
    let from = max(va & ~(window - 1), vma.start, tableStart)
    var to = min((va & ~(window - 1)) + window, vma.end, tableStart + (1 << 21))
    let table = pte - pte_index(va)
    let bits = mk_pte(PhysAddr(0), vma.flags, cow: true)
    var mapped = 0
    fs_lock.withLock {
        let inode = file.inode
        let size = UInt64(inode.size)
        // Whole pages of the file's part of the area only: the page where
        // .data meets .bss is a private copy (filemap_fault).
        let limit = vma.fileEnd >= size ? size : min(size, vma.fileEnd >= PAGE_SIZE ? vma.fileEnd - PAGE_SIZE + 1 : 0)
        guard limit > vma.pgoff else { to = from; return }
        to = min(to, page_align_up(vma.start + (limit - vma.pgoff)))
        // A borrowed initramfs file's cache, looked up once for the window.
        let cache = ramfs_borrowed(inode) ? inode.pageCache : nil, slots = inode.pageCacheSlots
        if ramfs_borrowed(inode) && cache == nil { return }
        var a = from
        while a < to {
            let slot = table + pte_index(a)
            let index = Int((vma.pgoff + (a - vma.start)) / PAGE_SIZE)
            if slot.pointee == 0 {
                var frame: PhysAddr? = nil
                if let cache {
                    if index < slots && cache[index] != 0 { frame = PhysAddr(cache[index]); get_page(PhysAddr(cache[index])) }
                } else {
                    frame = ramfs_share_page_locked(inode, index)
                }
                if let frame {
                    slot.pointee = frame.value | bits
                    mapped += 1
                }
            }
            a += PAGE_SIZE
        }
    }
    mm.rss += mapped
    return pte_frame(pte.pointee) != nil
}

/// mmap() of a file: a regular file, MAP_PRIVATE opened for reading, MAP_SHARED
/// also for writing when PROT_WRITE is asked. The checks in do_mmap()'s order.
func do_mmap_file(_ mm: MMStruct, _ addr: UInt64, _ len: UInt64, _ prot: UInt64, _ flags: UInt64,
                  _ fd: UInt64, _ off: UInt64) -> Int {
    guard let f = fget(fd & 0xffff_ffff) else { return Errno.EBADF.negated }
    defer { fput(f) }
    if len == 0 { return Errno.EINVAL.negated }
    if off > UInt64(Int64.max) - PAGE_ALIGN(len) { return Errno.EOVERFLOW.negated }
    var type = flags & MAP_TYPE
    switch type {
    case MAP_SHARED, MAP_SHARED_VALIDATE:
        if prot & PROT_WRITE != 0 && !f.writable { return Errno.EACCES.negated }
        // A read-only descriptor's shared mapping can never be written: it
        // is made private without VM_MAYWRITE, so mprotect cannot add PROT_WRITE.
        if !f.writable { type = MAP_PRIVATE }
        fallthrough
    case MAP_PRIVATE:
        guard f.readable else { return Errno.EACCES.negated }
        guard f.kind == .regular, f.dentry != nil else { return Errno.ENODEV.negated }
    default:
        return Errno.EINVAL.negated
    }
    guard let d = f.dentry else { return Errno.ENODEV.negated }
    // memfd_check_seals_mmap(): a write-sealed memfd maps shared only read-only,
    // and for good (no VM_MAYWRITE).
    let writeSealed = d.inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0
    if writeSealed && type != MAP_PRIVATE && prot & PROT_WRITE != 0 { return Errno.EPERM.negated }
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    let shared = type != MAP_PRIVATE
    let r = __do_mmap(mm, addr, len, prot, (flags & ~MAP_TYPE) | (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
                      extra: [], file: d, pgoff: off)
    if r >= 0 && !shared && flags & MAP_TYPE != MAP_PRIVATE, let vma = find_vma(mm, UInt64(r)) {
        vma.flags.remove(.mayWrite)
        vma.flags.insert(.mayShare)
    }
    if r >= 0 && shared && writeSealed, let vma = find_vma(mm, UInt64(r)) { vma.flags.remove(.mayWrite) }
    return r
}

/// mapping_writably_mapped(): does a shared mapping that may be written map
/// `i`? (F_SEAL_WRITE is refused then.) fs_lock held.
func mapping_writably_mapped_locked(_ i: Inode) -> Bool {
    var v = i.iMmap
    while let vma = v {
        if vma.isShared && vma.flags.contains(.mayWrite) { return true }
        v = vma.iMmapNext
    }
    return false
}
