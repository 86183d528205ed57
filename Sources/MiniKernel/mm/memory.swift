// User page tables: faults, copy-on-write, fork's copy, unmapping.
// Linux: mm/memory.c (handle_mm_fault, do_anonymous_page, do_wp_page,
// copy_page_range, unmap_page_range, free_pgtables), kernel/fork.c
// (dup_mm, dup_mmap), arch/x86/include/asm/mmu_context.h (switch_mm).
//
// Shape: anonymous memory only (the ELF loader copies file bytes into
// anonymous frames), 4 KiB pages only, frames reference-counted in their
// struct page (get_page/put_page). A user PTE always carries `.user`, and
// `.noExecute` unless the VMA is VM_EXEC. A private page shared after fork is
// read-only with the software `.cow` bit; the first write copies it (or just
// makes it writable when it has become the only user). A PROT_NONE page keeps
// its frame in a non-present entry marked `.protNone` (Linux's _PAGE_PROTNONE).
//
// Every function here takes `mm.mmapLock` itself when it is an entry point
// (handle_mm_fault, dup_mm); helpers whose name starts with `__` expect it held.

import CShim
import Synchronization

// MARK: - PTE helpers

/// The frame an entry maps, present or PROT_NONE; nil for an empty entry.
@inline(__always)
func pte_frame(_ e: UInt64) -> PhysAddr? {
    if e & (PTEFlags.present.rawValue | PTEFlags.protNone.rawValue) == 0 { return nil }
    return PhysAddr(e & PTE_ADDR_MASK)
}

/// vm_get_page_prot(): the PTE bits an area's permissions give, without the
/// write bit (which depends on whether the frame is exclusively ours).
func vm_get_page_prot(_ flags: VMFlags) -> PTEFlags {
    if flags.intersection(.accessFlags).isEmpty { return .protNone }
    var p = PTEFlags.present.union(.user)
    if !flags.contains(.exec) { p.insert(.noExecute) }
    return p
}

/// The full entry for `frame` in an area with `flags`; `cow` says the frame
/// may be shared with another mm (fork) and must be copied before a write.
func mk_pte(_ frame: PhysAddr, _ flags: VMFlags, cow: Bool) -> UInt64 {
    var p = vm_get_page_prot(flags)
    if cow && !flags.contains(.shared) { p.insert(.cow) }
    else if flags.contains(.write) && p.contains(.present) { p.insert(.writable) }
    return frame.value | p.rawValue
}

/// pte_offset_map / __pte_alloc: the entry slot for a user address, the
/// tables made (and counted in mm.nrPtes) when `create`.
func pte_offset(_ mm: MMStruct, _ va: UInt64, create: Bool) -> UnsafeMutablePointer<UInt64>? {
    var t = mm.pgd
    for level in 0..<3 {
        let i = level == 0 ? pgd_index(va) : level == 1 ? pud_index(va) : pmd_index(va)
        let e = t[i]
        if e & PTEFlags.present.rawValue != 0 {
            if e & PTEFlags.huge.rawValue != 0 { return nil }
            t = PageTable(pa: PhysAddr(e & PTE_ADDR_MASK))
            continue
        }
        guard create, let page = get_zeroed_page() else { return nil }
        t[i] = page.value | PTEFlags.table.rawValue
        mm.nrPtes += 1
        mm.ptPages = pageListAdd(page.pfn, head: mm.ptPages)
        t = PageTable(pa: page)
    }
    return t.entries + pte_index(va)
}

