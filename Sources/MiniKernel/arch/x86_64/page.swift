// Address-space constants and the physical <-> virtual conversions.
// Linux: arch/x86/include/asm/page_64_types.h, page.h.
//
//   0x0000000000000000 - 0x00007fffffffffff  user space (per process)
//   0xffff888000000000 - ...                 direct map of all RAM (PAGE_OFFSET)
//   0xffffc90000000000 - ...                 vmalloc area: kernel stacks with guard pages
//   0xffffffff80000000 - ...                 kernel image (__START_KERNEL_map)

import CShim
let PAGE_SHIFT: UInt64 = 12
let PAGE_SIZE: UInt64 = 4096
let PAGE_OFFSET: UInt64 = 0xffff_8880_0000_0000
let VMALLOC_START: UInt64 = 0xffff_c900_0000_0000
let VMALLOC_END: UInt64 = 0xffff_e8ff_ffff_ffff
let START_KERNEL_MAP: UInt64 = 0xffff_ffff_8000_0000
/// TASK_SIZE_MAX: the end of user space, as on x86-64 with 4-level paging.
let TASK_SIZE: UInt64 = 0x0000_7fff_ffff_f000

/// A physical address. Kept apart from virtual ones by type so that one is
/// never used as the other.
struct PhysAddr: Equatable, Comparable {
    var value: UInt64
    init(_ v: UInt64) { value = v }

    /// Its address in the direct map.
    var virt: UInt64 { value &+ PAGE_OFFSET }
    var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: UInt(virt))! }
    var pfn: Int { Int(value >> PAGE_SHIFT) }

    static func < (a: PhysAddr, b: PhysAddr) -> Bool { a.value < b.value }
    static func + (a: PhysAddr, off: UInt64) -> PhysAddr { PhysAddr(a.value + off) }

    func load<T>(_ offset: Int = 0, as: T.Type) -> T {
        UnsafeRawPointer(pointer).loadUnaligned(fromByteOffset: offset, as: T.self)
    }
}

/// __pa(): the physical address behind a direct-map or kernel-image address.
func __pa(_ va: UInt64) -> PhysAddr {
    if va >= START_KERNEL_MAP { return PhysAddr(va - START_KERNEL_MAP) }
    return PhysAddr(va - PAGE_OFFSET)
}

func pfn_to_phys(_ pfn: Int) -> PhysAddr { PhysAddr(UInt64(pfn) << PAGE_SHIFT) }

@inline(__always) func page_align_up(_ v: UInt64) -> UInt64 { (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) }
@inline(__always) func page_align_down(_ v: UInt64) -> UInt64 { v & ~(PAGE_SIZE - 1) }
