// CPU time of tasks and thread groups. Linux: kernel/sched/cputime.c.
//
// Time is sampled, as Linux's tick-based accounting: each scheduler tick
// gives a whole tick to the task it interrupted, as user or system time
// (scheduler_tick()). Linux then scales the samples by the scheduler's exact
// runtime (cputime_adjust()); we report the samples as they are.

/// thread_group_cputime(): the group's time — its dead threads' (kept in
/// signal_struct by __exit_signal()) plus every live thread's. Called with
/// siglock held, which keeps the thread list still.
func thread_group_cputime(_ sig: SignalStruct) -> (utime: UInt64, stime: UInt64) {
    lockdep_assert_held(siglock)
    var utime = sig.utime, stime = sig.stime
    for t in for_each_thread(sig) {
        utime += t.utime
        stime += t.stime
    }
    return (utime, stime)
}
