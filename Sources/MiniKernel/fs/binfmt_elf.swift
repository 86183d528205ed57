// The ELF loader: a new address space from a static x86-64 executable.
// Linux: fs/binfmt_elf.c (load_elf_binary, elf_load, create_elf_tables),
// fs/exec.c (setup_arg_pages, the layout of the argument strings).
//
// Shape: there is no page cache, and binaries are small, so instead of
// mapping the file the loader copies each PT_LOAD segment's bytes into fresh
// anonymous frames of a NEW mm right away (page by page exactly as Linux's
// file mapping would show them: a page holds whatever the file has at that
// offset, the bss tail of the last file page is zeroed, further pages are
// demand-zero). The result is returned in a plain struct — never a
// Result/enum carrying the MMStruct (see mm/slab.swift) — and the caller
// (bprm_execve) switches to it and drops the old mm. No ASLR: the layout is Linux's
// with randomize_va_space=0, so addresses are reproducible.
//
// The initial stack is create_elf_tables()'s, from STACK_TOP down:
//   8 zero bytes | execfn | envp strings | argv strings | (align 16)
//   "x86_64" (AT_PLATFORM) | 16 random bytes (AT_RANDOM) | (align 16)
//   auxv ... AT_NULL | envp[] NULL | argv[] NULL | argc   <- rsp, 16-aligned

import CShim

let ET_EXEC: UInt16 = 2, ET_DYN: UInt16 = 3, EM_X86_64: UInt16 = 62
let PT_LOAD: UInt32 = 1, PT_INTERP: UInt32 = 3, PT_GNU_STACK: UInt32 = 0x6474_e551
let PF_X: UInt32 = 1, PF_W: UInt32 = 2, PF_R: UInt32 = 4
let ELF64_EHDR_SIZE = 64, ELF64_PHDR_SIZE = 56

let AT_NULL: UInt64 = 0, AT_PHDR: UInt64 = 3, AT_PHENT: UInt64 = 4, AT_PHNUM: UInt64 = 5
let AT_PAGESZ: UInt64 = 6, AT_BASE: UInt64 = 7, AT_FLAGS: UInt64 = 8, AT_ENTRY: UInt64 = 9
let AT_UID: UInt64 = 11, AT_EUID: UInt64 = 12, AT_GID: UInt64 = 13, AT_EGID: UInt64 = 14
let AT_PLATFORM: UInt64 = 15, AT_HWCAP: UInt64 = 16, AT_CLKTCK: UInt64 = 17
let AT_SECURE: UInt64 = 23, AT_RANDOM: UInt64 = 25, AT_HWCAP2: UInt64 = 26, AT_EXECFN: UInt64 = 31, AT_MINSIGSTKSZ: UInt64 = 51

/// ELF_ET_DYN_BASE on x86-64: where position-independent programs with large
/// alignment are placed (2/3 of the user address space).
let ELF_ET_DYN_BASE: UInt64 = TASK_SIZE / 3 * 2

/// What load_elf_binary() built: the new address space (one user, not yet
/// loaded in CR3), the first user RIP and the first user RSP (at argc).
struct ElfImage {
    var mm: MMStruct? = nil
    var entry: UInt64 = 0
    var sp: UInt64 = 0
}

/// Little-endian field reads from the image; callers check the bounds.
@inline(__always)
private func rd<T: FixedWidthInteger>(_ b: ByteString, _ off: Int, _: T.Type) -> T {
    T(littleEndian: b.base.map { UnsafeRawPointer($0).loadUnaligned(fromByteOffset: off, as: T.self) } ?? 0)
}
private func rd16(_ b: ByteString, _ off: Int) -> UInt16 { rd(b, off, UInt16.self) }
private func rd32(_ b: ByteString, _ off: Int) -> UInt32 { rd(b, off, UInt32.self) }
private func rd64(_ b: ByteString, _ off: Int) -> UInt64 { rd(b, off, UInt64.self) }

