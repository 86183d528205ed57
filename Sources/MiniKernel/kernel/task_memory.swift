// What a thread and a process cost the kernel in bytes, for the benchmarks
// (issue 6: "kernel memory per thread at most 8 KiB") and for readers who
// compare with Linux (16 KiB stack + task_struct on x86-64).
//
// The figures are the allocator's real sizes of real objects, not estimates:
// ksize() of freshly allocated instances (a Swift class's instance size is
// only known to the runtime, which asks kmalloc for it; the size class it got
// is what the object costs), and THREAD_SIZE for the kernel stack. At boot
// (not quiet) the kernel prints
//
//     task_memory: thread=N process=M (...)
//
// and the ktest case below checks them against what copy_process() really
// takes from the allocators: kernel bytes in use before and after a fork.
//
// What a thread costs (dup_task_struct): the Task object and THREAD_SIZE of
// stack frames. Nothing else: a pid is a bit and a reference count in tables
// allocated at boot, and the stack area's page tables are built once at boot
// (thread_stack_cache_init), so a stack never allocates one.
// What a process adds (copy_signal, copy_sighand, copy_files, copy_fs,
// copy_mm): SignalStruct and its wait queue, SighandStruct, FilesStruct,
// FsStruct, MMStruct and its PGD page. Lower page tables (PUD, PMD, PT: one
// of each per 1 GiB / 2 MiB region used) and one VMArea per mapping come on
// top and depend on the program; the boot line gives their unit sizes.

import CShim

/// ksize(): the bytes kmalloc really handed out for `p` (its size class, or
/// the whole pages of a large allocation). Linux: mm/slab_common.c.
func ksize(_ p: UnsafeRawPointer) -> Int {
    let page = virt_to_page(UInt64(UInt(bitPattern: p)))
    if page.pointee.flags.contains(.slab) { return 1 << (Int(page.pointee.slabClass) + KMALLOC_MIN_SHIFT) }
    return Int(PAGE_SIZE) << Int(page.pointee.order)
}

func ksize_object<T: AnyObject>(_ object: T) -> Int {
    ksize(UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
}

/// The per-object sizes behind the two figures.
struct TaskMemory {
    var task = 0, stack = 0
    var signal = 0, sighand = 0, files = 0, fs = 0, mm = 0, pgd = 0
    var vma = 0

    /// One more thread in a process (CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | ...).
    var thread: Int { task + stack }
    /// One more process (fork), address space empty: page tables below the
    /// PGD and VMAs are extra (see the top of this file).
    var process: Int { thread + signal + sighand + files + fs + mm + pgd }
    /// The per-process objects alone.
    var processObjects: Int { signal + sighand + files + fs + mm }
}

/// Allocates one of each object a fork allocates, measures it, frees it.
func task_memory() -> TaskMemory {
    var m = TaskMemory()
    m.stack = Int(THREAD_SIZE)
    let sig = SignalStruct(), sh = SighandStruct()
    let t = Task(signal: sig, sighand: sh)
    m.task = ksize_object(t)
    m.signal = ksize_object(sig) + ksize_object(sig.waitChldExit)
    m.sighand = ksize_object(sh)
    kfree_object(t)
    put_signal_struct(sig)
    put_sighand(sh)
    let files = FilesStruct(), fs = FsStruct()
    m.files = ksize_object(files)
    m.fs = ksize_object(fs)
    put_files_struct(files)
    put_fs_struct(fs)
    if let mm = mm_alloc() {
        m.mm = ksize_object(mm)
        m.pgd = Int(PAGE_SIZE)           // mm_alloc's get_zeroed_page()
        mmput(mm)
    }
    let vma = VMArea(start: 0, end: 0, flags: [])
    m.vma = ksize_object(vma)
    kfree_object(vma)
    return m
}

/// The boot log line the benchmark reads (scripts/bench/bench.py).
func task_memory_report() {
    let m = task_memory()
    pr_info("task_memory: thread=\(m.thread) process=\(m.process) (task \(m.task) + stack \(m.stack); process adds signal \(m.signal), sighand \(m.sighand), files \(m.files), fs \(m.fs), mm \(m.mm), pgd \(m.pgd); per VMA \(m.vma), per page table \(PAGE_SIZE))")
}

/// Kernel bytes in use, as the allocators see them: every frame taken from
/// the buddy allocator except slab pages, plus every kmalloc object at its
/// size class. Only differences between two calls mean anything.
func kernel_bytes_in_use() -> Int {
    var slabPages = 0
    for pfn in 0..<buddy.maxPfn where pfn_to_page(pfn).pointee.flags.contains(.slab) { slabPages += 1 }
    var objectBytes = 0
    slabLock.withLock {
        for c in 0..<KMALLOC_CLASSES { objectBytes += kmallocCaches.active[c] << (c + KMALLOC_MIN_SHIFT) }
    }
    return (buddy.nrManaged - nr_free_pages() - slabPages) * Int(PAGE_SIZE) + objectBytes
}
