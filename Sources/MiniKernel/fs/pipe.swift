// Pipes. Linux: fs/pipe.c.
//
// A pipe is a ring of PIPE_DEF_BUFFERS (16) pages, 64 KiB, shared by a read
// end and a write end (two Files); fcntl(F_SETPIPE_SZ) makes the ring any
// power of two of pages (F_GETPIPE_SZ reads it), and a resize that would
// not hold what is in the pipe is -EBUSY. head and tail count bytes ever written
// and read; a page is allocated when the writer first reaches it and freed
// once the reader has left it, so an idle pipe holds at most one page.
//
// The rules user space sees, all Linux's:
//   - a read returns what is there (up to the count); on an empty pipe it
//     sleeps, or is -EAGAIN with O_NONBLOCK, or returns 0 (end of file) once
//     no writer is left — including when the last writer's process exited:
//     exit_files() → fput() → task_work → pipe_release() wakes the reader;
//   - a write of at most PIPE_BUF (4096) bytes is atomic: it waits until it
//     fits whole, never interleaving with another writer's bytes; a larger
//     one may be split;
//   - writing with no reader left raises SIGPIPE and fails with -EPIPE;
//   - a signal ends a sleep: -ERESTARTSYS if nothing moved yet.
// One wait queue serves both directions (Linux has rd_wait and wr_wait): a
// woken task re-tests its own condition. Bytes cross the user boundary
// through a kernel page with the pipe unlocked, so a fault never happens
// under the spinlock.

import CShim
import Synchronization

let PIPE_BUF = 4096
let PIPE_DEF_BUFFERS = 16
let PIPE_SIZE = PIPE_DEF_BUFFERS * 4096

let POLLIN: UInt32 = 0x001, POLLPRI: UInt32 = 0x002, POLLOUT: UInt32 = 0x004, POLLERR: UInt32 = 0x008
let POLLHUP: UInt32 = 0x010, POLLNVAL: UInt32 = 0x020, POLLRDNORM: UInt32 = 0x040, POLLWRNORM: UInt32 = 0x100

/// Pipes in existence (leakcheck's `pipes`).
let nr_pipes = Atomic<Int>(0)
private var next_pipe_ino: UInt64 = 1_000_000

final class PipeInodeInfo {
    let lock = SpinLock(name: "pipe->mutex")
    let wait = WaitQueueHead()
    /// The ring: `nrBufs` slots, each a page's address or 0; inline up to
    /// 16 slots, kmalloc'd beyond (pipe->bufs, pipe->max_usage).
    var pages = InlineArray<16, UInt64>(repeating: 0)
    var bigRing: UnsafeMutablePointer<UInt64>? = nil
    var nrBufs = PIPE_DEF_BUFFERS
    var head = 0
    var tail = 0
    var readers = 0
    var writers = 0
    /// FIFOs: the inode it belongs to, the Files on it (under fs_lock), and
    /// how many readers and writers have ever opened it (r_counter, w_counter).
    unowned(unsafe) var fifoInode: Inode? = nil
    var fifoUsers = 0
    var rCounter = 0
    var wCounter = 0
    let ino: UInt64
    let ctime: Timespec
    init() {
        ino = next_pipe_ino
        next_pipe_ino += 1
        ctime = current_time()
        nr_pipes.wrappingAdd(1, ordering: .relaxed)
    }
}

extension PipeInodeInfo {
    /// The slot that holds absolute page number `page` (byte offset / 4096).
    func slot(_ page: Int) -> UInt64 { bigRing.map { $0[page % nrBufs] } ?? pages[page % nrBufs] }
    func setSlot(_ page: Int, _ v: UInt64) {
        if let r = bigRing { r[page % nrBufs] = v } else { pages[page % nrBufs] = v }
    }
}

/// Bytes a writer may add now: the pages from the reader's page on, nrBufs
/// of them (Linux's pipe_buffer slots; a slot the reader is still in is not free).
private func pipe_room(_ p: PipeInodeInfo) -> Int { (p.tail / 4096 + p.nrBufs) * 4096 - p.head }

private func pipe_wake(_ p: PipeInodeInfo) {
    wake_up_all(p.wait)
    poll_wake_all()
}

