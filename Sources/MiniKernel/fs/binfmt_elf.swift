// Loading a static ELF executable. Linux: fs/binfmt_elf.c (load_elf_binary,
// create_elf_tables), fs/exec.c (copy_strings).
//
// The new image is built in a fresh address space, so that a failure leaves
// the old program untouched: each PT_LOAD segment becomes an anonymous
// private area with the segment's permissions, filled from the file now
// (the binaries are small; Linux maps the file instead), the break starts at
// the first page after the highest segment, and the stack is laid out as
// the x86-64 ABI and glibc expect:
//
//   STACK_TOP → execfn, envp strings, argv strings (Linux copies them in that
//   order, downwards), "x86_64" (AT_PLATFORM), 16 random bytes (AT_RANDOM),
//   then, 16-byte aligned, the auxiliary vector, envp[], argv[], argc ← rsp.

import CShim

let MAX_ARG_STRLEN = 131072          // one string, NUL included (32 pages)
let MAX_ARG_STRINGS = 0x7fff_ffff
/// The whole of argv and envp may use at most a quarter of the 8 MiB stack.
let ARG_MAX_TOTAL = 2 << 20

/// argv or envp in kernel memory: NUL-terminated strings back to back.
struct ArgBuffer {
    private(set) var base: UnsafeMutableRawPointer? = nil
    private(set) var bytes = 0
    private var capacity = 0
    private(set) var count = 0

    /// Appends one string (without its NUL); false when memory runs out.
    mutating func append(_ s: ByteString) -> Bool {
        guard reserve(s.count + 1), let b = base else { return false }
        for i in 0..<s.count { b.storeBytes(of: s[i], toByteOffset: bytes + i, as: UInt8.self) }
        b.storeBytes(of: 0, toByteOffset: bytes + s.count, as: UInt8.self)
        bytes += s.count + 1
        count += 1
        return true
    }

    /// Appends a string from user memory, `len` bytes including its NUL.
    mutating func appendUser(_ addr: UInt64, len: Int) -> Int {
        guard reserve(len), let b = base else { return Errno.ENOMEM.negated }
        guard copy_from_user(b + bytes, addr, len) else { return Errno.EFAULT.negated }
        b.storeBytes(of: 0, toByteOffset: bytes + len - 1, as: UInt8.self)
        bytes += len
        count += 1
        return 0
    }

    private mutating func reserve(_ n: Int) -> Bool {
        if bytes + n <= capacity { return true }
        var newCap = max(256, capacity)
        while newCap < bytes + n { newCap *= 2 }
        guard let nb = kmalloc(newCap) else { return false }
        if let old = base {
            nb.copyMemory(from: UnsafeRawPointer(old), byteCount: bytes)
            kfree(old)
        }
        base = nb
        capacity = newCap
        return true
    }

    mutating func release() {
        kfree(base)
        base = nil
        bytes = 0
        capacity = 0
        count = 0
    }

    /// The strings, in order.
    func forEach(_ body: (ByteString) -> Void) {
        guard let b = base else { return }
        var off = 0
        while off < bytes {
            let s = ByteString(cString: UnsafePointer((b + off).assumingMemoryBound(to: UInt8.self)), limit: bytes - off)
            body(s)
            off += s.count + 1
        }
    }
}

/// count(): the number of pointers before the NULL in a user vector.
/// A NULL vector is empty (Linux treats a NULL argv or envp as {}).
func count_user_vector(_ vec: UInt64) -> Int {
    if vec == 0 { return 0 }
    var n = 0
    while true {
        guard let p = get_user_u64(vec + UInt64(n * 8)) else { return Errno.EFAULT.negated }
        if p == 0 { return n }
        n += 1
        if n > MAX_ARG_STRINGS { return Errno.E2BIG.negated }
    }
}

/// copy_strings(): `n` strings from a user vector into `buf`.
func copy_strings(_ buf: inout ArgBuffer, userVector vec: UInt64, count n: Int) -> Int {
    for i in 0..<n {
        guard let p = get_user_u64(vec + UInt64(i * 8)) else { return Errno.EFAULT.negated }
        let len = strnlen_user(p, MAX_ARG_STRLEN + 1)   // includes the NUL; 0 on a fault
        if len <= 0 { return Errno.EFAULT.negated }
        if len > MAX_ARG_STRLEN { return Errno.E2BIG.negated }
        if buf.bytes + len > ARG_MAX_TOTAL { return Errno.E2BIG.negated }
        let r = buf.appendUser(p, len: len)
        if r < 0 { return r }
    }
    return 0
}

// MARK: - ELF

private let ET_EXEC: UInt16 = 2, ET_DYN: UInt16 = 3
private let EM_X86_64: UInt16 = 62
private let PT_LOAD: UInt32 = 1, PT_INTERP: UInt32 = 3, PT_PHDR: UInt32 = 6
private let PF_X: UInt32 = 1, PF_W: UInt32 = 2, PF_R: UInt32 = 4

