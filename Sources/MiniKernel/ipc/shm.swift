// System V shared memory: shmget, shmat, shmdt, shmctl. Linux: ipc/shm.c.
//
// The rules, before the code
// --------------------------
// A segment is memory with an id: its pages are an unnamed RAM file's
// (Linux: a shmem file from shmem_kernel_file_setup()), so every process
// that attaches it maps the same frames, through the shared-file path of
// mm/filemap.swift. shmat() maps the whole segment; each area that maps it
// counts as one attach (shm_nattch), including the copies fork makes and
// the pieces munmap or mprotect cut an attach into (Linux's vm_ops->open
// and ->close, here shm_open() and shm_close(), called from the areas'
// file hooks). An area goes away by shmdt(), munmap(), exec, or the exit
// of the last user of the address space — exit_mm(), not a step of its
// own, is what detaches a dying process.
//
// IPC_RMID of a segment nobody has attached destroys it. Otherwise it is
// marked SHM_DEST, its key forgotten (IPC_PRIVATE), and it lives on until
// the last area goes: the detach that destroys it may be an exit's.
// Attaching a segment marked SHM_DEST is still allowed, as on Linux.
//
// Locks: shm_lock guards the segment list and each segment's fields. It is
// taken inside mmap_lock (shm_open()/shm_close() run with the address
// space locked) and outside fs_lock; shmat() never holds it across do_mmap.

import CShim

let SHMMIN = 1, SHMMNI = 4096, SHMSEG = 4096
/// SHMMAX (bytes) and SHMALL (pages): ULONG_MAX - 2^24, Linux's defaults.
let SHMMAX: UInt64 = UInt64.max - (1 << 24)
let SHMALL: UInt64 = UInt64.max - (1 << 24)
let SHM_RDONLY: Int32 = 0o10000, SHM_RND: Int32 = 0o20000, SHM_REMAP: Int32 = 0o40000, SHM_EXEC: Int32 = 0o100000
let SHM_LOCK: Int32 = 11, SHM_UNLOCK: Int32 = 12, SHM_STAT: Int32 = 13, SHM_INFO: Int32 = 14, SHM_STAT_ANY: Int32 = 15
/// Mode bits: marked for destruction, locked in memory.
let SHM_DEST: UInt32 = 0o1000, SHM_LOCKED: UInt32 = 0o2000
/// SHMLBA on x86-64: attach addresses are page-aligned.
let SHMLBA: UInt64 = PAGE_SIZE

/// struct shmid64_ds (x86-64, asm-generic layout).
struct Shmid64Ds {
    var perm = Ipc64Perm()
    var segsz: UInt64 = 0
    var atime: Int64 = 0, dtime: Int64 = 0, ctime: Int64 = 0
    var cpid: Int32 = 0, lpid: Int32 = 0
    var nattch: UInt64 = 0
    var unused4: UInt64 = 0, unused5: UInt64 = 0
}

/// struct shminfo64: IPC_INFO's answer.
struct ShmInfo64 {
    var shmmax: UInt64 = 0, shmmin: UInt64 = 0, shmmni: UInt64 = 0, shmseg: UInt64 = 0, shmall: UInt64 = 0
    var unused1: UInt64 = 0, unused2: UInt64 = 0, unused3: UInt64 = 0, unused4: UInt64 = 0
}

/// struct shm_info: SHM_INFO's answer (sizes in pages).
struct ShmInfo {
    var usedIds: Int32 = 0
    var pad: Int32 = 0
    var shmTot: UInt64 = 0, shmRss: UInt64 = 0, shmSwp: UInt64 = 0
    var swapAttempts: UInt64 = 0, swapSuccesses: UInt64 = 0
}

/// struct shmid_kernel.
final class ShmidKernel: IpcObject {
    var perm = KernIpcPerm()
    var ipcNext: ShmidKernel? = nil
    let segsz: UInt64
    /// shm_file: the unnamed RAM file holding the pages; this reference is the segment's.
    let file: Dentry
    var atime: Int64 = 0, dtime: Int64 = 0, ctime: Int64 = 0
    var cprid: Int32 = 0, lprid: Int32 = 0
    var nattch = 0