/// Pages the reader has passed go back. p.lock held.
private func pipe_free_consumed(_ p: PipeInodeInfo, _ oldTail: Int) {
    var page = oldTail / 4096
    while page < p.tail / 4096 {
        if p.slot(page) != 0 {
            free_pages(__pa(p.slot(page)), order: 0)
            p.setSlot(page, 0)
        }
        page += 1
    }
}

private func pipe_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let p = f.pipe else { return Errno.EBADF.negated }
    guard let bounce = kmalloc(4096) else { return Errno.ENOMEM.negated }
    defer { kfree(bounce) }
    var ret = 0
    while true {
        let flags = p.lock.lockIrqSave()
        let avail = p.head - p.tail
        if avail > 0 {
            let n = min(avail, count - ret, 4096 - p.tail % 4096)
            let src = p.slot(p.tail / 4096) + UInt64(p.tail % 4096)
            bounce.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(src))!, byteCount: n)
            let oldTail = p.tail
            p.tail += n
            pipe_free_consumed(p, oldTail)
            p.lock.unlockIrqRestore(flags)
            pipe_wake(p)
            guard copy_to_user(buf + UInt64(ret), UnsafeRawPointer(bounce), n) else {
                return ret > 0 ? ret : Errno.EFAULT.negated
            }
            ret += n
            if ret == count { return ret }
            continue
        }
        let writers = p.writers
        p.lock.unlockIrqRestore(flags)
        if ret > 0 { return ret }
        if writers == 0 { return 0 }
        if f.flags & O_NONBLOCK != 0 { return Errno.EAGAIN.negated }
        if wait_event(p.wait, state: .interruptible, { p.head != p.tail || p.writers == 0 }) == .interrupted {
            return Errno.ERESTARTSYS.negated
        }
    }
}

/// send_sig(SIGPIPE, current, 0).
private func send_sigpipe() {
    siglock.withLock { send_signal_locked(SIGPIPE, info_user(SIGPIPE), to: current, group: false) }
}

private func pipe_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let p = f.pipe else { return Errno.EBADF.negated }
    guard let bounce = kmalloc(4096) else { return Errno.ENOMEM.negated }
    defer { kfree(bounce) }
    let atomic = count <= PIPE_BUF
    var ret = 0
    if p.lock.withLock({ p.readers }) == 0 { send_sigpipe(); return Errno.EPIPE.negated }
    while ret < count {
        let chunk = min(4096, count - ret)
        guard copy_from_user(bounce, buf + UInt64(ret), chunk) else { return ret > 0 ? ret : Errno.EFAULT.negated }
        var done = 0
        while done < chunk {
            let flags = p.lock.lockIrqSave()
            if p.readers == 0 {
                p.lock.unlockIrqRestore(flags)
                send_sigpipe()
                return ret + done > 0 ? ret + done : Errno.EPIPE.negated
            }
            if pipe_room(p) >= (atomic ? chunk - done : 1) {
                var wrote = 0
                while done < chunk && pipe_room(p) > 0 {
                    let page = p.head / 4096
                    if p.slot(page) == 0 {
                        guard let frame = alloc_page() else { break }
                        p.setSlot(page, frame.virt)
                    }
                    let n = min(chunk - done, 4096 - p.head % 4096, pipe_room(p))
                    let dst = p.slot(page) + UInt64(p.head % 4096)
                    UnsafeMutableRawPointer(bitPattern: UInt(dst))!.copyMemory(from: UnsafeRawPointer(bounce + done), byteCount: n)
                    p.head += n
                    done += n
                    wrote += n
                }
                p.lock.unlockIrqRestore(flags)
                if wrote > 0 { pipe_wake(p); continue }
                return ret + done > 0 ? ret + done : Errno.ENOMEM.negated
            }
            p.lock.unlockIrqRestore(flags)
            if f.flags & O_NONBLOCK != 0 { return ret + done > 0 ? ret + done : Errno.EAGAIN.negated }
            let need = atomic ? chunk - done : 1
            if wait_event(p.wait, state: .interruptible, { p.readers == 0 || pipe_room(p) >= need }) == .interrupted {
                return ret + done > 0 ? ret + done : Errno.ERESTARTSYS.negated
            }
        }
        ret += chunk
    }
    return ret
}

private func pipe_poll(_ f: File) -> UInt32 {
    guard let p = f.pipe else { return POLLNVAL }
    return p.lock.withLock {
        var mask: UInt32 = 0
        let used = p.head - p.tail
        if f.readable {
            if used > 0 { mask |= POLLIN | POLLRDNORM }
            if p.writers == 0 { mask |= POLLHUP }
        }
        if f.writable {
            if pipe_room(p) >= PIPE_BUF { mask |= POLLOUT | POLLWRNORM }
            if p.readers == 0 { mask |= POLLERR }
        }
        return mask
    }
}

