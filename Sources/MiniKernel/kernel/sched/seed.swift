// sched_seed=N: reproducible perturbation of scheduling decisions.
// (No Linux counterpart; the nearest are the fault-injection and KCSAN
// delay knobs.)
//
// One seed chooses, through a per-CPU xorshift generator, (1) the length of
// every tick (a quarter to seven quarters of the nominal one, apic.swift),
// (2) the CPU a woken or new task is placed on (fair.swift), and (3) extra
// preemption points: one tick in eight, and one return from a system call in
// eight, asks for a reschedule, and (4) delays: one switch in eight stalls the
// CPU for up to 200 µs right after it lets go of the run queue, as a host that
// deschedules the vCPU there would (what a task switched out may meet on
// another CPU in that window is then met often). The same seed replays the same choices in the
// same order on each CPU. How far that makes a run repeatable depends on
// QEMU: with `-icount` and single-threaded TCG, guest time and the
// interleaving of CPUs are functions of the instruction count, so a seed is
// one interleaving; with multi-threaded TCG the host still decides which
// vCPU runs when, and a seed only biases the run (README, "Races").

import CShim

var sched_seeded = false
private var schedSeed: UInt64 = 0

/// Seeds CPU `area.cpu`'s generator (boot CPU from start_kernel, APs at bring-up).
func seed_init_cpu(_ area: PerCpu) {
    guard sched_seeded else { return }
    // splitmix64 of (seed, cpu): distinct, well-mixed starting states.
    var z = schedSeed &+ UInt64(area.cpu + 1) &* 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    area.seedState = (z ^ (z >> 31)) | 1
}

func sched_seed_init(_ seed: Int?) {
    guard let seed else { return }
    sched_seeded = true
    schedSeed = UInt64(bitPattern: Int64(seed))
    pr_notice("sched_seed=\(seed): scheduling perturbed by a seeded generator")
}

/// The next number of this CPU's generator (xorshift64). Interrupts off, or
/// the value's use tolerates an interrupt taking one in between.
func seed_next() -> UInt64 {
    let flags = local_irq_save()
    let area = this_cpu_area()
    var x = area.seedState
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    area.seedState = x
    local_irq_restore(flags)
    return x
}

/// True one time in `n`.
func seed_chance(_ n: UInt64) -> Bool { seed_next() % n == 0 }

/// `v` scaled by a random factor in [1/4, 7/4).
func seed_scale(_ v: UInt64) -> UInt64 { max(1, v / 4 + (v * (seed_next() % 1536)) / 1024) }

/// One of the CPUs in `mask`, chosen by the generator.
func seed_pick_cpu(_ mask: UInt64) -> Int {
    var k = Int(seed_next() % UInt64(mask.nonzeroBitCount))
    var m = mask
    while k > 0 { m &= m - 1; k -= 1 }
    return m.trailingZeroBitCount
}

/// A preemption point on the way back from a system call.
@inline(__always)
func sched_seed_preempt_point() {
    if sched_seeded && seed_chance(8) { current.needResched = true }
}

/// A delay point: one time in eight, this CPU stalls for up to 200 µs.
@inline(__always)
func sched_seed_delay_point() {
    if sched_seeded && seed_chance(8) { udelay(seed_next() % 200) }
}
