// Self-tests for exec's memory side: copy_strings, and load_elf_binary on a
// tiny ELF image built here (header, two PT_LOADs with a bss, PT_GNU_STACK),
// the initial stack read back through the new mm, and the rejections.

import CShim

/// A minimal static executable in a kmalloc'd buffer:
///   PT_LOAD R+X  offset 0      vaddr 0x400000 filesz 0x1010 (header + code at 0x401000)
///   PT_LOAD R+W  offset 0x1010 vaddr 0x402010 filesz 0x10  memsz 0x3000 (bss)
///   PT_GNU_STACK RW
struct TestElf {
    static let size = 0x1020
    let buf: UnsafeMutableRawPointer

    init?(type: UInt16 = ET_EXEC, base: UInt64 = 0x40_0000) {
        guard let b = kzalloc(TestElf.size) else { return nil }
        buf = b
        let magic: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x7f, 0x45, 0x4c, 0x46, 2, 1, 1)
        withUnsafeBytes(of: magic) { for i in 0..<7 { b.storeBytes(of: $0[i], toByteOffset: i, as: UInt8.self) } }
        put16(16, type); put16(18, EM_X86_64); put32(20, 1)
        put64(24, base + 0x1000)      // e_entry
        put64(32, 64)                 // e_phoff
        put16(52, 64); put16(54, 56); put16(56, 3)
        phdr(0, PT_LOAD, PF_R | PF_X, off: 0, vaddr: base, filesz: 0x1010, memsz: 0x1010)
        phdr(1, PT_LOAD, PF_R | PF_W, off: 0x1010, vaddr: base + 0x2010, filesz: 0x10, memsz: 0x3000)
        phdr(2, PT_GNU_STACK, PF_R | PF_W, off: 0, vaddr: 0, filesz: 0, memsz: 0)
        put64(0x1000, 0xc3c3_c3c3_0f0b_9090)   // "code"
        put64(0x1008, 0x1111_2222_3333_4444)
        put64(0x1010, 0xda7a_da7a_da7a_da7a)   // .data
        put64(0x1018, 0x5555_6666_7777_8888)
    }

    func put16(_ o: Int, _ v: UInt16) { buf.storeBytes(of: v, toByteOffset: o, as: UInt16.self) }
    func put32(_ o: Int, _ v: UInt32) { buf.storeBytes(of: v, toByteOffset: o, as: UInt32.self) }
    func put64(_ o: Int, _ v: UInt64) { buf.storeBytes(of: v, toByteOffset: o, as: UInt64.self) }

    func phdr(_ i: Int, _ type: UInt32, _ flags: UInt32, off: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64) {
        let at = 64 + i * 56
        put32(at, type); put32(at + 4, flags); put64(at + 8, off); put64(at + 16, vaddr)
        put64(at + 24, vaddr); put64(at + 32, filesz); put64(at + 40, memsz); put64(at + 48, 0x1000)
    }

    var image: ByteString { ByteString(UnsafePointer(buf.assumingMemoryBound(to: UInt8.self)), count: TestElf.size) }
    func free() { kfree(buf) }
}

/// load_elf_binary's outcome in one value, for the tests.
struct TestLoad {
    let mm: MMStruct?
    let entry: UInt64
    let sp: UInt64
    let err: Int
}

func test_load(image: ByteString, argv: ArgBuffer, envp: ArgBuffer, execfn: ByteString) -> TestLoad {
    var img = ElfImage()
    let r = load_elf_binary(image, argv: argv, envp: envp, execfn: execfn, into: &img)
    return TestLoad(mm: r == 0 ? img.mm : nil, entry: img.entry, sp: img.sp, err: r)
}

/// Reads a u64 of `mm` through access_remote_vm (0 if unreadable).
func test_read_u64(_ mm: MMStruct, _ va: UInt64) -> UInt64 {
    var v: UInt64 = 0
    _ = withUnsafeMutablePointer(to: &v) { access_remote_vm(mm, va, UnsafeMutableRawPointer($0), 8, write: false) }
    return v
}