/// Calls `body` for every leaf slot in use (non-zero) in [start, end) of the
/// user half, skipping whole absent tables (so a sparse 1 GiB area is cheap).
func walk_page_range(_ pgd: PageTable, _ start: UInt64, _ end: UInt64,
                     _ body: (UInt64, UnsafeMutablePointer<UInt64>) -> Void) {
    var va = start
    let stop = min(end, TASK_SIZE)
    while va < stop {
        guard let pud = pgd.next(pgd_index(va), create: false) else {
            va = (va | ((1 << 39) - 1)) &+ 1; continue
        }
        guard let pmd = pud.next(pud_index(va), create: false) else {
            va = (va | ((1 << 30) - 1)) &+ 1; continue
        }
        guard let pt = pmd.next(pmd_index(va), create: false) else {
            va = (va | ((1 << 21) - 1)) &+ 1; continue
        }
        // The slots of this table in range: a tight scan, the address
        // worked out only for a slot in use.
        let tableVA = va & ~((1 << 21) - 1)
        let tableEnd = min(tableVA &+ (1 << 21), stop)
        let entries = pt.entries
        for i in pte_index(va)..<pte_index(tableEnd - 1) + 1 where entries[i] != 0 {
            body(tableVA + UInt64(i) << PAGE_SHIFT, entries + i)
        }
        va = tableEnd
    }
}

/// Flushes one user page from every TLB that may hold it (tlb.swift).
@inline(__always)
func flush_tlb_page(_ mm: MMStruct, _ va: UInt64) {
    flush_tlb_mm_range(mm, start: va, end: va + PAGE_SIZE)
}

/// flush_tlb_mm(): every translation of `mm`, on every CPU that has it loaded.
func flush_tlb_mm(_ mm: MMStruct) {
    flush_tlb_mm_range(mm, start: 0, end: TASK_SIZE)
}

// MARK: - Faults

/// vm_fault_t, reduced to what the fault's caller acts on: resolved, a bad
/// access (SIGSEGV, or -EFAULT from a user copy), or a file page that does
/// not exist (VM_FAULT_SIGBUS: past the end of a mapped file).
enum VMFault { case ok, sigsegv, sigbus }

/// handle_mm_fault(): resolve a fault at `address` in `mm`, or say why it
/// cannot be (the caller then sends the signal or takes the exception-table
/// fixup). Demand-zero for anonymous areas (including the stack), file pages,
/// copy-on-write, and the access checks of arch/x86/mm/fault.c access_error().
func handle_mm_fault(_ mm: MMStruct, _ address: UInt64, _ error: PFErrorCode) -> VMFault {
    if error.contains(.reserved) { return .sigsegv }
    mm.mmapLock.lock()
    let r = __handle_mm_fault(mm, address, write: error.contains(.write), instr: error.contains(.instr))
    mm.mmapLock.unlock()
    mm_account_fault(r)
    return r
}

/// mm_account_fault(): a resolved fault counts for the task that took it
/// (a fault in a user copy too). Every page is in RAM, so none is major.
private func mm_account_fault(_ r: VMFault) {
    if r == .ok { current.counts.minFlt += 1 }
}

func __handle_mm_fault(_ mm: MMStruct, _ address: UInt64, write: Bool, instr: Bool) -> VMFault {
    guard address < TASK_SIZE, let vma = find_vma(mm, address) else { return .sigsegv }
    // lock_mm_and_find_vma(): below a stack, the stack grows (expand_stack).
    if vma.start > address && !expand_downwards(mm, vma, address) { return .sigsegv }
    // access_error()
    if write {
        if !vma.flags.contains(.write) { return .sigsegv }
    } else if instr {
        if !vma.flags.contains(.exec) { return .sigsegv }
    } else if vma.flags.intersection(.accessFlags).isEmpty {
        return .sigsegv
    }
    let va = page_align_down(address)
    guard let pte = pte_offset(mm, va, create: true) else { return .sigsegv }   // OOM: SIGSEGV (Linux: VM_FAULT_OOM)
    let e = pte.pointee
    guard let frame = pte_frame(e) else {
        if vma.file != nil { return filemap_fault(mm, vma, va, pte, write: write) }
        // Shared anonymous memory is all made at mmap: a hole is past its end
        // (mremap grew the area; shmem_fault's SIGBUS beyond i_size).
        if vma.isShared { return .sigbus }
        return do_anonymous_page(mm, vma, pte) != nil ? .ok : .sigsegv
    }
    if write && e & PTEFlags.writable.rawValue == 0 {
        return do_wp_page(mm, vma, va, pte, frame) ? .ok : .sigsegv
    }
    // Spurious (a stale TLB entry, or another CPU got here first): rewrite
    // the entry from the area so that it cannot fault the same way again.
    pte.pointee = mk_pte(frame, vma.flags, cow: e & PTEFlags.cow.rawValue != 0)
    flush_tlb_page(mm, va)
    return .ok
}