/// One program header.
private struct Phdr {
    let type: UInt32, flags: UInt32
    let offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64, align: UInt64

    init(_ image: ByteString, _ at: Int) {
        type = rd32(image, at); flags = rd32(image, at + 4)
        offset = rd64(image, at + 8); vaddr = rd64(image, at + 16)
        filesz = rd64(image, at + 32); memsz = rd64(image, at + 40); align = rd64(image, at + 48)
    }

    var prot: UInt64 {
        (flags & PF_R != 0 ? PROT_READ : 0) | (flags & PF_W != 0 ? PROT_WRITE : 0) | (flags & PF_X != 0 ? PROT_EXEC : 0)
    }
}

/// get_random_bytes() for AT_RANDOM: a deterministic xorshift stream (there
/// is no entropy source; reproducible runs are worth more here).
private var atRandomState: UInt64 = 0x2545_f491_4f6c_dd1d
private func next_random() -> UInt64 {
    atRandomState ^= atRandomState << 13
    atRandomState ^= atRandomState >> 7
    atRandomState ^= atRandomState << 17
    return atRandomState
}

// MARK: - Address-space randomisation

/// kernel.randomize_va_space: 2 (stack, mmap base, PIE, brk) unless the
/// command line says `norandmaps` (0).
var randomize_va_space = 2
/// ADDR_NO_RANDOMIZE: personality(2)'s flag that turns it off for one
/// process and what it execs (`setarch -R`).
let ADDR_NO_RANDOMIZE: UInt32 = 0x0040000
/// STACK_RND_MASK (x86-64): the stack top moves by up to 16 GiB, in pages.
let STACK_RND_MASK: UInt64 = 0x3f_ffff
/// mmap_rnd_bits: mmap_base and a PIE's load address move by up to 2^28 pages.
let MMAP_RND_BITS: UInt64 = 28

/// Where a new address space puts what Linux randomises. Without
/// randomisation (norandmaps, ADDR_NO_RANDOMIZE, the self-tests) every
/// offset is 0, which is Linux's layout under `setarch -R`.
struct ExecLayout {
    /// randomize_stack_top(STACK_TOP).
    var stackTop = STACK_TOP
    /// arch_pick_mmap_layout(): where the top-down mmap area starts.
    var mmapBase = MMAP_BASE
    /// arch_align_stack(): bytes taken below the strings before the tables.
    var spOffset: UInt64 = 0
    /// ELF_ET_DYN_BASE + arch_mmap_rnd(): where a PIE with an interpreter goes.
    var dynBase = ELF_ET_DYN_BASE
    /// arch_randomize_brk() (randomize_va_space 2 only): brk moves up by a
    /// page and up to 1 GiB more.
    var randomizeBrk = false

    /// The layout for a process that randomises (PF_RANDOMIZE) or not,
    /// with `stackLimit` its RLIMIT_STACK (mmap_base leaves room for it).
    static func pick(randomize: Bool, stackLimit: UInt64) -> ExecLayout {
        var l = ExecLayout()
        // arch/x86/mm/mmap.c mmap_base(): the gap below the stack is the stack
        // limit, the stack's own random range and the guard gap, clamped.
        var gap = stackLimit
        let pad = (randomize ? STACK_RND_MASK << 12 : 0) + STACK_GUARD_GAP
        if gap &+ pad > gap { gap += pad }
        gap = min(max(gap, MMAP_MIN_GAP), TASK_SIZE / 6 * 5)
        guard randomize else {
            l.mmapBase = page_align_down(TASK_SIZE - gap)
            return l
        }
        let mmapRnd = (get_random_u64() & ((1 << MMAP_RND_BITS) - 1)) << 12
        l.mmapBase = page_align_down(TASK_SIZE - gap - mmapRnd)
        l.stackTop = STACK_TOP - (get_random_u64() & STACK_RND_MASK) << 12
        l.spOffset = get_random_u64() % 8192
        l.dynBase = ELF_ET_DYN_BASE + (get_random_u64() & ((1 << MMAP_RND_BITS) - 1)) << 12
        l.randomizeBrk = randomize_va_space > 1
        return l
    }
}

