// Loading address spaces and keeping every CPU's TLB honest.
// Linux: arch/x86/mm/tlb.c (switch_mm_irqs_off, flush_tlb_mm_range,
// flush_tlb_kernel_range), kernel/smp.c (the IPI that carries the flush).
//
// Each mm records in `cpuMask` the CPUs that have it in CR3. Whoever changes
// a user PTE that may be cached (munmap, mprotect, copy-on-write, fork's
// write-protect) flushes locally and sends CALL_FUNCTION_VECTOR to the other
// CPUs in the mask, then waits until each has flushed: only then may a frame
// that was reachable through the old entry be freed or reused.
//
// Ordering (why a CPU cannot slip through the mask): the flusher stores the
// PTE, then (smp_mb) reads the mask; a CPU switching to the mm sets its bit,
// then writes CR3 (serializing). Either the flusher sees the bit, or the
// switching CPU's CR3 write comes after the PTE store and its TLB starts
// empty for this mm.
//
// We do not keep Linux's lazy TLB mode: a CPU that runs its idle task
// switches to init_pgd, so an mm is never left in a CR3 it could be freed
// under (exit_mmap checks that no CPU still has it).
//
// Kernel stacks are the only kernel mappings that change after boot. A freed
// stack's slot is not reused until every CPU has flushed its global entries
// (arch/x86_64/process.swift batches them; flush_tlb_kernel_all()).
//
// Deadlock freedom: the waiter spins with its own requests serviced
// (flush_tlb_poll), and so does every SpinLock spinner, so a CPU that waits
// for a lock with interrupts off still answers a flush it is asked for.

import CShim
import Synchronization

/// The one request in flight; `tlbLock` serializes requesters.
private struct FlushRequest {
    var pgd: UInt64 = 0        // 0: the kernel's global entries (all of them)
    var start: UInt64 = 0
    var end: UInt64 = 0
}
private var flushRequest = FlushRequest()
/// CPUs that still have to perform `flushRequest`.
private let flushPending = Atomic<UInt64>(0)
private let tlbLock = SpinLock(name: "tlb_flush_lock")

/// Past this many pages, reloading CR3 is cheaper than invlpg per page
/// (Linux: tlb_single_page_flush_ceiling = 33).
private let TLB_FLUSH_CEILING: UInt64 = 33

// MARK: - switch_mm

/// switch_mm_irqs_off(): load `next`'s page tables on this CPU (nil: the
/// kernel's own, init_pgd). Keeps the TLB when both are the same mm.
/// Interrupts are off (context_switch); switch_mm() is the form for others.
func switch_mm_irqs_off(_ next: MMStruct?) {
    let area = this_cpu_area()
    let prev = area.loadedMm
    guard prev !== next else { return }
    let bit: UInt64 = 1 << UInt64(area.cpu)
    if let next { next.cpuMask.bitwiseOr(bit, ordering: .sequentiallyConsistent) }
    write_cr3(next?.pgd.pa.value ?? init_pgd.pa.value)
    if let prev { prev.cpuMask.bitwiseAnd(~bit, ordering: .releasing) }
    area.loadedMm = next
}

func switch_mm(_ next: MMStruct?) {
    let flags = local_irq_save()
    switch_mm_irqs_off(next)
    local_irq_restore(flags)
}

// MARK: - Flushing

private func local_flush(_ start: UInt64, _ end: UInt64) {
    if (end - start) / PAGE_SIZE > TLB_FLUSH_CEILING {
        write_cr3(read_cr3())
    } else {
        var va = start
        while va < end { invlpg(va); va += PAGE_SIZE }
    }
}

/// flush_tlb_mm_range(): [start, end) of `mm` out of every TLB that may hold it.
func flush_tlb_mm_range(_ mm: MMStruct, start: UInt64, end: UInt64) {
    smp_mb()   // the PTE stores before the mask read: see the top of this file
    let flags = local_irq_save()
    let me: UInt64 = 1 << UInt64(smp_processor_id())
    let mask = mm.cpuMask.load(ordering: .sequentiallyConsistent)
    if mask & me != 0 { local_flush(start, end) }
    local_irq_restore(flags)
    let others = mask & ~me
    if others != 0 {
        smp_call_flush(others, FlushRequest(pgd: mm.pgd.pa.value, start: start, end: end))
    }
}

/// Every CPU drops its global (kernel) translations: reused kernel-stack slots.
func flush_tlb_kernel_all() {
    let flags = local_irq_save()
    __flush_tlb_all()
    local_irq_restore(flags)
    let others = cpu_online_mask() & ~(UInt64(1) << UInt64(smp_processor_id()))
    if others != 0 { smp_call_flush(others, FlushRequest()) }
}

/// Toggling CR4.PGE drops every entry, global ones included.
private func __flush_tlb_all() {
    let cr4 = read_cr4()
    write_cr4(cr4 & ~(1 << 7))
    write_cr4(cr4)
}

private func smp_call_flush(_ cpus: UInt64, _ req: FlushRequest) {
    tlbLock.lock()
    flushRequest = req
    flushPending.store(cpus, ordering: .sequentiallyConsistent)
    var m = cpus
    while m != 0 {
        let cpu = m.trailingZeroBitCount
        m &= m - 1
        send_IPI(cpu: cpu, vector: CALL_FUNCTION_VECTOR)
    }
    while flushPending.load(ordering: .acquiring) != 0 {
        flush_tlb_poll()
        cpu_relax()
    }
    tlbLock.unlock()
}

/// Performs the pending request if this CPU is one it waits for. Called from
/// the IPI, and by anything that spins (so that spinning never deadlocks
/// against a flusher).
@inline(__always)
func flush_tlb_poll() {
    guard flushPending.load(ordering: .relaxed) != 0 else { return }
    let me: UInt64 = 1 << UInt64(this_cpu_number())
    guard flushPending.load(ordering: .acquiring) & me != 0 else { return }
    let req = flushRequest
    if req.pgd == 0 {
        __flush_tlb_all()
    } else if read_cr3() & PTE_ADDR_MASK == req.pgd {
        local_flush(req.start, req.end)
    }
    flushPending.bitwiseAnd(~me, ordering: .releasing)
}

/// CALL_FUNCTION_VECTOR: the only cross-CPU call we make is a TLB flush.
func smp_call_function_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {
    apic_eoi()
    flush_tlb_poll()
}
