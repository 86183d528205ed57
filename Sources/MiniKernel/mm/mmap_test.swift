// Self-tests for address spaces: mm_alloc/mmput, mmap and faults, munmap,
// mprotect, brk, fork's copy-on-write, shared anonymous memory, and the
// user-copy routines. Every case checks that the free-frame count and the
// kmalloc object count return to where they started.

import CShim
import Synchronization

/// Counts frames and kmalloc objects at the start of a case.
struct LeakCheck {
    let frames = nr_free_pages()
    let objects = kmalloc_active_objects()
    let badRss = mm_bad_rss_events

    func verify(_ t: inout KUnitTest, file: StaticString = #fileID, line: UInt = #line) {
        t.expectEqual(mm_bad_rss_events, badRss, "no mm freed with bad rss/pte counters", file: file, line: line)
        t.expectEqual(nr_free_pages(), frames, "free frames back to the start", file: file, line: line)
        t.expectEqual(kmalloc_active_objects(), objects, "kmalloc objects back to the start", file: file, line: line)
    }
}

/// The leaf entry of `va` in `mm` (0 when none).
func test_pte(_ mm: MMStruct, _ va: UInt64) -> UInt64 {
    pte_offset(mm, page_align_down(va), create: false)?.pointee ?? 0
}

/// Reads a u64 of user memory through the direct map; nil if not mapped.
func test_peek64(_ mm: MMStruct, _ va: UInt64) -> UInt64? {
    guard let f = pte_frame(test_pte(mm, va)) else { return nil }
    return (f + (va & (PAGE_SIZE - 1))).load(as: UInt64.self)
}

func test_poke64(_ mm: MMStruct, _ va: UInt64, _ v: UInt64) {
    guard let f = pte_frame(test_pte(mm, va)) else { return }
    (f.pointer + Int(va & (PAGE_SIZE - 1))).storeBytes(of: v, as: UInt64.self)
}

func test_vma_count(_ mm: MMStruct) -> Int {
    var n = 0
    var v = mm.mmap
    while let vma = v { n += 1; v = vma.next }
    return n
}

let RW = PROT_READ | PROT_WRITE
let ANON_PRIVATE = MAP_PRIVATE | MAP_ANONYMOUS
let PF_READ_USER: PFErrorCode = [.user]
let PF_WRITE_USER: PFErrorCode = [.user, .write]

