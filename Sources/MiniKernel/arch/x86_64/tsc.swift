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

/// tsc_init(): measure the TSC over 1 ms of HPET time (the HPET's period is in
/// its capability register, in femtoseconds).
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
    let h0 = peek64(hpet + 0xf0)
    let t0 = rdtsc()
    while peek64(hpet + 0xf0) &- h0 < ticksPerMs { cpu_relax() }
    let t1 = rdtsc()
    let h1 = peek64(hpet + 0xf0)
    // Scale by the HPET ticks that really passed.
    tscKhz = max(1, (t1 - t0) * ticksPerMs / max(1, h1 &- h0))
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

/// Busy-waits; for boot-time device waits only (the scheduler sleeps instead).
func udelay(_ us: UInt64) {
    let end = ktime_get_ns() + us * 1000
    while ktime_get_ns() < end { cpu_relax() }
}
