// The page-frame allocator: a binary buddy system over `struct page`s.
// Linux: mm/page_alloc.c (without zones, migrate types or per-CPU lists).
//
// Free blocks of 2^order pages sit on free lists, linked through their head
// page's `struct Page`. Allocation splits a larger block; freeing merges a
// block with its buddy (the block whose pfn differs only in bit `order`)
// for as long as the buddy is free too.
//
// Every frame also has a reference count (`refcount`): a page shared
// copy-on-write by several address spaces is freed by its last put_page().

import CShim
import Synchronization

let MAX_ORDER = 10     // largest block: 2^10 pages = 4 MiB

struct PageFlags: OptionSet {
    let rawValue: UInt16
    /// Never given out: firmware, the kernel image, memblock allocations.
    static let reserved = PageFlags(rawValue: 1 << 0)
    /// Head of a free block on a buddy free list; `order` says its size.
    static let buddy = PageFlags(rawValue: 1 << 1)
    /// Carved into kmalloc objects (mm/slab.swift).
    static let slab = PageFlags(rawValue: 1 << 2)
    /// Head of an allocated block of 2^order pages.
    static let head = PageFlags(rawValue: 1 << 3)
    /// Free, on a CPU's per-CPU list (not merged with its buddy yet).
    static let pcp = PageFlags(rawValue: 1 << 4)
}

/// struct page: one per physical frame, in the `mem_map` array.
struct Page {
    var flags: PageFlags = []
    var order: UInt8 = 0
    /// kmalloc size class of a slab page.
    var slabClass: UInt8 = 0
    /// Objects in use in a slab page.
    var inuse: UInt16 = 0
    /// Users of the frame (mappings, kernel references). 0 when free.
    var refcount: Int32 = 0
    /// Free-list or slab-list links, as pfns; -1 is none.
    var next: Int32 = -1
    var prev: Int32 = -1
    /// First free object of a slab page (a direct-map address), 0 if full.
    var freelist: UInt64 = 0
}

/// The allocator's state. `lock` guards every field and every Page's
/// free-list links; it is taken with interrupts off because frames may be
/// freed from interrupt context (a TLB-shootdown completion, later).
struct BuddyAllocator {
    var memMap: UnsafeMutablePointer<Page>? = nil
    var maxPfn = 0
    var freeHeads = InlineArray<11, Int32>(repeating: -1)
    var nrFree = 0
    var nrManaged = 0
}

var buddy = BuddyAllocator()
let zoneLock = SpinLock(name: "zone->lock")

@inline(__always)
func pfn_to_page(_ pfn: Int) -> UnsafeMutablePointer<Page> {
    guard let m = buddy.memMap, pfn >= 0, pfn < buddy.maxPfn else { BUG("pfn \(pfn) out of range") }
    return m + pfn
}

func virt_to_page(_ va: UInt64) -> UnsafeMutablePointer<Page> { pfn_to_page(__pa(va).pfn) }

// Lists of pages linked by pfn through Page.next/prev, -1 at the ends (Linux:
// page->lru): the buddy free lists and the slab's partial lists. Each call
// returns the list's new head, which the caller stores.

/// list_add(): `pfn` at the front of the list that starts at `head`.
func pageListAdd(_ pfn: Int, head: Int32) -> Int32 {
    let p = pfn_to_page(pfn)
    p.pointee.next = head
    p.pointee.prev = -1
    if head >= 0 { pfn_to_page(Int(head)).pointee.prev = Int32(pfn) }
    return Int32(pfn)
}

/// list_del(): `pfn` out of the list that starts at `head`.
func pageListDel(_ pfn: Int, head: Int32) -> Int32 {
    let p = pfn_to_page(pfn)
    var newHead = head
    if p.pointee.prev >= 0 { pfn_to_page(Int(p.pointee.prev)).pointee.next = p.pointee.next }
    else { newHead = p.pointee.next }
    if p.pointee.next >= 0 { pfn_to_page(Int(p.pointee.next)).pointee.prev = p.pointee.prev }
    p.pointee.next = -1
    p.pointee.prev = -1
    return newHead
}

private func listAdd(_ pfn: Int, order: Int) {
    buddy.freeHeads[order] = pageListAdd(pfn, head: buddy.freeHeads[order])
    let p = pfn_to_page(pfn)
    p.pointee.flags = .buddy
    p.pointee.order = UInt8(order)
}

private func listDel(_ pfn: Int, order: Int) {
    buddy.freeHeads[order] = pageListDel(pfn, head: buddy.freeHeads[order])
    pfn_to_page(pfn).pointee.flags.remove(.buddy)
}

