// Open files and descriptor tables. Linux: fs/file.c (files_struct, fd
// allocation, dup, close), fs/file_table.c (struct file, fput), include/linux/fs.h.
//
// A `File` is one open file description: a reference count, the position,
// the flags given to open(), and what it is open on (an inode of the RAM
// filesystem, a device, one end of a pipe). A `FilesStruct` is a task's table
// of descriptors pointing at Files; tasks share it under CLONE_FILES and copy
// it at fork (dup_fd). The last fput() of a File releases it — and, as in
// Linux, not at once: the final release is queued as task_work and runs on
// the way back to user mode or in exit_task_work(), outside whatever the
// caller holds (kernel/task_work.swift).

import CShim
import Synchronization

let NR_OPEN_DEFAULT = 64
/// sysctl fs.nr_open: no table grows past this, whatever RLIMIT_NOFILE says.
let NR_OPEN_MAX = 1024 * 1024

// open(2) flags, Linux's x86-64 values.
let O_ACCMODE: UInt32 = 0o3
let O_RDONLY: UInt32 = 0o0
let O_WRONLY: UInt32 = 0o1
let O_RDWR: UInt32 = 0o2
let O_CREAT: UInt32 = 0o100
let O_EXCL: UInt32 = 0o200
let O_NOCTTY: UInt32 = 0o400
let O_TRUNC: UInt32 = 0o1000
let O_APPEND: UInt32 = 0o2000
let O_NONBLOCK: UInt32 = 0o4000
let O_DSYNC: UInt32 = 0o10000
let O_DIRECT: UInt32 = 0o40000
let O_LARGEFILE: UInt32 = 0o100000
let O_DIRECTORY: UInt32 = 0o200000
let O_NOFOLLOW: UInt32 = 0o400000
let O_NOATIME: UInt32 = 0o1000000
let O_CLOEXEC: UInt32 = 0o2000000
let O_SYNC: UInt32 = 0o4010000
let O_PATH: UInt32 = 0o10000000
let O_TMPFILE: UInt32 = 0o20200000
/// The flags F_SETFL may change (Linux's SETFL_MASK).
let SETFL_MASK: UInt32 = O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT

/// What a File is open on; selects its file_operations (f_op).
enum FileKind: UInt8 {
    case regular, directory, null, zero, random, pipe, path, pidfd, proc, eventfd
    /// The terminal: through /dev/console (never a controlling terminal, no job control), or as itself.
    case console, tty
}

/// file_operations: what read/write/... mean for one kind of file. A nil
/// entry is the VFS default (Linux's rules: no read → -EINVAL, no llseek →
/// -ESPIPE, no poll → always ready, no ioctl → -ENOTTY).
struct FileOperations {
    var read: ((File, UInt64, Int, inout Int64) -> Int)? = nil
    var write: ((File, UInt64, Int, inout Int64) -> Int)? = nil
    var llseek: ((File, Int64, Int32) -> Int64)? = nil
    var poll: ((File) -> UInt32)? = nil
    var ioctl: ((File, UInt32, UInt64) -> Int)? = nil
    var iterate: ((File, UInt64, Int) -> Int)? = nil
    var release: ((File) -> Void)? = nil
}

/// struct file. Counted by `count`; freed by __fput() after the last fput().
final class File {
    let count = Atomic<Int>(1)
    var pos: Int64 = 0
    /// f_flags: open()'s flags minus O_CREAT/O_EXCL/O_NOCTTY/O_TRUNC/O_CLOEXEC.
    var flags: UInt32
    let kind: FileKind
    /// f_path: the name it was opened by (nil for pipes), holding a dentry reference.
    var dentry: Dentry? = nil
    /// f_inode.
    var inode: Inode? = nil
    /// private_data of a pipe end.
    var pipe: PipeInodeInfo? = nil
    /// private_data of a pidfd: the pid number it holds (fs/pidfs.swift).
    var pidNr: Int32 = 0
    /// private_data of an eventfd (fs/eventfd.swift).
    var eventfd: EventfdCtx? = nil
    /// A terminal file: the tty's hangup count when it was opened (tty_hung_up_p).
    var ttyHangups: UInt32 = 0
    /// The task_work list this file waits on for its __fput().
    var taskWorkNext: File? = nil

    init(kind: FileKind, flags: UInt32) {
        self.kind = kind
        self.flags = flags
        nr_files.wrappingAdd(1, ordering: .relaxed)
    }

    var readable: Bool { kind != .path && flags & O_ACCMODE != O_WRONLY }
    var writable: Bool { kind != .path && flags & O_ACCMODE != O_RDONLY }

