// The scheduler: per-CPU run queues, schedule(), wake-ups, the tick.
// Linux: kernel/sched/core.c (with a round-robin policy in place of CFS).
//
// Each CPU has a RunQueue whose lock guards its list of runnable tasks. The
// running task is not on the list; schedule() puts it back at the tail if it
// is still runnable and switches to the head. The lock is held across the
// switch and released by the task switched to (finish_task_switch()), which
// also drops the last reference of a task that died: a task never frees the
// stack it is running on.
//
// That lock-across-the-switch is also what makes migration safe without
// Linux's p->on_cpu handshake: a task is only ever moved while it sits on a
// queue or sleeps, and whoever moves it takes its queue's lock first — which
// its old CPU releases only once it has fully switched away from it.
//
// Where a task runs (kernel/sched/fair.swift): a new task goes to the
// least-loaded CPU it may use, a woken one stays where it ran unless another
// allowed CPU is idle, and an idle CPU pulls a waiting task from the busiest
// queue. Waking a task on another CPU sends that CPU a reschedule IPI.

import CShim
import Synchronization

/// Ticks per second (Linux: CONFIG_HZ). `tick_hz=N` on the command line
/// changes it at boot: the SMP tests use a slow tick to show that a kill
/// reaches another CPU by IPI, not at that CPU's next tick.
var HZ: UInt64 = 250
/// Ticks a task runs before the tick asks for a reschedule.
let SCHED_SLICE_TICKS = 3

final class RunQueue {
    /// Guards the queue and each queued task's rq links. Lock order:
    /// tasklist_lock -> siglock -> rq->lock (docs: kernel/exit.swift).
    let lock = SpinLock(name: "rq->lock")
    let cpu: Int
    var head: Task? = nil
    var tail: Task? = nil
    var nrRunning = 0
    unowned(unsafe) var curr: Task
    unowned(unsafe) let idle: Task
    var nrSwitches = 0
    /// A task schedule() took off this CPU because its affinity no longer
    /// allows it here; finish_task_switch() queues it elsewhere.
    unowned(unsafe) var migrating: Task? = nil

    init(cpu: Int, idle: Task) {
        self.cpu = cpu
        self.idle = idle
        self.curr = idle
    }

    func enqueue(_ t: Task) {
        BUG_ON(t.onRq, "enqueue of a queued task")
        t.rqNext = nil
        if let tl = tail { tl.rqNext = t } else { head = t }
        tail = t
        t.onRq = true
        t.cpu = cpu
        nrRunning += 1
    }

    /// A task woken from sleep goes first (a crude form of CFS's wake-up
    /// preemption: a sleeper has used less CPU than the tasks that kept it).
    func enqueueHead(_ t: Task) {
        BUG_ON(t.onRq, "enqueue of a queued task")
        t.rqNext = head
        head = t
        if tail == nil { tail = t }
        t.onRq = true
        t.cpu = cpu
        nrRunning += 1
    }

    /// Takes `t` out of the middle of the queue (migration).
    func dequeue(_ t: Task) {
        BUG_ON(!t.onRq || t.cpu != cpu, "dequeue of a task not on this queue")
        var prev: Task? = nil
        var cur = head
        while let c = cur, c !== t { prev = c; cur = c.rqNext }
        BUG_ON(cur == nil, "queued task missing from its queue")
        if let prev { prev.rqNext = t.rqNext } else { head = t.rqNext }
        if tail === t { tail = prev }
        t.rqNext = nil
        t.onRq = false
        nrRunning -= 1
    }

    /// What placement compares: tasks waiting plus the one running.
    var load: Int { nrRunning + (curr.isIdle ? 0 : 1) }
    var isIdle: Bool { curr.isIdle && nrRunning == 0 }

    func dequeueHead() -> Task? {
        guard let t = head else { return nil }
        head = t.rqNext
        if head == nil { tail = nil }
        t.rqNext = nil
        t.onRq = false
        nrRunning -= 1
        return t
    }
}