private func pipe_ioctl(_ f: File, _ cmd: UInt32, _ arg: UInt64) -> Int {
    guard UInt64(cmd) == FIONREAD, let p = f.pipe else { return Errno.ENOTTY.negated }
    let n = p.lock.withLock { p.head - p.tail }
    return put_user(UInt32(n), arg) ? 0 : Errno.EFAULT.negated
}

/// pipe_release(): one end is gone; the other side learns it (EOF, EPIPE).
/// The last end frees the pipe.
func pipe_release(_ f: File) {
    guard let p = f.pipe else { return }
    let flags = p.lock.lockIrqSave()
    if f.readable { p.readers -= 1 }
    if f.writable { p.writers -= 1 }
    var last = p.readers == 0 && p.writers == 0
    // Woken under the lock: once it is dropped the other end may free the pipe.
    if !last || p.fifoInode != nil { pipe_wake(p) }
    p.lock.unlockIrqRestore(flags)
    f.pipe = nil
    if let inode = p.fifoInode {
        // A FIFO's pipe goes with the last File on it (its data too, as Linux's free_pipe_info).
        last = fs_lock.withLock { () -> Bool in
            p.fifoUsers -= 1
            if p.fifoUsers > 0 { return false }
            inode.pipe = nil
            return true
        }
    }
    if !last { return }
    free_pipe_info(p)
}

/// free_pipe_info(): the pages, the queue, the pipe.
private func free_pipe_info(_ p: PipeInodeInfo) {
    for i in 0..<p.nrBufs where p.slot(i) != 0 { free_pages(__pa(p.slot(i)), order: 0) }
    kfree(p.bigRing.map { UnsafeMutableRawPointer($0) })
    kfree_object(p.wait)
    kfree_object(p)
    nr_pipes.wrappingSubtract(1, ordering: .relaxed)
}

let pipefifo_fops = FileOperations(read: pipe_read, write: pipe_write, poll: pipe_poll, ioctl: pipe_ioctl, release: pipe_release)

/// fifo_open(): a File on a FIFO joins the inode's pipe (made by the first
/// opener). A reader waits for a writer and a writer for a reader — unless
/// O_NONBLOCK: then a reader opens at once and a writer fails with -ENXIO;
/// O_RDWR never waits. A signal ends the wait with -ERESTARTSYS.
func fifo_open(_ f: File, _ inode: Inode) -> Int {
    guard let p = fs_lock.withLock({ () -> PipeInodeInfo? in
        if inode.pipe == nil {
            guard ramfs_has_room() else { return nil }
            let fresh = PipeInodeInfo()
            fresh.fifoInode = inode
            inode.pipe = fresh
        }
        inode.pipe?.fifoUsers += 1
        return inode.pipe
    }) else { return Errno.ENOMEM.negated }
    f.pipe = p
    let nonblock = f.flags & O_NONBLOCK != 0
    let flags = p.lock.lockIrqSave()
    if f.readable { p.readers += 1; p.rCounter += 1 }
    if f.writable {
        if !f.readable && nonblock && p.readers == 0 {
            p.lock.unlockIrqRestore(flags)
            f.pipe = nil
            let last = fs_lock.withLock { () -> Bool in
                p.fifoUsers -= 1
                if p.fifoUsers > 0 { return false }
                inode.pipe = nil
                return true
            }
            if last { free_pipe_info(p) }
            return Errno.ENXIO.negated
        }
        p.writers += 1
        p.wCounter += 1
    }
    pipe_wake(p)
    let waitWriter = f.readable && !f.writable && !nonblock && p.writers == 0
    let waitReader = f.writable && !f.readable && p.readers == 0
    let seen = waitWriter ? p.wCounter : p.rCounter
    p.lock.unlockIrqRestore(flags)
    if waitWriter || waitReader {
        let r = wait_event(p.wait, state: .interruptible) {
            waitWriter ? p.wCounter != seen : p.rCounter != seen
        }
        if r == .interrupted {
            pipe_release(f)
            return Errno.ERESTARTSYS.negated
        }
    }
    return 0
}

