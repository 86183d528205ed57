// memfd_create() and file seals. Linux: mm/memfd.c (memfd_create,
// memfd_add_seals, memfd_get_seals, memfd_fcntl), mm/shmem.c (the checks
// each seal makes).
//
// A memfd is a RAM file that no directory names: an inode of the RAM
// filesystem (read, write, mmap, ftruncate work on it as on any file) whose
// one dentry, "memfd:NAME", hangs below an internal root that is mounted
// nowhere — Linux's hangs below the shm mount — and is unlinked from the
// start. /proc/<pid>/fd shows it as "/memfd:NAME (deleted)", and it goes
// with its last reference, as a file unlinked while open does.
//
// Seals (MFD_ALLOW_SEALING, then fcntl F_ADD_SEALS / F_GET_SEALS) only ever
// add restrictions: SEAL forbids further seals, SHRINK and GROW changes of
// size, WRITE and FUTURE_WRITE writes (write() and writable shared maps),
// EXEC changes of the exec bits; each is -EPERM where Linux's shmem says
// so. A memfd made without MFD_ALLOW_SEALING starts with F_SEAL_SEAL.
// MFD_HUGETLB is -ENOSYS, as from a Linux without hugetlbfs.

let MFD_CLOEXEC: UInt32 = 0x1, MFD_ALLOW_SEALING: UInt32 = 0x2, MFD_HUGETLB: UInt32 = 0x4
let MFD_NOEXEC_SEAL: UInt32 = 0x8, MFD_EXEC: UInt32 = 0x10
let F_SEAL_SEAL: UInt32 = 0x1, F_SEAL_SHRINK: UInt32 = 0x2, F_SEAL_GROW: UInt32 = 0x4, F_SEAL_WRITE: UInt32 = 0x8
let F_SEAL_FUTURE_WRITE: UInt32 = 0x10, F_SEAL_EXEC: UInt32 = 0x20
private let F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC
let F_ADD_SEALS: UInt64 = 1033, F_GET_SEALS: UInt64 = 1034
/// NAME_MAX less "memfd:".
private let MFD_NAME_MAX_LEN = NAME_MAX - 6

/// The root the memfd dentries hang below (shm_mnt's); made at boot.
private var memfd_root: Dentry? = nil

/// shmem_init(), the part memfds need: their root, made before any workload
/// so that leakcheck never counts it.
func memfd_init() {
    guard let i = ramfs_get_inode(S_IFDIR | 0o1777) else { panic("memfd: no memory") }
    i.sbDev = alloc_anon_dev()
    let d = Dentry(inode: i)
    i.count = 1
    memfd_root = d
}

/// memfd_create(name, flags).
func sys_memfd_create(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let flags = UInt32(truncatingIfNeeded: regs.arg1)
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) != 0 {
        return Errno.EINVAL.negated
    }
    if flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0 { return Errno.EINVAL.negated }
    // "memfd:" and the user's name, as the dentry's name.
    var name = InlineArray<256, UInt8>(repeating: 0)
    let len = withUnsafeMutableBytes(of: &name) { b -> Int in
        for (i, c) in "memfd:".utf8.enumerated() { b[i] = c }
        return strncpy_from_user(b.baseAddress! + 6, regs.arg0, MFD_NAME_MAX_LEN + 1)
    }
    if len < 0 { return Errno.EFAULT.negated }
    if len > MFD_NAME_MAX_LEN { return Errno.EINVAL.negated }
    if flags & MFD_HUGETLB != 0 { return Errno.ENOSYS.negated }
    let mode = S_IFREG | (flags & MFD_NOEXEC_SEAL != 0 ? 0o666 : 0o777)
    let file = withUnsafeBytes(of: &name) { b -> File? in
        memfd_alloc_file(ByteString(b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 6 + len), mode)
    }
    guard let f = file, let inode = f.inode else { return Errno.ENOMEM.negated }
    inode.seals = flags & MFD_NOEXEC_SEAL != 0 ? F_SEAL_EXEC
                : flags & MFD_ALLOW_SEALING != 0 ? 0 : F_SEAL_SEAL
    let fd = install_new_fd(f, cloexec: flags & MFD_CLOEXEC != 0)
    if fd < 0 { fput(f) }
    return fd
}

/// memfd_alloc_file(): the unlinked inode and its dentry, opened read-write.
private func memfd_alloc_file(_ name: ByteString, _ mode: UInt32) -> File? {
    fs_lock.withLock { () -> File? in
        guard let root = memfd_root, let inode = ramfs_get_inode(mode) else { return nil }
        inode.sbDev = root.inode.sbDev
        inode.nlink = 0
        inode.memfd = true
        guard let d = d_alloc_locked(root, name, inode) else { discard_new_inode(inode); return nil }
        d.unhashed = true             // never in the directory: "(deleted)"
        let f = File(kind: .regular, flags: O_RDWR | O_LARGEFILE)
        f.dentry = d                  // the dentry's one reference is the file's
        f.inode = inode
        return f
    }
}

/// memfd_fcntl(): F_ADD_SEALS and F_GET_SEALS; -EINVAL on a file that
/// cannot be sealed.
func memfd_fcntl(_ f: File, _ cmd: UInt64, _ arg: UInt64) -> Int {
    guard let i = f.inode, i.memfd else { return Errno.EINVAL.negated }
    if cmd == F_GET_SEALS { return Int(fs_lock.withLock { i.seals }) }
    let seals = UInt32(truncatingIfNeeded: arg)
    if UInt64(seals) != arg || seals & ~F_ALL_SEALS != 0 { return Errno.EINVAL.negated }
    guard f.writable else { return Errno.EPERM.negated }
    return fs_lock.withLock { () -> Int in
        if i.seals & F_SEAL_SEAL != 0 { return Errno.EPERM.negated }
        // F_SEAL_WRITE waits for no one: a writable shared mapping makes it -EBUSY.
        if seals & F_SEAL_WRITE != 0 && i.seals & F_SEAL_WRITE == 0 && mapping_writably_mapped_locked(i) {
            return Errno.EBUSY.negated
        }
        i.seals |= seals
        return 0
    }
}

/// The seals' checks on a size change to `length` (shmem_setattr) and on a
/// write of `count` bytes at `pos` (shmem_write_begin); 0 or -EPERM. fs_lock held.
func memfd_check_size_locked(_ i: Inode, _ length: Int) -> Int {
    if length < i.size && i.seals & F_SEAL_SHRINK != 0 { return Errno.EPERM.negated }
    if length > i.size && i.seals & F_SEAL_GROW != 0 { return Errno.EPERM.negated }
    return 0
}
func memfd_check_write_locked(_ i: Inode, _ pos: Int, _ count: Int) -> Int {
    if i.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 { return Errno.EPERM.negated }
    if pos + count > i.size && i.seals & F_SEAL_GROW != 0 { return Errno.EPERM.negated }
    return 0
}
