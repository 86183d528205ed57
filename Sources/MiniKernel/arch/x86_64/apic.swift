// The local APIC and its timer: the tick. Linux: arch/x86/kernel/apic/apic.c.
//
// The legacy 8259 PICs are remapped out of the exception range and masked;
// each CPU's local APIC timer, calibrated against the TSC (itself
// calibrated against the HPET), fires LOCAL_TIMER_VECTOR HZ times a second.

import CShim

let LOCAL_TIMER_VECTOR = 0xec
let SPURIOUS_APIC_VECTOR = 0xff
let RESCHEDULE_VECTOR = 0xfd
let CALL_FUNCTION_VECTOR = 0xfc

private let APIC_ID: UInt64 = 0x20
private let APIC_EOI: UInt64 = 0xb0
private let APIC_SPIV: UInt64 = 0xf0
private let APIC_ICR_LOW: UInt64 = 0x300
private let APIC_ICR_HIGH: UInt64 = 0x310
private let APIC_LVTT: UInt64 = 0x320
private let APIC_TMICT: UInt64 = 0x380
private let APIC_TMCCT: UInt64 = 0x390
private let APIC_TDCR: UInt64 = 0x3e0
private let APIC_LVT_MASKED: UInt32 = 1 << 16
private let APIC_LVT_TIMER_PERIODIC: UInt32 = 1 << 17

private var apicBase: UInt64 = 0
/// APIC timer counts per tick, measured once on the boot CPU.
private var apicTicksPerTick: UInt32 = 0

func apic_read(_ reg: UInt64) -> UInt32 { peek32(apicBase + reg) }
func apic_write(_ reg: UInt64, _ v: UInt32) { poke32(apicBase + reg, v) }

/// The 8259s: ICW1-4 to move them to vectors 0x20-0x2f, then mask all.
func legacy_pic_disable() {
    outb(0x20, 0x11); outb(0xa0, 0x11)
    outb(0x21, 0x20); outb(0xa1, 0x28)
    outb(0x21, 0x04); outb(0xa1, 0x02)
    outb(0x21, 0x01); outb(0xa1, 0x01)
    outb(0x21, 0xff); outb(0xa1, 0xff)
}

/// setup_local_APIC() on the calling CPU.
func setup_local_apic() {
    if apicBase == 0 {
        legacy_pic_disable()
        apicBase = PhysAddr(rdmsr(0x1b) & 0xf_ffff_f000).virt
    }
    apic_write(APIC_SPIV, 0x100 | UInt32(SPURIOUS_APIC_VECTOR))
}

func apic_id() -> Int { Int(apic_read(APIC_ID) >> 24) }

let APIC_DM_FIXED: UInt32 = 0x000
let APIC_DM_INIT: UInt32 = 0x500
let APIC_DM_STARTUP: UInt32 = 0x600
let APIC_INT_ASSERT: UInt32 = 0x4000
private let APIC_ICR_BUSY: UInt32 = 1 << 12

/// __default_send_IPI_dest_field(): one interrupt to one APIC. The two ICR
/// halves must not be split by an interrupt that sends an IPI of its own.
func apic_icr_write(_ apicId: Int, _ low: UInt32) {
    let flags = local_irq_save()
    while apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY != 0 { cpu_relax() }
    apic_write(APIC_ICR_HIGH, UInt32(apicId) << 24)
    apic_write(APIC_ICR_LOW, low)
    local_irq_restore(flags)
}

/// ack_APIC_irq().
@inline(__always) func apic_eoi() { apic_write(APIC_EOI, 0) }

/// The APIC timer's rate against the TSC, over 2 ms, median of three (boot
/// CPU only). Both ends are read as tsc_read_refs() reads them, so a host
/// stall anywhere in here cannot skew the tick (it once made ticks a hundred
/// times too long, and a one-CPU scenario spinning in user mode never got
/// preempted).
private func calibrate_apic_timer() {
    apic_write(APIC_TDCR, 0x3)                 // divide by 16
    apic_write(APIC_LVTT, APIC_LVT_MASKED)
    let countsPerMs = median3 {
        apic_write(APIC_TMICT, 0xffff_ffff)    // counts down, one-shot, stops at 0
        let count = { UInt64(apic_read(APIC_TMCCT)) }
        let start = tsc_read_refs(count)
        udelay(2000)
        let end = tsc_read_refs(count)
        let ns = cycles_to_ns(end.tsc &- start.tsc)
        guard end.ref != 0, ns != 0 else { return UInt64(UInt32.max) }   // ran out: a stall of over a minute
        return (start.ref - end.ref) * 1_000_000 / ns
    }
    apic_write(APIC_TMICT, 0)
    apicTicksPerTick = UInt32(max(1, min(UInt64(UInt32.max), countsPerMs * 1000 / HZ)))
}

/// Start this CPU's periodic tick.
func setup_apic_timer() {
    if apicTicksPerTick == 0 { calibrate_apic_timer() }
    apic_write(APIC_TDCR, 0x3)
    apic_write(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | UInt32(LOCAL_TIMER_VECTOR))
    apic_write(APIC_TMICT, apicTicksPerTick)
}

/// The tick: wake expired sleepers, account time, maybe ask to reschedule.
private func local_timer_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {
    apic_eoi()
    // sched_seed: the next tick comes after a random 1/4..7/4 of a tick.
    if sched_seeded { apic_write(APIC_TMICT, UInt32(seed_scale(UInt64(apicTicksPerTick)))) }
    if smp_processor_id() == 0 { run_timers() }
    scheduler_tick(userMode: regs.pointee.user_mode)
}

private func spurious_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {}

func apic_timer_init() {
    request_irq(vector: LOCAL_TIMER_VECTOR, local_timer_interrupt)
    request_irq(vector: SPURIOUS_APIC_VECTOR, spurious_interrupt)
    setup_apic_timer()
    pr_info("APIC timer: \(HZ) Hz tick, \(apicTicksPerTick) counts per tick")
}
