// Bringing up the other CPUs, and the IPIs between them.
// Linux: arch/x86/kernel/smpboot.c (do_boot_cpu, start_secondary),
// arch/x86/kernel/apic/ipi.c, arch/x86/kernel/smp.c.
//
// The MADT lists the local APICs; the boot CPU is logical CPU 0 and the
// others are numbered in table order. For each, the boot CPU makes an idle
// task (whose stack the AP boots on), the per-CPU area, GDT, TSS and IST
// stacks, points the real-mode trampoline (Boot/trampoline_64.asm) at them
// and sends INIT, then STARTUP twice, as the MP specification says. The AP
// reaches start_secondary() in long mode, loads its tables, starts its
// local APIC timer, marks itself online and becomes its idle loop. CPUs are
// started one at a time: the trampoline's four words are shared.
//
// An AP that answers late. Under emulation a vCPU is a host thread, and a
// busy host may not run it for seconds after its STARTUP. The boot CPU
// waits 10 s for it, as Linux does; what matters more is what happens when
// even that is not enough. The AP must then never run kernel code later, on
// state the boot CPU has moved on from. Linux 6.x (kernel/cpu.c,
// cpuhp_ap_sync_alive and cpuhp_bp_sync_alive) settles the race with one
// atomic state per CPU, and so do we:
//
//     boot CPU                          AP
//     state = KICKED; INIT, SIPI
//     wait for ALIVE (10 s)             cmpxchg(KICKED → ALIVE) first thing
//     timeout: cmpxchg(KICKED → DEAD)   in start_secondary(); if it fails,
//                                       the CPU was given up: halt for good
//
// Exactly one of the two exchanges succeeds, so a CPU is either online or
// fenced, never both. A fenced AP still runs the trampoline, whenever the
// host lets it, with the trampoline's words, its page tables and its idle
// stack: so after a failure no further CPU is started (the words stay the
// fenced CPU's) and none of those is freed. Linux's parallel bring-up finds
// each AP's stack by its APIC id instead of through shared words; with one
// CPU at a time, a failure simply ends the bring-up.

import CShim
import Synchronization

/// Where the trampoline runs: inside the first MiB, which memblock keeps
/// from the page allocator. The SIPI vector is this page number.
let TRAMP_BASE: UInt64 = 0x8000

/// CPUs the firmware lists (at most NR_CPUS); logical number → APIC id.
var nr_cpu_ids = 1
var cpuApicId = InlineArray<8, Int>(repeating: 0)
/// cpu_online_mask: a bit per logical CPU that runs the scheduler.
private let onlineMask = Atomic<UInt64>(1)

/// The bring-up handshake's states (Linux: SYNC_STATE_* in kernel/cpu.c),
/// one byte per CPU in one atomic word.
private enum CpuSyncState: UInt64 {
    case dead = 0      // not started, or given up on: may never run
    case kicked = 1    // INIT-SIPI-SIPI sent, not heard from yet
    case alive = 2     // reached start_secondary() in time
}
private let cpuSyncStates = Atomic<UInt64>(0)

/// cmpxchg on CPU `cpu`'s state byte.
private func cpuhp_sync_cmpxchg(_ cpu: Int, from old: CpuSyncState, to new: CpuSyncState) -> Bool {
    let shift = UInt64(cpu * 8)
    var word = cpuSyncStates.load(ordering: .relaxed)
    while true {
        guard (word >> shift) & 0xff == old.rawValue else { return false }
        let desired = word & ~(0xff << shift) | new.rawValue << shift
        let (done, seen) = cpuSyncStates.compareExchange(expected: word, desired: desired, ordering: .sequentiallyConsistent)
        if done { return true }
        word = seen
    }
}

private func cpuhp_sync_state(_ cpu: Int) -> CpuSyncState {
    CpuSyncState(rawValue: (cpuSyncStates.load(ordering: .acquiring) >> UInt64(cpu * 8)) & 0xff) ?? .dead
}

/// How long the boot CPU waits for an AP (Linux: 10 s, fixed). The tests
/// shorten it with `smpboot.timeout_ms=` to make every AP late on purpose.
var smpboot_timeout_ns: UInt64 = 10_000_000_000

@inline(__always) func cpu_online_mask() -> UInt64 { onlineMask.load(ordering: .acquiring) }
func num_online_cpus() -> Int { cpu_online_mask().nonzeroBitCount }
func cpu_online(_ cpu: Int) -> Bool { cpu >= 0 && cpu < NR_CPUS && cpu_online_mask() & (1 << UInt64(cpu)) != 0 }

