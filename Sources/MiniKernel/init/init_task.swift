// The first tasks: each CPU's idle task (pid 0, "swapper/N") and init
// (pid 1). Linux: init/init_task.c, init/main.c (rest_init, kernel_init).

import CShim
import Synchronization

/// The boot CPU's idle task is the boot context itself: it runs on the boot
/// stack and becomes the idle loop once init has been started.
func sched_init() -> Task {
    let idle = fork_idle(cpu: 0, stackBase: sym_boot_stack_bottom(), stackTop: sym_boot_stack_top())
    let area = setup_percpu(cpu: 0, idle: idle, desc: bootCpuDescriptors)
    load_percpu(area)
    init_task_list_head = idle
    scheduler_running = true
    return idle
}

/// fork_idle(): CPU `cpu`'s idle task, pid 0, "swapper/N", on the stack
/// [stackBase, stackTop) (the boot stack for CPU 0; an AP boots on its own).
func fork_idle(cpu: Int, stackBase: UInt64, stackTop: UInt64) -> Task {
    let idle = Task(signal: SignalStruct(), sighand: SighandStruct())
    idle.pid = 0
    idle.tgid = 0
    idle.flags = TaskFlags.idle.union(.kthread)
    idle.state = .running
    idle.stackBase = stackBase
    idle.stackTop = stackTop
    idle.cpusAllowed = 1 << UInt64(cpu)
    let prefix: StaticString = "swapper/"
    for i in 0..<prefix.utf8CodeUnitCount { idle.comm[i] = prefix.utf8Start[i] }
    idle.comm[prefix.utf8CodeUnitCount] = UInt8(48 + cpu)
    nr_tasks.wrappingAdd(1, ordering: .relaxed)
    return idle
}

/// What the leak check compares against: taken when init is created.
struct LeakBaseline {
    var tasks = 0, pids = 0, frames = 0, objects = 0, files = 0, inodes = 0, pipes = 0, pidfds = 0, timers = 0
    var semArrays = 0, shmSegments = 0, ttyRefs = 0
    static func now() -> LeakBaseline {
        LeakBaseline(tasks: nr_tasks.load(ordering: .relaxed), pids: nr_pids_in_use(), frames: nr_free_pages(),
                     objects: kmalloc_active_objects(), files: nr_files.load(ordering: .relaxed),
                     inodes: nr_inodes.load(ordering: .relaxed), pipes: nr_pipes.load(ordering: .relaxed),
                     pidfds: nr_pidfds.load(ordering: .relaxed), timers: itimerLock.withLock { nr_posix_timers },
                     semArrays: nr_sem_arrays(), shmSegments: nr_shm_segments(),
                     ttyRefs: console_tty?.kref.load(ordering: .relaxed) ?? 0)
    }
}
var leakBaseline = LeakBaseline()

/// rest_init(): make pid 1, then become the idle task.
func rest_init(idle: Task) -> Never {
    guard let initTask = create_init_task(parent: idle) else { panic("cannot create init") }
    child_reaper = initTask
    wake_up_new_task(initTask)
    cpu_idle_loop()
}

/// pid 1, built by hand as Linux's user_mode_thread(kernel_init) is: a task
/// whose first return to user mode goes through kernel_init(), which execs
/// the init program into its registers.
private func create_init_task(parent: Task) -> Task? {
    let sig = SignalStruct()
    sig.flags.insert(.unkillable)
    guard let stack = alloc_thread_stack() else { return nil }
    let t = Task(signal: sig, sighand: SighandStruct())
    t.stackBase = stack
    t.stackTop = stack + THREAD_SIZE
    t.usage.store(2, ordering: .relaxed)
    nr_tasks.wrappingAdd(1, ordering: .relaxed)
    t.setComm(ByteString(cString: UnsafePointer(("init" as StaticString).utf8Start)))
    guard let pid = alloc_pid() else { return nil }
    t.pid = pid
    t.tgid = pid
    t.realParent = parent
    t.parent = parent
    t.startTime = ktime_get_ns()
    // The baseline counts init's task and pid (still there when it exits)
    // but not what init will hold and drop: files, fs, its programs' memory.
    leakBaseline = LeakBaseline.now()
    let files = FilesStruct()
    console_on_rootfs(files)
    t.files = files
    t.fs = init_fs_struct()
    // A user-mode frame for kernel_init() to fill in.
    var regs = PtRegs()
    regs.cs = UInt64(__USER_CS)
    regs.ss = UInt64(__USER_DS)
    regs.rflags = 0x202
    withUnsafeMutablePointer(to: &regs) { copy_thread_initial(t, $0) }
    tasklistLock.withLock {
        link_child(t, to: parent)
        link_thread(t)
        link_task_list(t)
        attach_pid(t)
    }
    return t
}