/// randomize_page(): `start` moved up by a random number of pages below `range`.
private func randomize_page(_ start: UInt64, _ range: UInt64) -> UInt64 {
    start + (get_random_u64() % (range >> 12)) << 12
}

/// One ELF file as load_elf_binary() first reads it: the header checked,
/// the program headers found (load_elf_phdrs()), and what the PT_LOAD,
/// PT_INTERP and PT_GNU_STACK entries say.
private struct ElfFile {
    var image = ByteString.empty
    var type: UInt16 = 0, entry: UInt64 = 0, ph0 = 0, phnum = 0
    /// The PT_LOAD extent, page-rounded, and the largest power-of-two p_align.
    var lo = UInt64.max, hi: UInt64 = 0, maxAlign = PAGE_SIZE, nLoad = 0
    var execStack = false
    var interpOffset = 0, interpSize = 0                    // PT_INTERP, if any

    func phdr(_ i: Int) -> Phdr { Phdr(image, ph0 + i * ELF64_PHDR_SIZE) }
}

/// The header and program-header checks: 0, or `bad` (-ENOEXEC for the
/// program, -ELIBBAD for its interpreter), a table past the end included
/// (load_elf_phdrs() fails, and the caller's error stands).
private func elf_read_phdrs(_ file: ByteString, bad: Errno, into f: inout ElfFile) -> Int {
    guard file.count >= ELF64_EHDR_SIZE,
          file[0] == 0x7f, file[1] == 0x45, file[2] == 0x4c, file[3] == 0x46,   // ELFMAG
          file[4] == 2,                                    // ELFCLASS64
          file[5] == 1 else { return bad.negated }         // ELFDATA2LSB
    f.image = file
    f.type = rd16(file, 16)
    f.entry = rd64(file, 24)
    let phoff = rd64(file, 32), phentsize = Int(rd16(file, 54))
    f.phnum = Int(rd16(file, 56))
    guard rd16(file, 18) == EM_X86_64 else { return bad.negated }     // elf_check_arch()
    // load_elf_phdrs(): the table must be sane and at most one page.
    guard phentsize == ELF64_PHDR_SIZE, f.phnum >= 1, f.phnum * ELF64_PHDR_SIZE <= Int(PAGE_SIZE) else { return bad.negated }
    guard phoff <= UInt64(file.count), UInt64(f.phnum * ELF64_PHDR_SIZE) <= UInt64(file.count) - phoff else {
        return bad.negated
    }
    f.ph0 = Int(phoff)
    for i in 0..<f.phnum {
        let ph = f.phdr(i)
        if ph.type == PT_INTERP && f.interpSize == 0 {
            f.interpOffset = Int(clamping: ph.offset); f.interpSize = Int(clamping: ph.filesz)
        }
        if ph.type == PT_GNU_STACK { f.execStack = ph.flags & PF_X != 0 }
        guard ph.type == PT_LOAD else { continue }
        if ph.filesz > ph.memsz || ph.memsz > TASK_SIZE || ph.vaddr > TASK_SIZE - ph.memsz { return Errno.EINVAL.negated }
        // A segment may run past the end of the file, as on Linux: it maps, and
        // the first touch of a page wholly past the end is SIGBUS (filemap_fault).
        if ph.offset > TASK_SIZE || ph.filesz > TASK_SIZE { return Errno.EINVAL.negated }
        if ph.filesz > 0 && (ph.vaddr & (PAGE_SIZE - 1)) != (ph.offset & (PAGE_SIZE - 1)) { return Errno.EINVAL.negated }
        f.lo = min(f.lo, page_align_down(ph.vaddr))
        f.hi = max(f.hi, page_align_up(ph.vaddr + ph.memsz))
        if ph.align > f.maxAlign && ph.align & (ph.align - 1) == 0 { f.maxAlign = ph.align }
        f.nLoad += 1
    }
    return 0
}

