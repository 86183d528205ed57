// getrandom(2) and /dev/urandom. Linux: drivers/char/random.c.
//
// Linux runs a ChaCha20 generator seeded from RDSEED/RDRAND, interrupt
// timings and more. Ours is smaller: a 256-bit xoshiro256** state, seeded
// at first use from the TSC (QEMU's TCG has no RDRAND by default), with the
// TSC mixed in again on every call so that two boots, or two calls, differ.
// Not cryptographic — enough for glibc's and busybox's uses (hash seeds,
// mktemp names).

import CShim

private var rngState = InlineArray<4, UInt64>(repeating: 0)
private var rngSeeded = false
private let rngLock = SpinLock(name: "base_crng.lock")

@inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

private func splitmix(_ x: inout UInt64) -> UInt64 {
    x &+= 0x9e37_79b9_7f4a_7c15
    var z = x
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

/// One 64-bit output; rngLock held.
private func rng_next_locked() -> UInt64 {
    if !rngSeeded {
        var s = rdtsc()
        for i in 0..<4 { rngState[i] = splitmix(&s) }
        rngSeeded = true
    }
    let result = rotl(rngState[1] &* 5, 7) &* 9
    let t = rngState[1] << 17
    rngState[2] ^= rngState[0]
    rngState[3] ^= rngState[1]
    rngState[1] ^= rngState[2]
    rngState[0] ^= rngState[3]
    rngState[2] ^= t
    rngState[3] = rotl(rngState[3], 45)
    return result
}

/// `count` random bytes to user memory: the count, or -EFAULT.
/// get_random_u64(): one value for the kernel's own use (address-space
/// randomisation).
func get_random_u64() -> UInt64 {
    rngLock.withLock { () -> UInt64 in
        rngState[0] ^= rdtsc()
        return rng_next_locked()
    }
}

func get_random_bytes_user(_ buf: UInt64, _ count: Int) -> Int {
    var done = 0
    rngLock.withLock { rngState[0] ^= rdtsc() }
    while done < count {
        var w = InlineArray<8, UInt64>(repeating: 0)
        rngLock.withLock { for i in 0..<8 { w[i] = rng_next_locked() } }
        let n = min(64, count - done)
        let ok = withUnsafeBytes(of: &w) { copy_to_user(buf + UInt64(done), $0.baseAddress!, n) }
        if !ok { return done > 0 ? done : Errno.EFAULT.negated }
        done += n
    }
    return done
}

let GRND_NONBLOCK: UInt64 = 1, GRND_RANDOM: UInt64 = 2, GRND_INSECURE: UInt64 = 4

/// getrandom(buf, count, flags). The pool is always ready.
func sys_getrandom(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    let flags = regs.arg2 & 0xffff_ffff
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 { return Errno.EINVAL.negated }
    if flags & GRND_INSECURE != 0 && flags & GRND_RANDOM != 0 { return Errno.EINVAL.negated }
    let count = Int(min(regs.arg1, UInt64(MAX_RW_COUNT)))
    guard access_ok(regs.arg0, count) else { return Errno.EFAULT.negated }
    return get_random_bytes_user(regs.arg0, count)
}