    init(segsz: UInt64, file: Dentry) {
        self.segsz = segsz
        self.file = file
    }

    var pages: UInt64 { PAGE_ALIGN(segsz) >> PAGE_SHIFT }
}

/// shm_ids(ns), ns->shm_tot (pages in all segments), and their lock.
private var shm_ids = IpcIds<ShmidKernel>()
private var shm_tot: UInt64 = 0
let shm_lock = SpinLock(name: "shm_lock")

/// Segments in existence (leakcheck's `shm_segments`).
func nr_shm_segments() -> Int { shm_lock.withLock { shm_ids.inUse } }

// MARK: - Life of a segment

/// shm_destroy(): off the list, and the segment's reference to its pages
/// dropped (the areas that mapped them have dropped theirs). shm_lock held.
private func shm_destroy(_ shp: ShmidKernel) {
    shm_tot -= shp.pages
    ipc_rmid(&shm_ids, shp)
    fs_lock.withLock { dput_locked(shp.file) }
    kfree_object(shp)
}

/// shm_may_destroy(): removed, and nobody attached (kernel.shm_rmid_forced,
/// which would also destroy orphans, is off, as it is by default).
private func shm_may_destroy(_ shp: ShmidKernel) -> Bool {
    shp.nattch == 0 && shp.perm.mode & SHM_DEST != 0
}

/// shm_open(): one more area maps the segment (shmat, fork, a split).
func shm_open(_ shp: ShmidKernel) {
    shm_lock.withLock {
        shp.atime = ipc_now()
        shp.lprid = current.tgid
        shp.nattch += 1
    }
}

/// shm_close(): an area that mapped the segment is gone (shmdt, munmap,
/// exec, exit); the last one destroys a segment marked SHM_DEST.
func shm_close(_ shp: ShmidKernel) {
    shm_lock.withLock {
        shp.lprid = current.tgid
        shp.dtime = ipc_now()
        shp.nattch -= 1
        if shm_may_destroy(shp) { shm_destroy(shp) }
    }
}

/// newseg(): a segment of `size` bytes, its pages made on first touch.
private func newseg(_ ids: inout IpcIds<ShmidKernel>, key: Int32, size: UInt64, flags: Int32) -> IpcGetResult {
    if size < UInt64(SHMMIN) || size > SHMMAX { return .error(.EINVAL) }
    let pages = PAGE_ALIGN(size) >> PAGE_SHIFT
    if pages << PAGE_SHIFT < size { return .error(.ENOSPC) }
    if shm_tot + pages < shm_tot || shm_tot + pages > SHMALL { return .error(.ENOSPC) }
    // shmem_kernel_file_setup(): a file in no directory, of the segment's size.
    let file = fs_lock.withLock { () -> Dentry? in
        guard let inode = ramfs_get_inode(S_IFREG | (UInt32(flags) & S_IRWXUGO)) else { return nil }
        inode.size = Int(clamping: size)
        inode.nlink = 0                                  // in no directory: a core dump counts it anonymous
        inode.count = 1
        let d = Dentry(inode: inode)
        d.unhashed = true
        return d
    }
    guard let file else { return .error(.ENOMEM) }
    let shp = ShmidKernel(segsz: size, file: file)
    ipc_init_perm(&shp.perm, key: key, flags: flags)
    shp.cprid = current.tgid
    shp.ctime = ipc_now()
    guard ipc_addid(&ids, shp, limit: SHMMNI) else {
        fs_lock.withLock { dput_locked(file) }
        kfree_object(shp)
        return .error(.ENOSPC)
    }
    shm_tot += pages
    return .id(shp.perm.id)
}

/// shmget(key, size, shmflg). SHM_HUGETLB and SHM_NORESERVE change
/// nothing: there are no huge pages, and nothing is reserved anyway.
func sys_shmget(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let key = Int32(truncatingIfNeeded: regs.arg0)
    let size = regs.arg1
    let flags = Int32(truncatingIfNeeded: regs.arg2)
    return shm_lock.withLock {
        ipcget(&shm_ids, key: key, flags: flags,
               new: { newseg(&$0, key: key, size: size, flags: flags) },
               more: { shp in shp.segsz < size ? Errno.EINVAL : nil }).syscallReturn
    }
}