/// do_wp_page(): a write to a present read-only page of a writable area.
/// Shared areas: just allow it. Private: reuse the frame if we are its only
/// user (wp_page_reuse), else copy it (wp_page_copy) and drop our reference.
private func do_wp_page(_ mm: MMStruct, _ vma: VMArea, _ va: UInt64,
                        _ pte: UnsafeMutablePointer<UInt64>, _ frame: PhysAddr) -> Bool {
    if vma.isShared || page_count(frame) == 1 {
        if !vma.isShared { vma.anonVma = true }
        pte.pointee = mk_pte(frame, vma.flags, cow: false)
    } else {
        return wp_page_copy(mm, vma, va, pte, frame) != nil
    }
    flush_tlb_page(mm, va)
    return true
}

/// do_anonymous_page(): a fresh zeroed frame for an empty entry, ours alone.
private func do_anonymous_page(_ mm: MMStruct, _ vma: VMArea, _ pte: UnsafeMutablePointer<UInt64>) -> PhysAddr? {
    guard let page = get_zeroed_page() else { return nil }
    vma.anonVma = true
    pte.pointee = mk_pte(page, vma.flags, cow: false)
    mm.rss += 1
    return page
}

/// wp_page_copy(): the entry gets a private copy of a frame others still
/// share, and our reference to the old one goes.
private func wp_page_copy(_ mm: MMStruct, _ vma: VMArea, _ va: UInt64,
                          _ pte: UnsafeMutablePointer<UInt64>, _ frame: PhysAddr) -> PhysAddr? {
    guard let copy = alloc_page() else { return nil }
    copy_page(copy.pointer, frame.pointer)
    vma.anonVma = true
    pte.pointee = mk_pte(copy, vma.flags, cow: false)
    // Flush before letting go: no CPU may still see the old frame.
    flush_tlb_page(mm, va)
    put_page(frame)
    return copy
}

/// follow_page(): the frame mapped at user address `va` in `mm` without
/// faulting anything in or changing any entry (nil when nothing is mapped
/// there). Takes the lock. For identities (a futex key on shared memory,
/// whose frames exist from mmap on), not for access.
func follow_page_frame(_ mm: MMStruct, _ va: UInt64) -> PhysAddr? {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    guard va < TASK_SIZE, let pte = pte_offset(mm, page_align_down(va), create: false) else { return nil }
    return pte_frame(pte.pointee)
}

/// The frame behind a user page, faulted in for writing whatever the area's
/// permissions (FOLL_FORCE, as ptrace and exec's own stack writes use), with
/// copy-on-write broken so the caller may write it. nil outside every area.
/// The caller holds mm.mmapLock (access_remote_vm is the locked form).
func __get_page_for_write(_ mm: MMStruct, _ va: UInt64) -> PhysAddr? {
    // get_arg_page(): exec's writes below the stack grow it as a fault would.
    guard let vma = find_vma(mm, va), vma.start <= va || expand_downwards(mm, vma, va),
          let pte = pte_offset(mm, page_align_down(va), create: true) else { return nil }
    var e = pte.pointee
    if pte_frame(e) == nil {
        // A file page comes in from the file (a private copy: this is a write).
        guard vma.file != nil else { return do_anonymous_page(mm, vma, pte) }
        guard filemap_fault(mm, vma, page_align_down(va), pte, write: true) == .ok else { return nil }
        e = pte.pointee
    }
    guard let frame = pte_frame(e) else { return nil }
    if e & PTEFlags.cow.rawValue == 0 || vma.isShared || page_count(frame) == 1 {
        if e & PTEFlags.cow.rawValue != 0 { vma.anonVma = true; pte.pointee = mk_pte(frame, vma.flags, cow: false) }
        return frame
    }
    return wp_page_copy(mm, vma, va, pte, frame)
}

