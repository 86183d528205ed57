// start_kernel(): from the boot stub to the first user process.
// Linux: init/main.c.
//
// The order matters and is Linux's: the console and the trap table first (so
// that everything after can report its failures), then the boot information,
// memory, time, and the initramfs; self-tests if asked; finally init.

import CShim

let UTS_RELEASE: StaticString = "6.18.0-minikernel"
let MINIKERNEL_VERSION: StaticString = "0.1"

@_cdecl("start_kernel")
public func start_kernel(_ startInfo: UInt32) {
    setup_boot_percpu()
    tsc_early_init()
    serial8250_init()
    idt_setup()
    // The 8259s power up delivering the PIT on vector 8 (#DF): remap and mask
    // them before anything can turn interrupts on.
    legacy_pic_disable()
    bootCpuDescriptors.load()

    pvh_parse_start_info(startInfo)
    kernel_params = parse_kernel_params(boot_params.cmdline)
    if kernel_params.quiet { consoleLoglevel = 4 }
    if let level = kernel_params.loglevel, level >= 0 { consoleLoglevel = level }
    lockcheck_enabled = kernel_params.lockcheck
    if kernel_params.norandmaps { randomize_va_space = 0 }

    // The boot page tables already map all of low memory, so the ACPI
    // tables and the HPET are reachable: calibrate the clock first, and every
    // timestamp after this is meaningful.
    acpi_table_init(rsdp: boot_params.rsdp)
    tsc_init()
    pr_notice("MiniKernel version \(MINIKERNEL_VERSION) (\(UTS_RELEASE)) Embedded Swift, x86_64")
    pr_notice("Command line: \(boot_params.cmdline)")

    memblock_init()
    mem_init()
    paging_init()
    populate_rootfs(listEntries: kernel_params.rdlist)

    pidmap_init()
    thread_stack_cache_init()
    syscall_tables_init()
    syscall_init()

    // The boot CPU's idle task and per-CPU area exist before the self-tests,
    // which switch address spaces; the other CPUs start after them.
    let idle = sched_init()
    sched_seed_init(kernel_params.schedSeed)
    seed_init_cpu(this_cpu_area())

    if kernel_params.ktest {
        let ok = kunit_run_all(filter: kernel_params.ktestFilter)
        machine_power_off(code: ok ? .success : .testsFailed)
    }
    if !kernel_params.crashtest.isEmpty { crashtest(kernel_params.crashtest) }

    task_memory_report()
    if let hz = kernel_params.tickHz, hz >= 1, hz <= 1000 { HZ = UInt64(hz) }
    setup_local_apic()
    apic_timer_init()
    smp_prepare_cpus()
    smp_ipi_init()
    if let ms = kernel_params.smpbootTimeoutMs, ms >= 0 { smpboot_timeout_ns = UInt64(ms) * 1_000_000 }
    smp_init()
    serial8250_startup()
    traceExit = kernel_params.trace.equals("exit") || kernel_params.trace.equals("all")
    pr_info("MiniKernel: boot complete in \(ktime_get_ns() / 1000) us")
    local_irq_enable()
    rest_init(idle: idle)
}

/// crashtest=ud2|pagefault: deliberate kernel faults, for the tests of the
/// panic path (a fault must end in a report and the panic exit code).
func crashtest(_ what: ByteString) {
    if what.equals("ud2") {
        pr_notice("crashtest: executing ud2 in kernel mode")
        ud2()
    } else if what.equals("pagefault") {
        pr_notice("crashtest: reading an unmapped address in kernel mode")
        _ = peek64(0xdead_0000)
    } else if what.equals("stackoverflow") {
        pr_notice("crashtest: overflowing the kernel stack into its guard page")
        _ = recurse(1)
    } else if what.equals("bug") {
        BUG("crashtest=bug")
    }
    pr_err("crashtest: unknown crash '\(what)'")
}

/// Deep enough to run off any kernel stack; the limit only keeps the
/// compiler from calling it infinite.
@inline(never)
private func recurse(_ n: UInt64) -> UInt64 {
    var pad = InlineArray<64, UInt64>(repeating: n)
    if n < 1_000_000 { pad[Int(n & 63)] = recurse(n &+ 1) }
    return pad[Int(n & 7)]
}