/// set_current_state(): with a full barrier (Linux's smp_store_mb), so that
/// the condition the caller checks next is read after the state is visible:
/// a waker that changes the condition and then reads the state cannot miss
/// a sleeper.
@inline(__always)
func set_current_state(_ s: TaskState) {
    current.state = s
    smp_mb()
}

/// schedule(): give the CPU to the next runnable task. Returns when the
/// caller is picked again (never, for a task that set TASK_DEAD).
func schedule() {
    let prev = current
    let flags = local_irq_save()
    let rq = this_rq()
    rq.lock.lock()
    prev.needResched = false
    // A task that gives up the CPU because it blocks switches voluntarily;
    // one still runnable (preempted, or yielding) involuntarily.
    let voluntary = prev.state != .running
    if prev.state == .running && !prev.isIdle && !prev.onRq {
        if prev.cpusAllowed & (1 << UInt64(rq.cpu)) != 0 {
            rq.enqueue(prev)
        } else {
            rq.migrating = prev
        }
    }
    let next = rq.dequeueHead() ?? rq.idle
    if next === prev {
        rq.lock.unlock()
    } else {
        rq.nrSwitches += 1
        if voluntary { prev.counts.nvcsw += 1 } else { prev.counts.nivcsw += 1 }
        rq.curr = next
        let last = context_switch(prev, next)
        finish_task_switch(last)
    }
    local_irq_restore(flags)
}

/// Called on the new task's stack right after the switch, with rq->lock held.
func finish_task_switch(_ prev: Task) {
    let rq = this_rq()
    // prev's state must be read while the lock still holds it here (Linux reads
    // prev_state before finish_task() clears on_cpu). Once the lock is dropped
    // another CPU may pull prev, run it to do_task_dead() and put it there; a
    // TASK_DEAD read after that would put it a second time.
    let prevDied = prev.state == .dead
    let moving = rq.migrating
    rq.migrating = nil
    rq.lock.unlock()
    sched_seed_delay_point()
    if let moving { move_task_to_allowed_cpu(moving) }
    if prevDied {
        // The dead task's stack is no longer in use: free it, and drop the
        // reference that kept the task alive while it could run (Linux:
        // put_task_stack + put_task_struct_rcu_user).
        put_task_stack(prev)
        put_task_struct(prev)
        nr_dying_tasks.wrappingSubtract(1, ordering: .releasing)
    }
}

/// do_task_dead(): TASK_DEAD and the final schedule(). The next task frees us.
func do_task_dead() -> Never {
    let t = current
    local_irq_disable()
    t.state = .dead
    trace_do_exit_step(t, "do_task_dead: TASK_DEAD")
    schedule()
    BUG("a dead task was scheduled again")
}

/// Tasks between do_exit() (past the init check) and the finish_task_switch()
/// that frees their stack: init's leak check waits for them all to finish.
let nr_dying_tasks = Atomic<Int>(0)

/// The first thing a new task runs (from ret_from_fork).
@_cdecl("schedule_tail")
public func schedule_tail(_ prevRaw: UInt64) {
    let prev = unsafeBitCast(UInt(prevRaw), to: Task.self)
    finish_task_switch(prev)
    local_irq_enable()
}

/// try_to_wake_up(): a sleeping task becomes runnable — where it last ran,
/// or on an idle CPU it may use. Returns false if it was not sleeping.
@discardableResult
func wake_up_process(_ t: Task) -> Bool {
    try_to_wake_up(t, mask: TaskState.interruptible.union(.uninterruptible))
}

