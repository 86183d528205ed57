// The initramfs: a cpio "newc" archive, unpacked into a read-only in-memory
// file tree. Linux: init/initramfs.c (unpack_to_rootfs), usr/gen_init_cpio.c.
//
// Nothing is copied: the archive stays where the boot loader put it
// (memblock reserved it) and each entry points at its name and data inside
// it. Lookups compare whole paths; an archive holds a few dozen files.

import CShim
/// One file or directory of the tree.
struct RootfsEntry {
    var path: ByteString       // without the leading "/"
    var mode: UInt32
    var data: ByteString

    static let S_IFMT: UInt32 = 0o170000
    static let S_IFDIR: UInt32 = 0o040000
    static let S_IFREG: UInt32 = 0o100000
    var isDirectory: Bool { mode & RootfsEntry.S_IFMT == RootfsEntry.S_IFDIR }
    var isRegular: Bool { mode & RootfsEntry.S_IFMT == RootfsEntry.S_IFREG }
}

enum CpioError {
    case badMagic(offset: Int)
    case truncated(offset: Int)
    case tooManyEntries
}

/// The tree: a table of entries, allocated once at boot.
struct Rootfs {
    static let maxEntries = 256
    var entries: UnsafeMutablePointer<RootfsEntry>? = nil
    var count = 0

    /// rootfs_lookup(): the entry for an absolute or relative path.
    func lookup(_ pathIn: ByteString) -> RootfsEntry? {
        var path = pathIn
        while path.count > 0 && path[0] == 47 { path = path.slice(1, path.count) }   // "/"
        guard let entries else { return nil }
        for i in 0..<count where entries[i].path == path { return entries[i] }
        return nil
    }
}

var rootfs = Rootfs()

private func hexField(_ a: ByteString, _ at: Int) -> UInt32? {
    var v: UInt32 = 0
    for i in 0..<8 {
        let c = a[at + i]
        let d: UInt32
        switch c {
        case 48...57: d = UInt32(c - 48)
        case 97...102: d = UInt32(c - 87)
        case 65...70: d = UInt32(c - 55)
        default: return nil
        }
        v = v << 4 | d
    }
    return v
}

private func align4(_ v: Int) -> Int { (v + 3) & ~3 }

/// unpack_to_rootfs(): walks the archive, calling `found` for each entry.
/// Returns the number of entries, or the first error.
func cpio_parse(_ archive: ByteString, _ found: (RootfsEntry) -> Bool) -> Result<Int, CpioErrorBox> {
    let headerSize = 110
    var off = 0
    var n = 0
    while off + headerSize <= archive.count {
        // Linux skips zero padding between concatenated archives.
        if archive[off] == 0 { off += 4; continue }
        guard archive.slice(off, off + 6).equals("070701") else { return .failure(CpioErrorBox(.badMagic(offset: off))) }
        guard let mode = hexField(archive, off + 14),
              let fileSize = hexField(archive, off + 54),
              let nameSize = hexField(archive, off + 94), nameSize >= 1 else {
            return .failure(CpioErrorBox(.badMagic(offset: off)))
        }
        let nameStart = off + headerSize
        let dataStart = align4(nameStart + Int(nameSize))
        let dataEnd = dataStart + Int(fileSize)
        guard dataEnd <= archive.count else { return .failure(CpioErrorBox(.truncated(offset: off))) }
        let name = archive.slice(nameStart, nameStart + Int(nameSize) - 1)    // drop the NUL
        if name.equals("TRAILER!!!") { return .success(n) }
        var clean = name
        while clean.count > 0 && clean[0] == 47 { clean = clean.slice(1, clean.count) }
        if clean.count > 0 && !clean.equals(".") {
            guard found(RootfsEntry(path: clean, mode: mode, data: archive.slice(dataStart, dataEnd))) else {
                return .failure(CpioErrorBox(.tooManyEntries))
            }
            n += 1
        }
        off = align4(dataEnd)
    }
    return .failure(CpioErrorBox(.truncated(offset: off)))
}

/// Error payloads are boxed in a struct because Result wants an Error.
struct CpioErrorBox: Error {
    let error: CpioError
    init(_ e: CpioError) { error = e }
}

/// populate_rootfs(): index the boot loader's initramfs, if there is one.
func populate_rootfs(listEntries: Bool) {
    guard let rd = boot_params.initrd, boot_params.initrdSize > 0 else {
        pr_info("initramfs: none")
        return
    }
    guard let table = kmalloc(Rootfs.maxEntries * MemoryLayout<RootfsEntry>.stride) else { panic("initramfs: no memory") }
    let entries = table.bindMemory(to: RootfsEntry.self, capacity: Rootfs.maxEntries)
    rootfs.entries = entries
    let archive = ByteString(UnsafePointer(rd.pointer.assumingMemoryBound(to: UInt8.self)), count: Int(boot_params.initrdSize))
    let result = cpio_parse(archive) { e in
        guard rootfs.count < Rootfs.maxEntries else { return false }
        (entries + rootfs.count).initialize(to: e)
        rootfs.count += 1
        return true
    }
    switch result {
    case .success(let n):
        pr_info("Unpacked initramfs: \(n) entries, \(boot_params.initrdSize) bytes")
    case .failure(let e):
        switch e.error {
        case .badMagic(let o): pr_err("initramfs: bad cpio magic at offset \(o); using \(rootfs.count) entries")
        case .truncated(let o): pr_err("initramfs: archive truncated at offset \(o); using \(rootfs.count) entries")
        case .tooManyEntries: pr_err("initramfs: more than \(Rootfs.maxEntries) entries")
        }
    }
    if listEntries {
        for i in 0..<rootfs.count {
            let e = entries[i]
            printk_always("initramfs: \(e.mode, octal: 6) \(e.data.count) \(hex: e.data.fnv1a32, width: 8) /\(e.path)")
        }
    }
}
