// eventfd: a 64-bit counter behind a file descriptor. Linux: fs/eventfd.c.
//
// A write adds its 8-byte value to the counter; a read takes the whole
// counter and sets it to 0 (or, with EFD_SEMAPHORE, takes 1). A read of a
// zero counter sleeps until a write (-EAGAIN with EFD_NONBLOCK); a write
// that would reach 0xffffffffffffffff sleeps until a read makes room. Fewer
// than 8 bytes, or writing 0xffffffffffffffff itself, is -EINVAL. poll says
// POLLIN while the counter is above 0, POLLOUT while one more can be added.
// lseek succeeds and moves nothing; pread and pwrite are -ESPIPE.

import Synchronization

let EFD_SEMAPHORE: UInt32 = 1, EFD_CLOEXEC: UInt32 = O_CLOEXEC, EFD_NONBLOCK: UInt32 = O_NONBLOCK
private let ULLONG_MAX: UInt64 = ~0

/// struct eventfd_ctx.
final class EventfdCtx {
    let wqh = WaitQueueHead()
    var count: UInt64
    let semaphore: Bool
    init(count: UInt64, semaphore: Bool) { self.count = count; self.semaphore = semaphore }
}

let eventfd_fops = FileOperations(read: eventfd_read, write: eventfd_write, llseek: noop_llseek,
                                  poll: eventfd_poll, release: eventfd_release)

/// noop_llseek(): the position stays where it is (0), and says so.
private func noop_llseek(_ f: File, _ off: Int64, _ whence: Int32) -> Int64 { f.pos }

private func eventfd_wake(_ ctx: EventfdCtx) {
    wake_up_all(ctx.wqh)
    poll_wake_all()
}

/// eventfd_read().
private func eventfd_read(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let ctx = f.eventfd else { return Errno.EINVAL.negated }
    if count < 8 { return Errno.EINVAL.negated }
    while true {
        let taken = ctx.wqh.lock.withLock { () -> UInt64? in
            guard ctx.count > 0 else { return nil }
            let v = ctx.semaphore ? 1 : ctx.count      // eventfd_ctx_do_read()
            ctx.count -= v
            return v
        }
        if let v = taken {
            eventfd_wake(ctx)
            return copy_to_user(buf, from: v) ? 8 : Errno.EFAULT.negated
        }
        if f.flags & O_NONBLOCK != 0 { return Errno.EAGAIN.negated }
        if wait_event(ctx.wqh, state: .interruptible, { ctx.wqh.lock.withLock { ctx.count > 0 } }) == .interrupted {
            return Errno.ERESTARTSYS.negated
        }
    }
}

/// eventfd_write().
private func eventfd_write(_ f: File, _ buf: UInt64, _ count: Int, _ pos: inout Int64) -> Int {
    guard let ctx = f.eventfd else { return Errno.EINVAL.negated }
    if count < 8 { return Errno.EINVAL.negated }
    var v: UInt64 = 0
    guard copy_from_user(&v, buf) else { return Errno.EFAULT.negated }
    if v == ULLONG_MAX { return Errno.EINVAL.negated }
    while true {
        let added = ctx.wqh.lock.withLock { () -> Bool in
            guard ULLONG_MAX - ctx.count > v else { return false }
            ctx.count += v
            return true
        }
        if added {
            if v > 0 { eventfd_wake(ctx) }
            return 8
        }
        if f.flags & O_NONBLOCK != 0 { return Errno.EAGAIN.negated }
        if wait_event(ctx.wqh, state: .interruptible, { ctx.wqh.lock.withLock { ULLONG_MAX - ctx.count > v } }) == .interrupted {
            return Errno.ERESTARTSYS.negated
        }
    }
}

/// eventfd_poll().
private func eventfd_poll(_ f: File) -> UInt32 {
    guard let ctx = f.eventfd else { return POLLERR }
    let n = ctx.wqh.lock.withLock { ctx.count }
    var mask: UInt32 = 0
    if n > 0 { mask |= POLLIN | POLLRDNORM }
    if n == ULLONG_MAX { mask |= POLLERR }
    if ULLONG_MAX - 1 > n { mask |= POLLOUT | POLLWRNORM }
    return mask
}

private func eventfd_release(_ f: File) {
    if let ctx = f.eventfd { kfree_object(ctx.wqh); kfree_object(ctx) }
}

/// do_eventfd(): a new eventfd file at the lowest free descriptor.
private func do_eventfd(_ initval: UInt32, _ flags: UInt32) -> Int {
    if flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 { return Errno.EINVAL.negated }
    let f = File(kind: .eventfd, flags: O_RDWR | flags & EFD_NONBLOCK)
    f.eventfd = EventfdCtx(count: UInt64(initval), semaphore: flags & EFD_SEMAPHORE != 0)
    let fd = install_new_fd(f, cloexec: flags & EFD_CLOEXEC != 0)
    if fd < 0 { fput(f) }
    return fd
}

/// eventfd2(initval, flags).
func sys_eventfd2(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    do_eventfd(UInt32(truncatingIfNeeded: regs.arg0), UInt32(truncatingIfNeeded: regs.arg1))
}

/// eventfd(initval).
func sys_eventfd(_ regs: UnsafeMutablePointer<PtRegs>) -> Int { do_eventfd(UInt32(truncatingIfNeeded: regs.arg0), 0) }