/// access_remote_vm(): read or write another mm's memory through the direct
/// map (exec building a new stack, tests). Reads never allocate: a page not
/// yet faulted in reads as zeros, as it would. Returns false outside the
/// areas. Takes the mm's lock.
func access_remote_vm(_ mm: MMStruct, _ addr: UInt64, _ buf: UnsafeMutableRawPointer, _ len: Int, write: Bool) -> Bool {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    var done = 0
    while done < len {
        let va = addr &+ UInt64(done)
        if va < addr || va >= TASK_SIZE { return false }
        let off = Int(va & (PAGE_SIZE - 1))
        let n = min(len - done, Int(PAGE_SIZE) - off)
        if write {
            guard let frame = __get_page_for_write(mm, va) else { return false }
            (frame.pointer + off).copyMemory(from: UnsafeRawPointer(buf + done), byteCount: n)
        } else {
            guard let vma = find_vma(mm, va), vma.start <= va else { return false }
            if let pte = pte_offset(mm, page_align_down(va), create: false), let frame = pte_frame(pte.pointee) {
                (buf + done).copyMemory(from: UnsafeRawPointer(frame.pointer + off), byteCount: n)
            } else {
                (buf + done).initializeMemory(as: UInt8.self, repeating: 0, count: n)
            }
        }
        done += n
    }
    return true
}

// MARK: - Unmapping and freeing

/// unmap_page_range(): clear every entry in [start, end) and drop the frames'
/// references. The page tables stay (exit_mmap frees them).
///
/// Two passes, as Linux's mmu_gather: the entries are cleared and every TLB
/// that may hold them flushed before any frame is let go. Freed first, a
/// frame could be handed to someone else while another CPU still reads or
/// writes it through a stale translation. Between the passes an entry
/// keeps only its frame address (no flag bits, so not present and not
/// PROT_NONE): a shape no live entry has.
func unmap_page_range(_ mm: MMStruct, _ start: UInt64, _ end: UInt64) {
    // Linux's callers (unmap_region, zap_page_range_single) do this first.
    update_hiwater_rss(mm)
    // When nobody else can be using these translations (one user — us, or
    // nobody at exit — and no other CPU has the mm loaded), frames go at once,
    // as on a uniprocessor: the kernel does not touch the addresses it unmaps.
    let me: UInt64 = 1 << UInt64(smp_processor_id())
    let freeNow = mm_users(mm) <= 1 && mm.cpuMask.load(ordering: .acquiring) & ~me == 0
    var any = false
    walk_page_range(mm.pgd, start, end) { _, pte in
        guard let frame = pte_frame(pte.pointee) else { return }
        any = true
        guard freeNow else { pte.pointee = frame.value; return }
        pte.pointee = 0
        put_page(frame)
        mm.rss -= 1
    }
    guard any else { return }
    flush_tlb_mm_range(mm, start: start, end: end)
    guard !freeNow else { return }
    walk_page_range(mm.pgd, start, end) { _, pte in
        let v = pte.pointee
        guard v != 0 && v & ~PTE_ADDR_MASK == 0 else { return }
        pte.pointee = 0
        put_page(PhysAddr(v))
        mm.rss -= 1
    }
}

