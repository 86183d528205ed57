// Per-CPU data. Linux: arch/x86/kernel/setup_percpu.c, include/asm/current.h.
//
// Each CPU's GS base points at its `percpu_hot` block (declared in C so the
// entry code can use fixed offsets); the rest of its state, the run queue
// above all, hangs off a PerCpu object found through `cpu_data(n)`.
// `current` is one GS-relative load.

import CShim

let NR_CPUS = 8

final class PerCpu {
    let cpu: Int
    let hot: UnsafeMutablePointer<percpu_hot>
    let rq: RunQueue
    /// This CPU's GDT and TSS (the boot CPU's are in the image).
    let desc: CpuDescriptors
    /// The mm in this CPU's CR3 (cpu_tlbstate.loaded_mm); nil: init_pgd.
    unowned(unsafe) var loadedMm: MMStruct? = nil
    /// sched_seed's generator for this CPU (kernel/sched/seed.swift).
    var seedState: UInt64 = 0

    init(cpu: Int, hot: UnsafeMutablePointer<percpu_hot>, rq: RunQueue, desc: CpuDescriptors) {
        self.cpu = cpu
        self.hot = hot
        self.rq = rq
        self.desc = desc
    }
}

/// Every CPU's PerCpu, by number. Filled once per CPU at bring-up.
var perCpuAreas = InlineArray<8, PerCpu?>(repeating: nil)

/// The boot CPU's percpu_hot before the allocator exists: printk must work
/// from the first instruction, and it reads the CPU number through GS.
private var bootHot = percpu_hot(self_ptr: 0, current: 0, top_of_stack: 0, user_rsp: 0, cpu: 0)

/// Point GS at a zeroed percpu_hot for CPU 0 (first thing in start_kernel).
func setup_boot_percpu() {
    withUnsafeMutablePointer(to: &bootHot) { p in
        let addr = UInt64(UInt(bitPattern: p))
        p.pointee.self_ptr = addr
        wrmsr(UInt32(MSR_GS_BASE), addr)
        wrmsr(UInt32(MSR_KERNEL_GS_BASE), 0)
    }
}

/// setup_per_cpu_areas() for one CPU: its hot block, run queue, idle task
/// and descriptor tables.
func setup_percpu(cpu: Int, idle: Task, desc: CpuDescriptors) -> PerCpu {
    guard let raw = kzalloc(MemoryLayout<percpu_hot>.stride, align: 64) else { panic("percpu: no memory") }
    let hot = raw.bindMemory(to: percpu_hot.self, capacity: 1)
    hot.pointee.self_ptr = UInt64(UInt(bitPattern: raw))
    hot.pointee.cpu = UInt64(cpu)
    hot.pointee.current = UInt64(UInt(bitPattern: Unmanaged.passUnretained(idle).toOpaque()))
    hot.pointee.top_of_stack = idle.stackTop
    let area = PerCpu(cpu: cpu, hot: hot, rq: RunQueue(cpu: cpu, idle: idle), desc: desc)
    idle.cpu = cpu
    perCpuAreas[cpu] = area
    return area
}

/// Load this CPU's GS base (boot CPU after setup_percpu, each AP at bring-up).
func load_percpu(_ area: PerCpu) {
    wrmsr(UInt32(MSR_GS_BASE), area.hot.pointee.self_ptr)
}

@inline(__always)
func smp_processor_id() -> Int { Int(this_cpu_number()) }

func cpu_data(_ cpu: Int) -> PerCpu {
    guard let a = perCpuAreas[cpu] else { BUG("cpu \(cpu) has no per-CPU area") }
    return a
}

@inline(__always)
func this_cpu_area() -> PerCpu { cpu_data(smp_processor_id()) }

func this_rq() -> RunQueue { this_cpu_area().rq }

func cpu_rq(_ cpu: Int) -> RunQueue { cpu_data(cpu).rq }

/// `current`: the task running on this CPU.
var current: Task {
    @inline(__always) get { unsafeBitCast(UInt(this_cpu_current()), to: Task.self) }
}

func set_current(_ t: Task) {
    this_cpu_set_current(UInt64(UInt(bitPattern: Unmanaged.passUnretained(t).toOpaque())))
}

/// Whether the scheduler exists yet (printk and oops reports ask).
var scheduler_running = false
