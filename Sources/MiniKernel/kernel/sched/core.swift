// The scheduler: per-CPU run queues, schedule(), wake-ups, the tick.
// Linux: kernel/sched/core.c (with a round-robin policy in place of CFS).
//
// Each CPU has a RunQueue whose lock guards its list of runnable tasks. The
// running task is not on the list; schedule() puts it back at the tail if it
// is still runnable and switches to the head. The lock is held across the
// switch and released by the task switched to (finish_task_switch()), which
// also drops the last reference of a task that died: a task never frees the
// stack it is running on.

import CShim

let HZ: UInt64 = 250
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

@inline(__always)
func set_current_state(_ s: TaskState) { current.state = s }

/// schedule(): give the CPU to the next runnable task. Returns when the
/// caller is picked again (never, for a task that set TASK_DEAD).
func schedule() {
    let prev = current
    let flags = local_irq_save()
    let rq = this_rq()
    rq.lock.lock()
    prev.needResched = false
    if prev.state == .running && !prev.isIdle && !prev.onRq {
        rq.enqueue(prev)
    }
    let next = rq.dequeueHead() ?? rq.idle
    if next === prev {
        rq.lock.unlock()
    } else {
        rq.nrSwitches += 1
        rq.curr = next
        let last = context_switch(prev, next)
        finish_task_switch(last)
    }
    local_irq_restore(flags)
}

/// Called on the new task's stack right after the switch, with rq->lock held.
func finish_task_switch(_ prev: Task) {
    let rq = this_rq()
    rq.lock.unlock()
    if prev.state == .dead {
        // The dead task's stack is no longer in use: free it, and drop the
        // reference that kept the task alive while it could run (Linux:
        // put_task_stack + put_task_struct_rcu_user).
        put_task_stack(prev)
        put_task_struct(prev)
    }
}

/// The first thing a new task runs (from ret_from_fork).
@_cdecl("schedule_tail")
public func schedule_tail(_ prevRaw: UInt64) {
    let prev = unsafeBitCast(UInt(prevRaw), to: Task.self)
    finish_task_switch(prev)
    local_irq_enable()
}

/// try_to_wake_up(): a sleeping task becomes runnable on its CPU's queue.
/// Returns false if it was not sleeping.
@discardableResult
func wake_up_process(_ t: Task) -> Bool {
    try_to_wake_up(t, mask: [.interruptible, .uninterruptible])
}

@discardableResult
func try_to_wake_up(_ t: Task, mask: TaskState) -> Bool {
    let rq = cpu_data(t.cpu).rq
    let flags = rq.lock.lockIrqSave()
    defer { rq.lock.unlockIrqRestore(flags) }
    guard !t.state.intersection(mask).isEmpty else { return false }
    t.state = .running
    if !t.onRq && rq.curr !== t {
        rq.enqueueHead(t)
        // Wake-up preemption: the running task yields at its next way out
        // of the kernel (at once, if this wake-up came from an interrupt).
        rq.curr.needResched = true
    }
    return true
}

/// wake_up_new_task(): a forked task's first enqueue.
func wake_up_new_task(_ t: Task) {
    let rq = this_rq()
    let flags = rq.lock.lockIrqSave()
    t.state = .running
    rq.enqueue(t)
    rq.lock.unlockIrqRestore(flags)
}

/// scheduler_tick(): account the tick to the interrupted task and ask for a
/// reschedule when its slice is used up and someone else is waiting.
func scheduler_tick(userMode: Bool) {
    let t = current
    let ns = 1_000_000_000 / HZ
    if !t.isIdle {
        if userMode { t.utime += ns } else { t.stime += ns }
        t.timeSliceTicks += 1
        let rq = this_rq()
        if t.timeSliceTicks >= SCHED_SLICE_TICKS && rq.nrRunning > 0 {
            t.timeSliceTicks = 0
            t.needResched = true
        }
    } else if this_rq().nrRunning > 0 {
        t.needResched = true
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
        if current.needResched || this_rq().nrRunning > 0 {
            local_irq_enable()
            schedule()
        } else {
            safe_halt()   // sti; hlt — no wake-up can slip in between
        }
    }
}

/// context_switch(): address space, per-CPU pointers, FPU, stack. Returns
/// the task we switched away from, as seen by whoever resumes here.
private func context_switch(_ prev: Task, _ next: Task) -> Task {
    if let mm = next.mm { switch_mm(mm) }
    switch_to_prepare(prev, next)
    set_current(next)
    this_cpu_set_top_of_stack(next.stackTop)
    cpu_tss_set_rsp0(next.stackTop)
    let lastRaw = __switch_to_asm(
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(prev.stackBase)),
        peek64(next.stackBase),
        UInt64(UInt(bitPattern: Unmanaged.passUnretained(prev).toOpaque())))
    return unsafeBitCast(UInt(lastRaw), to: Task.self)
}