let mm_mmap_suite = KUnitSuite(name: "mm_mmap", cases: [
    KUnitCase(name: "alloc_put_returns_every_frame") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { t.expect(false, "mm_alloc"); return }
        t.expectEqual(mm.pgd[273], init_pgd[273], "direct map shared")
        t.expectEqual(mm.pgd[511], init_pgd[511], "kernel image shared")
        t.expectEqual(mm.pgd[0], 0, "user half empty")
        let a = do_mmap(mm, 0, 64 * PAGE_SIZE, RW, ANON_PRIVATE)
        t.expect(a > 0, "mmap \(a)")
        for i in 0..<64 where i % 3 == 0 {
            t.expect(handle_mm_fault_ok(mm, UInt64(a) + UInt64(i) * PAGE_SIZE, PF_WRITE_USER), "fault \(i)")
        }
        _ = do_mmap(mm, 0x40_0000, 3 * PAGE_SIZE, PROT_READ, ANON_PRIVATE | MAP_FIXED | MAP_POPULATE)
        t.expectEqual(mm.rss, 22 + 3, "rss")
        mmget(mm)
        mmput(mm)
        t.expectEqual(mm.mmUsers.load(ordering: .relaxed), 1, "a user left")
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "mmap_topdown_and_demand_zero") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let a = do_mmap(mm, 0, 2 * PAGE_SIZE, RW, ANON_PRIVATE)
        t.expectEqual(UInt64(a), MMAP_BASE - 2 * PAGE_SIZE, "first mapping right under mmap_base")
        let b = do_mmap(mm, 0, PAGE_SIZE, PROT_READ, ANON_PRIVATE)
        t.expectEqual(UInt64(b), MMAP_BASE - 3 * PAGE_SIZE, "second one below the first")
        let va = UInt64(a) + 8
        t.expectEqual(test_pte(mm, va), 0, "nothing mapped before the fault")
        t.expect(handle_mm_fault_ok(mm, va, PF_READ_USER), "read fault resolves")
        let e = test_pte(mm, va)
        t.expect(e & PTEFlags.present.rawValue != 0 && e & PTEFlags.user.rawValue != 0, "present user page")
        t.expect(e & PTEFlags.noExecute.rawValue != 0, "no-execute without PROT_EXEC")
        t.expectEqual(test_peek64(mm, va) ?? 1, 0, "demand-zero")
        test_poke64(mm, va, 0x1234_5678)
        t.expect(handle_mm_fault_ok(mm, va, PF_WRITE_USER), "write fault on a present page is fine")
        t.expectEqual(test_peek64(mm, va) ?? 0, 0x1234_5678, "data read back through the PTE")
        t.expect(!handle_mm_fault_ok(mm, UInt64(b), PF_WRITE_USER), "write to a read-only area fails")
        t.expect(!handle_mm_fault_ok(mm, UInt64(a), [.user, .instr]), "exec in a non-exec area fails")
        t.expect(!handle_mm_fault_ok(mm, 0x1000, PF_READ_USER), "outside every area fails")
        t.expect(!handle_mm_fault_ok(mm, TASK_SIZE + 0x1000, PF_READ_USER), "kernel half fails")
        let x = do_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_EXEC, ANON_PRIVATE)
        t.expect(handle_mm_fault_ok(mm, UInt64(x), [.user, .instr]), "exec fault in an exec area")
        t.expectEqual(test_pte(mm, UInt64(x)) & PTEFlags.noExecute.rawValue, 0, "executable PTE")
        let n = do_mmap(mm, 0, PAGE_SIZE, PROT_NONE, ANON_PRIVATE)
        t.expect(!handle_mm_fault_ok(mm, UInt64(n), PF_READ_USER), "PROT_NONE is not readable")
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "mmap_hint_fixed_and_merge") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let h = do_mmap(mm, 0x1000_0000, 2 * PAGE_SIZE, RW, ANON_PRIVATE)
        t.expectEqual(h, 0x1000_0000, "a free hint is taken")
        let h2 = do_mmap(mm, 0x1000_0000, PAGE_SIZE, RW, ANON_PRIVATE)
        t.expect(h2 != 0x1000_0000 && h2 > 0, "a taken hint is not")
        t.expect(handle_mm_fault_ok(mm, 0x1000_0000, PF_WRITE_USER), "fault")
        test_poke64(mm, 0x1000_0000, 77)
        let f = do_mmap(mm, 0x1000_0000, PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED)
        t.expectEqual(f, 0x1000_0000, "MAP_FIXED")
        t.expectEqual(test_pte(mm, 0x1000_0000), 0, "MAP_FIXED replaced the old page")
        t.expectEqual(do_mmap(mm, 0x1000_0000, PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED_NOREPLACE), Errno.EEXIST.negated, "NOREPLACE")
        // Adjacent private areas with the same permissions merge.
        let before = test_vma_count(mm)
        _ = do_mmap(mm, 0x1000_0000 + 2 * PAGE_SIZE, PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED)
        t.expectEqual(test_vma_count(mm), before, "merged with its neighbour")
        t.expectEqual(mm.mapCount, test_vma_count(mm), "map_count tracks the list")
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "syscall_argument_errors") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        ktest_current_mm = mm
        t.expectEqual(sys_mmap(0, 0, RW, ANON_PRIVATE, UInt64.max, 0), Errno.EINVAL.negated, "len 0")
        t.expectEqual(sys_mmap(0, 4096, RW, ANON_PRIVATE, UInt64.max, 100), Errno.EINVAL.negated, "unaligned offset")
        t.expectEqual(sys_mmap(0, 4096, RW, MAP_ANONYMOUS, UInt64.max, 0), Errno.EINVAL.negated, "neither private nor shared")
        t.expectEqual(sys_mmap(0, 4096, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, UInt64.max, 0), Errno.EINVAL.negated, "both")
        t.expectEqual(sys_mmap(0, 4096, RW, MAP_PRIVATE, 3, 0), Errno.EBADF.negated, "file mapping")
        t.expectEqual(sys_mmap(0x10_0001, 4096, RW, ANON_PRIVATE | MAP_FIXED, UInt64.max, 0), Errno.EINVAL.negated, "MAP_FIXED unaligned")
        t.expectEqual(sys_mmap(0, 1 << 47, RW, ANON_PRIVATE, UInt64.max, 0), Errno.ENOMEM.negated, "too big")
        t.expectEqual(sys_mmap(0, UInt64.max - 10, RW, ANON_PRIVATE, UInt64.max, 0), Errno.ENOMEM.negated, "length overflows")
        t.expectEqual(sys_mmap(TASK_SIZE - 4096, 8192, RW, ANON_PRIVATE | MAP_FIXED, UInt64.max, 0), Errno.ENOMEM.negated, "MAP_FIXED past TASK_SIZE")
        t.expectEqual(sys_munmap(0x10_0001, 4096), Errno.EINVAL.negated, "munmap unaligned")
        t.expectEqual(sys_munmap(0x10_0000, 0), Errno.EINVAL.negated, "munmap len 0")
        t.expectEqual(sys_munmap(0x10_0000, 4096), 0, "munmap of nothing")
        let a = UInt64(sys_mmap(0, 4 * PAGE_SIZE, RW, ANON_PRIVATE, UInt64.max, 0))
        t.expectEqual(sys_mprotect(a + 1, 4096, PROT_READ), Errno.EINVAL.negated, "mprotect unaligned")
        t.expectEqual(sys_mprotect(a, 4096, 0x40), Errno.EINVAL.negated, "mprotect bad prot")
        t.expectEqual(sys_mprotect(a, 0, PROT_READ), 0, "mprotect len 0")
        t.expectEqual(sys_mprotect(a - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), Errno.ENOMEM.negated, "mprotect starting in a hole")
        t.expectEqual(sys_munmap(a + PAGE_SIZE, PAGE_SIZE), 0, "punch a hole")
        t.expectEqual(sys_mprotect(a, 4 * PAGE_SIZE, PROT_READ), Errno.ENOMEM.negated, "mprotect across a hole")
        t.expect(find_vma(mm, a)?.flags.contains(.write) == false, "the part before the hole was changed (Linux)")
        ktest_current_mm = nil
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "munmap_splits_in_three") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let a = UInt64(do_mmap(mm, 0, 5 * PAGE_SIZE, RW, ANON_PRIVATE))
        for i in 0..<5 { _ = handle_mm_fault_ok(mm, a + UInt64(i) * PAGE_SIZE, PF_WRITE_USER) }
        let frames = nr_free_pages()
        t.expectEqual(do_munmap(mm, a + PAGE_SIZE, 2 * PAGE_SIZE), 0, "munmap the middle")
        t.expectEqual(nr_free_pages(), frames + 2, "two frames freed")
        t.expectEqual(test_vma_count(mm), 2, "one area became two (and a hole)")
        let lo = find_vma(mm, a), hi = find_vma(mm, a + PAGE_SIZE)
        t.expect(lo?.start == a && lo?.end == a + PAGE_SIZE, "low part")
        t.expect(hi?.start == a + 3 * PAGE_SIZE && hi?.end == a + 5 * PAGE_SIZE, "high part")
        t.expect(!handle_mm_fault_ok(mm, a + PAGE_SIZE, PF_READ_USER), "hole faults")
        t.expect(test_pte(mm, a) & 1 != 0 && test_pte(mm, a + 3 * PAGE_SIZE) & 1 != 0, "the rest still mapped")
        t.expectEqual(do_munmap(mm, a, 5 * PAGE_SIZE), 0, "munmap across the hole")
        t.expectEqual(test_vma_count(mm), 0, "nothing left")
        t.expectEqual(mm.rss, 0, "rss 0")
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "mprotect_splits_and_merges") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let a = UInt64(do_mmap(mm, 0, 3 * PAGE_SIZE, RW, ANON_PRIVATE))
        for i in 0..<3 { _ = handle_mm_fault_ok(mm, a + UInt64(i) * PAGE_SIZE, PF_WRITE_USER) }
        t.expect(test_pte(mm, a + PAGE_SIZE) & PTEFlags.writable.rawValue != 0, "writable before")
        t.expectEqual(do_mprotect(mm, a + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0, "mprotect the middle")
        t.expectEqual(test_vma_count(mm), 3, "three areas")
        t.expectEqual(test_pte(mm, a + PAGE_SIZE) & PTEFlags.writable.rawValue, 0, "middle PTE read-only")
        t.expect(test_pte(mm, a) & PTEFlags.writable.rawValue != 0, "neighbour still writable")
        t.expect(!handle_mm_fault_ok(mm, a + PAGE_SIZE, PF_WRITE_USER), "write to it fails")
        t.expect(handle_mm_fault_ok(mm, a + PAGE_SIZE, PF_READ_USER), "read is fine")
        t.expectEqual(do_mprotect(mm, a + PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0, "PROT_NONE")
        let e = test_pte(mm, a + PAGE_SIZE)
        t.expect(e & 1 == 0 && e & PTEFlags.protNone.rawValue != 0, "not present, frame kept")
        t.expect(!handle_mm_fault_ok(mm, a + PAGE_SIZE, PF_READ_USER), "PROT_NONE read fails")
        t.expectEqual(do_mprotect(mm, a, 3 * PAGE_SIZE, RW | PROT_EXEC), 0, "all rwx")
        t.expectEqual(test_vma_count(mm), 1, "merged back into one")
        t.expect(test_pte(mm, a + PAGE_SIZE) & PTEFlags.writable.rawValue != 0, "writable again, same frame")
        t.expectEqual(test_pte(mm, a + PAGE_SIZE) & PTEFlags.noExecute.rawValue, 0, "executable")
        mmput(mm)
        leaks.verify(&t)
    },
    KUnitCase(name: "brk_grow_and_shrink") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        mm.startBrk = 0x60_1000; mm.brk = 0x60_1000
        t.expectEqual(do_sys_brk(mm, 0), 0x60_1000, "brk(0) answers the current break")
        t.expectEqual(do_sys_brk(mm, 0x60_1000 + 3 * PAGE_SIZE + 10), 0x60_1000 + 3 * 4096 + 10, "grow")
        t.expectEqual(do_sys_brk(mm, 0x60_0000), 0x60_400a, "below start_brk: the current break")
        t.expect(handle_mm_fault_ok(mm, 0x60_4008, PF_WRITE_USER), "heap is demand-zero writable")
        t.expectEqual(test_peek64(mm, 0x60_4000) ?? 1, 0, "zeroed")
        t.expectEqual(find_vma(mm, 0x60_1000)?.end ?? 0, 0x60_5000, "heap area ends at the aligned break")
        t.expectEqual(do_sys_brk(mm, 0x60_1000 + 8 * PAGE_SIZE), 0x60_9000, "grow again")
        t.expectEqual(test_vma_count(mm), 1, "extended, not a second area")
        // Something mapped above blocks the growth.
        _ = do_mmap(mm, 0x70_0000, PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED)
        t.expectEqual(do_sys_brk(mm, 0x70_0000), 0x60_9000, "no growth into a mapping")
        t.expectEqual(do_sys_brk(mm, 0x6f_f001), 0x60_9000, "a page must stay free below it")
        t.expectEqual(do_sys_brk(mm, 0x6f_f000), 0x6f_f000, "up to that page is fine")
        let frames = nr_free_pages()
        t.expectEqual(do_sys_brk(mm, 0x60_1000), 0x60_1000, "shrink")
        t.expectEqual(nr_free_pages(), frames + 1, "the faulted heap page freed")
        t.expect(!handle_mm_fault_ok(mm, 0x60_4008, PF_READ_USER), "gone")
        mmput(mm)
        leaks.verify(&t)
    },
])

