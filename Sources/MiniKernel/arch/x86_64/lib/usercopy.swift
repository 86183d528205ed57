// Kernel access to user memory. Linux: arch/x86/include/asm/uaccess.h,
// arch/x86/lib/usercopy_64.c, lib/strncpy_from_user.c, lib/strnlen_user.c,
// arch/x86/mm/extable.c (search_exception_tables).
//
// These are the ONLY way the kernel reads or writes user memory. Each one
// first checks access_ok() (the whole range below TASK_SIZE, no wraparound),
// then runs an assembly loop (Sources/Boot/usercopy.asm) whose user accesses
// are covered by the exception table: a fault the current mm can resolve is
// resolved (fault.swift), any other resumes at a fixup and the routine
// reports failure. Unlike Linux's copy_*_user (which return the bytes left),
// the copies here answer a Bool: every caller only wanted "all or -EFAULT".

import CShim

/// access_ok(): [addr, addr+size) lies wholly in user space, and `addr`
/// itself is a user address even when size is 0 (Linux's valid_user_address:
/// write(fd, kernel_address, 0) is -EFAULT, write(fd, (void *)1, 0) is 0).
/// System calls that Linux checks up front (read, write, ...) call it first.
@inline(__always)
func access_ok(_ addr: UInt64, _ size: Int) -> Bool {
    guard size >= 0 else { return false }
    return addr < TASK_SIZE && UInt64(size) <= TASK_SIZE - addr
}

/// copy_from_user(): `n` bytes from user `src` into kernel `dst`. False if
/// any byte could not be read (the destination may be partly written).
func copy_from_user(_ dst: UnsafeMutableRawPointer, _ src: UInt64, _ n: Int) -> Bool {
    if n == 0 { return true }
    guard access_ok(src, n), let s = UnsafeRawPointer(bitPattern: UInt(src)) else { return false }
    return __copy_user_ll(dst, s, UInt64(n)) == 0
}

/// copy_to_user(): `n` bytes from kernel `src` to user `dst`.
func copy_to_user(_ dst: UInt64, _ src: UnsafeRawPointer, _ n: Int) -> Bool {
    if n == 0 { return true }
    guard access_ok(dst, n), let d = UnsafeMutableRawPointer(bitPattern: UInt(dst)) else { return false }
    return __copy_user_ll(d, src, UInt64(n)) == 0
}

/// clear_user(): zero `n` user bytes at `dst`.
func clear_user(_ dst: UInt64, _ n: Int) -> Bool {
    if n == 0 { return true }
    guard access_ok(dst, n), let d = UnsafeMutableRawPointer(bitPattern: UInt(dst)) else { return false }
    return __clear_user_ll(d, UInt64(n)) == 0
}

/// strncpy_from_user(): copy a NUL-terminated user string into `dst` (room
/// for `max` bytes). Linux's contract: the string's length without the NUL
/// (the NUL is copied too), or `max` when no NUL came within `max` bytes
/// (then `dst` holds `max` bytes and no terminator: callers that need a
/// whole string turn that into -ENAMETOOLONG, as getname() does, and
/// prctl(PR_SET_NAME) just truncates), or -EFAULT on a bad address.
func strncpy_from_user(_ dst: UnsafeMutableRawPointer, _ src: UInt64, _ max: Int) -> Int {
    if max <= 0 { return 0 }
    guard src < TASK_SIZE, let s = UnsafeRawPointer(bitPattern: UInt(src)) else { return Errno.EFAULT.negated }
    // Never read past the end of user space: a string that runs into it is a fault.
    let limit = min(UInt64(max), TASK_SIZE - src)
    let r = Int(__strncpy_from_user_ll(dst, s, limit))
    if r < 0 { return Errno.EFAULT.negated }
    if UInt64(r) == limit && limit < UInt64(max) { return Errno.EFAULT.negated }
    return r
}

/// strnlen_user(): the size of a user string INCLUDING its NUL, 0 on a
/// fault, more than `max` when it has no NUL within `max` bytes.
func strnlen_user(_ src: UInt64, _ max: Int) -> Int {
    if max <= 0 { return 0 }
    guard src < TASK_SIZE, let s = UnsafeRawPointer(bitPattern: UInt(src)) else { return 0 }
    let limit = min(UInt64(max), TASK_SIZE - src)
    let r = Int(__strnlen_user_ll(s, limit))
    if r == 0 { return 0 }
    if UInt64(r) > limit && limit < UInt64(max) { return 0 }   // ran into the end of user space
    return r
}

// Typed copies: the size is the type's (MemoryLayout<T>.size), never a
// number written at the call. The type must lay out as the user ABI's
// struct does: fixed-width fields in C order, no padding C would not have
// (Timespec, RUsage, SigContext, ...). BitwiseCopyable keeps a class
// reference from ever being copied out.

/// copy_to_user() of one value: its bytes to user `dst`.
func copy_to_user<T: BitwiseCopyable>(_ dst: UInt64, from value: T) -> Bool {
    withUnsafeBytes(of: value) { copy_to_user(dst, $0.baseAddress.unsafelyUnwrapped, $0.count) }
}

/// copy_from_user() of one value: user `src`'s bytes into `value`, which
/// may be partly written on a fault.
func copy_from_user<T: BitwiseCopyable>(_ value: inout T, _ src: UInt64) -> Bool {
    withUnsafeMutableBytes(of: &value) { copy_from_user($0.baseAddress.unsafelyUnwrapped, src, $0.count) }
}

/// put_user(): one integer to user `addr` (Linux's argument order: value, then address).
func put_user<T: FixedWidthInteger & BitwiseCopyable>(_ value: T, _ addr: UInt64) -> Bool {
    copy_to_user(addr, from: value)
}

/// get_user(): one integer from user `addr`, nil on a fault:
/// `guard let word: UInt32 = get_user(uaddr) else { ... }`.
func get_user<T: FixedWidthInteger & BitwiseCopyable>(_ addr: UInt64) -> T? {
    var v: T = 0
    return copy_from_user(&v, addr) ? v : nil
}

/// futex_atomic_cmpxchg_inatomic(): atomically replace the user word at
/// `uaddr` with `new` if it holds `old`. The value found (so success is
/// `found == old`), or nil on a fault.
func futex_atomic_cmpxchg_inatomic(_ uaddr: UInt64, _ old: UInt32, _ new: UInt32) -> UInt32? {
    guard uaddr % 4 == 0, access_ok(uaddr, 4),
          let p = UnsafeMutablePointer<UInt32>(bitPattern: UInt(uaddr)) else { return nil }
    let r = __futex_cmpxchg_user_ll(p, old, new)
    return r < 0 ? nil : UInt32(truncatingIfNeeded: r)
}

/// search_exception_tables(): the fixup for a faulting instruction inside a
/// user-copy routine, or nil.
func search_exception_tables(_ rip: UInt64) -> UInt64? {
    let n = ex_table_count()
    var i: UInt64 = 0
    while i < n {
        if ex_table_insn(i) == rip { return ex_table_fixup(i) }
        i += 1
    }
    return nil
}