/// The PT_INTERP path, as load_elf_binary() reads it: between 2 and
/// PATH_MAX bytes, NUL-terminated (-ENOEXEC otherwise), inside the file (-EIO).
private func elf_interp_path(_ f: ElfFile, _ path: inout ByteString) -> Int {
    if f.interpSize > PATH_MAX || f.interpSize < 2 { return Errno.ENOEXEC.negated }
    guard f.interpOffset <= f.image.count, f.interpSize <= f.image.count - f.interpOffset, let base = f.image.base else {
        return Errno.EIO.negated
    }
    if f.image[f.interpOffset + f.interpSize - 1] != 0 { return Errno.ENOEXEC.negated }
    path = ByteString(cString: base + f.interpOffset, limit: f.interpSize)
    return 0
}

/// load_elf_binary(): validate `file` (the whole executable), build a new mm
/// with its segments, its interpreter's (PT_INTERP: the dynamic loader, found
/// by path), brk, and a stack holding argv, envp, execfn and the auxv.
/// Returns 0 with `image` filled in, or -errno. With `image.mm` still nil the
/// exec fails and the caller goes on: -ENOEXEC (not an x86-64 ELF executable),
/// -EINVAL (bad segment sizes), the interpreter's lookup error (-ENOENT,
/// -EACCES, ...), -ELIBBAD (the interpreter is not an x86-64 ELF file), -EIO
/// (it is shorter than an ELF header), -E2BIG, -ENOMEM. With `image.mm`
/// set, the failure came where Linux is past begin_new_exec() — mapping the
/// interpreter — and the caller must finish the exec and die of SIGSEGV.
func load_elf_binary(_ file: ByteString, argv argvIn: ArgBuffer, envp: ArgBuffer, execfn: ByteString,
                     into image: inout ElfImage, backing: Dentry? = nil, layout: ExecLayout = ExecLayout()) -> Int {
    var elf = ElfFile()
    let bad = elf_read_phdrs(file, bad: .ENOEXEC, into: &elf)
    if bad < 0 { return bad }
    guard elf.type == ET_EXEC || elf.type == ET_DYN else { return Errno.ENOEXEC.negated }
    if elf.nLoad == 0 { return Errno.ENOEXEC.negated }

    // Linux 5.18+ (do_execveat_common): an empty argv becomes { "" }, so
    // that argv[0] always exists. Done here too in case the caller did not.
    var argvStorage = ArgBuffer()
    defer { argvStorage.release() }
    var argv = argvIn
    if argv.count == 0 {
        guard argvStorage.append(ByteString.empty) else { return Errno.ENOMEM.negated }
        argv = argvStorage
    }
    // Everything that goes on the stack must fit the argument space.
    let stringBytes = argv.bytes + envp.bytes + execfn.count + 1
    if stringBytes + (argv.count + envp.count + 2) * 8 > ARG_SPACE_LIMIT { return Errno.E2BIG.negated }

    // The interpreter is opened and its headers checked before anything is
    // built: up to here a failure leaves the caller's image as it was.
    var interp: Dentry? = nil
    defer { if let interp { fs_lock.withLock { dput_locked(interp) } } }
    var interpElf = ElfFile()
    var interpLate = 0
    var interpData = ExecImage()
    defer { interpData.release() }
    if elf.interpSize != 0 {
        var path = ByteString.empty
        let e = elf_interp_path(elf, &path)
        if e < 0 { return e }
        var err = 0
        guard let d = open_exec(path, &err) else { return err }
        interp = d
        let g = interpData.read(d)
        if g < 0 { return g }
        if interpData.data.count < ELF64_EHDR_SIZE { return Errno.EIO.negated }    // elf_read() came up short
        // Not ELF, not x86-64, no sane program headers: -ELIBBAD. Bad
        // segments are found only when they are mapped, past the point of no return.
        interpLate = elf_read_phdrs(interpData.data, bad: .ELIBBAD, into: &interpElf)
        if interpLate == Errno.ELIBBAD.negated { return interpLate }
    }

    guard let mm = mm_alloc() else { return Errno.ENOMEM.negated }
    mm.mmapBase = layout.mmapBase
    let m = elf_map_program(mm, elf, hasInterp: interp != nil, backing: backing, layout: layout)
    if m.err != 0 {
        mmput(mm)
        return m.err
    }
    let progEntry = elf.entry &+ m.bias              // AT_ENTRY
    var entry = progEntry, interpBase: UInt64 = 0
    if let interp {
        // load_elf_interp(): Linux is past the point of no return here.
        let r = interpLate < 0 ? (bias: UInt64(0), err: interpLate) : load_elf_interp(mm, interpElf, backing: interp)
        if r.err != 0 {
            image = ElfImage(mm: mm, entry: 0, sp: 0)
            return r.err
        }
        interpBase = r.bias
        entry = interpElf.entry &+ r.bias
    }
    let stackErr = elf_map_stack(mm, execStack: elf.execStack, top: layout.stackTop)
    let sp = stackErr < 0 ? 0 : create_elf_tables(mm, file, elf.ph0, elf.phnum, bias: m.bias, interpBase: interpBase,
                                                  entry: progEntry, argv: argv, envp: envp, execfn: execfn, layout: layout)
    guard sp != 0 else {
        mmput(mm)
        return Errno.ENOMEM.negated
    }
    image = ElfImage(mm: mm, entry: entry, sp: sp)
    return 0
}

