// POSIX record locks and open-file-description locks: fcntl(F_GETLK,
// F_SETLK, F_SETLKW) and the F_OFD_ variants, and what lockf() is built on.
// Linux: fs/locks.c (fcntl_getlk, fcntl_setlk, posix_lock_inode,
// posix_locks_deadlock, locks_remove_posix, locks_remove_file).
//
// A lock covers a byte range of an inode, shared (F_RDLCK) or exclusive
// (F_WRLCK), and belongs to an owner: for a POSIX lock the process's
// descriptor table (current->files), for an OFD lock the open file
// description. Locks of one owner never conflict with each other: a new one
// replaces what it overlaps, and touching locks of the same type merge.
// Locks of different owners conflict when they overlap and one is exclusive:
// F_SETLK then fails with EAGAIN, F_SETLKW sleeps until the range is free —
// unless the owner it would wait for is itself waiting, directly or through
// others, for this one: that is EDEADLK (POSIX locks only, as Linux).
//
// The exit path: POSIX locks go when their owner closes *any* descriptor of
// the file (filp_close() -> locks_remove_posix()), so exit_files() drops all
// of a process's locks as it closes its table, and a sleeper waiting for
// them wakes; OFD locks go with the last reference to their open file
// description (__fput() -> locks_remove_file()). fork's child owns none.
//
// One lock (file_lock_lock) guards every inode's list and the waiters; one
// wait queue holds every sleeper, each re-checking its own range.

import Synchronization

let F_GETLK: UInt64 = 5, F_SETLK: UInt64 = 6, F_SETLKW: UInt64 = 7
let F_OFD_GETLK: UInt64 = 36, F_OFD_SETLK: UInt64 = 37, F_OFD_SETLKW: UInt64 = 38
let F_RDLCK: Int16 = 0, F_WRLCK: Int16 = 1, F_UNLCK: Int16 = 2
/// OFFSET_MAX: a lock "to the end of the file, however far".
private let OFFSET_MAX = Int64.max
/// MAX_DEADLK_ITERATIONS: how far the deadlock check follows waiters.
private let MAX_DEADLK_ITERATIONS = 10

/// struct file_lock.
final class FileLock {
    var next: FileLock? = nil
    /// fl_owner: the FilesStruct (POSIX) or the File (OFD), by identity only.
    let owner: UnsafeRawPointer
    /// The locker's tgid, which F_GETLK reports (-1 for an OFD lock).
    let pid: Int32
    let ofd: Bool
    var type: Int16
    var start: Int64, end: Int64
    init(owner: UnsafeRawPointer, pid: Int32, ofd: Bool, type: Int16, start: Int64, end: Int64) {
        self.owner = owner; self.pid = pid; self.ofd = ofd; self.type = type; self.start = start; self.end = end
    }
}

/// A sleeper in F_SETLKW, and the owner it waits for (blocked_hash).
private final class LockWaiter {
    var next: LockWaiter? = nil
    let owner: UnsafeRawPointer
    var blocker: UnsafeRawPointer
    init(owner: UnsafeRawPointer, blocker: UnsafeRawPointer) { self.owner = owner; self.blocker = blocker }
}

let file_lock_lock = SpinLock(name: "file_lock_lock")
let file_lock_wq = WaitQueueHead()
private var lock_waiters: LockWaiter? = nil
/// Locks in existence (leakcheck's `files` covers their files; this, the locks).
let nr_file_locks = Atomic<Int>(0)

/// struct flock on x86-64: 32 bytes.
struct UserFlock: BitwiseCopyable {
    var type: Int16 = 0, whence: Int16 = 0, pad: Int32 = 0
    var start: Int64 = 0, len: Int64 = 0
    var pid: Int32 = 0, pad2: Int32 = 0
}

/// The owner of the lock a call makes: the descriptor table, or the file.
private func lock_owner(_ f: File, ofd: Bool) -> UnsafeRawPointer? {
    if ofd { return UnsafeRawPointer(Unmanaged.passUnretained(f).toOpaque()) }
    guard let files = current.files else { return nil }
    return UnsafeRawPointer(Unmanaged.passUnretained(files).toOpaque())
}

