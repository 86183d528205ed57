// Address-space layout: creating, finding, splitting and removing areas, and
// the mmap/munmap/mprotect/brk system calls. Linux: mm/mmap.c, mm/vma.c,
// mm/mprotect.c, mm/util.c (vm_mmap_pgoff), kernel/fork.c (mm_alloc, mmput),
// arch/x86/kernel/sys_x86_64.c (sys_mmap, arch_get_unmapped_area_topdown).
//
// Shape: only anonymous memory exists (no page cache, no file descriptors
// that can be mapped), so a "file" mmap is -EBADF exactly as Linux answers for
// a descriptor it cannot find. Linux backs MAP_SHARED|MAP_ANONYMOUS with a
// shmem object so that the pages a child inherits stay the parent's; we have
// no shmem, so shared anonymous areas are populated eagerly at mmap time and
// fork shares those very frames (copy_page_range). The areas live on a sorted
// singly-linked list (mm_types.swift); adjacent private areas with equal
// flags are merged as vma_merge() would, so brk and repeated mmaps do not
// fragment the list.
//
// Error codes and the order of the checks follow Linux; the system calls
// take raw register values and return an address or -errno as an Int.

import CShim
import Synchronization

let PROT_NONE: UInt64 = 0x0, PROT_READ: UInt64 = 0x1, PROT_WRITE: UInt64 = 0x2, PROT_EXEC: UInt64 = 0x4
let PROT_SEM: UInt64 = 0x8, PROT_GROWSDOWN: UInt64 = 0x0100_0000, PROT_GROWSUP: UInt64 = 0x0200_0000

let MAP_SHARED: UInt64 = 0x01, MAP_PRIVATE: UInt64 = 0x02, MAP_SHARED_VALIDATE: UInt64 = 0x03
let MAP_TYPE: UInt64 = 0x0f
let MAP_FIXED: UInt64 = 0x10, MAP_ANONYMOUS: UInt64 = 0x20
let MAP_GROWSDOWN: UInt64 = 0x0100, MAP_DENYWRITE: UInt64 = 0x0800, MAP_EXECUTABLE: UInt64 = 0x1000
let MAP_LOCKED: UInt64 = 0x2000, MAP_NORESERVE: UInt64 = 0x4000, MAP_POPULATE: UInt64 = 0x8000
let MAP_NONBLOCK: UInt64 = 0x10000, MAP_STACK: UInt64 = 0x20000, MAP_HUGETLB: UInt64 = 0x40000
let MAP_FIXED_NOREPLACE: UInt64 = 0x100000

/// PAGE_ALIGN() as C computes it: wraps to 0 for lengths near 2^64, which
/// the callers turn into -ENOMEM exactly where Linux does.
@inline(__always) func PAGE_ALIGN(_ v: UInt64) -> UInt64 { (v &+ PAGE_SIZE &- 1) & ~(PAGE_SIZE - 1) }

/// stack_guard_gap: 256 pages kept free below a VM_GROWSDOWN area.
let STACK_GUARD_GAP: UInt64 = 256 << PAGE_SHIFT
/// TASK_UNMAPPED_BASE: where the bottom-up fallback search starts.
let TASK_UNMAPPED_BASE: UInt64 = page_align_up(TASK_SIZE / 3)

// MARK: - mm_struct lifetime

/// mm_alloc(): an empty address space with one user. Its PGD shares the
/// kernel half (entries 256..511) with init_pgd: paging_init made every
/// top-level kernel entry before any mm exists and they never change, so
/// copying them once is enough (Linux: pgd_alloc → pgd_ctor).
func mm_alloc() -> MMStruct? {
    guard let root = get_zeroed_page() else { return nil }
    let pgd = PageTable(pa: root)
    for i in 256..<512 { pgd[i] = init_pgd[i] }
    return MMStruct(pgd: pgd)
}

/// mmget(): one more user (a task sharing the mm, or a temporary hold).
func mmget(_ mm: MMStruct) {
    mm.mmUsers.wrappingAdd(1, ordering: .relaxed)
}

/// mmget_not_zero(): a hold on an mm found by a lookup, unless its last user
/// is already tearing it down.
func mmget_not_zero(_ mm: MMStruct) -> Bool {
    var n = mm.mmUsers.load(ordering: .relaxed)
    while n > 0 {
        let (done, now) = mm.mmUsers.compareExchange(expected: n, desired: n + 1, ordering: .acquiring)
        if done { return true }
        n = now
    }
    return false
}

