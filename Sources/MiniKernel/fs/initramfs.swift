// The initramfs: a cpio "newc" archive, unpacked into the RAM filesystem
// that is the root. Linux: init/initramfs.c (unpack_to_rootfs, do_name,
// do_copy, do_symlink, maybe_link), usr/gen_init_cpio.c.
//
// Each entry becomes what its mode says: a directory, a regular file, a
// symbolic link, a device node, a FIFO or socket node; with its permission
// bits, owner and mtime. Regular files and links with nlink >= 2 that share
// an inode number (and device) with an earlier entry become hard links to
// it (maybe_link). A file's bytes are not copied: they stay in the archive
// (memblock keeps it reserved) until the first write copies them. Then,
// as devtmpfs would, the kernel makes /dev/console, /dev/null, /dev/zero and
// /dev/tty when the archive has none.

import CShim
/// One entry of the archive.
struct RootfsEntry {
    var path: ByteString       // without the leading "/"
    var mode: UInt32
    var data: ByteString
    var ino: UInt32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var nlink: UInt32 = 1
    var mtime: UInt32 = 0
    var devMajor: UInt32 = 0
    var devMinor: UInt32 = 0
    var rdevMajor: UInt32 = 0
    var rdevMinor: UInt32 = 0

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

/// Lookups by path in the root filesystem, for the self-tests that load a
/// binary straight from it (the file's bytes, borrowed).
struct Rootfs {
    func lookup(_ path: ByteString) -> RootfsEntry? {
        var err = 0
        guard let d = kern_path_at(UInt64(bitPattern: Int64(AT_FDCWD)), path, follow: true, &err) else { return nil }
        let e = RootfsEntry(path: path, mode: d.inode.mode, data: d.inode.bytes)
        fs_lock.withLock { dput_locked(d) }
        return e
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
        guard let ino = hexField(archive, off + 6), let mode = hexField(archive, off + 14),
              let uid = hexField(archive, off + 22), let gid = hexField(archive, off + 30),
              let nlink = hexField(archive, off + 38), let mtime = hexField(archive, off + 46),
              let fileSize = hexField(archive, off + 54),
              let devMajor = hexField(archive, off + 62), let devMinor = hexField(archive, off + 70),
              let rdevMajor = hexField(archive, off + 78), let rdevMinor = hexField(archive, off + 86),
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
            let e = RootfsEntry(path: clean, mode: mode, data: archive.slice(dataStart, dataEnd), ino: ino, uid: uid,
                                gid: gid, nlink: nlink, mtime: mtime, devMajor: devMajor, devMinor: devMinor,
                                rdevMajor: rdevMajor, rdevMinor: rdevMinor)
            guard found(e) else {
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

/// Hard-link candidates seen so far (maybe_link's hash, as a small table).
private struct LinkTable {
    static let size = 64
    var ino = InlineArray<64, UInt32>(repeating: 0)
    var dev = InlineArray<64, UInt32>(repeating: 0)
    var inode = InlineArray<64, Inode?>(repeating: nil)
    var count = 0
}

/// do_name(): one archive entry into the tree. fs_lock held.
private func unpack_entry_locked(_ root: Dentry, _ e: RootfsEntry, _ links: inout LinkTable) -> Bool {
    var nd = NameiData()
    defer { nd.release() }
    guard let dir = path_walk_locked(root, root, e.path, &nd, follow: true, parent: true), !last_is_special(nd.last) else {
        return false
    }
    let type = e.mode & S_IFMT
    if let old = d_lookup(dir, nd.last) {
        // clean_path(): an entry of another type is replaced; a directory is kept.
        if old.inode.isDir && type == S_IFDIR {
            old.inode.mode = e.mode
            return true
        }
        if old.inode.isDir { return false }
        old.inode.nlink -= 1
        d_unlink_locked(old)
    }
    let dev = e.devMajor << 20 | e.devMinor
    if (type == S_IFREG || type == S_IFLNK) && e.nlink >= 2 {
        for i in 0..<links.count where links.ino[i] == e.ino && links.dev[i] == dev {
            guard let target = links.inode[i], d_add_locked(dir, nd.last, target) != nil else { return false }
            target.nlink += 1
            return true
        }
    }
    var err = Errno.ENOSPC
    guard let d = ramfs_mknod_locked(dir, nd.last, e.mode, rdev: MKDEV(e.rdevMajor, e.rdevMinor), &err) else { return false }
    let inode = d.inode
    inode.uid = e.uid
    inode.gid = e.gid
    if type == S_IFREG || type == S_IFLNK {
        inode.data = e.data.base.map { UnsafeMutableRawPointer(mutating: $0) }
        inode.size = e.data.count
        inode.capacity = 0          // borrowed from the archive
        if e.nlink >= 2 && links.count < LinkTable.size {
            links.ino[links.count] = e.ino
            links.dev[links.count] = dev
            links.inode[links.count] = inode
            links.count += 1
        }
    }
    inode.mtime = Timespec(sec: Int64(e.mtime), nsec: 0)
    return true
}

/// The device nodes devtmpfs would provide, where the archive has none.
private func create_dev_nodes_locked(_ root: Dentry) {
    var err = Errno.ENOSPC
    let dev = d_lookup(root, staticBytes("dev")) ?? ramfs_mknod_locked(root, staticBytes("dev"), S_IFDIR | 0o755, &err)
    guard let dev, dev.inode.isDir else { return }
    func node(_ name: StaticString, _ mode: UInt32, _ major: UInt32, _ minor: UInt32) {
        if d_lookup(dev, staticBytes(name)) == nil {
            _ = ramfs_mknod_locked(dev, staticBytes(name), S_IFCHR | mode, rdev: MKDEV(major, minor), &err)
        }
    }
    // /proc/self/exe, the one entry of /proc busybox needs (it re-executes itself through it).
    if d_lookup(root, staticBytes("proc")) == nil,
       let proc = ramfs_mknod_locked(root, staticBytes("proc"), S_IFDIR | 0o555, &err),
       let slf = ramfs_mknod_locked(proc, staticBytes("self"), S_IFDIR | 0o555, &err),
       let exe = ramfs_mknod_locked(slf, staticBytes("exe"), S_IFLNK | 0o777, &err) {
        exe.inode.proc = ProcEntry(type: .exe)           // pid 0: whoever follows it
    }
    node("console", 0o600, 5, 1)
    node("null", 0o666, 1, 3)
    node("zero", 0o666, 1, 5)
    node("tty", 0o666, 5, 0)
}

/// populate_rootfs(): the root filesystem, with the boot loader's initramfs unpacked into it.
func populate_rootfs(listEntries: Bool) {
    init_rootfs()
    guard let root = ramfs_root else { return }
    defer { fs_lock.withLock { create_dev_nodes_locked(root) } }
    guard let rd = boot_params.initrd, boot_params.initrdSize > 0 else {
        pr_info("initramfs: none")
        return
    }
    let archive = ByteString(UnsafePointer(rd.pointer.assumingMemoryBound(to: UInt8.self)), count: Int(boot_params.initrdSize))
    var links = LinkTable()
    var failed = 0
    let result = cpio_parse(archive) { e in
        if listEntries {
            printk_always("initramfs: \(e.mode, octal: 6) \(e.data.count) \(hex: e.data.fnv1a32, width: 8) /\(e.path)")
        }
        if !fs_lock.withLock({ unpack_entry_locked(root, e, &links) }) { failed += 1 }
        return true
    }
    switch result {
    case .success(let n):
        pr_info("Unpacked initramfs: \(n) entries, \(boot_params.initrdSize) bytes")
    case .failure(let e):
        switch e.error {
        case .badMagic(let o): pr_err("initramfs: bad cpio magic at offset \(o)")
        case .truncated(let o): pr_err("initramfs: archive truncated at offset \(o)")
        case .tooManyEntries: pr_err("initramfs: too many entries")
        }
    }
    if failed > 0 { pr_err("initramfs: \(failed) entries could not be created") }
}
