// /proc/uptime. Linux: fs/proc/uptime.c (uptime_proc_show).
//
// Seconds since boot, then the seconds every CPU has spent idle, summed
// (each tick that finds a CPU idle counts, as Linux's kcpustat idle time).

func uptime_proc_show(_ m: inout SeqFile) -> Int {
    let up = ktime_get_ns()
    var idle: UInt64 = 0
    for cpu in 0..<nr_cpu_ids where cpu_online(cpu) { idle += cpu_rq(cpu).idle.stime }
    m.puts("\(up / 1_000_000_000).\(up / 10_000_000 % 100, width: 2, zeroPad: true) ")
    m.puts("\(idle / 1_000_000_000).\(idle / 10_000_000 % 100, width: 2, zeroPad: true)\n")
    return 0
}