/// do_pipe2(): two Files on one new pipe, at two new descriptors.
func do_pipe2(_ fildes: UInt64, _ flags: UInt64) -> Int {
    if flags & ~UInt64(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 { return Errno.EINVAL.negated }
    guard access_ok(fildes, 8) else { return Errno.EFAULT.negated }
    guard nr_free_pages() > 64 else { return Errno.ENFILE.negated }
    let p = PipeInodeInfo()
    p.readers = 1
    p.writers = 1
    let keep = UInt32(flags) & (O_NONBLOCK | O_DIRECT)
    let r = File(kind: .pipe, flags: O_RDONLY | keep)
    let w = File(kind: .pipe, flags: O_WRONLY | keep)
    r.pipe = p
    w.pipe = p
    let cloexec = flags & UInt64(O_CLOEXEC) != 0
    let fd0 = install_new_fd(r, cloexec: cloexec)
    if fd0 < 0 { fput(r); fput(w); return fd0 }
    let fd1 = install_new_fd(w, cloexec: cloexec)
    if fd1 < 0 { _ = close_fd(UInt64(fd0)); fput(w); return fd1 }
    var fds = InlineArray<2, Int32>(repeating: 0)
    fds[0] = Int32(fd0)
    fds[1] = Int32(fd1)
    guard copy_to_user(fildes, from: fds) else {
        _ = close_fd(UInt64(fd0))
        _ = close_fd(UInt64(fd1))
        return Errno.EFAULT.negated
    }
    return 0
}

func sys_pipe2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_pipe2(regs.arg0, regs.arg1) }
func sys_pipe(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_pipe2(regs.arg0, 0) }

// MARK: - F_SETPIPE_SZ, F_GETPIPE_SZ

let F_SETPIPE_SZ: UInt64 = 1031, F_GETPIPE_SZ: UInt64 = 1032

/// round_pipe_size(): a power of two of pages, at least one; 0 past 2 GiB.
private func round_pipe_size(_ size: UInt64) -> UInt64 {
    if size > 1 << 31 { return 0 }
    var n = PAGE_SIZE
    while n < size { n <<= 1 }
    return n
}

/// pipe_resize_ring(): the pages in the pipe move to a ring of `nr` slots,
/// each to the slot of its page number; -EBUSY if they would not fit.
private func pipe_resize_ring(_ p: PipeInodeInfo, _ nr: Int) -> Int {
    var big: UnsafeMutablePointer<UInt64>? = nil
    if nr > PIPE_DEF_BUFFERS {
        guard let m = kzalloc(nr * 8) else { return Errno.ENOMEM.negated }
        big = m.bindMemory(to: UInt64.self, capacity: nr)
    }
    let flags = p.lock.lockIrqSave()
    let first = p.tail / 4096, last = max(p.head - 1, p.tail) / 4096
    if last - first + 1 > nr {
        p.lock.unlockIrqRestore(flags)
        kfree(big.map { UnsafeMutableRawPointer($0) })
        return Errno.EBUSY.negated
    }
    // The new ring, each live page in the slot of its page number there.
    let oldBig = p.bigRing
    if let big {
        for page in first...last { big[page % nr] = p.slot(page) }
        p.pages = InlineArray<16, UInt64>(repeating: 0)
    } else {
        var ring = InlineArray<16, UInt64>(repeating: 0)
        for page in first...last { ring[page % nr] = p.slot(page) }
        p.pages = ring
    }
    p.bigRing = big
    p.nrBufs = nr
    p.lock.unlockIrqRestore(flags)
    kfree(oldBig.map { UnsafeMutableRawPointer($0) })
    pipe_wake(p)                                        // a bigger ring: writers may go on
    return 0
}

/// pipe_fcntl(): F_SETPIPE_SZ and F_GETPIPE_SZ on either end of a pipe or
/// FIFO; -EBADF on any other file.
func pipe_fcntl(_ f: File, _ cmd: UInt64, _ arg: UInt64) -> Int {
    guard let p = f.pipe else { return Errno.EBADF.negated }
    if cmd == F_GETPIPE_SZ { return p.lock.withLock { p.nrBufs } * Int(PAGE_SIZE) }
    let size = round_pipe_size(arg & 0xffff_ffff)
    if size == 0 { return Errno.EINVAL.negated }
    let r = pipe_resize_ring(p, Int(size / PAGE_SIZE))
    return r < 0 ? r : Int(size)
}
