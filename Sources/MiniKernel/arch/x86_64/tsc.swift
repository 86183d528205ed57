// Time: the TSC, calibrated against the HPET. Linux: arch/x86/kernel/tsc.c,
// drivers/clocksource/hpet.c.
//
// ktime_get_ns() counts nanoseconds since start_kernel(): the clock behind
// printk's timestamps, clock_gettime(CLOCK_MONOTONIC) and CPU-time accounting.

import CShim

private var tscAtBoot: UInt64 = 0
/// TSC ticks per millisecond; 0 until tsc_init() has calibrated it.
private(set) var tscKhz: UInt64 = 0

/// Remembers the TSC at boot so that time starts at zero, as dmesg's does.
func tsc_early_init() { tscAtBoot = rdtsc() }

/// The HPET's MMIO base from its ACPI table, or the PC default.
private func hpetBase() -> UInt64 {
    if let t = acpiTables.hpet { return PhysAddr(t.load(44, as: UInt64.self)).virt }
    return PhysAddr(0xfed0_0000).virt
}

/// tsc_read_refs(): a reference clock read together with the TSC — the TSC
/// just before and just after, best of five (the narrowest pair), the
/// result stamped with the middle of it. Linux retries while an SMI lands
/// between the reads; under emulation the host descheduling the vCPU, for
/// microseconds or for seconds, plays the SMI's part. Only the two ends of
/// a calibration have to be read this way: a stall between them lengthens
/// the interval for both clocks alike.
func tsc_read_refs(_ read: () -> UInt64) -> (tsc: UInt64, ref: UInt64) {
    var best = (tsc: UInt64(0), ref: UInt64(0))
    var width = UInt64.max
    for _ in 0..<5 {
        let t1 = rdtsc()
        let ref = read()
        let t2 = rdtsc()
        if t2 &- t1 < width {
            width = t2 &- t1
            best = (t1 &+ width / 2, ref)
        }
    }
    return best
}

/// The middle of three measurements: one spoiled beyond what
/// tsc_read_refs() catches cannot move the result.
func median3(_ measure: () -> UInt64) -> UInt64 {
    let a = measure(), b = measure(), c = measure()
    return max(min(a, b), min(max(a, b), c))
}

/// tsc_init(): the TSC's rate against the HPET (whose period is in its
/// capability register, in femtoseconds), over 2 ms, median of three.
func tsc_init() {
    let hpet = hpetBase()
    let periodFs = peek64(hpet) >> 32
    guard periodFs != 0 && periodFs < 100_000_000 else {
        tscKhz = 1_000_000        // no usable HPET: assume 1 GHz rather than stop
        cyc2nsMult = 1 << 32
        pr_warn("tsc: no HPET, assuming 1 GHz")
        return
    }
    poke64(hpet + 0x10, peek64(hpet + 0x10) | 1)          // ENABLE_CNF
    let ticksPerMs = 1_000_000_000_000 / periodFs
    let counter = { peek64(hpet + 0xf0) }
    tscKhz = median3 {
        let start = tsc_read_refs(counter)
        while counter() &- start.ref < 2 * ticksPerMs { cpu_relax() }
        let end = tsc_read_refs(counter)
        return max(1, (end.tsc &- start.tsc) * ticksPerMs / max(1, end.ref &- start.ref))
    }
    cyc2nsMult = (1_000_000 << 32) / tscKhz
    pr_info("tsc: Detected \(tscKhz / 1000).\(tscKhz % 1000, width: 3, zeroPad: true) MHz processor")
}

/// Nanoseconds since boot.
func ktime_get_ns() -> UInt64 {
    guard tscKhz != 0 else { return 0 }
    return cycles_to_ns(rdtsc() &- tscAtBoot)
}

/// ns = cycles * mult >> 32, with mult = 10^6 * 2^32 / tsc_khz computed once
/// (Linux's clocksource mult/shift): one multiply on every clock read.
private var cyc2nsMult: UInt64 = 0

func cycles_to_ns(_ cycles: UInt64) -> UInt64 {
    let (hi, lo) = cycles.multipliedFullWidth(by: cyc2nsMult)
    return hi << 32 | lo >> 32
}

/// Busy-waits: boot-time device waits, and sched_seed's delay points (the
/// scheduler sleeps instead).
func udelay(_ us: UInt64) {
    let end = ktime_get_ns() + us * 1000
    while ktime_get_ns() < end { cpu_relax() }
}