    /// f_op.
    var fOp: FileOperations {
        switch kind {
        case .regular: return ramfs_file_operations
        case .directory: return simple_dir_operations
        case .console, .tty: return tty_fops
        case .null: return null_fops
        case .zero: return zero_fops
        case .random: return urandom_fops
        case .pipe: return pipefifo_fops
        case .path: return FileOperations()
        case .pidfd: return pidfs_file_operations
        case .proc: return proc_file_operations
        case .eventfd: return eventfd_fops
        }
    }
}

/// Open file descriptions in existence (leakcheck's `files`).
let nr_files = Atomic<Int>(0)

/// get_file().
func get_file(_ f: File) { f.count.wrappingAdd(1, ordering: .relaxed) }

/// fput(): drop a reference. The last one does not release the file here:
/// like Linux (fput → task_work_add(TWA_RESUME) → ____fput), the release
/// is queued on the current task and runs on its way out of the kernel —
/// after the caller dropped its locks — or in exit_task_work() when it is
/// exiting. Idle and kernel threads (and a task already past
/// exit_task_work) release at once, as Linux's delayed_fput would soon after.
func fput(_ f: File) {
    if f.count.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue != 0 { return }
    let t = current
    if !t.flags.contains(.kthread) && !t.taskWorkExited {
        f.taskWorkNext = t.taskWorks
        t.taskWorks = f
        return
    }
    __fput(f)
}

/// __fput(): the file's release; its OFD locks, the inode and name go with it.
func __fput(_ f: File) {
    locks_remove_file(f)
    if let rel = f.fOp.release { rel(f) }
    if let d = f.dentry { fs_lock.withLock { dput_locked(d) } }
    f.dentry = nil
    f.inode = nil
    nr_files.wrappingSubtract(1, ordering: .relaxed)
    kfree_object(f)
}

// MARK: - files_struct

/// files_struct: the descriptor table. The first NR_OPEN_DEFAULT slots are
/// inside the object (Linux's fd_array); a table that grows past them moves
/// to a kmalloc'd one (expand_files).
final class FilesStruct {
    /// Tasks sharing the table (CLONE_FILES).
    let count = Atomic<Int>(1)
    let fileLock = SpinLock(name: "files->file_lock")
    var fdArray = InlineArray<64, File?>(repeating: nil)
    var closeOnExecInit: UInt64 = 0
    /// The grown table (nil while the inline one suffices) and its size.
    var bigFd: UnsafeMutablePointer<File?>? = nil
    var bigCloexec: UnsafeMutablePointer<UInt64>? = nil
    var maxFds = NR_OPEN_DEFAULT
    /// The lowest descriptor that may be free (next_fd).
    var nextFd = 0
    init() {}

    func get(_ fd: Int) -> File? {
        guard fd >= 0, fd < maxFds else { return nil }
        if let b = bigFd { return b[fd] }
        return fdArray[fd]
    }
    func set(_ fd: Int, _ f: File?) {
        if let b = bigFd { b[fd] = f } else { fdArray[fd] = f }
    }
    func isCloexec(_ fd: Int) -> Bool {
        if let c = bigCloexec { return c[fd / 64] & (1 << UInt64(fd % 64)) != 0 }
        return closeOnExecInit & (1 << UInt64(fd)) != 0
    }
    /// Descriptors 64*i ... 64*i+63 of the close-on-exec bitmap.
    func cloexecWord(_ i: Int) -> UInt64 {
        if let c = bigCloexec { return c[i] }
        return i == 0 ? closeOnExecInit : 0
    }
    func setCloexec(_ fd: Int, _ on: Bool) {
        let bit: UInt64 = 1 << UInt64(fd % 64)
        if let c = bigCloexec { if on { c[fd / 64] |= bit } else { c[fd / 64] &= ~bit }; return }
        if on { closeOnExecInit |= bit } else { closeOnExecInit &= ~bit }
    }

    /// expand_files(): room for descriptor `nr`. Called with fileLock held.
    func expand(_ nr: Int) -> Bool {
        if nr < maxFds { return true }
        var n = maxFds
        while n <= nr { n *= 2 }
        guard let fdMem = kzalloc(n * 8), let bitMem = kzalloc(n / 8) else { return false }
        let nf = fdMem.bindMemory(to: File?.self, capacity: n)
        let nc = bitMem.bindMemory(to: UInt64.self, capacity: n / 64)
        for i in 0..<maxFds { nf[i] = get(i); if isCloexec(i) { nc[i / 64] |= 1 << UInt64(i % 64) } }
        kfree(bigFd.map { UnsafeMutableRawPointer($0) })
        kfree(bigCloexec.map { UnsafeMutableRawPointer($0) })
        bigFd = nf
        bigCloexec = nc
        maxFds = n
        return true
    }
}

