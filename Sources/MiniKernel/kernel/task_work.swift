// task_work: work a task runs for itself on its way back to user mode.
// Linux: kernel/task_work.c, include/linux/task_work.h.
//
// Linux queues callbacks of any kind; the only one here is the final
// __fput() of a file (fput() queues the File itself, chained through its
// taskWorkNext). task_work_run() is called from exit_to_user_mode() and
// from do_exit() (exit_task_work), after exit_files(): so the files a dying
// task closed are released — pipe ends included, waking their peers —
// before it becomes a zombie.

import CShim

/// task_work_run(): release every queued file, newest first.
func task_work_run() {
    let t = current
    while let f = t.taskWorks {
        t.taskWorks = f.taskWorkNext
        f.taskWorkNext = nil
        __fput(f)
    }
}

/// exit_task_work(): the last run; afterwards fput() releases at once
/// (Linux sets the list to work_exited so task_work_add() fails).
func exit_task_work(_ t: Task) {
    task_work_run()
    t.taskWorkExited = true
}
