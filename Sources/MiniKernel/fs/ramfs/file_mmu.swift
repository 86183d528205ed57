// A RAM file's data. Linux: fs/ramfs/file-mmu.c, mm/shmem.c (the page-per-index idea),
// mm/filemap.c (the page cache a ramfs file lives in).
//
// A regular file's bytes live in pages, one frame per page index, allocated as they
// are written (a page never written is a hole and reads as zeros): so a file can grow
// as far as free memory goes, without ever needing a large contiguous block, and
// mappings share the very frames (mm/filemap.swift). A file unpacked from the
// initramfs keeps pointing into the archive until its first write or truncation
// copies it into pages ("unborrow"). All of it runs under fs_lock.

import CShim

private let PG = Int(PAGE_SIZE)

/// Is the file still the archive's bytes (one contiguous borrowed block)?
func ramfs_borrowed(_ i: Inode) -> Bool { i.data != nil && i.capacity == 0 && i.isReg }

/// The frame address (direct map) of page `idx`, made (zeroed) when `create`; nil for a hole.
private func ramfs_page_locked(_ i: Inode, _ idx: Int, create: Bool) -> UInt64? {
    if idx < i.pageSlots, let pages = i.pages, pages[idx] != 0 { return pages[idx] }
    guard create else { return nil }
    if idx >= i.pageSlots {
        var n = max(i.pageSlots, 16)
        while n <= idx { n *= 2 }
        guard let mem = kzalloc(n * 8) else { return nil }
        let fresh = mem.bindMemory(to: UInt64.self, capacity: n)
        if let old = i.pages {
            for k in 0..<i.pageSlots { fresh[k] = old[k] }
            kfree(UnsafeMutableRawPointer(old))
        }
        i.pages = fresh
        i.pageSlots = n
    }
    guard ramfs_has_room(), let page = get_zeroed_page(), let pages = i.pages else { return nil }
    pages[idx] = page.virt
    i.nrPages += 1
    return page.virt
}

/// The archive's bytes become the file's own pages (before the first change).
func ramfs_unborrow_locked(_ i: Inode) -> Bool {
    guard ramfs_borrowed(i), let src = i.data else { return true }
    truncate_inode_pages_locked(i)
    var off = 0
    while off < i.size {
        guard let va = ramfs_page_locked(i, off / PG, create: true) else {
            ramfs_drop_pages_from_locked(i, 0)
            return false
        }
        UnsafeMutableRawPointer(bitPattern: UInt(va))!.copyMemory(from: UnsafeRawPointer(src + off), byteCount: min(PG, i.size - off))
        off += PG
    }
    i.data = nil
    return true
}

/// Pages wholly past `len` go (a mapping keeps its own reference); the rest
/// of the page holding `len` is zeroed, so growing again reads zeros.
func ramfs_drop_pages_from_locked(_ i: Inode, _ len: Int) {
    guard let pages = i.pages else { return }
    let first = (len + PG - 1) / PG
    if first < i.pageSlots {
        for k in first..<i.pageSlots where pages[k] != 0 {
            put_page(__pa(pages[k]))
            pages[k] = 0
            i.nrPages -= 1
        }
    }
    if len % PG != 0, len / PG < i.pageSlots, pages[len / PG] != 0 {
        (UnsafeMutableRawPointer(bitPattern: UInt(pages[len / PG]))! + len % PG).initializeMemory(as: UInt8.self, repeating: 0, count: PG - len % PG)
    }
}

/// `n` bytes at `off` (inside the file) into kernel memory; holes read as zeros.
func ramfs_copy_out_locked(_ i: Inode, _ off: Int, _ dst: UnsafeMutableRawPointer, _ n: Int) {
    if ramfs_borrowed(i) || i.isLink, let d = i.data {
        dst.copyMemory(from: UnsafeRawPointer(d + off), byteCount: n)
        return
    }
    var done = 0
    while done < n {
        let p = off + done
        let k = min(n - done, PG - p % PG)
        if let va = ramfs_page_locked(i, p / PG, create: false) {
            (dst + done).copyMemory(from: UnsafeRawPointer(bitPattern: UInt(va + UInt64(p % PG)))!, byteCount: k)
        } else {
            (dst + done).initializeMemory(as: UInt8.self, repeating: 0, count: k)
        }
        done += k
    }
}

/// `n` bytes from kernel memory to `off`, making pages as needed. False when memory runs out.
func ramfs_copy_in_locked(_ i: Inode, _ off: Int, _ src: UnsafeRawPointer, _ n: Int) -> Bool {
    guard ramfs_unborrow_locked(i) else { return false }
    var done = 0
    while done < n {
        let p = off + done
        let k = min(n - done, PG - p % PG)
        guard let va = ramfs_page_locked(i, p / PG, create: true) else { return false }
        UnsafeMutableRawPointer(bitPattern: UInt(va + UInt64(p % PG)))!.copyMemory(from: src + done, byteCount: k)
        done += k
    }
    return true
}

/// fallocate(): pages for [off, end) now, so that later writes there cannot fail.
func ramfs_allocate_locked(_ i: Inode, _ off: Int, _ end: Int) -> Bool {
    guard ramfs_unborrow_locked(i) else { return false }
    var p = off / PG
    while p * PG < end {
        guard ramfs_page_locked(i, p, create: true) != nil else { return false }
        p += 1
    }
    return true
}

/// The frame of page `idx` for a mapping to share (get_page'd), or nil (a hole,
/// or borrowed). `create` fills a hole with a zeroed page first (MAP_SHARED).
func ramfs_share_page_locked(_ i: Inode, _ idx: Int, create: Bool = false) -> PhysAddr? {
    guard !ramfs_borrowed(i), let va = ramfs_page_locked(i, idx, create: create) else { return nil }
    let frame = __pa(va)
    get_page(frame)
    return frame
}

/// The whole file in one kmalloc'd block, for exec's loaders (the caller kfree()s it);
/// nil when it is too big for one block. Borrowed files are used in place (owned false).
func ramfs_contiguous_locked(_ i: Inode, _ owned: inout Bool) -> ByteString? {
    if ramfs_borrowed(i) || i.size == 0 { owned = false; return i.bytes }
    guard let mem = kmalloc(i.size) else { return nil }
    ramfs_copy_out_locked(i, 0, mem, i.size)
    owned = true
    return ByteString(UnsafePointer(mem.assumingMemoryBound(to: UInt8.self)), count: i.size)
}
