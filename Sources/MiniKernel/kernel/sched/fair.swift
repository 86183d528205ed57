// Where tasks run: placement at fork and wake-up, and idle pulling.
// Linux: kernel/sched/fair.c (select_task_rq_fair, sched_balance_newidle),
// reduced to what a round-robin scheduler needs.
//
// Loads are read without the queues' locks: they only steer a choice, and
// the enqueue itself happens under the chosen queue's lock.

import CShim

/// select_task_rq(): the CPU `t` should be queued on. A new task (fork) goes
/// to the least-loaded allowed CPU; a woken one stays on `prevCpu` when that
/// is idle, else goes to an idle allowed CPU, else stays. With sched_seed the
/// choice is the seeded generator's, among the allowed CPUs.
func select_task_rq(_ t: Task, prevCpu: Int, fork: Bool = false) -> Int {
    var allowed = t.cpusAllowed & cpu_online_mask()
    if allowed == 0 {
        // select_fallback_rq(): every allowed CPU is gone; any will do.
        allowed = cpu_online_mask()
    }
    if allowed & (allowed - 1) == 0 { return allowed.trailingZeroBitCount }
    if sched_seeded { return seed_pick_cpu(allowed) }
    let prevAllowed = allowed & (1 << UInt64(prevCpu)) != 0
    if !fork && prevAllowed && cpu_rq(prevCpu).isIdle { return prevCpu }
    var best = prevAllowed ? prevCpu : allowed.trailingZeroBitCount
    var bestLoad = cpu_rq(best).load
    var m = allowed
    while m != 0 && bestLoad > 0 {
        let cpu = m.trailingZeroBitCount
        m &= m - 1
        let load = cpu_rq(cpu).load
        if load < bestLoad { best = cpu; bestLoad = load }
    }
    if !fork && bestLoad > 0 && prevAllowed { return prevCpu }
    return best
}

/// double_rq_lock(): two queues, lower CPU number first (the only order
/// within the rq->lock class). Interrupts must be off.
func double_rq_lock(_ a: RunQueue, _ b: RunQueue) {
    if a.cpu < b.cpu { a.lock.lock(); b.lock.lock() } else { b.lock.lock(); a.lock.lock() }
}

func double_rq_unlock(_ a: RunQueue, _ b: RunQueue) {
    a.lock.unlock()
    b.lock.unlock()
}

/// sched_balance_newidle(): this CPU has nothing to run; take one waiting
/// task from the busiest queue, if it may run here. Interrupts are off.
func idle_balance(_ rq: RunQueue) {
    var busiest: RunQueue? = nil
    var most = 0
    var m = cpu_online_mask() & ~(UInt64(1) << UInt64(rq.cpu))
    while m != 0 {
        let cpu = m.trailingZeroBitCount
        m &= m - 1
        let other = cpu_rq(cpu)
        if other.nrRunning > most { most = other.nrRunning; busiest = other }
    }
    guard let src = busiest else { return }
    double_rq_lock(rq, src)
    let me: UInt64 = 1 << UInt64(rq.cpu)
    var cur = src.head
    while let t = cur {
        cur = t.rqNext
        if t.cpusAllowed & me != 0 {
            src.dequeue(t)
            rq.enqueue(t)
            break
        }
    }
    double_rq_unlock(rq, src)
}
