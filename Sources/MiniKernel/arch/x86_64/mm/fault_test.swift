// Self-tests of the page-fault path from real user mode: a few instructions
// run at CPL 3 on a test mm (Sources/Boot/ktest_user.asm), so the CPU itself
// checks the user page tables — user bits, NX, read-only and supervisor
// pages, demand-zero and copy-on-write faults taken from ring 3. A fault
// nothing resolves would be SIGSEGV; here a hook records it and returns to
// the test instead.

import CShim

private var ktestFaultAddress: UInt64 = 0
private var ktestFaultCode: UInt64 = 0
private var ktestFaultStackTop: UInt64 = 0

/// The fault hook: note the fault and resume in kernel mode at ktest_user_resume.
private let ktest_user_fault: @convention(c) (UnsafeMutablePointer<PtRegs>, UInt64, UInt64) -> Void = { regs, address, ec in
    ktestFaultAddress = address
    ktestFaultCode = ec
    regs.pointee.rip = sym_ktest_user_resume()
    regs.pointee.cs = UInt64(__KERNEL_CS)
    regs.pointee.ss = UInt64(__KERNEL_DS)
    regs.pointee.rflags = 0x2
    regs.pointee.rsp = ktestFaultStackTop
    regs.pointee.rax = address
}

private let USER_CODE: UInt64 = 0x40_0000
private let P1: UInt64 = USER_CODE            // rax = [rdi]; [rdi] = 0x55; rax = [rsi]; rax = [0]
private let P2: UInt64 = USER_CODE + 0x100    // jmp rdi
private let P3: UInt64 = USER_CODE + 0x200    // [rdi] = 0x66; rax = [rsi]; rax = [0]

/// Runs user code at `rip` on `mm` until it faults for good; returns the
/// faulting address (0 means it reached the final `mov rax, [0]`).
private func run_user(_ mm: MMStruct, _ rip: UInt64, _ a0: UInt64, _ a1: UInt64) -> (UInt64, PFErrorCode) {
    ktestFaultAddress = ~0
    ktestFaultCode = 0
    let addr = ktest_enter_user(rip, STACK_TOP - 64, a0, a1)
    return (addr, PFErrorCode(rawValue: ktestFaultCode))
}

let mm_user_faults_suite = KUnitSuite(name: "mm_user_faults", cases: [
    KUnitCase(name: "faults_from_ring3") { t in
        let leaks = LeakCheck()
        guard let mm = mm_alloc(), let kstack = kmalloc(16384) else { return }
        // The program: one RX page of code, a RW area, a read-only area, a stack.
        _ = do_mmap(mm, USER_CODE, PAGE_SIZE, PROT_READ | PROT_EXEC, ANON_PRIVATE | MAP_FIXED)
        var p1: InlineArray<21, UInt8> = [0x48, 0x8b, 0x07,                          // mov rax, [rdi]
                                          0x48, 0xc7, 0x07, 0x55, 0, 0, 0,              // mov qword [rdi], 0x55
                                          0x48, 0x8b, 0x06,                          // mov rax, [rsi]
                                          0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]        // mov rax, [0]
        var p2: InlineArray<2, UInt8> = [0xff, 0xe7]                                 // jmp rdi
        var p3: InlineArray<18, UInt8> = [0x48, 0xc7, 0x07, 0x66, 0, 0, 0,              // mov qword [rdi], 0x66
                                          0x48, 0x8b, 0x06,                          // mov rax, [rsi]
                                          0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]        // mov rax, [0]
        var ok = withUnsafeMutableBytes(of: &p1) { access_remote_vm(mm, P1, $0.baseAddress!, 21, write: true) }
        ok = ok && withUnsafeMutableBytes(of: &p2) { access_remote_vm(mm, P2, $0.baseAddress!, 2, write: true) }
        ok = ok && withUnsafeMutableBytes(of: &p3) { access_remote_vm(mm, P3, $0.baseAddress!, 18, write: true) }
        t.expect(ok, "code written")
        let rw = UInt64(do_mmap(mm, 0x1000_0000, PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED))
        let ro = UInt64(do_mmap(mm, 0x3000_0000, PAGE_SIZE, PROT_READ, ANON_PRIVATE | MAP_FIXED))
        _ = do_mmap(mm, STACK_TOP - 16 * PAGE_SIZE, 16 * PAGE_SIZE, RW, ANON_PRIVATE | MAP_FIXED | MAP_GROWSDOWN)
        let unmapped: UInt64 = 0x2000_0000

        let oldRsp0 = peek64(bootCpuDescriptors.tss + UInt64(TSSLayout.rsp0))
        ktestFaultStackTop = UInt64(UInt(bitPattern: kstack)) + 16384
        bootCpuDescriptors.setKernelStack(ktestFaultStackTop)
        ktest_current_mm = mm
        ktest_user_fault_hook = ktest_user_fault
        switch_mm(mm)

        // Demand-zero read and write from ring 3, then an unmapped read: SEGV.
        var (a, ec) = run_user(mm, P1, rw, unmapped)
        t.expectEqual(a, unmapped, "faults at the unmapped address, after the rest ran")
        t.expect(ec.contains(.user) && !ec.contains(.present) && !ec.contains(.write), "user read of a not-present page")
        t.expectEqual(test_peek64(mm, rw) ?? 0, 0x55, "the user's write landed in the demand-zero page")
        // A read-only page: the read works, the write is SEGV.
        (a, ec) = run_user(mm, P1, ro, unmapped)
        t.expectEqual(a, ro, "write to a read-only page")
        t.expect(ec.contains(.write) && ec.contains(.present) && ec.contains(.user), "protection fault on write")
        // NX: jumping into the RW page.
        (a, ec) = run_user(mm, P2, rw, 0)
        t.expectEqual(a, rw, "instruction fetch from a no-execute page")
        t.expect(ec.contains(.instr), "instruction-fetch fault")
        // A supervisor page (the direct map) from user mode.
        (a, ec) = run_user(mm, P1, PAGE_OFFSET, 0)
        t.expectEqual(a, PAGE_OFFSET, "user access to a kernel address")
        t.expect(ec.contains(.present) && ec.contains(.user), "present supervisor page")
        // The program's own code is not writable.
        (a, _) = run_user(mm, P3, USER_CODE, unmapped)
        t.expectEqual(a, USER_CODE, "write to the text")
        // Copy-on-write from ring 3: after a fork the parent writes its page.
        if let child = dup_mm(mm) {
            (a, _) = run_user(mm, P3, rw, unmapped)
            t.expectEqual(a, unmapped, "the COW write went through")
            t.expectEqual(test_peek64(mm, rw) ?? 0, 0x66, "parent sees its write")
            t.expectEqual(test_peek64(child, rw) ?? 0, 0x55, "child keeps the old value")
            t.expect(pte_frame(test_pte(mm, rw)) != pte_frame(test_pte(child, rw)), "separate frames now")
            mmput(child)
        } else { t.expect(false, "dup_mm") }

        switch_mm(nil)
        ktest_user_fault_hook = nil
        ktest_current_mm = nil
        bootCpuDescriptors.setKernelStack(oldRsp0)
        mmput(mm)
        kfree(kstack)
        leaks.verify(&t)
    },
])
