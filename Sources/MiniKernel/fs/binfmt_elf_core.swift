// The ELF core file. Linux: fs/binfmt_elf.c (elf_core_dump, fill_note_info,
// fill_thread_core_info, fill_prstatus, fill_psinfo, write_note_info,
// vma_dump_size), include/uapi/linux/elfcore.h, arch/x86/kernel/ptrace.c
// (the general and FP register sets).
//
// The file, in order:
//   ELF header (ET_CORE, EM_X86_64)
//   program headers: one PT_NOTE, then a PT_LOAD per area of the address space
//   the notes: per thread, the dumper first, NT_PRSTATUS (its registers,
//     signal masks, ids, times) and NT_PRFPREG (its FXSAVE image); after the
//     first thread's NT_PRSTATUS come the process's NT_PRPSINFO (state, name,
//     arguments), NT_SIGINFO (the fatal signal) and NT_AUXV (exec's auxiliary
//     vector) — as Linux writes them, so readelf -n and gdb read them.
//   the memory, from the next page boundary: each area's bytes as its PT_LOAD
//     says, a page never touched left as a hole.
// Which areas have their bytes in the file follows coredump_filter's
// default (0x33): anonymous memory, private or shared, whole; a private file
// mapping only once written to, else only the first page of an executable
// (its ELF header); shared mappings of named files not at all.
// Not written: NT_FILE (the mapped files' names), NT_X86_XSTATE (no XSAVE here).

import CShim

let ET_CORE: UInt16 = 4, PT_NOTE: UInt32 = 4
let NT_PRSTATUS: UInt32 = 1, NT_PRFPREG: UInt32 = 2, NT_PRPSINFO: UInt32 = 3, NT_AUXV: UInt32 = 6
let NT_SIGINFO: UInt32 = 0x5349_4749
/// sizeof(struct elf_prstatus), sizeof(struct elf_prpsinfo) on x86-64; the FXSAVE image; siginfo_t.
let PRSTATUS_SIZE = 336, PRPSINFO_SIZE = 136, FXSAVE_SIZE = 512, SIGINFO_SIZE = 128
/// ELF_PRARGSZ: pr_psargs keeps this many bytes of the command line, NUL included.
let ELF_PRARGSZ = 80


/// The areas to dump, with their dumped sizes (dump_vma_snapshot()), taken
/// once under mmap_lock.
private struct VmaMeta {
    var start: UInt64
    var end: UInt64
    var flags: VMFlags
    var dumpSize: UInt64
}

/// vma_dump_size(): how much of an area goes in the file.
private func vma_dump_size(_ vma: VMArea) -> UInt64 {
    if vma.isShared {
        // Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, a SysV segment:
        // no name) is dumped; a shared named file is the file's business.
        if let f = vma.file, f.inode.nlink != 0 { return 0 }
        return vma.length
    }
    // Private memory of its own: anonymous, or a file area written to (anon_vma).
    guard let f = vma.file, !vma.anonVma else { return vma.length }
    // The first page of an executable's mapping: its ELF header.
    if vma.pgoff == 0 && vma.flags.contains(.read) && f.inode.mode & 0o111 != 0 { return PAGE_SIZE }
    return 0
}

/// notesize(): a note's header (namesz, descsz, type), its name and its
/// description, each padded to 4 bytes.
private func notesize(_ descsz: Int) -> Int { 12 + 8 + (descsz + 3) & ~3 }     // name "CORE\0" pads to 8

/// writenote(): one note named "CORE". False when the dump must stop.
private func writenote(_ cprm: inout CoredumpParams, _ type: UInt32, _ desc: UnsafeRawPointer, _ descsz: Int) -> Bool {
    var hdr = InlineArray<5, UInt32>(repeating: 0)
    hdr[0] = 5                                           // namesz: "CORE" and its NUL
    hdr[1] = UInt32(descsz)
    hdr[2] = type
    hdr[3] = 0x4552_4f43                                 // "CORE"
    hdr[4] = 0                                           // the NUL, padded
    let ok = withUnsafeBytes(of: &hdr) { dump_emit(&cprm, $0.baseAddress.unsafelyUnwrapped, 20) }
    guard ok, dump_emit(&cprm, desc, descsz) else { return false }
    let pad = (4 - descsz % 4) % 4
    if pad == 0 { return true }
    var zero: UInt32 = 0
    return dump_emit(&cprm, &zero, pad)
}