@discardableResult
func try_to_wake_up(_ t: Task, mask: TaskState) -> Bool {
    let flags = local_irq_save()
    let rq = task_rq_lock(t)
    guard !t.state.intersection(mask).isEmpty else {
        rq.lock.unlock()
        local_irq_restore(flags)
        return false
    }
    t.state = .running
    // Still on its CPU (it set its state but has not switched away yet):
    // its schedule() will see TASK_RUNNING and keep it.
    if t.onRq || rq.curr === t {
        rq.lock.unlock()
        local_irq_restore(flags)
        return true
    }
    let cpu = select_task_rq(t, prevCpu: rq.cpu)
    if cpu == rq.cpu {
        activate_task(rq, t)
        rq.lock.unlock()
    } else {
        // Nobody can reach it in between: it is TASK_RUNNING (wakers stop),
        // on no queue (balancers cannot see it) and not running.
        rq.lock.unlock()
        let dst = cpu_rq(cpu)
        dst.lock.lock()
        activate_task(dst, t)
        dst.lock.unlock()
    }
    local_irq_restore(flags)
    return true
}

/// task_rq_lock(): lock the queue of the CPU `t` last ran on. `t.cpu` only
/// changes under that lock, so check again once it is held.
func task_rq_lock(_ t: Task) -> RunQueue {
    while true {
        let rq = cpu_rq(t.cpu)
        rq.lock.lock()
        if t.cpu == rq.cpu { return rq }
        rq.lock.unlock()
    }
}

/// activate_task() + check_preempt_curr(): queue a woken task first (a
/// sleeper has used less CPU than the tasks that kept running), and have the
/// running task yield at its next way out of the kernel — at once, through
/// an IPI, if that is on another CPU.
private func activate_task(_ rq: RunQueue, _ t: Task) {
    rq.enqueueHead(t)
    resched_curr(rq)
}

/// resched_curr(): `rq`'s running task should call schedule() soon.
func resched_curr(_ rq: RunQueue) {
    rq.curr.needResched = true
    if rq.cpu != smp_processor_id() { smp_send_reschedule(rq.cpu) }
}

/// wake_up_new_task(): a forked task's first enqueue, on the least-loaded
/// CPU it may use (Linux: sched_balance_fork via select_task_rq).
func wake_up_new_task(_ t: Task) {
    let flags = local_irq_save()
    let cpu = select_task_rq(t, prevCpu: smp_processor_id(), fork: true)
    let rq = cpu_rq(cpu)
    rq.lock.lock()
    t.state = .running
    rq.enqueue(t)
    if cpu != smp_processor_id() && rq.curr.isIdle { resched_curr(rq) }
    rq.lock.unlock()
    local_irq_restore(flags)
}

/// The other half of an affinity change: a task that schedule() did not put
/// back on this CPU's queue goes to one it may use.
private func move_task_to_allowed_cpu(_ t: Task) {
    let cpu = select_task_rq(t, prevCpu: smp_processor_id())
    let rq = cpu_rq(cpu)
    let flags = rq.lock.lockIrqSave()
    rq.enqueue(t)
    resched_curr(rq)
    rq.lock.unlockIrqRestore(flags)
}

/// kick_process(): a task running in user mode on another CPU looks at its
/// signals now instead of at its next tick (the IPI's way back to user mode
/// goes through exit_to_user_mode()).
func kick_process(_ t: Task) {
    let cpu = t.cpu
    if cpu != smp_processor_id() && cpu_online(cpu) && cpu_rq(cpu).curr === t {
        smp_send_reschedule(cpu)
    }
}

/// scheduler_tick(): account the tick to the interrupted task and ask for a
/// reschedule when its slice is used up and someone else is waiting.
func scheduler_tick(userMode: Bool) {
    let t = current
    let ns = 1_000_000_000 / HZ
    if !t.isIdle {
        if userMode { t.utime += ns } else { t.stime += ns }
        run_posix_cpu_timers(t)                          // ITIMER_VIRTUAL, ITIMER_PROF
        posix_cpu_timers_fire(t)                         // timer_create() on a CPU clock
        t.timeSliceTicks += 1
        let rq = this_rq()
        if t.timeSliceTicks >= SCHED_SLICE_TICKS && rq.nrRunning > 0 {
            t.timeSliceTicks = 0
            t.needResched = true
        }
    } else {
        t.stime += ns                                    // idle time (/proc/uptime)
        if this_rq().nrRunning > 0 { t.needResched = true }
    }
    if smp_processor_id() == 0 { calc_global_load() }
    if sched_seeded && seed_chance(8) { t.needResched = true }
}