// MARK: - shmat, shmdt

/// do_shmat(): map the whole segment, shared; the address, or -errno.
private func do_shmat(_ shmid: Int32, _ shmaddr: UInt64, _ shmflg: Int32) -> Int {
    if shmid < 0 { return Errno.EINVAL.negated }
    var addr = shmaddr
    var flags = MAP_SHARED
    if addr != 0 {
        if addr & (SHMLBA - 1) != 0 {
            guard shmflg & SHM_RND != 0 else { return Errno.EINVAL.negated }
            addr &= ~(SHMLBA - 1)
            // Rounded down to 0 with SHM_REMAP would replace the page at 0.
            if addr == 0 && shmflg & SHM_REMAP != 0 { return Errno.EINVAL.negated }
        }
        flags |= MAP_FIXED
    } else if shmflg & SHM_REMAP != 0 {
        return Errno.EINVAL.negated
    }
    var prot = shmflg & SHM_RDONLY != 0 ? PROT_READ : PROT_READ | PROT_WRITE
    if shmflg & SHM_EXEC != 0 { prot |= PROT_EXEC }
    guard let mm = current.mm else { return Errno.EINVAL.negated }

    // Hold the segment through the mapping: an IPC_RMID meanwhile must
    // not destroy it under us (the temporary shm_nattch++ of Linux).
    let held = shm_lock.withLock { () -> ShmidKernel? in
        guard let shp = ipc_obtain_object_check(shm_ids, shmid) else { return nil }
        shp.nattch += 1
        return shp
    }
    guard let shp = held else { return Errno.EINVAL.negated }
    let size = shp.segsz

    mm.mmapLock.lock()
    var r: Int
    if addr != 0 && shmflg & SHM_REMAP == 0 && find_vma_intersection(mm, addr, addr &+ size) != nil {
        r = Errno.EINVAL.negated
    } else {
        r = __do_mmap(mm, addr, size, prot, flags | MAP_ANONYMOUS, extra: [], file: shp.file, pgoff: 0)
        if r >= 0, let vma = find_vma(mm, UInt64(r)) {
            // A read-only attach can never be made writable (the file was opened O_RDONLY).
            if shmflg & SHM_RDONLY != 0 { vma.flags.remove(.mayWrite) }
            vma.shm = shp                                  // the area's vm_ops: shm_vm_ops
            shm_open(shp)
        }
    }
    mm.mmapLock.unlock()

    shm_lock.withLock {
        shp.nattch -= 1
        if shm_may_destroy(shp) { shm_destroy(shp) }
    }
    return r
}

/// shmat(shmid, shmaddr, shmflg).
func sys_shmat(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_shmat(Int32(truncatingIfNeeded: regs.arg0), regs.arg1, Int32(truncatingIfNeeded: regs.arg2))
}

/// shmdt(shmaddr): unmap the attach that starts at shmaddr — the first
/// area from there on that is a piece of an attach placed exactly at
/// shmaddr — and every other piece of it within the segment's size.
/// EINVAL when there is none.
func sys_shmdt(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let addr = regs.arg0
    if addr & (PAGE_SIZE - 1) != 0 { return Errno.EINVAL.negated }
    guard let mm = current.mm else { return Errno.EINVAL.negated }
    mm.mmapLock.lock()
    defer { mm.mmapLock.unlock() }
    // A piece of the attach at `addr` starts as far into the mapping as into the file.
    func piece(_ v: VMArea) -> Bool { v.shm != nil && v.start &- addr == v.pgoff }
    var vma = find_vma(mm, addr)
    var file: Dentry? = nil
    var size: UInt64 = 0
    while let v = vma {
        vma = v.next
        if piece(v) {
            file = v.file
            size = v.shm.map { $0.segsz } ?? 0
            _ = __do_munmap(mm, v.start, v.length)
            break
        }
    }
    guard let file else { return Errno.EINVAL.negated }
    size = PAGE_ALIGN(size)
    while let v = vma, v.end &- addr <= size {
        vma = v.next
        if piece(v) && v.file === file { _ = __do_munmap(mm, v.start, v.length) }
    }
    return 0
}

// MARK: - shmctl