/// mmput(): one user fewer; the last one tears the address space down
/// (exit_mmap) and frees the MMStruct. The caller must not use `mm` after.
func mmput(_ mm: MMStruct) {
    let left = mm.mmUsers.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
    BUG_ON(left < 0, "mmput: mm_users underflow")
    if left == 0 {
        if let exe = mm.exeFile { mm.exeFile = nil; fs_lock.withLock { dput_locked(exe) } }
        exit_mmap(mm)
    }
}

/// How many mms were freed with inconsistent counters (check_mm()); the
/// self-tests' leak checks require it to stay put.
var mm_bad_rss_events = 0

/// exit_mmap(): unmap every area, drop every frame, free the page tables,
/// the PGD, the areas and the mm itself. Nobody may be running on it: if
/// this CPU still has it loaded, fall back to the kernel's tables first.
func exit_mmap(_ mm: MMStruct) {
    if this_cpu_area().loadedMm === mm { switch_mm(nil) }
    BUG_ON(mm.cpuMask.load(ordering: .acquiring) != 0, "exit_mmap: mm still loaded on CPUs \(hex: mm.cpuMask.load(ordering: .relaxed))")
    var v = mm.mmap
    mm.mmap = nil
    while let vma = v {
        v = vma.next
        unmap_page_range(mm, vma.start, vma.end)
        vma_put_file(vma)
        kfree_object(vma)
    }
    mm.mapCount = 0
    free_pgd_range(mm)
    if mm.rss != 0 || mm.nrPtes != 0 {
        mm_bad_rss_events += 1
        printk(.alert, "BUG: Bad rss-counter state mm:\(hex: UInt64(UInt(bitPattern: Unmanaged.passUnretained(mm).toOpaque()))) rss:\(mm.rss) ptes:\(mm.nrPtes)")
    }
    kfree_object(mm)
}

// MARK: - The area list

/// find_vma(): the first area that ends above `addr` (it may start above it
/// too: callers check `start <= addr` when they need containment).
func find_vma(_ mm: MMStruct, _ addr: UInt64) -> VMArea? {
    var v = mm.mmap
    while let vma = v {
        if vma.end > addr { return vma }
        v = vma.next
    }
    return nil
}

/// The area just below `vma` on the list (nil for the first one).
private func vma_prev(_ mm: MMStruct, _ vma: VMArea) -> VMArea? {
    var prev: VMArea? = nil
    var v = mm.mmap
    while let cur = v, cur !== vma { prev = cur; v = cur.next }
    return prev
}

/// expand_downwards() (acct_stack_growth included): let the VM_GROWSDOWN area
/// `vma` reach down to `address` — a fault below the stack, or exec writing
/// the arguments. Refused (the access is then a SIGSEGV) below mmap_min_addr,
/// within stack_guard_gap of an accessible area below it, or when the area
/// would be larger than RLIMIT_STACK. `vma` is the first area above
/// `address` (find_vma), so any area below ends at or under it. mmap_lock held.
func expand_downwards(_ mm: MMStruct, _ vma: VMArea, _ address: UInt64) -> Bool {
    let addr = page_align_down(address)
    guard vma.flags.contains(.growsDown), addr < vma.start, addr >= MMAP_MIN_ADDR else { return false }
    if let prev = vma_prev(mm, vma), !prev.flags.contains(.growsDown),
       !prev.flags.intersection(.accessFlags).isEmpty, addr - prev.end < STACK_GUARD_GAP {
        return false
    }
    if vma.end - addr > current.signal.rlim[RLIMIT_STACK].cur { return false }
    vma.start = addr
    return true
}

/// find_vma_intersection(): an area overlapping [start, end), if any.
func find_vma_intersection(_ mm: MMStruct, _ start: UInt64, _ end: UInt64) -> VMArea? {
    guard let vma = find_vma(mm, start), vma.start < end else { return nil }
    return vma
}

/// vm_start_gap(): where an area's reserved space begins (stack guard gap).
@inline(__always)
private func vm_start_gap(_ vma: VMArea) -> UInt64 {
    if vma.flags.contains(.growsDown) { return vma.start > STACK_GUARD_GAP ? vma.start - STACK_GUARD_GAP : 0 }
    return vma.start
}

/// Links a new area into its place on the sorted list. The range must be free.
func insert_vma(_ mm: MMStruct, _ new: VMArea) {
    var prev: VMArea? = nil
    var v = mm.mmap
    while let cur = v, cur.start < new.start { prev = cur; v = cur.next }
    new.next = v
    if let p = prev { p.next = new } else { mm.mmap = new }
    mm.mapCount += 1
}

