// memblock: the boot-time view of physical memory, before the page allocator
// exists. Linux: mm/memblock.c.
//
// It knows which ranges are RAM (from the PVH memory map) and which of those
// are already taken (the first MiB, the kernel image, the initramfs), hands
// out early allocations by moving a bump pointer, and finally gives every
// page nobody took to the buddy allocator.

import CShim

/// RAM above this is ignored: the boot page tables map 4 GiB.
let MAX_PHYS_ADDR: UInt64 = 4 << 30

struct Memblock {
    var ram = InlineArray<16, MemoryRange>(repeating: MemoryRange(base: 0, size: 0, type: 0))
    var ramCount = 0
    var reserved = InlineArray<16, MemoryRange>(repeating: MemoryRange(base: 0, size: 0, type: 0))
    var reservedCount = 0

    mutating func addRam(_ base: UInt64, _ size: UInt64) {
        let end = min(base + size, MAX_PHYS_ADDR)
        let b = page_align_up(base), e = page_align_down(end)
        guard e > b, ramCount < 16 else { return }
        ram[ramCount] = MemoryRange(base: b, size: e - b, type: MemoryRange.ram)
        ramCount += 1
    }

    mutating func reserve(_ base: UInt64, _ size: UInt64) {
        BUG_ON(reservedCount == 16, "memblock: too many reserved ranges")
        reserved[reservedCount] = MemoryRange(base: page_align_down(base), size: page_align_up(base + size) - page_align_down(base), type: 0)
        reservedCount += 1
    }

    /// The end of the reserved range that contains `pa`, if one does.
    func reservedEnd(containing pa: UInt64) -> UInt64? {
        for i in 0..<reservedCount where pa >= reserved[i].base && pa < reserved[i].base + reserved[i].size {
            return reserved[i].base + reserved[i].size
        }
        return nil
    }

    func overlapsReserved(_ base: UInt64, _ size: UInt64) -> Bool {
        for i in 0..<reservedCount where base < reserved[i].base + reserved[i].size && reserved[i].base < base + size {
            return true
        }
        return false
    }

    /// The end of RAM: the page allocator covers pfns below it.
    var maxPfn: Int {
        var m: UInt64 = 0
        for i in 0..<ramCount { m = max(m, ram[i].base + ram[i].size) }
        return Int(m >> PAGE_SHIFT)
    }

    var totalRamPages: Int {
        var n: UInt64 = 0
        for i in 0..<ramCount { n += ram[i].size >> PAGE_SHIFT }
        return Int(n)
    }

    /// memblock_alloc(): the lowest free RAM run of `size` bytes, reserved
    /// from now on. Used for the page array before the buddy allocator runs.
    mutating func alloc(_ size: UInt64) -> PhysAddr {
        let want = page_align_up(size)
        for i in 0..<ramCount {
            var base = ram[i].base
            let end = ram[i].base + ram[i].size
            while base + want <= end {
                var clash: UInt64? = nil
                for r in 0..<reservedCount {
                    let rb = reserved[r].base, re = rb + reserved[r].size
                    if base < re && rb < base + want { clash = re }
                }
                guard let next = clash else {
                    reserve(base, want)
                    return PhysAddr(base)
                }
                base = next
            }
        }
        panic("memblock: out of memory allocating \(size) bytes")
    }
}

var memblock = Memblock()

/// memblock_init(): RAM from the firmware's map; the first MiB (BIOS data,
/// later the SMP trampoline), the kernel image and the initramfs reserved.
func memblock_init() {
    for i in 0..<boot_params.memmapEntries {
        let r = boot_params.memoryRange(i)
        if r.type == MemoryRange.ram { memblock.addRam(r.base, r.size) }
    }
    if memblock.ramCount == 0 { panic("memblock: the boot loader gave no memory map") }
    memblock.reserve(0, 1 << 20)
    memblock.reserve(0x10_0000, __pa(sym_kernel_end()).value - 0x10_0000)
    if let rd = boot_params.initrd { memblock.reserve(rd.value, boot_params.initrdSize) }
    pr_info("Memory: \(memblock.totalRamPages * 4)K RAM in \(memblock.ramCount) ranges, kernel \((__pa(sym_kernel_end()).value - 0x10_0000) / 1024)K")
}