// MARK: - Bring-up

/// smp_prepare_cpus(): number the CPUs the MADT lists, boot CPU first.
func smp_prepare_cpus() {
    let bsp = apic_id()
    cpuApicId[0] = bsp
    var n = 1
    acpi_parse_madt { id in
        if id == bsp { return }
        if n < NR_CPUS { cpuApicId[n] = id; n += 1 } else { pr_warn("smp: more than \(NR_CPUS) CPUs, APIC id \(id) ignored") }
    }
    nr_cpu_ids = n
}

/// smp_init(): start every other CPU, then say how many run.
func smp_init() {
    if nr_cpu_ids > 1, let pgd = trampoline_pgd() {
        let blob = sym_trampoline_start()
        let size = Int(sym_trampoline_end() - blob)
        let dst = PhysAddr(TRAMP_BASE).pointer
        dst.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(blob)).unsafelyUnwrapped, byteCount: size)
        trampoline_word(sym_tr_cr3()).pointee = pgd.value
        trampoline_word(sym_tr_entry()).pointee = sym_start_secondary()
        var fenced = false
        for cpu in 1..<nr_cpu_ids where !fenced {
            fenced = !do_boot_cpu(cpu)
            if fenced && cpu + 2 == nr_cpu_ids {
                pr_err("smpboot: CPU\(cpu + 1) not started: the trampoline stays CPU\(cpu)'s")
            } else if fenced && cpu + 2 < nr_cpu_ids {
                pr_err("smpboot: CPUs \(cpu + 1)-\(nr_cpu_ids - 1) not started: the trampoline stays CPU\(cpu)'s")
            }
        }
        // A fenced AP may still walk through the trampoline's page tables.
        if !fenced { free_trampoline_pgd(pgd) }
    }
    pr_info("smp: Brought up 1 node, \(num_online_cpus()) CPU\(num_online_cpus() == 1 ? "" : "s")")
}

/// A word of the copy of the trampoline at TRAMP_BASE.
private func trampoline_word(_ sym: UInt64) -> UnsafeMutablePointer<UInt64> {
    let off = sym - sym_trampoline_start()
    return (PhysAddr(TRAMP_BASE).pointer + Int(off)).assumingMemoryBound(to: UInt64.self)
}

/// The trampoline's page tables: the kernel half of init_pgd, plus the
/// first 2 MiB identity-mapped for the instructions that turn paging on.
/// Their frames must sit below 4 GiB (CR3 is loaded in 32-bit code): all of
/// RAM does (memblock's MAX_PHYS_ADDR).
private func trampoline_pgd() -> PhysAddr? {
    guard let pml4 = get_zeroed_page(), let pdpt = get_zeroed_page(), let pd = get_zeroed_page() else { return nil }
    let top = PageTable(pa: pml4)
    for i in 256..<512 { top[i] = init_pgd[i] }
    top[0] = pdpt.value | PTEFlags.table.rawValue
    PageTable(pa: pdpt)[0] = pd.value | PTEFlags.table.rawValue
    PageTable(pa: pd)[0] = PTEFlags.present.union(.writable).union(.huge).rawValue
    return pml4
}

private func free_trampoline_pgd(_ pml4: PhysAddr) {
    let pdpt = PhysAddr(PageTable(pa: pml4)[0] & PTE_ADDR_MASK)
    let pd = PhysAddr(PageTable(pa: pdpt)[0] & PTE_ADDR_MASK)
    free_page(pd)
    free_page(pdpt)
    free_page(pml4)
}

/// fork_idle() and the per-CPU state an AP needs before its first instruction.
private func prepare_cpu(_ cpu: Int) -> Bool {
    guard let stack = alloc_thread_stack(), let tables = get_zeroed_page(),
          let ist = alloc_pages(order: 1) else { return false }
    let idle = fork_idle(cpu: cpu, stackBase: stack, stackTop: stack + THREAD_SIZE)
    // GDT in the first half of the page, TSS in the second; two IST stacks.
    let desc = CpuDescriptors(gdt: tables.virt, tss: tables.virt + 2048,
                              istStacksTop: (ist.virt + PAGE_SIZE, ist.virt + 2 * PAGE_SIZE))
    _ = setup_percpu(cpu: cpu, idle: idle, desc: desc)
    return true
}