/// split_vma(): cut `vma` at `addr`; the new upper part follows it on the list.
private func split_vma(_ mm: MMStruct, _ vma: VMArea, at addr: UInt64) {
    let upper = VMArea(start: addr, end: vma.end, flags: vma.flags)
    vma_copy_file(mm, vma, upper, delta: addr - vma.start)
    upper.anonVma = vma.anonVma
    upper.next = vma.next
    vma.next = upper
    vma.end = addr
    mm.mapCount += 1
}

private func can_merge(_ a: VMArea, _ b: VMArea) -> Bool {
    a.end == b.start && a.flags == b.flags && !a.isShared && a.file == nil && b.file == nil
}

/// vma_merge() for the areas around [start, end): joins touching private
/// neighbours with equal flags.
private func vma_merge_range(_ mm: MMStruct, _ start: UInt64, _ end: UInt64) {
    var v = mm.mmap
    while let vma = v {
        if vma.start > end { break }
        if vma.end >= start, let next = vma.next, next.start <= end, can_merge(vma, next) {
            vma.end = next.end
            vma.next = next.next
            mm.mapCount -= 1
            kfree_object(next)
            continue
        }
        v = vma.next
    }
}

// MARK: - Placing a new area

/// arch_get_unmapped_area_topdown(): the highest free range of `len` bytes
/// below mmap_base (a usable hint wins; MAP_FIXED is taken as it is), or
/// -ENOMEM. Falls back to a bottom-up search from TASK_UNMAPPED_BASE.
func get_unmapped_area(_ mm: MMStruct, _ addrIn: UInt64, _ len: UInt64, _ flags: UInt64) -> Int {
    if len > TASK_SIZE { return Errno.ENOMEM.negated }
    var addr = addrIn
    if flags & MAP_FIXED != 0 {
        if addr > TASK_SIZE - len { return Errno.ENOMEM.negated }
        if addr & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
        return Int(addr)
    }
    if addr != 0 {
        addr = page_align_down(addr)
        if addr <= TASK_SIZE - len {
            if let vma = find_vma(mm, addr) {
                if addr + len <= vm_start_gap(vma) { return Int(addr) }
            } else {
                return Int(addr)
            }
        }
    }
    // Top-down: the highest gap under mmap_base.
    let low = PAGE_SIZE, high = mm.mmapBase
    var best: UInt64 = 0
    var found = false
    var gapStart: UInt64 = 0
    var v = mm.mmap
    while true {
        let gapEnd = v.map { vm_start_gap($0) } ?? TASK_SIZE
        let top = min(gapEnd, high)
        let bottom = max(gapStart, low)
        if top >= len && top - len >= bottom {
            best = top - len
            found = true
        }
        guard let vma = v else { break }
        gapStart = vma.end
        if gapStart >= high { break }
        v = vma.next
    }
    if found { return Int(best) }
    // Bottom-up fallback (arch_get_unmapped_area).
    gapStart = 0
    v = mm.mmap
    while true {
        let gapEnd = v.map { vm_start_gap($0) } ?? TASK_SIZE
        let bottom = max(gapStart, TASK_UNMAPPED_BASE)
        if gapEnd >= len && gapEnd - len >= bottom { return Int(bottom) }
        guard let vma = v else { break }
        gapStart = vma.end
        v = vma.next
    }
    return Errno.ENOMEM.negated
}

/// calc_vm_prot_bits().
@inline(__always)
func calc_vm_prot_bits(_ prot: UInt64) -> VMFlags {
    var f: VMFlags = []
    if prot & PROT_READ != 0 { f.insert(.read) }
    if prot & PROT_WRITE != 0 { f.insert(.write) }
    if prot & PROT_EXEC != 0 { f.insert(.exec) }
    return f
}

/// Faults in every page of [start, end) now (MAP_SHARED anonymous areas,
/// MAP_POPULATE, MAP_LOCKED, mremap growing a shared anonymous area).
/// False when memory runs out.
func __populate_range(_ mm: MMStruct, _ vma: VMArea, _ start: UInt64, _ end: UInt64) -> Bool {
    var va = start
    while va < end {
        guard let pte = pte_offset(mm, va, create: true) else { return false }
        if pte_frame(pte.pointee) == nil {
            guard let page = get_zeroed_page() else { return false }
            pte.pointee = mk_pte(page, vma.flags, cow: false)
            mm.rss += 1
        }
        va += PAGE_SIZE
    }
    return true
}

