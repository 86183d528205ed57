// Self-tests: the buddy allocator, kmalloc and the page-table walker.

import CShim

let page_alloc_suite = KUnitSuite(name: "page_alloc", cases: [
    KUnitCase(name: "alloc_free_roundtrip") { t in
        let before = nr_free_pages()
        guard let p = alloc_pages(order: 0) else { t.expect(false, "no page"); return }
        t.expectEqual(nr_free_pages(), before - 1, "free pages after one alloc")
        t.expectEqual(page_count(p), 1, "refcount of a new page")
        free_pages(p, order: 0)
        t.expectEqual(nr_free_pages(), before, "free pages after free")
    },
    KUnitCase(name: "orders_are_aligned_and_distinct") { t in
        let before = nr_free_pages()
        var blocks = InlineArray<8, UInt64>(repeating: 0)
        for o in 0..<8 {
            guard let p = alloc_pages(order: o) else { t.expect(false, "order \(o) failed"); return }
            t.expectEqual(p.value & ((PAGE_SIZE << UInt64(o)) - 1), 0, "block alignment")
            blocks[o] = p.value
        }
        for a in 0..<8 {
            for b in 0..<8 where a != b {
                let aEnd = blocks[a] + (PAGE_SIZE << UInt64(a))
                t.expect(blocks[b] >= aEnd || blocks[b] + (PAGE_SIZE << UInt64(b)) <= blocks[a], "blocks \(a) and \(b) overlap")
            }
        }
        for o in 0..<8 { free_pages(PhysAddr(blocks[o]), order: o) }
        t.expectEqual(nr_free_pages(), before, "every page back")
    },
    KUnitCase(name: "buddies_merge_back") { t in
        // Take every order-0 page that splitting one order-4 block yields,
        // free them in a scrambled order, and the order-4 block must be whole again.
        let before = nr_free_pages()
        guard let big = alloc_pages(order: 4) else { t.expect(false, "no block"); return }
        free_pages(big, order: 4)
        var pages = InlineArray<16, UInt64>(repeating: 0)
        for i in 0..<16 { pages[i] = alloc_pages(order: 0)?.value ?? 0 }
        for i in [3, 0, 15, 7, 1, 2, 14, 9, 8, 4, 5, 6, 10, 13, 11, 12] { free_pages(PhysAddr(pages[i]), order: 0) }
        t.expectEqual(nr_free_pages(), before, "free count")
        drain_local_pages()   // single frames wait on the per-CPU list; merge them now
        guard let again = alloc_pages(order: 4) else { t.expect(false, "order-4 block gone"); return }
        free_pages(again, order: 4)
    },
    KUnitCase(name: "page_refcount") { t in
        guard let p = alloc_page() else { return }
        let before = nr_free_pages()
        get_page(p)
        t.expect(!put_page(p), "first put does not free")
        t.expectEqual(nr_free_pages(), before, "still allocated")
        t.expect(put_page(p), "last put frees")
        t.expectEqual(nr_free_pages(), before + 1, "freed")
    },
])

let slab_suite = KUnitSuite(name: "slab", cases: [
    KUnitCase(name: "sizes_and_alignment") { t in
        let frames = nr_free_pages(), objs = kmalloc_active_objects()
        for size in [1, 8, 16, 24, 100, 512, 2048, 3000, 20000] {
            guard let p = kmalloc(size) else { t.expect(false, "kmalloc(\(size)) failed"); continue }
            t.expectEqual(UInt(bitPattern: p) & 15, 0, "16-byte alignment")
            p.initializeMemory(as: UInt8.self, repeating: 0xa5, count: size)
            kfree(p)
        }
        guard let a = kmalloc(64, align: 64) else { return }
        t.expectEqual(UInt(bitPattern: a) & 63, 0, "64-byte alignment")
        kfree(a)
        t.expectEqual(kmalloc_active_objects(), objs, "objects back")
        t.expectEqual(nr_free_pages(), frames, "frames back")
    },
    KUnitCase(name: "many_objects_fill_and_return_pages") { t in
        let frames = nr_free_pages()
        let n = 1000
        guard let table = kmalloc(n * 8) else { return }
        let ptrs = table.bindMemory(to: UInt.self, capacity: n)
        for i in 0..<n { ptrs[i] = UInt(bitPattern: kmalloc(48)) }
        var distinct = true
        for i in 1..<n where ptrs[i] == ptrs[i - 1] || ptrs[i] == 0 { distinct = false }
        t.expect(distinct, "distinct non-nil objects")
        t.expect(nr_free_pages() < frames - 10, "slab pages were taken")
        for i in stride(from: 0, to: n, by: 2) { kfree(UnsafeMutableRawPointer(bitPattern: ptrs[i])) }
        for i in stride(from: 1, to: n, by: 2) { kfree(UnsafeMutableRawPointer(bitPattern: ptrs[i])) }
        kfree(table)
        t.expectEqual(nr_free_pages(), frames, "every slab page returned")
    },
    KUnitCase(name: "swift_objects_use_kmalloc") { t in
        final class Probe { var a = 1, b = 2, c = 3 }
        let objs = kmalloc_active_objects()
        let p = Probe()
        t.expectEqual(kmalloc_active_objects(), objs + 1, "a class instance comes from kmalloc")
        t.expectEqual(p.a + p.b + p.c, 6, "fields")
        kfree_object(p)
        t.expectEqual(kmalloc_active_objects(), objs, "kfree_object frees it")
    },
])

let pgtable_suite = KUnitSuite(name: "pgtable", cases: [
    KUnitCase(name: "map_and_lookup") { t in
        guard let root = get_zeroed_page(), let frame = get_zeroed_page() else { return }
        let pgd = PageTable(pa: root)
        let va: UInt64 = 0x40_1000
        t.expect(lookup_pte(pgd, va) == nil, "unmapped before")
        t.expect(map_page(pgd, va: va, pa: frame, flags: [.present, .user]), "map_page")
        let pte = lookup_pte(pgd, va)
        t.expect(pte != nil && (pte!.pointee & PTE_ADDR_MASK) == frame.value, "maps the frame")
        t.expect(lookup_pte(pgd, va + PAGE_SIZE).map { $0.pointee & 1 == 0 } ?? true, "neighbour not present")
        // Free the three intermediate tables the mapping made.
        let pud = pgd.next(pgd_index(va), create: false)!
        let pmd = pud.next(pud_index(va), create: false)!
        let pt = pmd.next(pmd_index(va), create: false)!
        for tbl in [pt.pa, pmd.pa, pud.pa, root, frame] { free_page(tbl) }
    },
    KUnitCase(name: "kernel_layout") { t in
        t.expect(kernel_address_mapped(sym_text_start()), "text mapped")
        t.expect(!kernel_address_mapped(sym_boot_stack_guard()), "boot stack guard page unmapped")
        t.expect(!kernel_address_mapped(0x40_0000), "no identity map in the user half")
        let text = lookup_pte(init_pgd, sym_text_start())!.pointee
        t.expect(text & PTEFlags.writable.rawValue == 0, "text is read-only")
        let data = lookup_pte(init_pgd, sym_data_start())!.pointee
        t.expect(data & PTEFlags.noExecute.rawValue != 0, "data is no-execute")
    },
])