private var initExecDone = false

/// kernel_init(): called on init's first way to user mode. Linux's order:
/// the initramfs's /init (rdinit=), then init=, then the usual places.
func kernel_init(_ regs: UnsafeMutablePointer<PtRegs>) {
    guard !initExecDone else { return }
    initExecDone = true
    let rdinit = kernel_params.rdinitPath.isEmpty ? staticBytes("/init") : kernel_params.rdinitPath
    var err = Errno.ENOENT
    if lookup_exec_file(rdinit, &err) {
        let r = run_init_process(rdinit, regs)
        if r == 0 { return }
        pr_err("Failed to execute \(rdinit) (error \(r))")
    }
    if !kernel_params.initPath.isEmpty {
        let r = run_init_process(kernel_params.initPath, regs)
        if r == 0 { return }
        panic("Requested init \(kernel_params.initPath) failed (error \(r)).")
    }
    for p: StaticString in ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"] {
        if run_init_process(staticBytes(p), regs) == 0 { return }
    }
    panic("No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.")
}

func staticBytes(_ s: StaticString) -> ByteString { ByteString(s.utf8Start, count: s.utf8CodeUnitCount) }

/// run_init_process(): execve from the kernel, argv = [path, args after
/// "--" and unknown bare words], envp = [HOME=/, TERM=linux, unknown a=b words].
private func run_init_process(_ path: ByteString, _ regs: UnsafeMutablePointer<PtRegs>) -> Int {
    var argv = ArgBuffer()
    var envp = ArgBuffer()
    defer { argv.release(); envp.release() }
    guard argv.append(path), envp.append(staticBytes("HOME=/")), envp.append(staticBytes("TERM=linux")) else {
        return Errno.ENOMEM.negated
    }
    init_arguments(boot_params.cmdline) { word, isEnv in
        _ = isEnv ? envp.append(word) : argv.append(word)
    }
    return kernel_execve(path, argv: argv, envp: envp, regs: regs)
}

/// init_exit(): init's last thread is exiting. Linux panics with init's
/// status; we do too, after (with `leakcheck`) tearing down what init still
/// holds and reporting whether anything leaked.
func init_exit(_ tsk: Task, code: Int32) -> Never {
    if kernel_params.leakcheck {
        real_timer_cancel(tsk.signal)
        exit_itimers(tsk.signal)
        exit_mm(tsk)
        exit_sem(tsk)
        acct_exit()
        exit_files(tsk)
        exit_fs(tsk)
        disassociate_ctty(true)
        task_work_run()
        // Reap whatever zombies init left, so that only init itself remains.
        var dead = DeadList()
        tasklistLock.withLock {
            for p in for_each_child(tsk) where p.exitState == .zombie {
                p.exitState = .dead
                dead.add(p)
            }
        }
        dead.releaseAll()
        // Other CPUs may still run tasks in do_exit (an autoreaped child that
        // wait4 already answered ECHILD for), or be switching away from tasks
        // that just died (finish_task_switch drops their last reference).
        wait_for_dying_tasks()
        drop_pagecache()         // cached file pages are reclaimable, not leaked
        let now = LeakBaseline.now()
        // init's own mm, files and fs were made after the baseline, and are gone now.
        printk_always("leakcheck: tasks \(leakBaseline.tasks)->\(now.tasks) pids \(leakBaseline.pids)->\(now.pids) free_frames \(leakBaseline.frames)->\(now.frames) kmalloc_objects \(leakBaseline.objects)->\(now.objects) files \(leakBaseline.files)->\(now.files) inodes \(leakBaseline.inodes)->\(now.inodes) pipes \(leakBaseline.pipes)->\(now.pipes) pidfds \(leakBaseline.pidfds)->\(now.pidfds) posix_timers \(leakBaseline.timers)->\(now.timers) sem_arrays \(leakBaseline.semArrays)->\(now.semArrays) shm_segments \(leakBaseline.shmSegments)->\(now.shmSegments) tty_refs \(leakBaseline.ttyRefs)->\(now.ttyRefs)")
    }
    printk_unlocked("Kernel panic - not syncing: Attempted to kill init! exitcode=0x\(hex: UInt32(bitPattern: code), width: 8)")
    let status = code & 0x7f == 0 ? QemuExitCode.initExited(Int((code >> 8) & 0xff)) : .initKilled
    machine_power_off(code: status)
}

/// Until no task is left in do_exit() or between its final schedule() and
/// the switch away from it on another CPU, yielding to them (on one CPU they
/// wait behind us). No deadline: do_exit() always runs to its end, and a
/// host that stalls a vCPU for seconds must not turn into a reported leak.
private func wait_for_dying_tasks() {
    while nr_dying_tasks.load(ordering: .acquiring) != 0 { schedule() }
}