/// do_shm_rmid(): destroy now, or when the last attach goes. shm_lock held.
private func do_shm_rmid(_ shp: ShmidKernel) {
    if shp.nattch > 0 {
        shp.perm.mode |= SHM_DEST
        ipc_set_key_private(&shp.perm)
    } else {
        shm_destroy(shp)
    }
}

/// shmctl_stat(): IPC_STAT (by id, answers 0), SHM_STAT and SHM_STAT_ANY
/// (by index, answer the id).
private func shmctl_stat(_ shmid: Int32, _ cmd: Int32, _ buf: UInt64) -> Int {
    var ds = Shmid64Ds()
    let id = shm_lock.withLock { () -> Int32? in
        guard let (shp, answer) = ipc_stat_lookup(shm_ids, shmid, byIndex: cmd != IPC_STAT) else { return nil }
        ds.perm = kernel_to_ipc64_perm(shp.perm)
        ds.segsz = shp.segsz
        ds.atime = shp.atime
        ds.dtime = shp.dtime
        ds.ctime = shp.ctime
        ds.cpid = shp.cprid
        ds.lpid = shp.lprid
        ds.nattch = UInt64(shp.nattch)
        return answer
    }
    guard let id else { return Errno.EINVAL.negated }
    guard copy_to_user(buf, from: ds) else { return Errno.EFAULT.negated }
    return Int(id)
}

/// shmctl_ipc_info() and shmctl_shm_info(): the limits, or the usage; both
/// answer the highest index in use.
private func shmctl_info(_ cmd: Int32, _ buf: UInt64) -> Int {
    if cmd == IPC_INFO {
        let info = ShmInfo64(shmmax: SHMMAX, shmmin: UInt64(SHMMIN), shmmni: UInt64(SHMMNI), shmseg: UInt64(SHMSEG),
                             shmall: SHMALL)
        let maxIdx = shm_lock.withLock { ipc_get_maxidx(shm_ids) }
        guard copy_to_user(buf, from: info) else { return Errno.EFAULT.negated }
        return max(maxIdx, 0)
    }
    var info = ShmInfo()
    let maxIdx = shm_lock.withLock { () -> Int in
        info.usedIds = Int32(shm_ids.inUse)
        info.shmTot = shm_tot
        // shm_get_stat(): the pages the segments' files hold.
        var p = shm_ids.head
        while let shp = p {
            info.shmRss += fs_lock.withLock { UInt64(shp.file.inode.nrPages) }
            p = shp.ipcNext
        }
        return ipc_get_maxidx(shm_ids)
    }
    guard copy_to_user(buf, from: info) else { return Errno.EFAULT.negated }
    return max(maxIdx, 0)
}

/// shmctl(shmid, cmd, buf). IPC_64 is not a flag on x86-64: cmd must be exact.
func sys_shmctl(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let shmid = Int32(truncatingIfNeeded: regs.arg0)
    let cmd = Int32(truncatingIfNeeded: regs.arg1)
    let buf = regs.arg2
    if cmd < 0 || shmid < 0 { return Errno.EINVAL.negated }
    switch cmd {
    case IPC_INFO, SHM_INFO:
        return shmctl_info(cmd, buf)
    case IPC_STAT, SHM_STAT, SHM_STAT_ANY:
        return shmctl_stat(shmid, cmd, buf)
    case IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK:
        var ds = Shmid64Ds()
        if cmd == IPC_SET && !copy_from_user(&ds, buf) { return Errno.EFAULT.negated }
        return shm_lock.withLock { () -> Int in
            guard let shp = ipc_obtain_object_check(shm_ids, shmid) else { return Errno.EINVAL.negated }
            switch cmd {
            case IPC_RMID: do_shm_rmid(shp)
            case IPC_SET:
                ipc_update_perm(ds.perm, &shp.perm)
                shp.ctime = ipc_now()
            // shmctl_do_lock(): root may lock; there is no swap, so the
            // flag is all a lock changes here.
            case SHM_LOCK: shp.perm.mode |= SHM_LOCKED
            default: shp.perm.mode &= ~SHM_LOCKED
            }
            return 0
        }
    default:
        return Errno.EINVAL.negated
    }
}
