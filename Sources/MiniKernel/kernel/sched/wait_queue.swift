// Wait queues and completions. Linux: kernel/sched/wait.c, completion.c.
//
// A sleeper puts itself on the queue and sets its state *before* testing its
// condition, and a waker changes the condition *before* waking the queue;
// with the queue's lock ordering the two, a wake-up between the test and
// schedule() is never lost: it just sets the sleeper running again.

import CShim

final class WaitQueueHead {
    /// Guards the list of sleepers. Taken with interrupts off: wake-ups come
    /// from the timer interrupt (nanosleep) too.
    let lock = SpinLock(name: "wq->lock")
    var head: Task? = nil

    init() {}

    func add(_ t: Task) {
        t.waitNext = head
        head = t
    }

    func remove(_ t: Task) {
        if head === t { head = t.waitNext; t.waitNext = nil; return }
        var p = head
        while let cur = p {
            if cur.waitNext === t { cur.waitNext = t.waitNext; t.waitNext = nil; return }
            p = cur.waitNext
        }
    }
}

/// wake_up_all(): every sleeper becomes runnable; each re-tests its condition.
func wake_up_all(_ wq: WaitQueueHead) {
    let flags = wq.lock.lockIrqSave()
    var t = wq.head
    while let cur = t {
        t = cur.waitNext
        wake_up_process(cur)
    }
    wq.lock.unlockIrqRestore(flags)
}

/// Why a wait ended.
enum WaitResult {
    case done
    case interrupted     // a signal is pending: the caller returns -EINTR or restarts
}

/// wait_event_interruptible() / wait_event_killable(): sleep on `wq` until
/// `condition()` holds, or until a signal that may interrupt the sleep arrives.
func wait_event(_ wq: WaitQueueHead, state: TaskState, _ condition: () -> Bool) -> WaitResult {
    let me = current
    while true {
        let flags = wq.lock.lockIrqSave()
        wq.add(me)
        set_current_state(state)
        wq.lock.unlockIrqRestore(flags)
        if condition() {
            finish_wait(wq, me)
            return .done
        }
        if signal_pending_state(state, me) {
            finish_wait(wq, me)
            return .interrupted
        }
        schedule()
        finish_wait(wq, me)
    }
}

/// finish_wait(): running again, and off the queue.
func finish_wait(_ wq: WaitQueueHead, _ t: Task) {
    let flags = wq.lock.lockIrqSave()
    set_current_state(.running)
    wq.remove(t)
    wq.lock.unlockIrqRestore(flags)
}

/// A one-shot event (vfork's "the child has exec'd or exited"). `done` is
/// set, and the sleepers woken, under the queue's lock, and the waiter reads
/// `done` under it too: so the waiter cannot see `done`, return and free the
/// completion while complete() is still walking its queue.
final class Completion {
    var done = false
    let wait = WaitQueueHead()
    init() {}
}

func complete(_ c: Completion) {
    let flags = c.wait.lock.lockIrqSave()
    c.done = true
    var t = c.wait.head
    while let cur = t {
        t = cur.waitNext
        wake_up_process(cur)
    }
    c.wait.lock.unlockIrqRestore(flags)
}

/// wait_for_completion(): uninterruptible; nothing but complete() ends it.
func wait_for_completion(_ c: Completion) {
    let me = current
    var flags = c.wait.lock.lockIrqSave()
    c.wait.add(me)
    while !c.done {
        set_current_state(.uninterruptible)
        c.wait.lock.unlockIrqRestore(flags)
        schedule()
        flags = c.wait.lock.lockIrqSave()
    }
    c.wait.remove(me)
    set_current_state(.running)
    c.wait.lock.unlockIrqRestore(flags)
}

/// wait_for_completion_killable(): only a fatal signal cuts the wait short.
func wait_for_completion_killable(_ c: Completion) -> WaitResult {
    let me = current
    var flags = c.wait.lock.lockIrqSave()
    c.wait.add(me)
    c.wait.lock.unlockIrqRestore(flags)
    while true {
        flags = c.wait.lock.lockIrqSave()
        if c.done {
            c.wait.remove(me)
            set_current_state(.running)
            c.wait.lock.unlockIrqRestore(flags)
            return .done
        }
        set_current_state(.killable)
        c.wait.lock.unlockIrqRestore(flags)
        if fatal_signal_pending(me) {
            finish_wait(c.wait, me)
            return .interrupted
        }
        schedule()
    }
}