/// Whether the NUL-terminated string at `va` in `mm` equals `s`.
func test_user_string_equals(_ mm: MMStruct, _ va: UInt64, _ s: StaticString) -> Bool {
    var ok = true
    s.withUTF8Buffer { lit in
        for i in 0...lit.count {
            var c: UInt8 = 0
            _ = withUnsafeMutablePointer(to: &c) { access_remote_vm(mm, va + UInt64(i), UnsafeMutableRawPointer($0), 1, write: false) }
            if c != (i < lit.count ? lit[i] : 0) { ok = false }
        }
    }
    return ok
}

/// The value of auxv entry `id` on the stack at `sp` (argc at sp), or nil.
func test_auxv(_ mm: MMStruct, _ sp: UInt64, _ id: UInt64) -> UInt64? {
    let argc = test_read_u64(mm, sp)
    var p = sp + 8 + (argc + 1) * 8
    while test_read_u64(mm, p) != 0 { p += 8 }     // envp
    p += 8
    while true {
        let k = test_read_u64(mm, p)
        if k == id { return test_read_u64(mm, p + 8) }
        if k == AT_NULL { return nil }
        p += 16
    }
}

let mm_exec_suite = KUnitSuite(name: "mm_exec", cases: [
    KUnitCase(name: "load_static_elf_segments") { t in
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        let noArgs = ArgBuffer()
        let r = test_load(image: elf.image, argv: noArgs, envp: noArgs, execfn: .empty)
        t.expectEqual(r.err, 0, "loads")
        guard let mm = r.mm else { elf.free(); return }
        t.expectEqual(r.entry, 0x40_1000, "entry")
        t.expectEqual(test_read_u64(mm, 0x40_1000), 0xc3c3_c3c3_0f0b_9090, "code bytes")
        t.expectEqual(test_read_u64(mm, 0x40_0000) & 0xffff_ffff, 0x464c_457f, "the header is mapped with the first page")
        t.expectEqual(test_read_u64(mm, 0x40_2010), 0xda7a_da7a_da7a_da7a, "data bytes")
        t.expectEqual(test_read_u64(mm, 0x40_2000), 0xc3c3_c3c3_0f0b_9090, "the shared file page shows the code too (as a file mapping would)")
        t.expectEqual(test_read_u64(mm, 0x40_2020), 0, "bss zeroed in the last file page")
        t.expectEqual(test_pte(mm, 0x40_3000), 0, "later bss pages are demand-zero")
        let text = test_pte(mm, 0x40_1000), data = test_pte(mm, 0x40_2000)
        t.expect(text & PTEFlags.writable.rawValue == 0 && text & PTEFlags.noExecute.rawValue == 0, "text r-x")
        t.expect(data & PTEFlags.writable.rawValue != 0 && data & PTEFlags.noExecute.rawValue != 0, "data rw-")
        t.expect(!handle_mm_fault_ok(mm, 0x40_1000, PF_WRITE_USER), "text not writable")
        t.expect(handle_mm_fault_ok(mm, 0x40_5008, PF_WRITE_USER), "bss writable")
        t.expectEqual(mm.startBrk, 0x40_6000, "brk after the bss")
        t.expectEqual(mm.brk, 0x40_6000, "brk")
        t.expectEqual(mm.startCode, 0x40_0000, "start_code")
        t.expectEqual(mm.endCode, 0x40_1010, "end_code")
        t.expectEqual(mm.endData, 0x40_2020, "end_data")
        guard let stack = find_vma(mm, STACK_TOP - 1) else { t.expect(false, "stack area"); return }
        t.expect(stack.end == STACK_TOP && stack.start == page_align_down(mm.startStack) - STACK_EXPAND,
                 "the stack: the strings and 128 KiB below them (setup_arg_pages)")
        t.expect(stack.flags.contains(.growsDown) && !stack.flags.contains(.exec), "grows down, not executable")
        t.expect(handle_mm_fault_ok(mm, STACK_TOP - STACK_SIZE_MAX + 8, PF_WRITE_USER), "a fault below grows it to RLIMIT_STACK")
        t.expect(stack.start == STACK_TOP - STACK_SIZE_MAX, "grown to the faulting page")
        t.expect(!handle_mm_fault_ok(mm, STACK_TOP - STACK_SIZE_MAX - 8, PF_WRITE_USER), "not past RLIMIT_STACK")
        mmput(mm)
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "initial_stack_layout") { t in
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        var argv = ArgBuffer(), envp = ArgBuffer()
        t.expect(argv.append("/bin/prog") && argv.append("-x") && argv.append(""), "argv")
        t.expect(envp.append("HOME=/") && envp.append("TERM=linux"), "envp")
        let fnText: StaticString = "/bin/prog"
        let fn = ByteString(fnText.utf8Start, count: fnText.utf8CodeUnitCount)
        let r = test_load(image: elf.image, argv: argv, envp: envp, execfn: fn)
        guard let mm = r.mm else { t.expect(false, "load failed \(r.err)"); return }
        let sp = r.sp
        t.expectEqual(sp & 15, 0, "rsp 16-byte aligned at argc")
        t.expectEqual(test_read_u64(mm, sp), 3, "argc")
        let a0 = test_read_u64(mm, sp + 8), a1 = test_read_u64(mm, sp + 16), a2 = test_read_u64(mm, sp + 24)
        t.expect(test_user_string_equals(mm, a0, "/bin/prog"), "argv[0]")
        t.expect(test_user_string_equals(mm, a1, "-x"), "argv[1]")
        t.expect(test_user_string_equals(mm, a2, ""), "argv[2] empty")
        t.expectEqual(test_read_u64(mm, sp + 32), 0, "argv NULL")
        let e0 = test_read_u64(mm, sp + 40), e1 = test_read_u64(mm, sp + 48)
        t.expect(test_user_string_equals(mm, e0, "HOME=/"), "envp[0]")
        t.expect(test_user_string_equals(mm, e1, "TERM=linux"), "envp[1]")
        t.expectEqual(test_read_u64(mm, sp + 56), 0, "envp NULL")
        // Strings: argv then envp then execfn, contiguous, up to STACK_TOP - 8.
        t.expectEqual(a0, mm.argStart, "arg_start")
        t.expectEqual(mm.argEnd, mm.envStart, "arg_end = env_start")
        t.expectEqual(e0, mm.envStart, "env_start")
        t.expectEqual(mm.envEnd + 10, STACK_TOP - 8, "execfn right below the top pointer")
        t.expectEqual(test_auxv(mm, sp, AT_EXECFN) ?? 0, mm.envEnd, "AT_EXECFN")
        t.expect(test_user_string_equals(mm, mm.envEnd, "/bin/prog"), "execfn string")
        t.expectEqual(test_auxv(mm, sp, AT_PAGESZ) ?? 0, 4096, "AT_PAGESZ")
        t.expectEqual(test_auxv(mm, sp, AT_PHDR) ?? 0, 0x40_0040, "AT_PHDR")
        t.expectEqual(test_auxv(mm, sp, AT_PHENT) ?? 0, 56, "AT_PHENT")
        t.expectEqual(test_auxv(mm, sp, AT_PHNUM) ?? 0, 3, "AT_PHNUM")
        t.expectEqual(test_auxv(mm, sp, AT_ENTRY) ?? 0, 0x40_1000, "AT_ENTRY")
        t.expectEqual(test_auxv(mm, sp, AT_BASE) ?? 1, 0, "AT_BASE")
        t.expectEqual(test_auxv(mm, sp, AT_UID) ?? 1, 0, "AT_UID")
        t.expectEqual(test_auxv(mm, sp, AT_SECURE) ?? 1, 0, "AT_SECURE")
        t.expectEqual(test_auxv(mm, sp, AT_CLKTCK) ?? 0, 100, "AT_CLKTCK")
        let rnd = test_auxv(mm, sp, AT_RANDOM) ?? 0, plat = test_auxv(mm, sp, AT_PLATFORM) ?? 0
        t.expect(test_user_string_equals(mm, plat, "x86_64"), "AT_PLATFORM")
        t.expectEqual(rnd + 16, plat, "AT_RANDOM's 16 bytes right below the platform string")
        t.expect(test_read_u64(mm, rnd) != 0 || test_read_u64(mm, rnd + 8) != 0, "random bytes")
        t.expectEqual(plat, (mm.startStack & ~15) - 7, "platform string below the aligned strings")
        mmput(mm)
        argv.release(); envp.release()
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "stack_addresses_match_linux") { t in
        // Recorded on Linux 6.18 under `setarch -R env -i HOME=/ TERM=linux
        // /tmp/elftest/dump a "b c" ""`: where each string and AT_RANDOM /
        // AT_PLATFORM land. Linux's auxv has 3 entries we do not provide
        // (AT_SYSINFO_EHDR, AT_RSEQ_FEATURE_SIZE/ALIGN), so our rsp is
        // 3 * 16 bytes higher than its 0x7fffffffede0.
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        var argv = ArgBuffer(), envp = ArgBuffer()
        _ = argv.append("/tmp/elftest/dump"); _ = argv.append("a"); _ = argv.append("b c"); _ = argv.append("")
        _ = envp.append("HOME=/"); _ = envp.append("TERM=linux")
        let fnText: StaticString = "/tmp/elftest/dump"
        let r = test_load(image: elf.image, argv: argv, envp: envp,
                                execfn: ByteString(fnText.utf8Start, count: fnText.utf8CodeUnitCount))
        if let mm = r.mm {
            t.expectEqual(r.sp, 0x7fff_ffff_ede0 + 48, "rsp")
            t.expectEqual(test_read_u64(mm, r.sp + 8), 0x7fff_ffff_efbb, "argv[0]")
            t.expectEqual(test_read_u64(mm, r.sp + 16), 0x7fff_ffff_efcd, "argv[1]")
            t.expectEqual(test_read_u64(mm, r.sp + 24), 0x7fff_ffff_efcf, "argv[2]")
            t.expectEqual(test_read_u64(mm, r.sp + 32), 0x7fff_ffff_efd3, "argv[3]")
            t.expectEqual(test_read_u64(mm, r.sp + 48), 0x7fff_ffff_efd4, "envp[0]")
            t.expectEqual(test_read_u64(mm, r.sp + 56), 0x7fff_ffff_efdb, "envp[1]")
            t.expectEqual(test_auxv(mm, r.sp, AT_EXECFN) ?? 0, 0x7fff_ffff_efe6, "AT_EXECFN")
            t.expectEqual(test_auxv(mm, r.sp, AT_RANDOM) ?? 0, 0x7fff_ffff_ef99, "AT_RANDOM")
            t.expectEqual(test_auxv(mm, r.sp, AT_PLATFORM) ?? 0, 0x7fff_ffff_efa9, "AT_PLATFORM")
            mmput(mm)
        } else { t.expect(false, "load failed \(r.err)") }
        argv.release(); envp.release(); elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "static_pie_goes_top_down") { t in
        let leaks = LeakCheck()
        guard let elf = TestElf(type: ET_DYN, base: 0) else { return }
        let none = ArgBuffer()
        let r = test_load(image: elf.image, argv: none, envp: none, execfn: .empty)
        if let mm = r.mm {
            let bias = MMAP_BASE - 0x6000
            t.expectEqual(r.entry, bias + 0x1000, "entry relocated below mmap_base")
            t.expectEqual(test_read_u64(mm, bias + 0x2010), 0xda7a_da7a_da7a_da7a, "data relocated")
            t.expectEqual(test_auxv(mm, r.sp, AT_PHDR) ?? 0, bias + 64, "AT_PHDR relocated")
            t.expectEqual(mm.brk, 0x5555_5555_5000, "brk moved to ELF_ET_DYN_BASE (as Linux 6.18 under setarch -R)")
            mmput(mm)
        } else {
            t.expect(false, "ET_DYN load failed \(r.err)")
        }
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "load_initramfs_init") { t in
        // A real static binary, when the boot has an initramfs with /init
        // (e.g. a gcc -static or -static-pie program): every PT_LOAD's first
        // bytes must read back at its address, and the auxv must describe it.
        let path: StaticString = "/init"
        guard let entry = rootfs.lookup(ByteString(path.utf8Start, count: path.utf8CodeUnitCount)), entry.isRegular else {
            t.skip("no /init in the initramfs"); return
        }
        let leaks = LeakCheck()
        let image = entry.data
        var argv = ArgBuffer(), envp = ArgBuffer()
        _ = argv.append("/init"); _ = envp.append("HOME=/")
        let r = test_load(image: image, argv: argv, envp: envp, execfn: ByteString(path.utf8Start, count: 5))
        if let mm = r.mm {
            let type = UInt16(image[16]) | UInt16(image[17]) << 8
            let eEntry = image.base.map { UnsafeRawPointer($0).loadUnaligned(fromByteOffset: 24, as: UInt64.self) } ?? 0
            let phnum = Int(image[56]) | Int(image[57]) << 8
            let bias = r.entry &- eEntry
            if type == ET_EXEC { t.expectEqual(bias, 0, "ET_EXEC is not relocated") }
            t.expectEqual(test_auxv(mm, r.sp, AT_ENTRY) ?? 0, r.entry, "AT_ENTRY")
            t.expectEqual(test_auxv(mm, r.sp, AT_PHNUM) ?? 0, UInt64(phnum), "AT_PHNUM")
            var loads = 0
            for i in 0..<phnum {
                let at = 64 + i * 56
                guard let base = image.base else { break }
                let raw = UnsafeRawPointer(base)
                let ptype = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
                let off = raw.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)
                let vaddr = raw.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self)
                let filesz = raw.loadUnaligned(fromByteOffset: at + 32, as: UInt64.self)
                guard ptype == PT_LOAD, filesz >= 8 else { continue }
                loads += 1
                let want = raw.loadUnaligned(fromByteOffset: Int(off), as: UInt64.self)
                t.expectEqual(test_read_u64(mm, vaddr &+ bias), want, "PT_LOAD bytes")
                if off == 0 { t.expectEqual(test_auxv(mm, r.sp, AT_PHDR) ?? 0, vaddr &+ bias &+ 64, "AT_PHDR") }
            }
            t.expect(loads > 0, "has PT_LOAD segments")
            t.expectEqual(mm.brk & (PAGE_SIZE - 1), 0, "brk page aligned")
            pr_info("mm_exec: /init type \(type) entry \(hex: r.entry) sp \(hex: r.sp) brk \(hex: mm.brk) areas \(mm.mapCount)")
            mmput(mm)
        } else {
            t.expect(false, "load_elf_binary(/init) failed: \(r.err)")
        }
        argv.release(); envp.release()
        leaks.verify(&t)
    },
    KUnitCase(name: "empty_argv_gets_empty_argv0") { t in
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        let none = ArgBuffer()
        let r = test_load(image: elf.image, argv: none, envp: none, execfn: .empty)
        if let mm = r.mm {
            t.expectEqual(test_read_u64(mm, r.sp), 1, "argc 1")
            t.expect(test_user_string_equals(mm, test_read_u64(mm, r.sp + 8), ""), "argv[0] is \"\"")
            t.expectEqual(test_read_u64(mm, r.sp + 16), 0, "argv[1] NULL")
            mmput(mm)
        }
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "rejects_bad_images") { t in
        let leaks = LeakCheck()
        guard let elf = TestElf() else { return }
        let none = ArgBuffer()
        func load(_ img: ByteString) -> Int { test_load(image: img, argv: none, envp: none, execfn: .empty).err }
        t.expectEqual(load(elf.image.slice(0, 40)), Errno.ENOEXEC.negated, "shorter than the header")
        t.expectEqual(load(.empty), Errno.ENOEXEC.negated, "empty file")
        elf.put16(18, 3)   // EM_386
        t.expectEqual(load(elf.image), Errno.ENOEXEC.negated, "wrong machine")
        elf.put16(18, EM_X86_64); elf.put16(16, 1)   // ET_REL
        t.expectEqual(load(elf.image), Errno.ENOEXEC.negated, "relocatable object")
        elf.put16(16, ET_EXEC); elf.buf.storeBytes(of: UInt8(1), toByteOffset: 4, as: UInt8.self)   // ELFCLASS32
        t.expectEqual(load(elf.image), Errno.ENOEXEC.negated, "32-bit class")
        elf.buf.storeBytes(of: UInt8(2), toByteOffset: 4, as: UInt8.self)
        elf.buf.storeBytes(of: UInt8(0x7e), toByteOffset: 0, as: UInt8.self)
        t.expectEqual(load(elf.image), Errno.ENOEXEC.negated, "bad magic")
        elf.buf.storeBytes(of: UInt8(0x7f), toByteOffset: 0, as: UInt8.self)
        elf.put16(54, 32)
        t.expectEqual(load(elf.image), Errno.ENOEXEC.negated, "bad e_phentsize")
        elf.put16(54, 56)
        elf.put64(64 + 56 + 32, 0x5000)   // data filesz > memsz
        t.expectEqual(load(elf.image), Errno.EINVAL.negated, "p_filesz > p_memsz")
        elf.put64(64 + 56 + 32, 0x10)
        let fixed = test_load(image: elf.image, argv: none, envp: none, execfn: .empty)
        t.expectEqual(fixed.err, 0, "and fine again once repaired")
        if let mm = fixed.mm { mmput(mm) }
        var garbage = InlineArray<128, UInt8>(repeating: 0x5a)
        let g = withUnsafeBytes(of: &garbage) { load(ByteString($0)) }
        t.expectEqual(g, Errno.ENOEXEC.negated, "garbage")
        elf.free()
        leaks.verify(&t)
    },
    KUnitCase(name: "copy_strings_from_user") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc() else { return }
        let a = UInt64(do_mmap(mm, 0, 40 * PAGE_SIZE, RW, ANON_PRIVATE))
        switch_mm(mm)
        ktest_current_mm = mm
        // argv at a: {a+0x100, a+0x110, NULL}; strings "one", "two!".
        _ = put_user(a + 0x100, a); _ = put_user(a + 0x110, a + 8); _ = put_user(UInt64(0), a + 16)
        _ = put_user(UInt32(0x00656e6f), a + 0x100); _ = put_user(UInt64(0x216f_7774), a + 0x110)
        t.expectEqual(count_user_vector(a), 2, "count_user_vector")
        t.expectEqual(count_user_vector(0), 0, "a NULL array is empty")
        t.expectEqual(count_user_vector(0x2000), Errno.EFAULT.negated, "bad array: -EFAULT")
        var b = ArgBuffer()
        t.expectEqual(copy_strings(&b, userVector: a, count: 2), 0, "copy_strings")
        t.expectEqual(b.count, 2, "two strings")
        t.expectEqual(b.bytes, 4 + 5, "bytes with NULs")
        t.expect(b.string(0).equals("one") && b.string(1).equals("two!"), "contents")
        b.release()
        _ = put_user(UInt64(0x1000), a + 8)   // a bad string pointer
        var c = ArgBuffer()
        t.expectEqual(copy_strings(&c, userVector: a, count: 2), Errno.EFAULT.negated, "bad string: -EFAULT")
        c.release()
        // A string longer than MAX_ARG_STRLEN.
        var ok = true
        var v = a + PAGE_SIZE
        while v < a + 40 * PAGE_SIZE { ok = ok && put_user(UInt64(0x6161_6161_6161_6161), v); v += 8 }
        _ = put_user(a + PAGE_SIZE, a + 8)
        t.expect(ok, "filled")
        var d = ArgBuffer()
        t.expectEqual(copy_strings(&d, userVector: a, count: 2), Errno.E2BIG.negated, "too long: -E2BIG")
        d.release()
        ktest_current_mm = nil
        switch_mm(nil)
        mmput(mm)
        leaks.verify(&t)
    },
])
