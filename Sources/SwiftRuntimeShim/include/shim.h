/* shim.h — the instructions Swift cannot spell, as static inline functions.
 *
 * Imported into the kernel as the `CShim` module. Everything here is one
 * instruction (or a fixed short sequence) so that the unsafe surface stays
 * small and visible. Linux keeps the same things in arch/x86/include/asm/. */
#pragma once
#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline uint64_t read_rbp(void) { uint64_t v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }
static inline uint64_t read_rsp(void) { uint64_t v; __asm__ volatile("mov %%rsp, %0" : "=r"(v)); return v; }
static inline uint64_t read_rflags(void) { uint64_t v; __asm__ volatile("pushfq; popq %0" : "=r"(v) :: "memory"); return v; }

/* page_ref_inc / put_page_testzero: `lock xadd` on a frame's count. */
static inline int32_t atomic_add_return_i32(int32_t *p, int32_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }

/* clear_page / copy_page (arch/x86/lib/clear_page_64.S, copy_page_64.S): 512
 * quadword steps (a constant-size memset from Swift becomes `rep stosl`, 1024). */
static inline void clear_page(void *p) { uint64_t n = 512; __asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ULL) : "memory"); }
static inline void copy_page(void *d, const void *s) { uint64_t n = 512; __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) :: "memory"); }

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void local_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void ud2(void) { __asm__ volatile("ud2"); }

/* Descriptor-table loads. The pointer structures are built by the caller. */
struct __attribute__((packed)) desc_ptr { uint16_t limit; uint64_t base; };
static inline void load_gdt(uint64_t base, uint16_t limit) {
    struct desc_ptr p = { limit, base }; __asm__ volatile("lgdt %0" :: "m"(p) : "memory");
}
static inline void load_idt(uint64_t base, uint16_t limit) {
    struct desc_ptr p = { limit, base }; __asm__ volatile("lidt %0" :: "m"(p) : "memory");
}
static inline void load_tr(uint16_t sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }

/* Raw memory access at a kernel virtual address. The only way Swift code
 * touches memory it did not allocate itself (page tables, MMIO, boot info). */
static inline uint8_t  peek8(uint64_t a)  { return *(volatile uint8_t  *)a; }
static inline uint16_t peek16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t peek32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t peek64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void poke8(uint64_t a, uint8_t v)   { *(volatile uint8_t  *)a = v; }
static inline void poke16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void poke32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void poke64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

/* Linker-script symbols, as addresses. */
extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __bss_start[], __bss_end[];
extern char boot_stack_bottom[], boot_stack_top[], boot_pml4[];
static inline uint64_t sym_kernel_start(void) { return (uint64_t)__kernel_start; }
static inline uint64_t sym_kernel_end(void) { return (uint64_t)__kernel_end; }
static inline uint64_t sym_text_start(void) { return (uint64_t)__text_start; }
static inline uint64_t sym_text_end(void) { return (uint64_t)__text_end; }
static inline uint64_t sym_rodata_start(void) { return (uint64_t)__rodata_start; }
static inline uint64_t sym_rodata_end(void) { return (uint64_t)__rodata_end; }
static inline uint64_t sym_data_start(void) { return (uint64_t)__data_start; }
static inline uint64_t sym_bss_end(void) { return (uint64_t)__bss_end; }
static inline uint64_t sym_boot_stack_bottom(void) { return (uint64_t)boot_stack_bottom; }
static inline uint64_t sym_boot_stack_top(void) { return (uint64_t)boot_stack_top; }

/* mem* for Swift callers who want them by name. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Static tables defined in Sources/Boot/head_64.asm and entry_64.asm. */
extern char idt_table[], boot_gdt_page[], boot_tss[], boot_ist_stacks[], boot_ist_stacks_end[];
extern char boot_stack_guard[];
extern uint64_t isr_stub_table[256];
static inline uint64_t sym_idt_table(void) { return (uint64_t)idt_table; }
static inline uint64_t sym_boot_gdt_page(void) { return (uint64_t)boot_gdt_page; }
static inline uint64_t sym_boot_tss(void) { return (uint64_t)boot_tss; }
static inline uint64_t sym_boot_ist_stacks(void) { return (uint64_t)boot_ist_stacks; }
static inline uint64_t sym_boot_ist_stacks_end(void) { return (uint64_t)boot_ist_stacks_end; }
static inline uint64_t sym_boot_stack_guard(void) { return (uint64_t)boot_stack_guard; }
static inline uint64_t isr_stub(int v) { return isr_stub_table[v]; }

/* Reload CS and the data segments after lgdt (a far return is the only way to set CS). */
static inline void load_kernel_segments(uint16_t cs, uint16_t ds) {
    __asm__ volatile(
        "pushq %q0\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w1, %%ds\n\t"
        "movw %w1, %%es\n\t"
        "movw %w1, %%ss\n\t"
        :: "r"((uint64_t)cs), "r"(ds) : "rax", "memory");
}

/* The kallsyms table generated at link time (scripts/kallsyms.sh). */
extern const uint64_t kallsyms_num;
extern const uint64_t kallsyms_addresses[];
extern const uint32_t kallsyms_name_offsets[];
extern const char kallsyms_names[];
static inline uint64_t kallsyms_count(void) { return kallsyms_num; }
static inline uint64_t kallsyms_address(uint64_t i) { return kallsyms_addresses[i]; }
static inline const char *kallsyms_name(uint64_t i) { return kallsyms_names + kallsyms_name_offsets[i]; }

