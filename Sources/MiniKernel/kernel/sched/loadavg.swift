// The load average. Linux: kernel/sched/loadavg.c (calc_global_load,
// calc_load, nr_running), fs/proc/loadavg.c (loadavg_proc_show).
//
// Every LOAD_FREQ (5 s and a tick) the boot CPU's tick counts the tasks
// that are runnable or running on every CPU and folds the count into three
// exponentially decaying averages — over 1, 5 and 15 minutes — in Linux's
// fixed point (11 fractional bits) with Linux's constants, so the figures
// rise and fall as Linux's do. Linux also counts tasks in uninterruptible
// sleep; this kernel does not (it keeps no such count per CPU).
//
// /proc/loadavg shows the three, runnable tasks over all tasks, and the
// last pid handed out.

import Synchronization

let FSHIFT: UInt64 = 11, FIXED_1: UInt64 = 1 << FSHIFT
private let EXP_1: UInt64 = 1884, EXP_5: UInt64 = 2014, EXP_15: UInt64 = 2037
private let LOAD_FREQ_NS: UInt64 = 5_000_000_000

/// avenrun[]: the 1, 5 and 15 minute averages, fixed point. Written by the
/// boot CPU's tick only.
var avenrun = InlineArray<3, UInt64>(repeating: 0)
private var calc_load_update: UInt64 = LOAD_FREQ_NS

/// nr_running(): tasks runnable or running, all CPUs (a sum of unlocked
/// reads, as Linux's: a statistic, not a decision).
func nr_running() -> Int {
    var n = 0
    for cpu in 0..<nr_cpu_ids where cpu_online(cpu) { n += cpu_rq(cpu).load }
    return n
}

/// calc_load(): one step of the decay.
private func calc_load(_ load: UInt64, _ exp: UInt64, _ active: UInt64) -> UInt64 {
    var newload = load * exp + active * (FIXED_1 - exp)
    if active >= load { newload += FIXED_1 - 1 }
    return newload / FIXED_1
}

/// calc_global_load(): from the boot CPU's tick.
func calc_global_load() {
    let now = ktime_get_ns()
    guard now >= calc_load_update else { return }
    calc_load_update = now + LOAD_FREQ_NS + 1_000_000_000 / HZ
    let active = UInt64(nr_running()) * FIXED_1
    avenrun[0] = calc_load(avenrun[0], EXP_1, active)
    avenrun[1] = calc_load(avenrun[1], EXP_5, active)
    avenrun[2] = calc_load(avenrun[2], EXP_15, active)
}

/// /proc/loadavg.
func loadavg_proc_show(_ m: inout SeqFile) -> Int {
    for i in 0..<3 {
        let a = avenrun[i] + FIXED_1 / 200              // rounded to hundredths, as get_avenrun()
        m.puts("\(a >> FSHIFT).\(((a & (FIXED_1 - 1)) * 100) >> FSHIFT, width: 2, zeroPad: true) ")
    }
    m.puts("\(nr_running())/\(nr_tasks.load(ordering: .relaxed)) \(pid_last_allocated())\n")
    return 0
}