/// rlimit(RLIMIT_NOFILE) of the current process.
func nofile_limit() -> Int { Int(clamping: min(current.signal.rlim[RLIMIT_NOFILE].cur, UInt64(NR_OPEN_MAX))) }

/// get_unused_fd_flags() + fd_install() in one step: `f` is installed at
/// the lowest free descriptor (Linux reserves, then installs; with the
/// table's lock held across both there is no window to reserve for).
func install_new_fd(_ f: File, start: Int = 0, cloexec: Bool) -> Int {
    guard let files = current.files else { return Errno.EMFILE.negated }
    let limit = nofile_limit()
    let flags = files.fileLock.lockIrqSave()
    defer { files.fileLock.unlockIrqRestore(flags) }
    var fd = start
    if fd < files.nextFd { fd = files.nextFd }
    while fd < files.maxFds && files.get(fd) != nil { fd += 1 }
    if fd >= limit { return Errno.EMFILE.negated }
    guard files.expand(fd) else { return Errno.ENOMEM.negated }
    files.set(fd, f)
    files.setCloexec(fd, cloexec)
    if start <= files.nextFd { files.nextFd = fd + 1 }
    return fd
}

/// __put_unused_fd(): the slot is free again.
private func free_fd_slot(_ files: FilesStruct, _ fd: Int) {
    files.set(fd, nil)
    files.setCloexec(fd, false)
    if fd < files.nextFd { files.nextFd = fd }
}

/// fget(): a reference to the file at `fd`, or nil (-EBADF for the caller).
func fget(_ fd: UInt64) -> File? {
    guard fd < UInt64(Int32.max), let files = current.files else { return nil }
    let flags = files.fileLock.lockIrqSave()
    let f = files.get(Int(fd))
    if let f { get_file(f) }
    files.fileLock.unlockIrqRestore(flags)
    if let f, f.kind == .path { fput(f); return nil }
    return f
}

/// fget_raw(): as fget, O_PATH files included.
func fget_raw(_ fd: UInt64) -> File? {
    guard fd < UInt64(Int32.max), let files = current.files else { return nil }
    return files.fileLock.withLock { () -> File? in
        let f = files.get(Int(fd))
        if let f { get_file(f) }
        return f
    }
}

/// close_fd(): the descriptor goes; the file with its last reference.
func close_fd(_ fd: UInt64) -> Int {
    guard fd < UInt64(Int32.max), let files = current.files else { return Errno.EBADF.negated }
    let flags = files.fileLock.lockIrqSave()
    guard let f = files.get(Int(fd)) else {
        files.fileLock.unlockIrqRestore(flags)
        return Errno.EBADF.negated
    }
    free_fd_slot(files, Int(fd))
    files.fileLock.unlockIrqRestore(flags)
    filp_close(f, files)
    return 0
}

/// filp_close(): a descriptor of `files` lets go of `f`: the table's POSIX
/// locks on the file go with it (fs/locks.swift), then the reference. (No
/// flush method here.)
func filp_close(_ f: File, _ files: FilesStruct) {
    locks_remove_posix(f, files)
    fput(f)
}

/// dup_fd(): fork's private copy of the table; every file gains a reference.
func dup_fd(_ old: FilesStruct) -> FilesStruct? {
    let f = FilesStruct()
    let flags = old.fileLock.lockIrqSave()
    var ok = true
    if old.maxFds > NR_OPEN_DEFAULT { ok = f.expand(old.maxFds - 1) }
    if ok {
        for i in 0..<old.maxFds {
            if let file = old.get(i) {
                get_file(file)
                f.set(i, file)
                f.setCloexec(i, old.isCloexec(i))
            }
        }
        f.nextFd = old.nextFd
    }
    old.fileLock.unlockIrqRestore(flags)
    if !ok { free_files_struct(f); return nil }
    return f
}

private func free_files_struct(_ f: FilesStruct) {
    kfree(f.bigFd.map { UnsafeMutableRawPointer($0) })
    kfree(f.bigCloexec.map { UnsafeMutableRawPointer($0) })
    kfree_object(f)
}

/// close_files(): every descriptor of a table nobody uses any more. Returns
/// how many files it closed (trace=exit shows it).
@discardableResult
func close_files(_ files: FilesStruct) -> Int {
    var n = 0
    for i in 0..<files.maxFds {
        if let f = files.get(i) {
            files.set(i, nil)
            filp_close(f, files)
            n += 1
        }
    }
    return n
}

/// put_files_struct(): the last user closes every file and frees the table.
/// Returns the number of files closed (0 when others still share it).
@discardableResult
func put_files_struct(_ f: FilesStruct) -> Int {
    guard f.count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return 0 }
    let n = close_files(f)
    free_files_struct(f)
    return n
}