/// fill_prstatus() with the general registers (genregs_get()): struct elf_prstatus.
private func fill_prstatus(_ b: LEWriter, _ p: Task, _ signr: Int32) {
    b.base.initializeMemory(as: UInt8.self, repeating: 0, count: PRSTATUS_SIZE)
    b.put(0, signr)                                      // pr_info.si_signo
    b.put(12, Int16(signr))                              // pr_cursig
    b.put(16, p.pending.signal.bits)                     // pr_sigpend
    b.put(24, p.blocked.bits)                            // pr_sighold
    b.put(32, p.pid)
    b.put(36, p.realParent.pid)
    b.put(40, p.signal.pgrp)
    b.put(44, p.signal.session)
    // The leader's record holds the group's total, as Linux's does.
    let times = p.isGroupLeader ? (siglock.withLock { thread_group_cputime(p.signal) }) : (utime: p.utime, stime: p.stime)
    put_timeval(b, 48, times.utime)
    put_timeval(b, 64, times.stime)
    put_timeval(b, 80, p.signal.cutime)
    put_timeval(b, 96, p.signal.cstime)
    // pr_reg: struct user_regs_struct.
    let r = task_pt_regs(p).pointee
    var off = 112
    func reg(_ v: UInt64) { b.put(off, v); off += 8 }
    reg(r.r15); reg(r.r14); reg(r.r13); reg(r.r12); reg(r.rbp); reg(r.rbx); reg(r.r11); reg(r.r10)
    reg(r.r9); reg(r.r8); reg(r.rax); reg(r.rcx); reg(r.rdx); reg(r.rsi); reg(r.rdi)
    // orig_rax: the system call's number, or -1 for an exception (no call to restart).
    reg(r.vector == 0x100 ? r.orig_rax : UInt64.max)
    reg(r.rip); reg(r.cs); reg(r.rflags); reg(r.rsp); reg(r.ss)
    reg(task_fsbase(p)); reg(0)                          // fs_base, gs_base
    reg(0); reg(0); reg(0); reg(0)                       // ds, es, fs, gs: null selectors in 64-bit mode
    b.put(328, Int32(1))                                 // pr_fpvalid: NT_PRFPREG follows
}

private func put_timeval(_ b: LEWriter, _ off: Int, _ ns: UInt64) {
    let tv = ns_to_kernel_old_timeval(ns)
    b.put(off, tv.0)
    b.put(off + 8, tv.1)
}

/// fill_psinfo(): struct elf_prpsinfo for the group leader.
private func fill_psinfo(_ b: LEWriter, _ p: Task, _ mm: MMStruct) {
    b.base.initializeMemory(as: UInt8.self, repeating: 0, count: PRPSINFO_SIZE)
    // The command line: its first ELF_PRARGSZ - 1 bytes, NULs made spaces.
    let len = Int(min(mm.argEnd &- mm.argStart, UInt64(ELF_PRARGSZ - 1)))
    if len > 0 && copy_from_user(b.base + 56, mm.argStart, len) {
        let args = (b.base + 56).assumingMemoryBound(to: UInt8.self)
        for i in 0..<len where args[i] == 0 { args[i] = 32 }
    }
    let state = p.state.rawValue
    let i = state == 0 ? 0 : state.trailingZeroBitCount + 1
    let sname: StaticString = "RSDTZW"
    b.put(0, UInt8(i))                                   // pr_state
    b.put(1, i > 5 ? UInt8(46) : sname.utf8Start[i])     // pr_sname ('.' past the table)
    b.put(2, UInt8(i == 4 ? 1 : 0))                      // pr_zomb
    b.put(8, UInt64(p.flags.rawValue))                   // pr_flag
    b.put(24, p.pid)
    b.put(28, p.realParent.pid)
    b.put(32, p.signal.pgrp)
    b.put(36, p.signal.session)
    for k in 0..<TASK_COMM_LEN { b.put(40 + k, p.comm[k]) }   // pr_fname
}