private let AT_NULL: UInt64 = 0, AT_PHDR: UInt64 = 3, AT_PHENT: UInt64 = 4, AT_PHNUM: UInt64 = 5
private let AT_PAGESZ: UInt64 = 6, AT_BASE: UInt64 = 7, AT_FLAGS: UInt64 = 8, AT_ENTRY: UInt64 = 9
private let AT_UID: UInt64 = 11, AT_EUID: UInt64 = 12, AT_GID: UInt64 = 13, AT_EGID: UInt64 = 14
private let AT_PLATFORM: UInt64 = 15, AT_HWCAP: UInt64 = 16, AT_CLKTCK: UInt64 = 17
private let AT_SECURE: UInt64 = 23, AT_RANDOM: UInt64 = 25, AT_HWCAP2: UInt64 = 26, AT_EXECFN: UInt64 = 31

/// What load_elf_binary() built.
struct ElfImage {
    var mm: MMStruct? = nil
    var entry: UInt64 = 0
    var sp: UInt64 = 0
}

private struct ProgramHeader {
    var type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64
}

private func phdr(_ f: ByteString, _ at: Int) -> ProgramHeader {
    func u32(_ o: Int) -> UInt32 { var v: UInt32 = 0; for i in 0..<4 { v |= UInt32(f[at + o + i]) << UInt32(8 * i) }; return v }
    func u64(_ o: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<8 { v |= UInt64(f[at + o + i]) << UInt64(8 * i) }; return v }
    return ProgramHeader(type: u32(0), flags: u32(4), offset: u64(8), vaddr: u64(16), filesz: u64(32), memsz: u64(40))
}

private func le16(_ f: ByteString, _ o: Int) -> UInt16 { UInt16(f[o]) | UInt16(f[o + 1]) << 8 }
private func le64(_ f: ByteString, _ o: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<8 { v |= UInt64(f[o + i]) << UInt64(8 * i) }; return v }

/// A deterministic stand-in for get_random_bytes() (AT_RANDOM, stack canaries).
private var randomState: UInt64 = 0x2545_F491_4F6C_DD1D
private func random64() -> UInt64 {
    randomState ^= randomState << 13; randomState ^= randomState >> 7; randomState ^= randomState << 17
    return randomState
}

/// load_elf_binary(): -ENOEXEC for anything that is not a static x86-64
/// executable; otherwise 0 and `image` holds the new address space.
func load_elf_binary(_ file: ByteString, argv: ArgBuffer, envp: ArgBuffer, execfn: ByteString,
                     into image: inout ElfImage) -> Int {
    guard file.count >= 64, file[0] == 0x7f, file[1] == 0x45, file[2] == 0x4c, file[3] == 0x46,
          file[4] == 2, file[5] == 1 else { return Errno.ENOEXEC.negated }       // ELFCLASS64, little endian
    let type = le16(file, 16)
    guard type == ET_EXEC || type == ET_DYN, le16(file, 18) == EM_X86_64 else { return Errno.ENOEXEC.negated }
    let entry = le64(file, 24)
    let phoff = Int(le64(file, 32))
    let phentsize = Int(le16(file, 54)), phnum = Int(le16(file, 56))
    guard phentsize == 56, phnum > 0, phnum <= 64, phoff > 0, phoff + phnum * 56 <= file.count else {
        return Errno.ENOEXEC.negated
    }
    for i in 0..<phnum where phdr(file, phoff + i * 56).type == PT_INTERP {
        return Errno.ENOEXEC.negated          // dynamic executables need ld.so: not here
    }
    guard let mm = mm_alloc() else { return Errno.ENOMEM.negated }
    var ok = false
    defer { if !ok { mmput(mm) } }

    var loadBias: UInt64 = 0
    if type == ET_DYN { loadBias = 0x5555_5555_4000 }    // static-pie: ELF_ET_DYN_BASE
    var highest: UInt64 = 0
    var phdrAddr: UInt64 = 0
    var lowestVaddr = UInt64.max
    for i in 0..<phnum {
        let ph = phdr(file, phoff + i * 56)
        if ph.type == PT_PHDR { phdrAddr = ph.vaddr + loadBias }
        guard ph.type == PT_LOAD else { continue }
        guard ph.filesz <= ph.memsz, ph.offset &+ ph.filesz <= UInt64(file.count),
              ph.vaddr &+ loadBias &+ ph.memsz < TASK_SIZE else { return Errno.ENOEXEC.negated }
        let va = ph.vaddr + loadBias
        lowestVaddr = min(lowestVaddr, va)
        var start = page_align_down(va)
        let end = page_align_up(va + ph.memsz)
        // A page shared with the previous segment stays that segment's.
        if start < highest { start = highest }
        if end > start {
            var prot: UInt64 = 0
            if ph.flags & PF_R != 0 { prot |= PROT_READ }
            if ph.flags & PF_W != 0 { prot |= PROT_WRITE }
            if ph.flags & PF_X != 0 { prot |= PROT_EXEC }
            let r = do_mmap(mm, start, end - start, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)
            if r < 0 { return r }
        }
        if ph.filesz > 0 {
            let src = file.slice(Int(ph.offset), Int(ph.offset + ph.filesz))
            guard let base = src.base,
                  access_remote_vm(mm, va, UnsafeMutableRawPointer(mutating: base), Int(ph.filesz), write: true) else {
                return Errno.ENOMEM.negated
            }
        }
        highest = max(highest, end)
    }
    guard highest > 0 else { return Errno.ENOEXEC.negated }
    if phdrAddr == 0 { phdrAddr = lowestVaddr + UInt64(phoff) }
    mm.startBrk = highest
    mm.brk = highest

    // The stack area.
    let stackBottom = STACK_TOP - STACK_SIZE_MAX
    let r = do_mmap(mm, stackBottom, STACK_SIZE_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN)
    if r < 0 { return r }
    mm.startStack = STACK_TOP

    guard let sp = create_elf_tables(mm, argv: argv, envp: envp, execfn: execfn, entry: entry + loadBias,
                                     phdr: phdrAddr, phnum: UInt64(phnum)) else { return Errno.ENOMEM.negated }
    ok = true
    image = ElfImage(mm: mm, entry: entry + loadBias, sp: sp)
    return 0
}

