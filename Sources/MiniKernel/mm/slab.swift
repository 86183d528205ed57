// kmalloc/kfree: power-of-two size classes carved out of single pages.
// Linux: mm/slub.c, much simplified (one cache per size, no per-CPU slabs).
//
// A slab page holds objects of one size class; its free objects are chained
// through their first word, and its `struct Page` counts the objects in use.
// A page whose last object is freed goes straight back to the buddy
// allocator, so that after a workload the free-frame count returns exactly to
// where it was: the leak checks depend on it. Requests above the largest
// class get whole pages.
//
// Every Swift class instance in the kernel is allocated here (the runtime's
// swift_allocObject calls posix_memalign, which calls kmalloc_aligned) and is
// freed explicitly: see `kfree_object`.

import CShim
let KMALLOC_MIN_SHIFT = 4                 // 16 bytes
let KMALLOC_SHIFT_HIGH = 11               // 2048 bytes
let KMALLOC_CLASSES = KMALLOC_SHIFT_HIGH - KMALLOC_MIN_SHIFT + 1

struct KmallocCaches {
    /// Per class: pfn of the first slab page with a free object, -1 if none.
    var partial = InlineArray<8, Int32>(repeating: -1)
    /// Objects handed out and not yet freed, per class (for /proc-style stats and tests).
    var active = InlineArray<8, Int>(repeating: 0)
    var largeAllocations = 0
}

var kmallocCaches = KmallocCaches()
/// Guards kmallocCaches and the slab fields of every slab page.
let slabLock = SpinLock(name: "slab_lock")

private func sizeClass(_ size: Int) -> Int {
    if size <= 1 << KMALLOC_MIN_SHIFT { return 0 }
    return (Int.bitWidth - (size - 1).leadingZeroBitCount) - KMALLOC_MIN_SHIFT   // ceil(log2(size)) - min
}

private func partialAdd(_ pfn: Int, _ cls: Int) {
    kmallocCaches.partial[cls] = pageListAdd(pfn, head: kmallocCaches.partial[cls])
}

private func partialDel(_ pfn: Int, _ cls: Int) {
    kmallocCaches.partial[cls] = pageListDel(pfn, head: kmallocCaches.partial[cls])
}

/// A fresh slab page for class `cls`, all objects chained on its freelist.
private func newSlab(_ cls: Int) -> Int? {
    guard let pa = alloc_pages(order: 0) else { return nil }
    let size = UInt64(1 << (cls + KMALLOC_MIN_SHIFT))
    let base = pa.virt
    var off: UInt64 = 0
    while off + size <= PAGE_SIZE {
        let next = off + size + size <= PAGE_SIZE ? base + off + size : 0
        UnsafeMutableRawPointer(bitPattern: UInt(base + off))!.storeBytes(of: next, as: UInt64.self)
        off += size
    }
    let p = pfn_to_page(pa.pfn)
    p.pointee.flags = .slab
    p.pointee.slabClass = UInt8(cls)
    p.pointee.inuse = 0
    p.pointee.freelist = base
    partialAdd(pa.pfn, cls)
    return pa.pfn
}

/// kmalloc(): at least `size` bytes aligned to `align` (a power of two), or nil.
func kmalloc(_ size: Int, align: Int = 16) -> UnsafeMutableRawPointer? {
    let need = max(size, align, 1)
    if need > (1 << KMALLOC_SHIFT_HIGH) {
        var order = 0
        while (Int(PAGE_SIZE) << order) < need { order += 1 }
        guard let pa = alloc_pages(order: order) else { return nil }
        slabLock.withLock { kmallocCaches.largeAllocations += 1 }
        return pa.pointer
    }
    // Classes are powers of two and pages are page-aligned, so every object
    // is aligned to its own size, which is at least `align`.
    let cls = sizeClass(need)
    let flags = slabLock.lockIrqSave()
    defer { slabLock.unlockIrqRestore(flags) }
    var pfn = Int(kmallocCaches.partial[cls])
    if pfn < 0 {
        guard let fresh = newSlab(cls) else { return nil }
        pfn = fresh
    }
    let p = pfn_to_page(pfn)
    let obj = p.pointee.freelist
    BUG_ON(obj == 0, "slab on partial list with no free object")
    p.pointee.freelist = UnsafeRawPointer(bitPattern: UInt(obj))!.load(as: UInt64.self)
    p.pointee.inuse += 1
    if p.pointee.freelist == 0 { partialDel(pfn, cls) }
    kmallocCaches.active[cls] += 1
    return UnsafeMutableRawPointer(bitPattern: UInt(obj))
}

func kzalloc(_ size: Int, align: Int = 16) -> UnsafeMutableRawPointer? {
    guard let p = kmalloc(size, align: align) else { return nil }
    p.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    return p
}

/// kfree(): the object returns to its slab; an empty slab page to the buddy allocator.
@_cdecl("kfree")
public func kfree(_ ptr: UnsafeMutableRawPointer?) {
    guard let ptr else { return }
    let va = UInt64(UInt(bitPattern: ptr))
    let page = virt_to_page(va)
    if !page.pointee.flags.contains(.slab) {
        BUG_ON(!page.pointee.flags.contains(.head), "kfree of a pointer kmalloc did not return")
        slabLock.withLock { kmallocCaches.largeAllocations -= 1 }
        free_pages(__pa(va), order: Int(page.pointee.order))
        return
    }
    let flags = slabLock.lockIrqSave()
    let cls = Int(page.pointee.slabClass)
    let size = UInt64(1 << (cls + KMALLOC_MIN_SHIFT))
    BUG_ON(va & (size - 1) != 0, "kfree of a misaligned pointer")
    let pfn = __pa(va).pfn
    let wasFull = page.pointee.freelist == 0
    ptr.storeBytes(of: page.pointee.freelist, as: UInt64.self)
    page.pointee.freelist = va
    page.pointee.inuse -= 1
    kmallocCaches.active[cls] -= 1
    if wasFull { partialAdd(pfn, cls) }
    let empty = page.pointee.inuse == 0
    if empty { partialDel(pfn, cls) }
    slabLock.unlockIrqRestore(flags)
    if empty { free_pages(__pa(va), order: 0) }
}

/// The door the C runtime shim (posix_memalign, malloc) comes in by.
@_cdecl("kmalloc_aligned")
public func kmalloc_aligned(_ size: Int, _ align: Int) -> UnsafeMutableRawPointer? {
    kmalloc(size, align: align)
}

/// kmalloc'd objects not yet freed, all classes together.
func kmalloc_active_objects() -> Int {
    slabLock.withLock {
        var n = kmallocCaches.largeAllocations
        for c in 0..<KMALLOC_CLASSES { n += kmallocCaches.active[c] }
        return n
    }
}

/// Frees a kernel object (a Swift class instance). Embedded Swift never frees
/// objects at upper-half addresses by itself — its runtime treats a pointer
/// with the top bit set as immortal and skips reference counting — so kernel
/// objects have explicit lifetimes, as Linux's do: `put_task_struct()` and
/// friends end here.
func kfree_object<T: AnyObject>(_ object: T) {
    kfree(Unmanaged.passUnretained(object).toOpaque())
}
