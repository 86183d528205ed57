/* runtime.c — the C symbols a freestanding Embedded Swift image links against.
 *
 * Compiled with -ffreestanding -fno-builtin so the compiler cannot turn these
 * loops back into calls to themselves. The allocator lives in Swift
 * (mm/slab.swift); posix_memalign and free are thin doors into it, because the
 * runtime's names (`free` above all) are reserved in Swift. */
#include <stddef.h>
#include <stdint.h>

/* Eight bytes per step, then the tail: a page copy is 512 steps, not 4096
 * (copy_page and clear_page in Linux use the quadword forms too). */
void *memcpy(void *d, const void *s, size_t n) {
    void *ret = d;
    size_t q = n >> 3, b = n & 7;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(b) :: "memory");
    return ret;
}

void *memset(void *d, int c, size_t n) {
    void *ret = d;
    size_t q = n >> 3, b = n & 7;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(b) : "a"(v) : "memory");
    return ret;
}

void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp == sp || n == 0) return d;
    if (dp < sp || dp >= sp + n) return memcpy(d, s, n);
    while (n--) dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* Implemented in Swift (mm/slab.swift, kernel/printk.swift, kernel/panic.swift). */
void *kmalloc_aligned(size_t size, size_t align);
void kfree(void *p);
void console_putchar(int c);
void swift_runtime_abort(const char *why);

int posix_memalign(void **out, size_t align, size_t size) {
    void *p = kmalloc_aligned(size, align < 16 ? 16 : align);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void *malloc(size_t size) { return kmalloc_aligned(size, 16); }
void free(void *p) { if (p) kfree(p); }

int putchar(int c) { console_putchar(c); return c; }

/* Embedded Swift seeds Hashable with random bytes; the kernel has no entropy
 * source worth the name, and determinism helps reproduce bugs. */
void arc4random_buf(void *buf, size_t n) {
    static uint64_t x = 0x9E3779B97F4A7C15ull;
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

void abort(void) { swift_runtime_abort("abort() called"); for (;;) {} }