/// __free_one_page(): put a block back, merging with free buddies.
private func freeOne(_ pfnIn: Int, order orderIn: Int) {
    var pfn = pfnIn, order = orderIn
    while order < MAX_ORDER {
        let buddyPfn = pfn ^ (1 << order)
        guard buddyPfn + (1 << order) <= buddy.maxPfn else { break }
        let b = pfn_to_page(buddyPfn)
        guard b.pointee.flags.contains(.buddy), Int(b.pointee.order) == order else { break }
        listDel(buddyPfn, order: order)
        pfn = min(pfn, buddyPfn)
        order += 1
    }
    listAdd(pfn, order: order)
}

/// __rmqueue(): a block of 2^order frames off the buddy lists. zoneLock held.
private func __rmqueue(_ order: Int) -> Int? {
    var o = order
    while o <= MAX_ORDER && buddy.freeHeads[o] < 0 { o += 1 }
    guard o <= MAX_ORDER else { return nil }
    let pfn = Int(buddy.freeHeads[o])
    listDel(pfn, order: o)
    // Split: hand the upper halves back until the block is the size asked for.
    while o > order {
        o -= 1
        listAdd(pfn + (1 << o), order: o)
    }
    buddy.nrFree -= 1 << order
    return pfn
}

/// __free_pages_ok(): a block back on the buddy lists. zoneLock held.
private func __free_one_block(_ pfn: Int, _ order: Int) {
    let p = pfn_to_page(pfn)
    p.pointee.flags = []
    p.pointee.refcount = 0
    p.pointee.inuse = 0
    p.pointee.freelist = 0
    freeOne(pfn, order: order)
    buddy.nrFree += 1 << order
}

// Per-CPU page lists (Linux: struct per_cpu_pages, rmqueue_pcplist(),
// free_unref_page()). Single frames — most of what fork, faults and exit
// allocate — come from and go back to a short list of this CPU's, with
// interrupts off and no lock. The list is refilled from the buddy lists
// PCP_BATCH frames at a time and drained back to them past PCP_HIGH, under
// zone->lock; freeing to it skips the buddy merge until then.
private struct PerCpuPages {
    var head: Int32 = -1
    var count = 0
}
private var pcpLists = InlineArray<8, PerCpuPages>(repeating: PerCpuPages())
private let PCP_BATCH = 31
private let PCP_HIGH = 4 * PCP_BATCH

/// rmqueue_pcplist(): one frame off this CPU's list, refilled when empty.
private func rmqueue_pcplist() -> Int? {
    let irq = local_irq_save()
    defer { local_irq_restore(irq) }
    let cpu = smp_processor_id()
    if pcpLists[cpu].count == 0 {
        zoneLock.withLock {
            for _ in 0..<PCP_BATCH {
                guard let pfn = __rmqueue(0) else { break }
                pfn_to_page(pfn).pointee.flags = .pcp
                pcpLists[cpu].head = pageListAdd(pfn, head: pcpLists[cpu].head)
                pcpLists[cpu].count += 1
            }
        }
    }
    guard pcpLists[cpu].count > 0 else { return nil }
    let pfn = Int(pcpLists[cpu].head)
    pcpLists[cpu].head = pageListDel(pfn, head: pcpLists[cpu].head)
    pcpLists[cpu].count -= 1
    return pfn
}

/// free_unref_page(): a frame onto this CPU's list; past the high mark a
/// batch goes back to the buddy lists.
private func free_unref_page(_ pfn: Int) {
    let irq = local_irq_save()
    defer { local_irq_restore(irq) }
    let cpu = smp_processor_id()
    let p = pfn_to_page(pfn)
    p.pointee.flags = .pcp
    p.pointee.refcount = 0
    p.pointee.inuse = 0
    p.pointee.freelist = 0
    pcpLists[cpu].head = pageListAdd(pfn, head: pcpLists[cpu].head)
    pcpLists[cpu].count += 1
    if pcpLists[cpu].count > PCP_HIGH { free_pcppages_bulk(cpu, PCP_BATCH) }
}

/// free_pcppages_bulk(): `n` frames of `cpu`'s list back to the buddy
/// lists. Interrupts off, and `cpu` is this CPU.
private func free_pcppages_bulk(_ cpu: Int, _ n: Int) {
    zoneLock.withLock {
        for _ in 0..<min(n, pcpLists[cpu].count) {
            let pfn = Int(pcpLists[cpu].head)
            pcpLists[cpu].head = pageListDel(pfn, head: pcpLists[cpu].head)
            pcpLists[cpu].count -= 1
            __free_one_block(pfn, 0)
        }
    }
}

/// drain_local_pages(): this CPU's list back to the buddy lists, so that
/// the buddies can merge again (the self-tests use it).
func drain_local_pages() {
    let irq = local_irq_save()
    free_pcppages_bulk(smp_processor_id(), Int.max)
    local_irq_restore(irq)
}