let mm_fork_suite = KUnitSuite(name: "mm_fork", cases: [
    KUnitCase(name: "dup_mm_copy_on_write") { t in
        let leaks = LeakCheck()
        guard let parent = mm_alloc() else { return }
        let a = UInt64(do_mmap(parent, 0, 2 * PAGE_SIZE, RW, ANON_PRIVATE))
        _ = handle_mm_fault_ok(parent, a, PF_WRITE_USER)
        test_poke64(parent, a, 0xfeed)
        parent.brk = 0x1234
        guard let child = dup_mm(parent) else { t.expect(false, "dup_mm"); return }
        t.expectEqual(child.brk, 0x1234, "layout copied")
        t.expectEqual(test_vma_count(child), 1, "areas copied")
        let pe = test_pte(parent, a), ce = test_pte(child, a)
        t.expectEqual(pe, ce, "same entry in both")
        t.expectEqual(pe & PTEFlags.writable.rawValue, 0, "read-only")
        t.expect(pe & PTEFlags.cow.rawValue != 0, "cow")
        guard let frame = pte_frame(pe) else { return }
        t.expectEqual(page_count(frame), 2, "two references")
        t.expectEqual(test_pte(child, a + PAGE_SIZE), 0, "untouched page stays unmapped in the child")
        // The child writes: it gets its own copy.
        t.expect(handle_mm_fault_ok(child, a, [.user, .write, .present]), "child write fault")
        let ce2 = test_pte(child, a)
        t.expect(ce2 & PTEFlags.writable.rawValue != 0 && ce2 & PTEFlags.cow.rawValue == 0, "child writable")
        t.expect(pte_frame(ce2) != frame, "child has a new frame")
        t.expectEqual(test_peek64(child, a) ?? 0, 0xfeed, "with the data")
        test_poke64(child, a, 0xbad)
        t.expectEqual(test_peek64(parent, a) ?? 0, 0xfeed, "parent's data untouched")
        t.expectEqual(page_count(frame), 1, "old frame has one reference left")
        // The parent writes: it is the only user now, so it just gets write access.
        t.expect(handle_mm_fault_ok(parent, a, [.user, .write, .present]), "parent write fault")
        t.expect(pte_frame(test_pte(parent, a)) == frame, "parent keeps its frame")
        t.expect(test_pte(parent, a) & PTEFlags.writable.rawValue != 0, "parent writable")
        mmput(parent)
        mmput(child)
        leaks.verify(&t)
    },
    KUnitCase(name: "dup_mm_then_free_in_either_order") { t in
        let leaks = LeakCheck()
        guard let parent = mm_alloc() else { return }
        let a = UInt64(do_mmap(parent, 0, 16 * PAGE_SIZE, RW, ANON_PRIVATE))
        for i in 0..<16 { _ = handle_mm_fault_ok(parent, a + UInt64(i) * PAGE_SIZE, PF_WRITE_USER) }
        guard let c1 = dup_mm(parent), let c2 = dup_mm(c1) else { t.expect(false, "dup"); return }
        guard let f = pte_frame(test_pte(parent, a)) else { return }
        t.expectEqual(page_count(f), 3, "three mms share the frame")
        _ = handle_mm_fault_ok(c1, a, PF_WRITE_USER)
        t.expectEqual(page_count(f), 2, "one copied away")
        mmput(parent)
        t.expectEqual(page_count(f), 1, "parent gone")
        mmput(c2)
        mmput(c1)
        leaks.verify(&t)
    },
    KUnitCase(name: "fork_exit_rounds_leak_nothing") { t in
        // leak_rounds' kernel side: a loaded program forks 200 children that
        // write its .data, stack, a fresh mmap and brk, and exit.
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        let none = ArgBuffer()
        let r = test_load(image: elf.image, argv: none, envp: none, execfn: .empty)
        guard let parent = r.mm else { elf.free(); t.expect(false, "load"); return }
        _ = handle_mm_fault_ok(parent, 0x40_2010, PF_WRITE_USER)
        _ = handle_mm_fault_ok(parent, r.sp, PF_WRITE_USER)
        let afterLoad = nr_free_pages()
        var good = 0
        for i in 0..<200 {
            guard let child = dup_mm(parent) else { break }
            var ok = handle_mm_fault_ok(child, 0x40_2010, [.user, .write, .present])
            ok = ok && handle_mm_fault_ok(child, r.sp - 64, [.user, .write, .present])
            if i % 2 == 0 {
                let m = do_mmap(child, 0, 3 * PAGE_SIZE, RW, ANON_PRIVATE)
                ok = ok && m > 0 && handle_mm_fault_ok(child, UInt64(m), PF_WRITE_USER)
            } else {
                let b = UInt64(do_sys_brk(child, child.brk + 2 * PAGE_SIZE))
                ok = ok && handle_mm_fault_ok(child, b - 8, PF_WRITE_USER)
            }
            test_poke64(child, 0x40_2010, UInt64(i))
            if ok && test_peek64(parent, 0x40_2010) == 0xda7a_da7a_da7a_da7a { good += 1 }
            mmput(child)
        }
        t.expectEqual(good, 200, "every round")
        t.expectEqual(nr_free_pages(), afterLoad, "the parent's frames only")
        mmput(parent)
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "shared_anonymous_stays_shared") { t in
        let leaks = LeakCheck()
        guard let parent = mm_alloc() else { return }
        let s = UInt64(do_mmap(parent, 0, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS))
        t.expect(test_pte(parent, s) & PTEFlags.writable.rawValue != 0, "populated and writable at mmap time")
        guard let child = dup_mm(parent) else { return }
        let pe = test_pte(parent, s), ce = test_pte(child, s + PAGE_SIZE - 8)
        t.expect(pte_frame(pe) == pte_frame(test_pte(child, s)), "same frame in both")
        t.expect(follow_page_frame(parent, s + 8) == pte_frame(pe) && follow_page_frame(child, s + 8) == pte_frame(pe),
                 "follow_page_frame names the shared frame from both sides")
        t.expect(follow_page_frame(parent, 0x1000) == nil, "follow_page_frame: nothing there")
        t.expect(ce & PTEFlags.writable.rawValue != 0 && ce & PTEFlags.cow.rawValue == 0, "writable, not cow")
        test_poke64(child, s + 16, 123_456_789)
        t.expectEqual(test_peek64(parent, s + 16) ?? 0, 123_456_789, "the parent sees the child's write")
        t.expect(handle_mm_fault_ok(child, s, [.user, .write, .present]), "a write fault keeps sharing")
        t.expect(pte_frame(test_pte(child, s)) == pte_frame(pe), "still the same frame")
        mmput(parent)
        t.expectEqual(test_peek64(child, s + 16) ?? 0, 123_456_789, "outlives the parent")
        mmput(child)
        leaks.verify(&t)
    },
])

