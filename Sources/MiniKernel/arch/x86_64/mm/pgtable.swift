// x86-64 four-level page tables. Linux: arch/x86/mm/init_64.c, pgtable.c,
// arch/x86/include/asm/pgtable_types.h.
//
// paging_init() replaces the boot tables (head_64.asm) with the kernel's own:
//   - the direct map of RAM, 2 MiB pages, no-execute;
//   - the kernel image in 4 KiB pages with Linux's permissions (text
//     read-only and executable, rodata read-only, data no-execute) and the
//     boot stack's guard page left unmapped;
//   - the vmalloc area's top-level entry, so that every address space, which
//     copies the kernel half of this PML4, sees kernel stacks made later.
// The identity map the boot code needed is dropped: the lower half belongs
// to user space from now on.

import CShim

struct PTEFlags: OptionSet {
    let rawValue: UInt64
    static let present = PTEFlags(rawValue: 1 << 0)
    static let writable = PTEFlags(rawValue: 1 << 1)
    static let user = PTEFlags(rawValue: 1 << 2)
    static let writeThrough = PTEFlags(rawValue: 1 << 3)
    static let cacheDisable = PTEFlags(rawValue: 1 << 4)
    static let accessed = PTEFlags(rawValue: 1 << 5)
    static let dirty = PTEFlags(rawValue: 1 << 6)
    static let huge = PTEFlags(rawValue: 1 << 7)
    static let global = PTEFlags(rawValue: 1 << 8)
    /// Software bit: a private page shared after fork, to be copied on write.
    static let cow = PTEFlags(rawValue: 1 << 9)
    /// Software bit, only in a NOT-present entry: the frame is still mapped
    /// but the VMA allows no access (PROT_NONE), as Linux's _PAGE_PROTNONE.
    /// The hardware ignores every other bit of a non-present entry.
    static let protNone = PTEFlags(rawValue: 1 << 10)
    static let noExecute = PTEFlags(rawValue: 1 << 63)

    static let kernelData: PTEFlags = [.present, .writable, .global, .noExecute]
    static let kernelText: PTEFlags = [.present, .global]
    static let kernelRodata: PTEFlags = [.present, .global, .noExecute]
    /// Intermediate tables grant everything; the leaf entry decides.
    static let table: PTEFlags = [.present, .writable, .user]
}

let PTE_ADDR_MASK: UInt64 = 0x000f_ffff_ffff_f000

@inline(__always) func pgd_index(_ va: UInt64) -> Int { Int((va >> 39) & 511) }
@inline(__always) func pud_index(_ va: UInt64) -> Int { Int((va >> 30) & 511) }
@inline(__always) func pmd_index(_ va: UInt64) -> Int { Int((va >> 21) & 511) }
@inline(__always) func pte_index(_ va: UInt64) -> Int { Int((va >> 12) & 511) }

/// A page-table page seen as its 512 entries.
struct PageTable {
    let pa: PhysAddr
    var entries: UnsafeMutablePointer<UInt64> { pa.pointer.assumingMemoryBound(to: UInt64.self) }

    subscript(i: Int) -> UInt64 {
        get { entries[i] }
        nonmutating set { entries[i] = newValue }
    }

    /// The next-level table behind entry `i`, made (zeroed) if `create` and absent.
    func next(_ i: Int, create: Bool) -> PageTable? {
        let e = entries[i]
        if e & PTEFlags.present.rawValue != 0 {
            if e & PTEFlags.huge.rawValue != 0 { return nil }
            return PageTable(pa: PhysAddr(e & PTE_ADDR_MASK))
        }
        guard create, let page = get_zeroed_page() else { return nil }
        entries[i] = page.value | PTEFlags.table.rawValue
        return PageTable(pa: page)
    }
}

/// The kernel's own top-level table (init_mm.pgd).
var init_pgd = PageTable(pa: PhysAddr(0))

/// Maps one 4 KiB page in `pgd`; returns false when a table cannot be allocated.
@discardableResult
func map_page(_ pgd: PageTable, va: UInt64, pa: PhysAddr, flags: PTEFlags) -> Bool {
    guard let pud = pgd.next(pgd_index(va), create: true),
          let pmd = pud.next(pud_index(va), create: true),
          let pt = pmd.next(pmd_index(va), create: true) else { return false }
    pt[pte_index(va)] = pa.value | flags.rawValue
    return true
}

/// The leaf entry for `va` (4 KiB or 2 MiB), as a pointer one may rewrite.
func lookup_pte(_ pgd: PageTable, _ va: UInt64) -> UnsafeMutablePointer<UInt64>? {
    guard let pud = pgd.next(pgd_index(va), create: false) else { return nil }
    let pudE = pud[pud_index(va)]
    guard pudE & PTEFlags.present.rawValue != 0, pudE & PTEFlags.huge.rawValue == 0 else { return nil }
    let pmd = PageTable(pa: PhysAddr(pudE & PTE_ADDR_MASK))
    let pmdE = pmd[pmd_index(va)]
    guard pmdE & PTEFlags.present.rawValue != 0 else { return nil }
    if pmdE & PTEFlags.huge.rawValue != 0 { return pmd.entries + pmd_index(va) }
    let pt = PageTable(pa: PhysAddr(pmdE & PTE_ADDR_MASK))
    return pt.entries + pte_index(va)
}

/// Whether a kernel address can be read without faulting (used by stack traces).
func kernel_address_mapped(_ va: UInt64) -> Bool {
    let pgd = PageTable(pa: PhysAddr(read_cr3() & PTE_ADDR_MASK))
    guard let e = lookup_pte(pgd, va) else { return false }
    return e.pointee & PTEFlags.present.rawValue != 0
}

func paging_init() {
    guard let root = get_zeroed_page() else { panic("paging_init: no memory") }
    init_pgd = PageTable(pa: root)

    // Direct map: all of 0..4 GiB in 2 MiB pages (RAM and the MMIO hole, the
    // latter uncached), so that any frame is reachable as __va(pa).
    for gb in 0..<4 {
        let va = PAGE_OFFSET + UInt64(gb) << 30
        guard let pud = init_pgd.next(pgd_index(va), create: true),
              let pmd = pud.next(pud_index(va), create: true) else { panic("paging_init: no memory") }
        for i in 0..<512 {
            let pa = UInt64(gb) << 30 + UInt64(i) << 21
            var f = PTEFlags.kernelData.union(.huge)
            if pa >= 0xc000_0000 { f.formUnion(PTEFlags.cacheDisable.union(.writeThrough)) }
            pmd[i] = pa | f.rawValue
        }
    }

    // The kernel image, page by page, with the permissions of its sections.
    let guardPage = sym_boot_stack_guard()
    var va = START_KERNEL_MAP + 0x10_0000
    while va < page_align_up(sym_kernel_end()) {
        var f: PTEFlags
        if va >= sym_text_start() && va < sym_text_end() { f = .kernelText }
        else if va >= sym_rodata_start() && va < sym_data_start() { f = .kernelRodata }
        else if va >= sym_data_start() && va < sym_bss_end() { f = .kernelData }
        else { f = .kernelRodata }
        if va != guardPage {
            map_page(init_pgd, va: va, pa: __pa(va), flags: f)
        }
        va += PAGE_SIZE
    }

    // The vmalloc area's top-level entry exists from now on.
    _ = init_pgd.next(pgd_index(VMALLOC_START), create: true)

    write_cr3(init_pgd.pa.value)
    pr_info("paging: kernel page tables at \(hex: init_pgd.pa.value), boot stack guard page at \(hex: guardPage)")
}