/// flock_to_posix_lock(): the inclusive byte range [start, end] that
/// l_whence, l_start and l_len name; -EINVAL before the start of the file,
/// -EOVERFLOW past the largest offset.
private func flock_range(_ f: File, _ fl: UserFlock) -> (start: Int64, end: Int64, err: Int) {
    var base: Int64
    switch Int32(fl.whence) {
    case SEEK_SET: base = 0
    case SEEK_CUR: base = f.pos
    case SEEK_END: base = Int64(fs_lock.withLock { f.inode?.size ?? 0 })
    default: return (0, 0, Errno.EINVAL.negated)
    }
    let (s, o) = base.addingReportingOverflow(fl.start)
    if o { return (0, 0, Errno.EOVERFLOW.negated) }
    var start = s, end: Int64
    if fl.len > 0 {
        let (e, o2) = start.addingReportingOverflow(fl.len - 1)
        if o2 { return (0, 0, Errno.EOVERFLOW.negated) }
        end = e
    } else if fl.len < 0 {
        end = start - 1
        start += fl.len
    } else {
        end = OFFSET_MAX
    }
    if start < 0 { return (0, 0, Errno.EINVAL.negated) }
    return (start, end, 0)
}

/// The first lock of another owner that a `type` lock of `owner` on
/// [start, end] would conflict with (posix_test_lock). file_lock_lock held.
private func first_conflict_locked(_ i: Inode, owner: UnsafeRawPointer, type: Int16, start: Int64, end: Int64) -> FileLock? {
    var c = i.locks
    while let l = c {
        if l.owner != owner && l.start <= end && start <= l.end && (l.type == F_WRLCK || type == F_WRLCK) { return l }
        c = l.next
    }
    return nil
}

/// posix_locks_deadlock(): would `owner` waiting for `blocker` close a
/// circle of waiters? file_lock_lock held.
private func locks_deadlock_locked(_ owner: UnsafeRawPointer, _ blockerIn: UnsafeRawPointer) -> Bool {
    var blocker = blockerIn
    for _ in 0..<MAX_DEADLK_ITERATIONS {
        if blocker == owner { return true }
        var w = lock_waiters
        while let x = w, x.owner != blocker { w = x.next }
        guard let waiting = w else { return false }
        blocker = waiting.blocker
    }
    return false
}

private func unlink_lock_locked(_ i: Inode, _ victim: FileLock) {
    slist_remove(&i.locks, victim, { $0.next }, { $0.next = $1 })
    kfree_object(victim)
    nr_file_locks.wrappingSubtract(1, ordering: .relaxed)
}

private func new_lock(_ owner: UnsafeRawPointer, _ pid: Int32, ofd: Bool, _ type: Int16, _ start: Int64, _ end: Int64) -> FileLock {
    nr_file_locks.wrappingAdd(1, ordering: .relaxed)
    return FileLock(owner: owner, pid: pid, ofd: ofd, type: type, start: start, end: end)
}

/// posix_lock_inode(), once no other owner's lock is in the way: `owner`'s
/// locks on [start, end] become one `type` lock (none for F_UNLCK), merging
/// with its touching locks of the same type and cutting the others back.
/// file_lock_lock held.
private func posix_lock_apply_locked(_ i: Inode, owner: UnsafeRawPointer, pid: Int32, ofd: Bool,
                                     type: Int16, start startIn: Int64, end endIn: Int64) {
    var start = startIn, end = endIn
    // Same type, overlapping or adjacent: absorbed into the new range.
    if type != F_UNLCK {
        var c = i.locks
        while let l = c {
            c = l.next
            guard l.owner == owner && l.type == type else { continue }
            let touches = (l.end == OFFSET_MAX || l.end + 1 >= start) && (end == OFFSET_MAX || l.start <= end + 1)
            if touches {
                start = min(start, l.start)
                end = max(end, l.end)
                unlink_lock_locked(i, l)
            }
        }
    }
    // The owner's other locks lose what the new range covers; one that
    // spans it on both sides is split in two.
    var c = i.locks
    while let l = c {
        c = l.next
        guard l.owner == owner && l.start <= end && start <= l.end else { continue }
        if l.start < start && l.end > end {
            let tail = new_lock(owner, l.pid, ofd: l.ofd, l.type, end + 1, l.end)
            tail.next = l.next
            l.next = tail
            l.end = start - 1
            c = tail.next
        } else if l.start < start {
            l.end = start - 1
        } else if l.end > end {
            l.start = end + 1
        } else {
            unlink_lock_locked(i, l)
        }
    }
    if type != F_UNLCK {
        let n = new_lock(owner, pid, ofd: ofd, type, start, end)
        n.next = i.locks
        i.locks = n
    }
}