/// do_boot_cpu(): INIT, STARTUP, STARTUP, then cpuhp_bp_sync_alive():
/// wait for the AP to say it is alive, or fence it off for good. False when
/// the CPU was given up (Linux: "CPU%u failed to report alive state").
private func do_boot_cpu(_ cpu: Int) -> Bool {
    guard prepare_cpu(cpu) else { pr_err("smpboot: no memory for CPU\(cpu)"); return true }
    trampoline_word(sym_tr_stack()).pointee = cpu_data(cpu).rq.idle.stackTop
    trampoline_word(sym_tr_cpu()).pointee = UInt64(cpu)
    _ = cpuhp_sync_cmpxchg(cpu, from: .dead, to: .kicked)
    smp_mb()
    let apic = cpuApicId[cpu]
    apic_icr_write(apic, APIC_DM_INIT | APIC_INT_ASSERT)
    udelay(10)   // Linux waits 10 ms only for pre-Pentium-4 CPUs (init_udelay)
    let vector = UInt32(TRAMP_BASE >> 12)
    for _ in 0..<2 {
        apic_icr_write(apic, APIC_DM_STARTUP | vector)
        udelay(200)
        if cpuhp_sync_state(cpu) == .alive { break }
    }
    // Wall time: the TSC runs on while the host holds either vCPU back.
    let deadline = ktime_get_ns() + smpboot_timeout_ns
    while cpuhp_sync_state(cpu) != .alive && ktime_get_ns() < deadline { cpu_relax() }
    if cpuhp_sync_cmpxchg(cpu, from: .kicked, to: .dead) {
        // Put it back to waiting for a STARTUP too. Should it run anyway, its
        // own cmpxchg in start_secondary() fails and it halts there.
        apic_icr_write(apic, APIC_DM_INIT | APIC_INT_ASSERT)
        pr_err("smpboot: CPU\(cpu) (APIC \(apic)) failed to report alive state")
        return false
    }
    // Alive: it finishes its own set-up and marks itself online.
    while !cpu_online(cpu) { cpu_relax() }
    return true
}

/// start_secondary(): the AP's first Swift, on its idle task's stack, with
/// the trampoline's page tables and no per-CPU area yet.
@_cdecl("start_secondary")
public func start_secondary(_ cpuArg: UInt64) {
    let cpu = Int(cpuArg)
    // cpuhp_ap_sync_alive(): too late, and the boot CPU has moved on. Touch
    // nothing: this stack and these page tables are all it still owns.
    guard cpuhp_sync_cmpxchg(cpu, from: .kicked, to: .alive) else {
        while true { local_irq_disable(); halt() }
    }
    write_cr3(init_pgd.pa.value)
    let area = cpu_data(cpu)
    load_percpu(area)
    wrmsr(UInt32(MSR_KERNEL_GS_BASE), 0)
    area.desc.load()
    load_idt_table()
    syscall_init()
    setup_local_apic()
    setup_apic_timer()
    seed_init_cpu(area)
    onlineMask.bitwiseOr(1 << cpuArg, ordering: .releasing)
    local_irq_enable()
    cpu_idle_loop()
}

// MARK: - IPIs

/// native_smp_send_reschedule(): make `cpu` look at its run queue now.
func smp_send_reschedule(_ cpu: Int) {
    send_IPI(cpu: cpu, vector: RESCHEDULE_VECTOR)
}

func send_IPI(cpu: Int, vector: Int) {
    guard cpu_online(cpu) else { return }
    apic_icr_write(cpuApicId[cpu], APIC_DM_FIXED | UInt32(vector))
}

/// The reschedule IPI: the sender already set need_resched; the way out of
/// the interrupt (irq_exit → exit_to_user_mode, or the idle loop) acts on it.
func smp_reschedule_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {
    apic_eoi()
}

/// REBOOT_VECTOR: panic stops the other CPUs so its report stands alone.
private let REBOOT_VECTOR = 0xf8

private func smp_stop_interrupt(_ regs: UnsafeMutablePointer<PtRegs>) {
    apic_eoi()
    while true { local_irq_disable(); halt() }
}

/// smp_send_stop(): every other CPU halts with interrupts off.
func smp_send_stop() {
    let me = this_cpu_number()
    var m = cpu_online_mask() & ~(UInt64(1) << me)
    while m != 0 {
        let cpu = m.trailingZeroBitCount
        m &= m - 1
        send_IPI(cpu: cpu, vector: REBOOT_VECTOR)
    }
}

func smp_ipi_init() {
    request_irq(vector: RESCHEDULE_VECTOR, smp_reschedule_interrupt)
    request_irq(vector: CALL_FUNCTION_VECTOR, smp_call_function_interrupt)
    request_irq(vector: REBOOT_VECTOR, smp_stop_interrupt)
}