// MARK: - mmap

/// do_mmap() for anonymous memory. `prot` and `flags` are mmap's; returns the
/// address or -errno. Takes mm.mmapLock.
func do_mmap(_ mm: MMStruct, _ addr: UInt64, _ len: UInt64, _ prot: UInt64, _ flags: UInt64) -> Int {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    return __do_mmap(mm, addr, len, prot, flags, extra: [])
}

/// The body of do_mmap with the lock held; `extra` adds informational flags
/// (the ELF loader marks its areas); `file` backs the area from `pgoff` on
/// (mmap of a file, mm/filemap.swift).
func __do_mmap(_ mm: MMStruct, _ addrIn: UInt64, _ lenIn: UInt64, _ prot: UInt64, _ flagsIn: UInt64, extra: VMFlags,
               file: Dentry? = nil, pgoff: UInt64 = 0) -> Int {
    if lenIn == 0 { return Errno.EINVAL.negated }
    var addr = addrIn
    var flags = flagsIn
    // Force MAP_FIXED handling in get_unmapped_area.
    if flags & MAP_FIXED_NOREPLACE != 0 { flags |= MAP_FIXED }
    if flags & MAP_FIXED == 0 {
        // round_hint_to_min()
        addr = page_align_down(addr)
        if addr != 0 && addr < MMAP_MIN_ADDR { addr = page_align_up(MMAP_MIN_ADDR) }
    }
    let len = PAGE_ALIGN(lenIn)
    if len == 0 { return Errno.ENOMEM.negated }
    if mm.mapCount > MAX_MAP_COUNT { return Errno.ENOMEM.negated }
    let placed = get_unmapped_area(mm, addr, len, flags)
    if placed < 0 { return placed }
    addr = UInt64(placed)
    if flags & MAP_FIXED_NOREPLACE != 0 && find_vma_intersection(mm, addr, addr + len) != nil {
        return Errno.EEXIST.negated
    }
    var vmFlags = calc_vm_prot_bits(prot).union(VMFlags.mayRead.union(.mayWrite).union(.mayExec)).union(extra)
    if flags & MAP_GROWSDOWN != 0 { vmFlags.insert(.growsDown) }
    switch flags & MAP_TYPE {
    case MAP_SHARED:
        if vmFlags.contains(.growsDown) { return Errno.EINVAL.negated }
        vmFlags.formUnion(VMFlags.shared.union(.mayShare))
    case MAP_PRIVATE:
        break
    default:
        return Errno.EINVAL.negated
    }
    // mmap_region(): MAP_FIXED replaces whatever was there.
    if find_vma_intersection(mm, addr, addr + len) != nil {
        let r = __do_munmap(mm, addr, len)
        if r < 0 { return r }
    }
    // Private writable memory is committed memory (VM_ACCOUNT).
    if !vmFlags.contains(.shared) && vmFlags.contains(.write) && flags & MAP_NORESERVE == 0
        && !vm_enough_memory(pages: len >> PAGE_SHIFT) {
        return Errno.ENOMEM.negated
    }
    let vma = VMArea(start: addr, end: addr + len, flags: vmFlags)
    insert_vma(mm, vma)
    if let file { vma_set_file(mm, vma, file, pgoff: pgoff, fileEnd: UInt64.max) }
    // Shared anonymous memory has no object to come back to: it is made now.
    // A file area reads the file's pages on demand (MAP_POPULATE included).
    let populate = file == nil && (vmFlags.contains(.shared) || flags & MAP_LOCKED != 0
        || flags & (MAP_POPULATE | MAP_NONBLOCK) == MAP_POPULATE)
    if populate && !__populate_range(mm, vma, addr, addr + len) {
        if vmFlags.contains(.shared) && file == nil {
            _ = __do_munmap(mm, addr, len)
            return Errno.ENOMEM.negated
        }
    }
    if !vmFlags.contains(.shared) && file == nil { vma_merge_range(mm, addr, addr + len) }
    return Int(addr)
}

// MARK: - munmap

/// do_munmap(): remove [start, start+len), splitting areas that straddle
/// its ends. Unmapping nothing is not an error. Takes mm.mmapLock.
func do_munmap(_ mm: MMStruct, _ start: UInt64, _ len: UInt64) -> Int {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    return __do_munmap(mm, start, len)
}