/// Maps one PT_LOAD segment at `bias`: an area the size of the segment,
/// whose pages show the file's bytes (from `backing` on first touch, or
/// copied now for an image that is only in memory) and zeros past them.
private func elf_map(_ mm: MMStruct, _ image: ByteString, _ ph: Phdr, bias: UInt64, extra: VMFlags, backing: Dentry?) -> Int {
    let vaddr = ph.vaddr &+ bias
    let mapStart = page_align_down(vaddr), mapEnd = page_align_up(vaddr + ph.memsz)
    let m = __do_mmap(mm, mapStart, mapEnd - mapStart, ph.prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, extra: extra)
    if m < 0 { return m }
    // The file bytes each page shows: from the page-aligned offset up to
    // the end of the file data (the bss part of the last page is zeroed,
    // padzero) or, without bss, to the end of that page in the file.
    let fileStart = page_align_down(ph.offset)
    let fileEnd = ph.memsz > ph.filesz ? ph.offset + ph.filesz : page_align_up(ph.offset + ph.filesz)
    guard ph.filesz > 0 else { return 0 }
    // From the filesystem, pages come in on first touch (mm/filemap.swift);
    // an image in memory only (the self-tests) is copied now.
    if let backing, let vma = find_vma(mm, mapStart), vma.start == mapStart, vma.end == mapEnd {
        vma_set_file(mm, vma, backing, pgoff: fileStart, fileEnd: fileEnd)
        return 0
    }
    let imageEnd = min(fileEnd, UInt64(image.count))
    var va = mapStart
    while va < mapEnd {
        let fo = fileStart + (va - mapStart)
        if fo < imageEnd {
            guard let frame = __get_page_for_write(mm, va), let src = image.base else { return Errno.ENOMEM.negated }
            let n = Int(min(PAGE_SIZE, imageEnd - fo))
            frame.pointer.copyMemory(from: UnsafeRawPointer(src + Int(fo)), byteCount: n)
            if n < Int(PAGE_SIZE) {
                (frame.pointer + n).initializeMemory(as: UInt8.self, repeating: 0, count: Int(PAGE_SIZE) - n)
            }
        }
        va += PAGE_SIZE
    }
    return 0
}