/// do_close_on_exec(): exec closes every close-on-exec descriptor, found a
/// word of the bitmap at a time. The lock is dropped around each close.
func do_close_on_exec(_ files: FilesStruct) {
    var word = 0
    while word * 64 < files.maxFds {
        var set = files.fileLock.withLock { files.cloexecWord(word) }
        while set != 0 {
            let fd = word * 64 + set.trailingZeroBitCount
            set &= set - 1
            let victim = files.fileLock.withLock { () -> File? in
                guard files.isCloexec(fd), let f = files.get(fd) else { return nil }
                free_fd_slot(files, fd)
                return f
            }
            if let v = victim { filp_close(v, files) }
        }
        word += 1
    }
}

/// unshare_files(): exec gets a table of its own if it shares one, so that
/// close-on-exec does not close another process's descriptors. 0 or -ENOMEM.
func unshare_files(_ t: Task) -> Int {
    guard let old = t.files, old.count.load(ordering: .acquiring) > 1 else { return 0 }
    guard let copy = dup_fd(old) else { return Errno.ENOMEM.negated }
    t.files = copy
    put_files_struct(old)
    return 0
}

/// The first three descriptors of init: the console (Linux's console_on_rootfs
/// opens /dev/console and dups it twice).
func console_on_rootfs(_ files: FilesStruct) {
    let f = File(kind: .console, flags: O_RDWR)
    if let tty = console_tty { tty_add_file(tty, f) }
    f.count.store(3, ordering: .relaxed)
    for fd in 0..<3 { files.set(fd, f) }
    files.nextFd = 3
}

// MARK: - dup, dup2, dup3, close, close_range

/// do_dup2(): install `f` at `fd`, closing what was there.
private func do_dup2(_ files: FilesStruct, _ f: File, _ fd: Int, cloexec: Bool) -> Int {
    let flags = files.fileLock.lockIrqSave()
    guard files.expand(fd) else {
        files.fileLock.unlockIrqRestore(flags)
        return Errno.EMFILE.negated
    }
    let old = files.get(fd)
    files.set(fd, f)
    files.setCloexec(fd, cloexec)
    files.fileLock.unlockIrqRestore(flags)
    if let old { filp_close(old, files) }
    return fd
}

func ksys_dup3(_ oldfd: UInt64, _ newfd: UInt64, _ oflags: UInt64) -> Int {
    guard oflags & ~UInt64(O_CLOEXEC) == 0 else { return Errno.EINVAL.negated }
    guard let files = current.files else { return Errno.EBADF.negated }
    if newfd >= UInt64(nofile_limit()) { return Errno.EBADF.negated }
    guard let f = fget_raw(oldfd) else { return Errno.EBADF.negated }
    if oldfd == newfd { fput(f); return Errno.EINVAL.negated }
    return do_dup2(files, f, Int(newfd), cloexec: oflags & UInt64(O_CLOEXEC) != 0)
}

func sys_dup3(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    ksys_dup3(regs.arg0 & 0xffff_ffff, regs.arg1 & 0xffff_ffff, regs.arg2)
}

func sys_dup2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let oldfd = regs.arg0 & 0xffff_ffff, newfd = regs.arg1 & 0xffff_ffff
    if oldfd == newfd {
        guard let f = fget_raw(oldfd) else { return Errno.EBADF.negated }
        fput(f)
        return Int(newfd)
    }
    return ksys_dup3(oldfd, newfd, 0)
}

func sys_dup(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    guard let f = fget_raw(regs.arg0 & 0xffff_ffff) else { return Errno.EBADF.negated }
    let fd = install_new_fd(f, cloexec: false)
    if fd < 0 { fput(f) }
    return fd
}

func sys_close(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    close_fd(regs.arg0 & 0xffff_ffff)
}

let CLOSE_RANGE_UNSHARE: UInt64 = 1 << 1
let CLOSE_RANGE_CLOEXEC: UInt64 = 1 << 2

/// close_range(first, last, flags).
func sys_close_range(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let first = regs.arg0 & 0xffff_ffff, last = regs.arg1 & 0xffff_ffff, fl = regs.arg2
    guard fl & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) == 0, first <= last else { return Errno.EINVAL.negated }
    if fl & CLOSE_RANGE_UNSHARE != 0 {
        let r = unshare_files(current)
        if r < 0 { return r }
    }
    guard let files = current.files else { return 0 }
    var fd = Int(first)
    while fd <= Int(min(last, UInt64(files.maxFds - 1))) {
        if fl & CLOSE_RANGE_CLOEXEC != 0 {
            files.fileLock.withLock { if files.get(fd) != nil { files.setCloexec(fd, true) } }
        } else {
            _ = close_fd(UInt64(fd))
        }
        fd += 1
    }
    return 0
}