/// fcntl(F_GETLK / F_OFD_GETLK): the first lock in the way of the one
/// described, or l_type F_UNLCK.
func fcntl_getlk(_ f: File, _ arg: UInt64, ofd: Bool) -> Int {
    var fl = UserFlock()
    guard copy_from_user(&fl, arg) else { return Errno.EFAULT.negated }
    if fl.type != F_RDLCK && fl.type != F_WRLCK { return Errno.EINVAL.negated }
    if ofd && fl.pid != 0 { return Errno.EINVAL.negated }
    guard let i = f.inode, let owner = lock_owner(f, ofd: ofd) else { return Errno.EBADF.negated }
    let r = flock_range(f, fl)
    if r.err < 0 { return r.err }
    file_lock_lock.withLock {
        if let l = first_conflict_locked(i, owner: owner, type: fl.type, start: r.start, end: r.end) {
            fl.type = l.type
            fl.whence = Int16(SEEK_SET)
            fl.start = l.start
            fl.len = l.end == OFFSET_MAX ? 0 : l.end - l.start + 1
            fl.pid = l.pid
        } else {
            fl.type = F_UNLCK
        }
    }
    return copy_to_user(arg, from: fl) ? 0 : Errno.EFAULT.negated
}

/// fcntl(F_SETLK / F_SETLKW and the OFD forms): take, change or drop a lock.
func fcntl_setlk(_ f: File, _ arg: UInt64, ofd: Bool, wait: Bool) -> Int {
    var fl = UserFlock()
    guard copy_from_user(&fl, arg) else { return Errno.EFAULT.negated }
    if ofd && fl.pid != 0 { return Errno.EINVAL.negated }
    switch fl.type {
    case F_RDLCK: if !f.readable { return Errno.EBADF.negated }
    case F_WRLCK: if !f.writable { return Errno.EBADF.negated }
    case F_UNLCK: break
    default: return Errno.EINVAL.negated
    }
    guard let i = f.inode, let owner = lock_owner(f, ofd: ofd) else { return Errno.EBADF.negated }
    let r = flock_range(f, fl)
    if r.err < 0 { return r.err }
    let pid = ofd ? -1 : current.tgid
    let waiter = LockWaiter(owner: owner, blocker: owner)
    defer { kfree_object(waiter) }
    while true {
        let outcome = file_lock_lock.withLock { () -> Int in
            if fl.type != F_UNLCK,
               let l = first_conflict_locked(i, owner: owner, type: fl.type, start: r.start, end: r.end) {
                if !wait { return Errno.EAGAIN.negated }
                if !ofd && locks_deadlock_locked(owner, l.owner) { return Errno.EDEADLK.negated }
                waiter.blocker = l.owner
                waiter.next = lock_waiters
                lock_waiters = waiter
                return 1
            }
            posix_lock_apply_locked(i, owner: owner, pid: pid, ofd: ofd, type: fl.type, start: r.start, end: r.end)
            return 0
        }
        if outcome <= 0 {
            if outcome == 0 { locks_wake() }       // a lock shrank or went: sleepers look again
            return outcome
        }
        let woken = wait_event(file_lock_wq, state: .interruptible) {
            file_lock_lock.withLock { first_conflict_locked(i, owner: owner, type: fl.type, start: r.start, end: r.end) == nil }
        }
        file_lock_lock.withLock { remove_waiter_locked(waiter) }
        if woken == .interrupted { return Errno.ERESTARTSYS.negated }
    }
}

private func remove_waiter_locked(_ w: LockWaiter) {
    slist_remove(&lock_waiters, w, { $0.next }, { $0.next = $1 })
}

private func locks_wake() { wake_up_all(file_lock_wq) }

/// Every lock on `i` that `owner` holds goes (of one kind: POSIX or OFD).
private func locks_remove_owner(_ i: Inode, _ owner: UnsafeRawPointer) {
    let removed = file_lock_lock.withLock { () -> Bool in
        var any = false
        var c = i.locks
        while let l = c {
            c = l.next
            if l.owner == owner { unlink_lock_locked(i, l); any = true }
        }
        return any
    }
    if removed { locks_wake() }
}

/// locks_remove_posix(): filp_close() of any descriptor of the file drops
/// every POSIX lock the table `files` holds on it.
func locks_remove_posix(_ f: File, _ files: FilesStruct) {
    guard let i = f.inode, i.locks != nil else { return }      // (a racy peek, as Linux's)
    locks_remove_owner(i, UnsafeRawPointer(Unmanaged.passUnretained(files).toOpaque()))
}

/// locks_remove_file(): the last reference to an open file description
/// drops its OFD locks.
func locks_remove_file(_ f: File) {
    guard let i = f.inode, i.locks != nil else { return }
    locks_remove_owner(i, UnsafeRawPointer(Unmanaged.passUnretained(f).toOpaque()))
}