/// wait_task_inactive(): until `t`, which has put itself to sleep, is off
/// its CPU. Its switch away (which saved its FPU registers and FS base)
/// happens under its run queue's lock, with `curr` already moved on: once we
/// hold that lock and `curr` is not `t`, the switch is complete.
func wait_task_inactive(_ t: Task) {
    while true {
        let flags = local_irq_save()
        let rq = task_rq_lock(t)
        let onCpu = rq.curr === t
        rq.lock.unlock()
        local_irq_restore(flags)
        if !onCpu { return }
        schedule()                                       // a yield: let it get there
    }
}

/// sched_yield(2): to the back of the queue.
func sys_sched_yield(_ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    current.timeSliceTicks = 0
    schedule()
    return 0
}

/// The idle loop: halt until an interrupt makes something runnable.
func cpu_idle_loop() -> Never {
    while true {
        local_irq_disable()
        let rq = this_rq()
        if rq.nrRunning == 0 && num_online_cpus() > 1 { idle_balance(rq) }
        if current.needResched || rq.nrRunning > 0 {
            local_irq_enable()
            schedule()
        } else {
            safe_halt()   // sti; hlt — no wake-up can slip in between
        }
    }
}

/// context_switch(): the address space, then the architecture's switch_to()
/// (registers, stack, per-CPU pointers). Returns the task we switched away
/// from, as seen by whoever resumes here.
private func context_switch(_ prev: Task, _ next: Task) -> Task {
    // No lazy TLB: the idle task and kernel threads run on init_pgd, so an
    // exited process's page tables are never left loaded (tlb.swift).
    switch_mm_irqs_off(next.mm)
    return switch_to(prev, next)
}

// MARK: - show_state (sysrq-t)

/// The state letter of `t`, as /proc/PID/stat and ps show it.
func task_state_letter(_ t: Task) -> UInt8 {
    switch t.exitState {
    case .zombie: return 90                                   // Z
    case .dead: return 88                                     // X
    case .none: break
    }
    if t.state.contains(.traced) { return 116 }               // t
    if t.state.contains(.stopped) { return 84 }               // T
    if t.state.contains(.uninterruptible) { return 68 }       // D
    if t.state.contains(.interruptible) { return 83 }         // S
    return 82                                                 // R
}

/// The CPU `t` is running on, or nil.
private func task_running_on(_ t: Task) -> Int? {
    for cpu in 0..<nr_cpu_ids where cpu_online(cpu) && cpu_rq(cpu).curr === t { return cpu }
    return nil
}

/// sched_show_task(): one line for `t`, then — if it is off every CPU and
/// still has its kernel stack — where it sleeps: __switch_to_asm left its six
/// callee-saved registers at its saved stack pointer, the frame pointer fifth
/// and the return address into the scheduler above them.
func sched_show_task(_ t: Task) {
    let cpu = task_running_on(t)
    let line: KLine = "task:\(comm: t.comm) state:\(char: task_state_letter(t)) pid:\(t.pid) tgid:\(t.tgid) ppid:\(t.realParent.pid) flags:\(hex: t.flags.rawValue, width: 8) on_rq:\(t.onRq ? 1 : 0)"
    if let cpu {
        printk_unlocked("\(line.buf) running on cpu \(cpu)")
    } else {
        printk_unlocked(line)
    }
    guard cpu == nil, t.exitState == .none, t.stackBase != 0 else { return }
    let sp = peek64(t.stackBase)
    guard sp > t.stackBase, sp + 56 <= t.stackBase + THREAD_SIZE else { return }
    show_trace(rip: peek64(sp + 48), rbp: peek64(sp + 40))
}

/// show_state(): every task (sysrq-t), read without tasklist_lock — this is
/// called from an NMI, and a hung machine does not change under it.
func show_state() {
    printk_unlocked("Show State:")
    for p in ProcessWalk(next: init_task_list_head) {
        for t in for_each_thread(p.signal) { sched_show_task(t) }
    }
}
