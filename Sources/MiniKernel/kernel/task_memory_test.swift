// Self-tests: the figures of `task_memory:` are what fork really costs.
//
// A stand-in parent (a Task with its own signal state, files, fs and an
// address space with one mapped page) becomes `current` for the test; then
// copy_process() creates a thread and a process of it, exactly as clone()
// and fork() do, and the kernel bytes in use (kernel_bytes_in_use: frames and
// kmalloc objects) must grow by the reported amount; releasing the child the
// way release_task() does must give every byte back.

import CShim

/// The stand-in parent and what the test must restore.
private struct ForkParent {
    let task: Task
    let savedCurrent: UInt64
    let savedListHead: Task?

    init?() {
        guard let mm = mm_alloc() else { return nil }
        let t = Task(signal: SignalStruct(), sighand: SighandStruct())
        t.state = .running
        t.mm = mm
        t.files = FilesStruct()
        t.fs = FsStruct()
        link_thread(t)
        task = t
        savedCurrent = this_cpu_current()
        savedListHead = init_task_list_head
        init_task_list_head = t
        set_current(t)
    }

    func restore() {
        this_cpu_set_current(savedCurrent)
        init_task_list_head = savedListHead
        unlink_thread(task)
        if let mm = task.mm { mmput(mm); task.mm = nil }
        if let f = task.files { put_files_struct(f); task.files = nil }
        if let fs = task.fs { put_fs_struct(fs); task.fs = nil }
        let sig = task.signal, sh = task.sighand
        kfree_object(task)
        put_signal_struct(sig)
        put_sighand(sh)
    }
}

/// The end of a child that never ran: release_task() (its pid, its lists, the
/// parent's reference), then what do_exit() and the final switch-out drop
/// (mm, files, fs, the running reference and with it the stack).
private func release_unrun_child(_ p: Task, thread: Bool) {
    if thread {
        p.signal.live -= 1
        p.signal.quickThreads -= 1
    }
    release_task(p)
    if let mm = p.mm { mmput(mm); p.mm = nil }
    if let f = p.files { put_files_struct(f); p.files = nil }
    if let fs = p.fs { put_fs_struct(fs); p.fs = nil }
    put_task_struct(p)
}

private func fork_delta(_ t: inout KUnitTest, _ flags: CloneFlags, thread: Bool) -> Int? {
    var regs = PtRegs()
    regs.cs = UInt64(__USER_CS)
    regs.ss = UInt64(__USER_DS)
    regs.rflags = 0x202
    var args = KernelCloneArgs()
    args.flags = flags
    args.exitSignal = thread ? 0 : SIGCHLD
    var error = Errno.EINVAL
    let before = kernel_bytes_in_use()
    let child = withUnsafeMutablePointer(to: &regs) { copy_process(args, regs: $0, error: &error) }
    guard let p = child else { t.expect(false, "copy_process failed: \(error.negated)"); return nil }
    let delta = kernel_bytes_in_use() - before
    release_unrun_child(p, thread: thread)
    t.expectEqual(kernel_bytes_in_use(), before, "every byte back after the release")
    return delta
}

let task_memory_suite = KUnitSuite(name: "task_memory", cases: [
    KUnitCase(name: "figures_add_up") { t in
        let m = task_memory()
        t.expectEqual(m.stack, Int(THREAD_SIZE), "stack is THREAD_SIZE")
        t.expect(m.task >= 64 && m.task <= 4096, "Task object size \(m.task)")
        t.expectEqual(m.thread, m.task + m.stack, "thread = task + stack")
        t.expectEqual(m.process, m.thread + m.processObjects + m.pgd, "process = thread + objects + pgd")
        t.expectEqual(m.pgd, Int(PAGE_SIZE), "one PGD page")
    },
    KUnitCase(name: "clone_thread_costs_thread") { t in
        let leaks = LeakCheck()
        let m = task_memory()
        guard let parent = ForkParent() else { t.expect(false, "no parent"); return }
        if let d = fork_delta(&t, [.vm, .fs, .files, .sighand, .thread], thread: true) {
            t.expectEqual(d, m.thread, "kernel bytes a new thread took")
        }
        parent.restore()
        leaks.verify(&t)
    },
    KUnitCase(name: "fork_costs_process_plus_page_tables") { t in
        let leaks = LeakCheck()
        let m = task_memory()
        guard let parent = ForkParent(), let mm = parent.task.mm else { t.expect(false, "no parent"); return }
        // An empty address space: the child costs exactly `process`.
        if let d = fork_delta(&t, [], thread: false) {
            t.expectEqual(d, m.process, "kernel bytes a new process took (empty mm)")
        }
        // One mapped, touched page: dup_mm copies its VMA and the PUD, PMD
        // and PT above it; the page itself is shared copy-on-write.
        let a = UInt64(do_mmap(mm, 0, PAGE_SIZE, RW, ANON_PRIVATE))
        t.expect(handle_mm_fault_ok(mm, a, PF_WRITE_USER), "parent's page faulted in")
        if let d = fork_delta(&t, [], thread: false) {
            t.expectEqual(d, m.process + m.vma + 3 * Int(PAGE_SIZE), "process + one VMA + three page tables")
        }
        parent.restore()
        leaks.verify(&t)
    },
])