/// The program's segments: where they go (load_bias), their areas, and the
/// code/data/brk fields. Returns the load bias, or err = -errno.
private func elf_map_program(_ mm: MMStruct, _ elf: ElfFile, hasInterp: Bool,
                             backing: Dentry?, layout: ExecLayout) -> (bias: UInt64, err: Int) {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    var bias: UInt64 = 0
    if elf.type == ET_DYN {
        // A PIE with an interpreter goes at ELF_ET_DYN_BASE, away from the
        // loader; a static PIE (it is its own loader) where mmap would put
        // the whole image, unless it asks for more than page alignment
        // (Linux 6.10+).
        if hasInterp || elf.maxAlign > PAGE_SIZE {
            bias = (layout.dynBase & ~(elf.maxAlign - 1)) &- elf.lo
        } else {
            let at = get_unmapped_area(mm, 0, elf.hi - elf.lo, 0)
            if at < 0 { return (0, at) }
            bias = UInt64(at) &- elf.lo
        }
    }
    var startCode = UInt64.max, endCode: UInt64 = 0, startData: UInt64 = 0, endData: UInt64 = 0, elfBrk: UInt64 = 0
    for i in 0..<elf.phnum {
        let ph = elf.phdr(i)
        guard ph.type == PT_LOAD, ph.memsz > 0 else { continue }
        let e = elf_map(mm, elf.image, ph, bias: bias, extra: .exe, backing: backing)
        if e < 0 { return (0, e) }
        let vaddr = ph.vaddr &+ bias
        if ph.flags & PF_X != 0 && vaddr < startCode { startCode = vaddr }
        if startData < vaddr { startData = vaddr }
        let fend = vaddr + ph.filesz
        if ph.flags & PF_X != 0 && endCode < fend { endCode = fend }
        if endData < fend { endData = fend }
        elfBrk = max(elfBrk, vaddr + ph.memsz)
    }
    mm.startCode = startCode == UInt64.max ? 0 : startCode
    mm.endCode = endCode
    mm.startData = startData
    mm.endData = endData
    // A static PIE sits in the mmap area, where a growing heap would soon
    // collide with the next mapping: Linux (6.x, CONFIG_COMPAT_BRK off, as
    // distributions build it) moves its brk to the unused ELF_ET_DYN_BASE.
    // (Linux 6.10+ moves it whether or not it randomises.)
    let brkMoved = elf.type == ET_DYN && !hasInterp
    if brkMoved { elfBrk = ELF_ET_DYN_BASE }
    mm.startBrk = page_align_up(elfBrk)
    if layout.randomizeBrk {
        // A page of gap after .bss unless moved, then arch_randomize_brk():
        // up to 1 GiB higher on x86-64.
        if !brkMoved { mm.startBrk += PAGE_SIZE }
        mm.startBrk = randomize_page(mm.startBrk, 1 << 30)
    }
    mm.brk = mm.startBrk
    return (bias, 0)
}