let mm_usercopy_suite = KUnitSuite(name: "mm_usercopy", cases: [
    KUnitCase(name: "copies_fault_in_and_fail_cleanly") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let a = UInt64(do_mmap(mm, 0, 2 * PAGE_SIZE, RW, ANON_PRIVATE))
        let ro = UInt64(do_mmap(mm, 0, PAGE_SIZE, PROT_READ, ANON_PRIVATE))
        switch_mm(mm)
        ktest_current_mm = mm
        var buf = InlineArray<32, UInt8>(repeating: 0)
        var out = InlineArray<32, UInt8>(repeating: 0)
        for i in 0..<32 { buf[i] = UInt8(i + 65) }
        buf[20] = 0
        var ok1 = false, ok2 = false, bad1 = true, bad2 = true, bad3 = true, bad4 = true, roWrite = true
        var straddle = false
        withUnsafeMutableBytes(of: &buf) { b in
            withUnsafeMutableBytes(of: &out) { o in
                guard let bp = b.baseAddress, let op = o.baseAddress else { return }
                // Not yet faulted in: the copy faults, handle_mm_fault maps it, the copy goes on.
                ok1 = copy_to_user(a + 100, bp, 32)
                ok2 = copy_from_user(op, a + 100, 32)
                straddle = copy_to_user(a + PAGE_SIZE - 5, bp, 10)
                bad1 = copy_to_user(0x1000, bp, 8)                  // no area
                bad2 = copy_from_user(op, 0x1000, 8)
                bad3 = copy_from_user(op, PAGE_OFFSET, 8)           // a kernel address: access_ok
                bad4 = copy_to_user(TASK_SIZE - 4, bp, 8)           // runs past TASK_SIZE
                roWrite = copy_to_user(ro, bp, 8)                   // read-only area
            }
        }
        t.expect(ok1 && ok2, "copy to and from a demand-zero page")
        t.expect(straddle, "a copy across a page boundary")
        var same = true
        for i in 0..<32 where out[i] != buf[i] { same = false }
        t.expect(same, "data round trip")
        t.expect(!bad1 && !bad2, "unmapped user address fails without an oops")
        t.expect(!bad3 && !bad4, "kernel addresses refused")
        t.expect(!roWrite, "write to a read-only area fails")
        var name = InlineArray<64, UInt8>(repeating: 0xff)
        let (n1, n2, n3, n4) = withUnsafeMutableBytes(of: &name) { nb -> (Int, Int, Int, Int) in
            guard let np = nb.baseAddress else { return (0, 0, 0, 0) }
            return (strncpy_from_user(np, a + 100, 64), strncpy_from_user(np, a + 100, 10),
                    strncpy_from_user(np, 0x1000, 64), strnlen_user(a + 100, 64))
        }
        t.expectEqual(n1, 20, "strncpy_from_user length")
        t.expectEqual(name[20], 0, "NUL copied")
        t.expectEqual(n2, 10, "too long: max, unterminated (Linux)")
        t.expectEqual(n3, Errno.EFAULT.negated, "bad string address")
        t.expectEqual(n4, 21, "strnlen_user counts the NUL")
        t.expect(put_user(UInt32(0xdead_beef), a + 8), "put_user of a u32")
        t.expectEqual((get_user(a + 8) as UInt64?) ?? 0, 0xdead_beef, "get_user of a u64")
        t.expect(put_user(UInt64(7), a + 16) && clear_user(a + 16, 8), "put_user of a u64, clear_user")
        t.expectEqual((get_user(a + 16) as UInt64?) ?? 1, 0, "cleared")
        t.expect((get_user(0x2000) as UInt64?) == nil, "get_user on a bad address")
        t.expect(access_ok(1, 0) && !access_ok(PAGE_OFFSET, 0) && !access_ok(0x8000_0000_0000_0000, 8), "access_ok")
        t.expect(access_ok(TASK_SIZE - 8, 8) && !access_ok(TASK_SIZE - 8, 9) && !access_ok(TASK_SIZE, 0), "access_ok at the top")
        t.expect(!access_ok(0x1000, Int.max), "access_ok no wraparound")
        // After fork the parent's page is copy-on-write: the kernel writing
        // a status word into it must break the COW, not oops or fail.
        if let child = dup_mm(mm) {
            guard let shared = pte_frame(test_pte(mm, a)) else { return }
            t.expect(put_user(UInt32(42), a + 8), "put_user into a cow page")
            t.expect(pte_frame(test_pte(mm, a)) != shared, "the writer got a copy")
            t.expectEqual(test_peek64(child, a + 8) ?? 0, 0xdead_beef, "the child's copy unchanged")
            mmput(child)
        }
        ktest_current_mm = nil
        switch_mm(nil)
        t.expectEqual(read_cr3() & PTE_ADDR_MASK, init_pgd.pa.value, "back on init_pgd")
        mmput(mm)
        leaks.verify(&t)
    },
])

/// handle_mm_fault() as a yes/no, for the self-tests' expectations.
func handle_mm_fault_ok(_ mm: MMStruct, _ address: UInt64, _ error: PFErrorCode) -> Bool {
    handle_mm_fault(mm, address, error) == .ok
}
