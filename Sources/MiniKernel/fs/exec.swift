// exec's argument handling. Linux: fs/exec.c (copy_strings, count_strings,
// valid_arg_len, the argument-size limit in bprm_stack_limits).
//
// Linux copies argv and envp straight into the pages of the new stack while
// the old mm is still alive. We copy them into the kernel first — one
// kmalloc'd block of NUL-separated strings per list, an `ArgBuffer` — because
// the new mm does not exist yet when the old one's memory must be read, and
// the old one is gone by the time the new stack is written. Shaped as a
// plain struct over one raw block (no Array, no String): exec runs once per
// process and must not leak.

import CShim

/// MAX_ARG_STRLEN: one string may be at most 32 pages, NUL included.
let MAX_ARG_STRLEN = 32 * Int(PAGE_SIZE)
/// MAX_ARG_STRINGS.
let MAX_ARG_STRINGS = 0x7fff_ffff
/// The room for strings plus pointers: RLIMIT_STACK / 4 (8 MiB / 4), as
/// bprm_stack_limits() computes with the default stack limit.
let ARG_SPACE_LIMIT = Int(STACK_SIZE_MAX / 4)

/// A list of strings (argv or envp) held in the kernel: `count` strings,
/// each followed by its NUL, packed in `bytes` bytes of one kmalloc block.
/// A value type over a raw block: the owner calls `free()` exactly once.
struct ArgBuffer {
    private(set) var data: UnsafeMutablePointer<UInt8>? = nil
    private(set) var count = 0
    private(set) var bytes = 0
    private var capacity = 0

    init() {}

    /// Room for `extra` more bytes; false when memory or the limit runs out.
    private mutating func reserve(_ extra: Int) -> Bool {
        let need = bytes + extra
        if need <= capacity { return true }
        if need > ARG_SPACE_LIMIT { return false }
        var cap = max(capacity, 256)
        while cap < need { cap *= 2 }
        guard let fresh = kmalloc(cap)?.assumingMemoryBound(to: UInt8.self) else { return false }
        if let old = data {
            fresh.update(from: old, count: bytes)
            kfree(UnsafeMutableRawPointer(old))
        }
        data = fresh
        capacity = cap
        return true
    }

    /// Appends one string (a NUL is added). False on -ENOMEM / -E2BIG.
    mutating func append(_ s: ByteString) -> Bool {
        guard s.count + 1 <= MAX_ARG_STRLEN, reserve(s.count + 1), let d = data else { return false }
        for i in 0..<s.count { d[bytes + i] = s[i] }
        d[bytes + s.count] = 0
        bytes += s.count + 1
        count += 1
        return true
    }

    mutating func append(_ s: StaticString) -> Bool {
        append(ByteString(s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends a user string whose size (NUL included) strnlen_user gave.
    fileprivate mutating func appendUser(_ src: UInt64, size: Int) -> Int {
        guard reserve(size), let d = data else { return Errno.E2BIG.negated }
        guard copy_from_user(UnsafeMutableRawPointer(d + bytes), src, size) else { return Errno.EFAULT.negated }
        d[bytes + size - 1] = 0   // the string may have changed under us
        bytes += size
        count += 1
        return 0
    }

    /// The i-th string (without its NUL). O(n): exec walks them once.
    func string(_ i: Int) -> ByteString {
        guard let d = data, i >= 0, i < count else { return .empty }
        var off = 0, k = 0
        while k < i {
            while d[off] != 0 { off += 1 }
            off += 1
            k += 1
        }
        var n = 0
        while d[off + n] != 0 { n += 1 }
        return ByteString(UnsafePointer(d + off), count: n)
    }

    /// The packed strings as they go onto the new stack.
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data.map { UnsafeRawPointer($0) }, count: bytes) }

    mutating func free() {
        if let d = data { kfree(UnsafeMutableRawPointer(d)) }
        data = nil
        count = 0
        bytes = 0
        capacity = 0
    }
}

/// count_strings(): how many pointers the NULL-terminated user array at
/// `userArgv` holds (0 for a NULL array), or -EFAULT / -E2BIG. Linux counts
/// argv and then envp before copying any string, so a bad envp array is
/// -EFAULT even when an argv string is too long; exec can do the same.
func count_strings(userArgv: UInt64) -> Int {
    if userArgv == 0 { return 0 }
    var i = 0
    while true {
        guard let p = get_user_u64(userArgv &+ UInt64(i) &* 8) else { return Errno.EFAULT.negated }
        if p == 0 { return i }
        i += 1
        if i >= MAX_ARG_STRINGS { return Errno.E2BIG.negated }
    }
}

/// copy_strings(): the NULL-terminated user array of string pointers at
/// `userArgv` (argv or envp of execve) copied into a new ArgBuffer. A NULL
/// array is empty (Linux accepts it; do_execveat_common then supplies "" as
/// argv[0]). On failure returns nil with `error` = -EFAULT (a bad pointer
/// or string), -E2BIG (a string over MAX_ARG_STRLEN, or all of them over
/// the argument space) or -ENOMEM.
func copy_strings(userArgv: UInt64, error: inout Int) -> ArgBuffer? {
    error = 0
    var buf = ArgBuffer()
    if userArgv == 0 { return buf }
    var i = 0
    while true {
        guard let p = get_user_u64(userArgv &+ UInt64(i) &* 8) else { error = Errno.EFAULT.negated; break }
        if p == 0 { return buf }
        if i >= MAX_ARG_STRINGS { error = Errno.E2BIG.negated; break }
        let size = strnlen_user(p, MAX_ARG_STRLEN)
        if size == 0 { error = Errno.EFAULT.negated; break }
        if size > MAX_ARG_STRLEN { error = Errno.E2BIG.negated; break }
        // Strings and their pointers share the argument space.
        if buf.bytes + size + (buf.count + 2) * 8 > ARG_SPACE_LIMIT { error = Errno.E2BIG.negated; break }
        let r = buf.appendUser(p, size: size)
        if r != 0 { error = r; break }
        i += 1
    }
    buf.free()
    return nil
}
