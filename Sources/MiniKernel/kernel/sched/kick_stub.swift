// kick_process() until SMP brings IPIs: with one CPU, a task that is
// running in user mode is the caller itself, which checks signals on its way
// back to user mode anyway.

func kick_process(_ t: Task) {}