/// load_elf_interp(): the dynamic loader's segments. An ET_DYN loader goes
/// where mmap would put its whole extent (the top-down mmap area, so under
/// `setarch -R` it sits just below mmap_base), an ET_EXEC one at its own
/// addresses. Returns its load bias (AT_BASE), or err = -errno; Linux is
/// past the point of no return here, so any failure ends in SIGSEGV.
private func load_elf_interp(_ mm: MMStruct, _ elf: ElfFile, backing: Dentry) -> (bias: UInt64, err: Int) {
    // Linux answers a loader of another type with ~0UL, which reads as -EPERM.
    guard elf.type == ET_EXEC || elf.type == ET_DYN else { return (0, Errno.EPERM.negated) }
    guard elf.nLoad > 0 else { return (0, Errno.EINVAL.negated) }    // total_mapping_size() == 0
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    var bias: UInt64 = 0
    if elf.type == ET_DYN {
        let at = get_unmapped_area(mm, 0, elf.hi - elf.lo, 0)
        if at < 0 { return (0, at) }
        bias = UInt64(at) &- elf.lo
    }
    for i in 0..<elf.phnum {
        let ph = elf.phdr(i)
        guard ph.type == PT_LOAD, ph.memsz > 0 else { continue }
        let e = elf_map(mm, elf.image, ph, bias: bias, extra: [], backing: backing)
        if e < 0 { return (0, e) }
    }
    return (bias, 0)
}

/// The stack starts as one page under STACK_TOP (bprm_mm_init); the strings
/// grow it as they are written, setup_arg_pages leaves 128 KiB below them,
/// and faults below grow it on, up to RLIMIT_STACK.
private func elf_map_stack(_ mm: MMStruct, execStack: Bool, top: UInt64) -> Int {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    let prot = RW | (execStack ? PROT_EXEC : 0)
    let s = __do_mmap(mm, top - PAGE_SIZE, PAGE_SIZE, prot,
                      MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN, extra: .stack)
    return s < 0 ? s : 0
}

/// stack_expand in setup_arg_pages(): room left below the strings at exec.
let STACK_EXPAND: UInt64 = 128 << 10

/// setup_arg_pages(), the part that sizes the stack: 128 KiB below the
/// lowest string `p`, but never more than RLIMIT_STACK in all.
private func setup_arg_pages(_ mm: MMStruct, _ p: UInt64, top: UInt64) {
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    guard let stack = find_vma(mm, top - 1) else { return }
    let limit = current.signal.rlim[RLIMIT_STACK].cur & ~(PAGE_SIZE - 1)
    var base = page_align_down(p) - STACK_EXPAND
    if stack.end - base > limit { base = stack.end - max(limit, stack.end - stack.start) }
    if base < stack.start { _ = expand_downwards(mm, stack, base) }
}

/// Writes `n` bytes at user address `va` of the new mm.
private func put_stack(_ mm: MMStruct, _ va: UInt64, _ src: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard n > 0, let s = src else { return n == 0 }
    return access_remote_vm(mm, va, UnsafeMutableRawPointer(mutating: s), n, write: true)
}