/// elf_core_dump(): the core of the current process, whose other threads
/// are parked on `coreState`. True once the notes were put together
/// (has_dumped), even if the limit cut the file short.
func elf_core_dump(_ cprm: inout CoredumpParams, _ coreState: CoreState) -> Bool {
    let mm = cprm.mm
    // dump_vma_snapshot().
    mm.mmapLock.lock()
    let count = mm.mapCount
    let meta = kmalloc(max(count, 1) * MemoryLayout<VmaMeta>.stride)?.bindMemory(to: VmaMeta.self, capacity: max(count, 1))
    var n = 0
    if let meta {
        var v = mm.mmap
        while let vma = v, n < count {
            meta[n] = VmaMeta(start: vma.start, end: vma.end, flags: vma.flags, dumpSize: vma_dump_size(vma))
            n += 1
            v = vma.next
        }
    }
    mm.mmapLock.unlock()
    guard let meta else { return false }
    defer { kfree(UnsafeMutableRawPointer(meta)) }
    guard let scratch = kmalloc(FXSAVE_SIZE, align: 16) else { return false }
    defer { kfree(scratch) }
    let buf = LEWriter(base: scratch)

    // The threads: the dumper, then the parked ones.
    var threads = 0
    var ct: CoreThread? = coreState.dumper
    while let c = ct { if c.task != nil { threads += 1 }; ct = c.next }
    let auxvBytes = mm.auxvWords * 8
    let notes = threads * (notesize(PRSTATUS_SIZE) + notesize(FXSAVE_SIZE))
        + notesize(PRPSINFO_SIZE) + notesize(SIGINFO_SIZE) + notesize(auxvBytes)

    // The ELF header and the PT_NOTE header.
    let segs = n + 1
    var offset = ELF64_EHDR_SIZE + segs * ELF64_PHDR_SIZE
    let notesOffset = offset
    offset += notes
    let dataoff = (offset + Int(PAGE_SIZE) - 1) & ~(Int(PAGE_SIZE) - 1)
    scratch.initializeMemory(as: UInt8.self, repeating: 0, count: ELF64_EHDR_SIZE)
    buf.put(0, UInt32(0x464c_457f))                      // \x7fELF
    buf.put(4, UInt8(2)); buf.put(5, UInt8(1)); buf.put(6, UInt8(1))   // 64-bit, little-endian, version 1
    buf.put(16, ET_CORE)
    buf.put(18, EM_X86_64)
    buf.put(20, UInt32(1))
    buf.put(32, UInt64(ELF64_EHDR_SIZE))                 // e_phoff
    buf.put(52, UInt16(ELF64_EHDR_SIZE))
    buf.put(54, UInt16(ELF64_PHDR_SIZE))
    buf.put(56, UInt16(min(segs, 0xffff)))
    guard dump_emit(&cprm, scratch, ELF64_EHDR_SIZE) else { return true }
    func phdr(_ type: UInt32, _ flags: UInt32, _ off: Int, _ vaddr: UInt64, _ filesz: UInt64, _ memsz: UInt64,
              _ align: UInt64) -> Bool {
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: ELF64_PHDR_SIZE)
        buf.put(0, type); buf.put(4, flags); buf.put(8, UInt64(off)); buf.put(16, vaddr)
        buf.put(32, filesz); buf.put(40, memsz); buf.put(48, align)
        return dump_emit(&cprm, scratch, ELF64_PHDR_SIZE)
    }
    guard phdr(PT_NOTE, 0, notesOffset, 0, UInt64(notes), 0, 4) else { return true }
    offset = dataoff
    for k in 0..<n {
        let m = meta[k]
        var f: UInt32 = 0
        if m.flags.contains(.read) { f |= PF_R }
        if m.flags.contains(.write) { f |= PF_W }
        if m.flags.contains(.exec) { f |= PF_X }
        guard phdr(PT_LOAD, f, offset, m.start, m.dumpSize, m.end - m.start, PAGE_SIZE) else { return true }
        offset += Int(m.dumpSize)
    }

    // write_note_info(): thread by thread, the process-wide notes after the first NT_PRSTATUS.
    var first = true
    ct = coreState.dumper
    while let c = ct {
        ct = c.next
        guard let t = c.task else { continue }
        fill_prstatus(buf, t, cprm.siginfo.signo)
        guard writenote(&cprm, NT_PRSTATUS, scratch, PRSTATUS_SIZE) else { return true }
        if first {
            fill_psinfo(buf, t.groupLeader, mm)
            guard writenote(&cprm, NT_PRPSINFO, scratch, PRPSINFO_SIZE) else { return true }
            var si = siginfoBytes(cprm.siginfo)
            let ok = withUnsafeBytes(of: &si) { writenote(&cprm, NT_SIGINFO, $0.baseAddress.unsafelyUnwrapped, SIGINFO_SIZE) }
            guard ok else { return true }
            // fill_auxv_note(): read back from where exec put it (a fault leaves zeros).
            guard let auxv = kzalloc(max(auxvBytes, 8)) else { return true }
            _ = copy_from_user(auxv, mm.auxvStart, auxvBytes)
            let okAux = writenote(&cprm, NT_AUXV, auxv, auxvBytes)
            kfree(auxv)
            guard okAux else { return true }
            first = false
        }
        xfpregs_get(t, scratch)                          // kmalloc's 16-byte alignment is FXSAVE's
        guard writenote(&cprm, NT_PRFPREG, scratch, FXSAVE_SIZE) else { return true }
    }

    // The memory, from the page boundary on.
    dump_skip_to(&cprm, dataoff)
    for k in 0..<n where meta[k].dumpSize > 0 {
        guard dump_user_range(&cprm, meta[k].start, meta[k].dumpSize) else { return true }
    }
    return true
}