/* The registers saved on every entry into the kernel, in the order
 * Sources/Boot/entry_64.asm pushes them. Linux: arch/x86/include/asm/ptrace.h.
 * `vector` is ours (Linux has one entry point per vector instead); for a
 * system call it holds SYSCALL_VECTOR and `orig_rax` the call number. */
struct pt_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t vector;
    uint64_t orig_rax;   /* the CPU's error code for exceptions; the syscall number for syscalls */
    uint64_t rip, cs, rflags, rsp, ss;
};

/* The hot part of a CPU's per-CPU area, reached through GS (the entry code
 * uses these offsets directly). Linux: arch/x86/include/asm/current.h,
 * percpu.h (pcpu_hot). */
struct percpu_hot {
    uint64_t self_ptr;      /* gs:0   this structure's own address */
    uint64_t current;       /* gs:8   the running task (a Swift Task object) */
    uint64_t top_of_stack;  /* gs:16  its kernel stack top: where SYSCALL switches to */
    uint64_t user_rsp;      /* gs:24  scratch for the user RSP during entry */
    uint64_t cpu;           /* gs:32  this CPU's number */
};
static inline uint64_t this_cpu_self(void) { uint64_t v; __asm__ volatile("movq %%gs:0, %0" : "=r"(v)); return v; }
static inline uint64_t this_cpu_current(void) { uint64_t v; __asm__ volatile("movq %%gs:8, %0" : "=r"(v)); return v; }
static inline void this_cpu_set_current(uint64_t t) { __asm__ volatile("movq %0, %%gs:8" :: "r"(t) : "memory"); }
static inline void this_cpu_set_top_of_stack(uint64_t v) { __asm__ volatile("movq %0, %%gs:16" :: "r"(v) : "memory"); }
static inline uint64_t this_cpu_number(void) { uint64_t v; __asm__ volatile("movq %%gs:32, %0" : "=r"(v)); return v; }

#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_SYSCALL_MASK    0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102

/* FPU/SSE state: 512 bytes, 16-byte aligned. */
static inline void fxsave(uint64_t area) { __asm__ volatile("fxsave64 (%0)" :: "r"(area) : "memory"); }
static inline void fxrstor(uint64_t area) { __asm__ volatile("fxrstor64 (%0)" :: "r"(area) : "memory"); }
static inline void fninit(void) { __asm__ volatile("fninit" ::: "memory"); }

/* Entry points in Sources/Boot/entry_64.asm. */
extern char entry_SYSCALL_64[], ret_from_fork[];
static inline uint64_t sym_entry_SYSCALL_64(void) { return (uint64_t)entry_SYSCALL_64; }
static inline uint64_t sym_ret_from_fork(void) { return (uint64_t)ret_from_fork; }
uint64_t __switch_to_asm(uint64_t *prev_sp, uint64_t next_sp, uint64_t prev);

/* User-memory access (Sources/Boot/usercopy.asm) and its exception table:
 * pairs of (faulting instruction, fixup) between the two symbols. */
uint64_t __copy_user_ll(void *dst, const void *src, uint64_t n);
uint64_t __clear_user_ll(void *dst, uint64_t n);
int64_t __strncpy_from_user_ll(void *dst, const void *src, uint64_t count);
uint64_t __strnlen_user_ll(const void *src, uint64_t count);
int64_t __futex_cmpxchg_user_ll(uint32_t *uaddr, uint32_t old, uint32_t new_);
extern const uint64_t __ex_table_start[], __ex_table_end[];
static inline uint64_t ex_table_count(void) { return (uint64_t)(__ex_table_end - __ex_table_start) / 2; }
static inline uint64_t ex_table_insn(uint64_t i) { return __ex_table_start[2 * i]; }
static inline uint64_t ex_table_fixup(uint64_t i) { return __ex_table_start[2 * i + 1]; }

/* CPUID leaf 1 EDX: the feature bits Linux reports as AT_HWCAP on x86. */
static inline uint32_t cpuid_1_edx(void) {
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

/* Self-tests only (Sources/Boot/ktest_user.asm): a short excursion to ring 3. */
uint64_t ktest_enter_user(uint64_t rip, uint64_t rsp, uint64_t a0, uint64_t a1);
extern char ktest_user_resume[];
static inline uint64_t sym_ktest_user_resume(void) { return (uint64_t)ktest_user_resume; }

/* SMP bring-up (Boot/trampoline_64.asm, arch/x86_64/smpboot.swift). */
extern char trampoline_start[], trampoline_end[], tr_cr3[], tr_stack[], tr_entry[], tr_cpu[];
extern void start_secondary(uint64_t cpu);
static inline uint64_t sym_trampoline_start(void) { return (uint64_t)trampoline_start; }
static inline uint64_t sym_trampoline_end(void) { return (uint64_t)trampoline_end; }
static inline uint64_t sym_tr_cr3(void) { return (uint64_t)tr_cr3; }
static inline uint64_t sym_tr_stack(void) { return (uint64_t)tr_stack; }
static inline uint64_t sym_tr_entry(void) { return (uint64_t)tr_entry; }
static inline uint64_t sym_tr_cpu(void) { return (uint64_t)tr_cpu; }
static inline uint64_t sym_start_secondary(void) { return (uint64_t)start_secondary; }

/* smp_mb(): a full barrier, as Linux's x86 version (a locked no-op on the stack). */
static inline void smp_mb(void) { __asm__ volatile("lock addl $0, -4(%%rsp)" ::: "memory", "cc"); }