func __do_munmap(_ mm: MMStruct, _ start: UInt64, _ lenIn: UInt64) -> Int {
    if start & (PAGE_SIZE - 1) != 0 || start > TASK_SIZE || lenIn > TASK_SIZE - start { return Errno.EINVAL.negated }
    let len = page_align_up(lenIn)
    if len == 0 { return Errno.EINVAL.negated }
    let end = start + len
    guard let first = find_vma_intersection(mm, start, end) else { return 0 }
    // One area cut in the middle becomes three: check the limit first.
    if first.start < start && first.end > end && mm.mapCount >= MAX_MAP_COUNT { return Errno.ENOMEM.negated }
    var prev = vma_prev(mm, first)
    var v: VMArea? = first
    while let vma = v, vma.start < end {
        if vma.start < start {
            split_vma(mm, vma, at: start)
            prev = vma
            v = vma.next
            continue
        }
        if vma.end > end { split_vma(mm, vma, at: end) }
        let next = vma.next
        if let p = prev { p.next = next } else { mm.mmap = next }
        mm.mapCount -= 1
        unmap_page_range(mm, vma.start, vma.end)
        vma_put_file(vma)
        kfree_object(vma)
        v = next
    }
    return 0
}

// MARK: - mprotect

/// change_protection(): rewrite the entries of [start, end) for `flags`.
/// A private page shared copy-on-write stays read-only (cow) whatever the
/// new permissions: the next write fault copies or reclaims it.
private func change_protection(_ mm: MMStruct, _ start: UInt64, _ end: UInt64, _ flags: VMFlags) {
    walk_page_range(mm.pgd, start, end) { _, pte in
        guard let frame = pte_frame(pte.pointee) else { return }
        pte.pointee = mk_pte(frame, flags, cow: pte.pointee & PTEFlags.cow.rawValue != 0)
    }
    flush_tlb_mm(mm)
}

/// do_mprotect_pkey(): new permissions for [start, start+len). Areas are
/// changed one after the other; a hole stops the walk with -ENOMEM (the
/// areas before it keep their new permissions, as in Linux). Takes the lock.
func do_mprotect(_ mm: MMStruct, _ startIn: UInt64, _ lenIn: UInt64, _ protIn: UInt64) -> Int {
    var start = startIn
    let grows = protIn & (PROT_GROWSDOWN | PROT_GROWSUP)
    let prot = protIn & ~(PROT_GROWSDOWN | PROT_GROWSUP)
    if grows == PROT_GROWSDOWN | PROT_GROWSUP { return Errno.EINVAL.negated }
    if start & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    if lenIn == 0 { return 0 }
    let len = PAGE_ALIGN(lenIn)
    let end = start &+ len
    if len == 0 || end <= start { return Errno.ENOMEM.negated }
    if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM) != 0 { return Errno.EINVAL.negated }

    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    guard var vma = find_vma(mm, start), vma.start < end else { return Errno.ENOMEM.negated }
    if grows & PROT_GROWSDOWN != 0 {
        if vma.start >= end { return Errno.ENOMEM.negated }
        if !vma.flags.contains(.growsDown) { return Errno.EINVAL.negated }
        start = vma.start
    } else if vma.start > start {
        return Errno.ENOMEM.negated
    }
    if grows & PROT_GROWSUP != 0 { return Errno.EINVAL.negated }   // no VM_GROWSUP on x86
    let newAccess = calc_vm_prot_bits(prot)
    var result = 0
    var tmp = start
    while true {
        let newFlags = vma.flags.subtracting(.accessFlags).union(newAccess)
        // Permissions beyond VM_MAY*: -EACCES (never for anonymous memory).
        if newFlags.rawValue & ~(newFlags.rawValue >> 4) & VMFlags.accessFlags.rawValue != 0 {
            result = Errno.EACCES.negated; break
        }
        if vma.start < tmp {
            if mm.mapCount >= MAX_MAP_COUNT { result = Errno.ENOMEM.negated; break }
            split_vma(mm, vma, at: tmp)
            guard let upper = vma.next else { break }
            vma = upper
        }
        if vma.end > end {
            if mm.mapCount >= MAX_MAP_COUNT { result = Errno.ENOMEM.negated; break }
            split_vma(mm, vma, at: end)
        }
        if vma.flags != newFlags {
            vma.flags = newFlags
            change_protection(mm, vma.start, vma.end, newFlags)
        }
        tmp = vma.end
        if tmp >= end { break }
        guard let next = vma.next, next.start == tmp else { result = Errno.ENOMEM.negated; break }
        vma = next
    }
    vma_merge_range(mm, start, end)
    return result
}

// MARK: - brk