/// The strings (setup_arg_pages's layout) and create_elf_tables(): returns
/// the initial RSP, or 0 when memory ran out.
private func create_elf_tables(_ mm: MMStruct, _ image: ByteString, _ ph0: Int, _ phnum: Int, bias: UInt64,
                               interpBase: UInt64, entry: UInt64, argv: ArgBuffer, envp: ArgBuffer, execfn: ByteString,
                               layout: ExecLayout) -> UInt64 {
    // bprm->p starts one pointer below the top; execfn, then envp, then
    // argv strings are pushed below it, each list keeping its order.
    var p = layout.stackTop - 8
    p -= UInt64(execfn.count + 1)
    let execfnAddr = p
    guard put_stack(mm, p, execfn.base.map { UnsafeRawPointer($0) }, execfn.count) else { return 0 }
    // (the NUL after it is already zero: fresh stack pages are zeroed)
    p -= UInt64(envp.bytes)
    let envStart = p
    guard put_stack(mm, p, envp.raw.baseAddress, envp.bytes) else { return 0 }
    p -= UInt64(argv.bytes)
    let argStart = p
    guard put_stack(mm, p, argv.raw.baseAddress, argv.bytes) else { return 0 }
    mm.startStack = p
    mm.argStart = argStart; mm.argEnd = argStart + UInt64(argv.bytes)
    mm.envStart = envStart; mm.envEnd = envStart + UInt64(envp.bytes)
    setup_arg_pages(mm, p, top: layout.stackTop)

    // create_elf_tables()
    p = (p - layout.spOffset) & ~15            // arch_align_stack()
    let platform: StaticString = "x86_64"       // ELF_PLATFORM: utsname()->machine
    p -= UInt64(platform.utf8CodeUnitCount + 1)
    let platformAddr = p
    guard put_stack(mm, p, UnsafeRawPointer(platform.utf8Start), platform.utf8CodeUnitCount) else { return 0 }
    p -= 16
    let randomAddr = p
    var rnd = (next_random(), next_random())
    guard withUnsafeBytes(of: &rnd, { put_stack(mm, randomAddr, $0.baseAddress, 16) }) else { return 0 }

    // AT_PHDR: where the program headers sit in memory (inside the segment
    // that maps them from the file).
    var phdrAddr: UInt64 = 0
    let phoff = UInt64(ph0)
    for i in 0..<phnum {
        let ph = Phdr(image, ph0 + i * ELF64_PHDR_SIZE)
        if ph.type == PT_LOAD && ph.offset <= phoff && phoff < ph.offset + ph.filesz {
            phdrAddr = phoff - ph.offset + ph.vaddr + bias
            break
        }
    }
    var auxv = InlineArray<40, UInt64>(repeating: 0)
    var na = 0
    func aux(_ id: UInt64, _ v: UInt64) { auxv[na] = id; auxv[na + 1] = v; na += 2 }
    aux(AT_MINSIGSTKSZ, UInt64(get_sigframe_size()))  // ARCH_DLINFO (no vDSO: no AT_SYSINFO_EHDR)
    aux(AT_HWCAP, UInt64(cpuid_1_edx()))
    aux(AT_PAGESZ, PAGE_SIZE)
    aux(AT_CLKTCK, 100)
    aux(AT_PHDR, phdrAddr)
    aux(AT_PHENT, UInt64(ELF64_PHDR_SIZE))
    aux(AT_PHNUM, UInt64(phnum))
    aux(AT_BASE, interpBase)
    aux(AT_FLAGS, 0)
    aux(AT_ENTRY, entry)
    aux(AT_UID, 0); aux(AT_EUID, 0); aux(AT_GID, 0); aux(AT_EGID, 0)
    aux(AT_SECURE, 0)
    aux(AT_RANDOM, randomAddr)
    aux(AT_HWCAP2, 0)
    aux(AT_EXECFN, execfnAddr)
    aux(AT_PLATFORM, platformAddr)
    aux(AT_NULL, 0)

    // sp = STACK_ROUND(p - auxv words, argc + argv[] + NULL + envp[] + NULL)
    let items = (argv.count + 1) + (envp.count + 1) + 1
    let sp = (p - UInt64(na) * 8 - UInt64(items) * 8) & ~15
    let words = items + na
    mm.auxvStart = sp + UInt64(items) * 8                // for a core dump's NT_AUXV
    mm.auxvWords = na
    guard let tbl = kmalloc(words * 8)?.assumingMemoryBound(to: UInt64.self) else { return 0 }
    var w = 0
    tbl[w] = UInt64(argv.count); w += 1
    // One pointer per string: at the start, and after every NUL but the last.
    // (No array literal here: an Array would be allocated and never freed.)
    func pointers(_ list: UnsafeRawBufferPointer, _ base: UInt64) {
        var start = 0
        for j in 0..<list.count where list[j] == 0 {
            tbl[w] = base + UInt64(start); w += 1
            start = j + 1
        }
        tbl[w] = 0; w += 1
    }
    pointers(argv.raw, argStart)
    pointers(envp.raw, envStart)
    for i in 0..<na { tbl[w] = auxv[i]; w += 1 }
    let ok = put_stack(mm, sp, UnsafeRawPointer(tbl), words * 8)
    kfree(UnsafeMutableRawPointer(tbl))
    return ok ? sp : 0
}