/// free_pgtables() for the whole user half, then the PGD itself: the last
/// step of exit_mmap. Linux finds the tables by walking the areas' ranges;
/// ours are on mm.ptPages (munmap leaves its tables in place, so the areas do
/// not say where they all are), and freeing them reads no entry. A frame
/// still mapped (rss != 0: exit_mmap has normally unmapped every area
/// already) is looked for in the whole user half and dropped first.
func free_pgd_range(_ mm: MMStruct) {
    if mm.rss != 0 {
        walk_page_range(mm.pgd, 0, TASK_SIZE) { _, pte in
            guard let frame = pte_frame(pte.pointee) else { return }
            pte.pointee = 0
            put_page(frame)
            mm.rss -= 1
        }
    }
    while mm.ptPages >= 0 {
        let pfn = Int(mm.ptPages)
        mm.ptPages = pageListDel(pfn, head: mm.ptPages)
        free_page(pfn_to_phys(pfn))
        mm.nrPtes -= 1
    }
    free_page(mm.pgd.pa)
}

// MARK: - fork

/// copy_page_range(): give `dst` the pages of `vma` in `src`. Shared areas
/// share the frames as they are; private ones become read-only + cow in BOTH
/// mms (the parent's TLB is flushed by dup_mm). Every copied entry takes a
/// frame reference. Returns false when a page table cannot be allocated.
///
/// vma_needs_copy(): a file area none of whose pages is a private copy is
/// left empty in the child, whose faults read the same pages from the file:
/// fork of a big program then costs nothing for its text.
func copy_page_range(dst: MMStruct, src: MMStruct, _ vma: VMArea) -> Bool {
    if vma.file != nil && !vma.anonVma { return true }
    var ok = true
    // The child's leaf table for the 2 MiB the walk is in, looked up once.
    var dstTable: UnsafeMutablePointer<UInt64>? = nil
    var dstTableVA = UInt64.max
    walk_page_range(src.pgd, vma.start, vma.end) { va, spte in
        guard ok, let frame = pte_frame(spte.pointee) else { return }
        let tableVA = va & ~((1 << 21) - 1)
        if tableVA != dstTableVA {
            guard let slot = pte_offset(dst, va, create: true) else { ok = false; return }
            dstTable = slot - pte_index(va)
            dstTableVA = tableVA
        }
        guard let dstTable else { return }
        if !vma.isShared {
            spte.pointee = mk_pte(frame, vma.flags, cow: true)
        }
        get_page(frame)
        dstTable[pte_index(va)] = spte.pointee
        dst.rss += 1
    }
    return ok
}

/// dup_mm(): the child's copy of `old` for fork(): same areas, same layout
/// fields, pages shared copy-on-write. nil when memory runs out (everything
/// half-built is released). The child has one user.
func dup_mm(_ old: MMStruct) -> MMStruct? {
    guard let mm = mm_alloc() else { return nil }
    if let exe = old.exeFile { fs_lock.withLock { dget_locked(exe) }; mm.exeFile = exe }
    old.mmapLock.lock()
    mm.mmapBase = old.mmapBase
    mm.startCode = old.startCode; mm.endCode = old.endCode
    mm.startData = old.startData; mm.endData = old.endData
    mm.startBrk = old.startBrk; mm.brk = old.brk
    mm.startStack = old.startStack
    mm.argStart = old.argStart; mm.argEnd = old.argEnd
    mm.envStart = old.envStart; mm.envEnd = old.envEnd
    mm.dumpable = old.dumpable
    mm.auxvStart = old.auxvStart
    mm.auxvWords = old.auxvWords
    var tail: VMArea? = nil
    var ok = true
    var v = old.mmap
    while let vma = v, ok {
        let copy = VMArea(start: vma.start, end: vma.end, flags: vma.flags)
        vma_copy_file(mm, vma, copy, delta: 0)
        copy.anonVma = vma.anonVma
        if let t = tail { t.next = copy } else { mm.mmap = copy }
        tail = copy
        mm.mapCount += 1
        ok = copy_page_range(dst: mm, src: old, vma)
        v = vma.next
    }
    flush_tlb_mm(old)
    old.mmapLock.unlock()
    if !ok {
        mmput(mm)
        return nil
    }
    return mm
}