/// do_brk_flags(): a read-write private area at [addr, addr+len), growing
/// the brk area when it ends right there. Lock held. False on -ENOMEM.
func __do_brk(_ mm: MMStruct, _ addr: UInt64, _ len: UInt64) -> Bool {
    if len == 0 { return true }
    if addr >= TASK_SIZE || len > TASK_SIZE - addr { return false }
    if mm.mapCount > MAX_MAP_COUNT { return false }
    let flags = VMFlags.read.union(.write).union(.mayRead).union(.mayWrite).union(.mayExec).union(.brk)
    if find_vma_intersection(mm, addr, addr + len) != nil { return false }
    if let prev = find_vma_prev_end(mm, addr), prev.end == addr, prev.flags == flags {
        prev.end = addr + len
        return true
    }
    insert_vma(mm, VMArea(start: addr, end: addr + len, flags: flags))
    return true
}

/// The last area that ends at or below `addr`.
private func find_vma_prev_end(_ mm: MMStruct, _ addr: UInt64) -> VMArea? {
    var prev: VMArea? = nil
    var v = mm.mmap
    while let vma = v, vma.end <= addr { prev = vma; v = vma.next }
    return prev
}

/// brk(): move the program break. Linux semantics: the new break on success,
/// the old one on any failure (never an errno). Growth is demand-zero.
func do_sys_brk(_ mm: MMStruct, _ brk: UInt64) -> Int {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    let origbrk = mm.brk
    if brk < mm.startBrk || brk > TASK_SIZE { return Int(origbrk) }
    let newbrk = page_align_up(brk), oldbrk = page_align_up(mm.brk)
    if oldbrk == newbrk {
        mm.brk = brk
        return Int(brk)
    }
    if brk <= mm.brk {
        // Always allow shrinking.
        mm.brk = brk
        _ = __do_munmap(mm, newbrk, oldbrk - newbrk)
        return Int(brk)
    }
    // Leave a page (and a stack's guard gap) between the heap and the next area.
    if let next = find_vma(mm, oldbrk), newbrk + PAGE_SIZE > vm_start_gap(next) { return Int(origbrk) }
    if !vm_enough_memory(pages: (newbrk - oldbrk) >> PAGE_SHIFT) { return Int(origbrk) }
    if !__do_brk(mm, oldbrk, newbrk - oldbrk) { return Int(origbrk) }
    mm.brk = brk
    return Int(brk)
}

// MARK: - System calls (on the current task's mm)

/// The self-tests run in the boot context, which has no mm of its own: they
/// point this at a test mm, and the page-fault handler and the mm system
/// calls then use it in place of current->mm. Always nil outside self-tests.
var ktest_current_mm: MMStruct? = nil

/// current->mm, or the self-tests' stand-in.
@inline(__always)
func mm_of_current() -> MMStruct? { ktest_current_mm ?? current_mm() }

/// mmap(addr, len, prot, flags, fd, off) — x86-64 sys_mmap → ksys_mmap_pgoff.
func sys_mmap(_ addr: UInt64, _ len: UInt64, _ prot: UInt64, _ flags: UInt64, _ fd: UInt64, _ off: UInt64) -> Int {
    if off & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    guard let mm = mm_of_current() else { return Errno.ENOMEM.negated }
    if flags & MAP_ANONYMOUS == 0 { return do_mmap_file(mm, addr, len, prot, flags, fd, off) }
    return do_mmap(mm, addr, len, prot, flags)
}

/// munmap(addr, len).
func sys_munmap(_ addr: UInt64, _ len: UInt64) -> Int {
    guard let mm = mm_of_current() else { return Errno.EINVAL.negated }
    return do_munmap(mm, addr, len)
}

/// mprotect(addr, len, prot).
func sys_mprotect(_ addr: UInt64, _ len: UInt64, _ prot: UInt64) -> Int {
    guard let mm = mm_of_current() else { return Errno.ENOMEM.negated }
    return do_mprotect(mm, addr, len, prot)
}

/// brk(addr): the new break, or the current one when it cannot move.
func sys_brk(_ brk: UInt64) -> Int {
    guard let mm = mm_of_current() else { return 0 }
    return do_sys_brk(mm, brk)
}

/// __vm_enough_memory() in Linux's default mode (OVERCOMMIT_GUESS): any one
/// request is allowed unless it is bigger than all of RAM and swap together.
/// Programs see it: brk() or mmap() of terabytes fails.
func vm_enough_memory(pages: UInt64) -> Bool {
    pages <= UInt64(buddy.nrManaged)
}