/// alloc_pages(order): 2^order contiguous frames, or nil when memory is out.
func alloc_pages(order: Int) -> PhysAddr? {
    var got: Int? = nil
    if order == 0 {
        got = rmqueue_pcplist()
    } else {
        got = zoneLock.withLock { __rmqueue(order) }
    }
    guard let pfn = got else { return nil }
    let p = pfn_to_page(pfn)
    p.pointee.flags = .head
    p.pointee.order = UInt8(order)
    p.pointee.refcount = 1
    return pfn_to_phys(pfn)
}

/// __free_pages(): the block goes back to the free lists.
func free_pages(_ pa: PhysAddr, order: Int) {
    let p = pfn_to_page(pa.pfn)
    BUG_ON(!p.pointee.flags.intersection([.buddy, .pcp]).isEmpty, "double free of pfn \(pa.pfn)")
    BUG_ON(p.pointee.flags.contains(.reserved), "freeing reserved pfn \(pa.pfn)")
    if order == 0 { free_unref_page(pa.pfn); return }
    zoneLock.withLock { __free_one_block(pa.pfn, order) }
}

/// One zeroed frame (page tables, user pages), or nil.
func get_zeroed_page() -> PhysAddr? {
    guard let pa = alloc_pages(order: 0) else { return nil }
    clear_page(pa.pointer)
    return pa
}

func alloc_page() -> PhysAddr? { alloc_pages(order: 0) }
func free_page(_ pa: PhysAddr) { free_pages(pa, order: 0) }

/// get_page()/put_page(): frame references for copy-on-write sharing and the
/// page cache. Atomic, without zone->lock (page_ref_inc, put_page_testzero):
/// a caller always holds a reference already, so the count cannot reach zero
/// under it; only the last put takes the lock, to free the frame.
func get_page(_ pa: PhysAddr) {
    let p = pfn_to_page(pa.pfn)
    let n = withUnsafeMutablePointer(to: &p.pointee.refcount) { atomic_add_return_i32($0, 1) }
    BUG_ON(n <= 1, "get_page on free pfn \(pa.pfn)")
}

/// Drops a reference; the frame is freed with the last one. Returns true then.
@discardableResult
func put_page(_ pa: PhysAddr) -> Bool {
    let p = pfn_to_page(pa.pfn)
    let n = withUnsafeMutablePointer(to: &p.pointee.refcount) { atomic_add_return_i32($0, -1) }
    BUG_ON(n < 0, "put_page on free pfn \(pa.pfn)")
    if n == 0 { free_pages(pa, order: 0) }
    return n == 0
}

func page_count(_ pa: PhysAddr) -> Int32 { pfn_to_page(pa.pfn).pointee.refcount }

/// Free frames right now (the leak checks compare this before and after).
func nr_free_pages() -> Int {
    var n = zoneLock.withLock { buddy.nrFree }
    for cpu in 0..<NR_CPUS { n += pcpLists[cpu].count }   // a racy sum, as Linux's counters are
    return n
}

/// mem_init(): build mem_map and release every unreserved frame.
func mem_init() {
    buddy.maxPfn = memblock.maxPfn
    let bytes = UInt64(buddy.maxPfn * MemoryLayout<Page>.stride)
    let pa = memblock.alloc(bytes)
    let map = pa.pointer.bindMemory(to: Page.self, capacity: buddy.maxPfn)
    map.initialize(repeating: Page(flags: [.reserved]), count: buddy.maxPfn)
    buddy.memMap = map
    // __free_pages_memory(): hand each free run over in the largest aligned
    // blocks that fit, instead of page by page.
    let mb = memblock
    for i in 0..<mb.ramCount {
        let r = mb.ram[i]
        var pfn = Int(r.base >> PAGE_SHIFT)
        let end = Int((r.base + r.size) >> PAGE_SHIFT)
        while pfn < end {
            if let skipTo = mb.reservedEnd(containing: UInt64(pfn) << PAGE_SHIFT) {
                pfn = Int(skipTo >> PAGE_SHIFT)
                continue
            }
            var order = 0
            while order < MAX_ORDER && pfn & ((2 << order) - 1) == 0 && pfn + (2 << order) <= end
                    && !mb.overlapsReserved(UInt64(pfn) << PAGE_SHIFT, UInt64(2 << order) << PAGE_SHIFT) {
                order += 1
            }
            for p in pfn..<(pfn + (1 << order)) { map[p].flags = [] }
            freeOne(pfn, order: order)
            buddy.nrFree += 1 << order
            buddy.nrManaged += 1 << order
            pfn += 1 << order
        }
    }
    pr_info("Memory: \(buddy.nrFree * 4)K/\(memblock.totalRamPages * 4)K available, mem_map \(bytes / 1024)K")
}