/// Writes `len` bytes into the new mm just below `p`, returning the new `p`.
private func pushBytes(_ mm: MMStruct, _ p: inout UInt64, _ src: UnsafeRawPointer, _ len: Int) -> Bool {
    p -= UInt64(len)
    return access_remote_vm(mm, p, UnsafeMutableRawPointer(mutating: src), len, write: true)
}

private func put64(_ mm: MMStruct, _ addr: UInt64, _ v: UInt64) -> Bool {
    var x = v
    return withUnsafeMutableBytes(of: &x) { access_remote_vm(mm, addr, $0.baseAddress!, 8, write: true) }
}

/// create_elf_tables(): strings, then argc/argv/envp/auxv. Returns the
/// initial RSP (pointing at argc).
private func create_elf_tables(_ mm: MMStruct, argv: ArgBuffer, envp: ArgBuffer, execfn: ByteString,
                               entry: UInt64, phdr: UInt64, phnum: UInt64) -> UInt64? {
    var p = STACK_TOP - 8
    // execfn, then the envp block, then the argv block (each block keeps its
    // strings in order), as Linux's copy_strings leaves them.
    var execfnBuf = ArgBuffer()
    defer { execfnBuf.release() }
    guard execfnBuf.append(execfn), let eb = execfnBuf.base, pushBytes(mm, &p, eb, execfnBuf.bytes) else { return nil }
    let execfnAddr = p
    if let b = envp.base, envp.bytes > 0 { guard pushBytes(mm, &p, b, envp.bytes) else { return nil } }
    let envStart = p
    if let b = argv.base, argv.bytes > 0 { guard pushBytes(mm, &p, b, argv.bytes) else { return nil } }
    let argStart = p
    mm.argStart = argStart; mm.argEnd = envStart; mm.envStart = envStart; mm.envEnd = execfnAddr

    p &= ~15
    var platform: (UInt64) = 0x0034_365f_3638_78    // "x86_64\0"
    guard withUnsafeBytes(of: &platform, { pushBytes(mm, &p, $0.baseAddress!, 7) }) else { return nil }
    let platformAddr = p
    var rand = (random64(), random64())
    guard withUnsafeBytes(of: &rand, { pushBytes(mm, &p, $0.baseAddress!, 16) }) else { return nil }
    let randomAddr = p

    // Key/value pairs, no allocation (an array literal would never be freed).
    let auxv: InlineArray<38, UInt64> = [
        AT_HWCAP, UInt64(cpuid_1_edx()), AT_PAGESZ, PAGE_SIZE, AT_CLKTCK, 100,
        AT_PHDR, phdr, AT_PHENT, 56, AT_PHNUM, phnum, AT_BASE, 0, AT_FLAGS, 0,
        AT_ENTRY, entry, AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0, AT_SECURE, 0,
        AT_RANDOM, randomAddr, AT_HWCAP2, 0, AT_EXECFN, execfnAddr, AT_PLATFORM, platformAddr,
        AT_NULL, 0,
    ]
    let words = 1 + argv.count + 1 + envp.count + 1 + auxv.count
    var sp = (p - UInt64(words * 8)) & ~15
    let rsp = sp
    guard put64(mm, sp, UInt64(argv.count)) else { return nil }
    sp += 8
    var failed = false
    var strAddr = argStart
    argv.forEach { s in
        if !put64(mm, sp, strAddr) { failed = true }
        sp += 8; strAddr += UInt64(s.count + 1)
    }
    guard !failed, put64(mm, sp, 0) else { return nil }
    sp += 8
    strAddr = envStart
    envp.forEach { s in
        if !put64(mm, sp, strAddr) { failed = true }
        sp += 8; strAddr += UInt64(s.count + 1)
    }
    guard !failed, put64(mm, sp, 0) else { return nil }
    sp += 8
    for i in 0..<auxv.count {
        guard put64(mm, sp, auxv[i]) else { return nil }
        sp += 8
    }
    return rsp
}
