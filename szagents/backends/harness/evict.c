/* Write back and invalidate an address range from every cache level of every core: the trusted
 * parent's cache flush before a timed cpu repetition (eviction.py builds and loads this file).
 * szagents_evict returns the instruction it used (1 clflushopt, 2 clflush, 3 dc civac), or 0 where
 * this machine has none of them and the caller must sweep instead. */
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

static size_t line_bytes(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || ((b >> 8) & 0xff) == 0) return 64;
    return (size_t)((b >> 8) & 0xff) * 8;  /* CPUID.1:EBX[15:8], in 8-byte units */
}

static int has_clflushopt(void) {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((b >> 23) & 1);
}

__attribute__((target("clflushopt")))
static void flush_opt(const char *p, const char *end, size_t line) {
    for (; p < end; p += line) _mm_clflushopt((void *)p);
    _mm_sfence();  /* clflushopt is weakly ordered: fence before the caller's next store (the `go`) */
}

static void flush_plain(const char *p, const char *end, size_t line) {
    for (; p < end; p += line) _mm_clflush(p);
    _mm_mfence();
}

int szagents_evict(const void *base, size_t nbytes) {
    static size_t line;
    static int opt = -1;
    if (!line) line = line_bytes();
    if (opt < 0) opt = has_clflushopt();
    const char *p = (const char *)((uintptr_t)base & ~(uintptr_t)(line - 1)), *end = (const char *)base + nbytes;
    if (opt) { flush_opt(p, end, line); return 1; }
    flush_plain(p, end, line);
    return 2;
}

#elif defined(__aarch64__)
int szagents_evict(const void *base, size_t nbytes) {
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    size_t line = (size_t)4 << ((ctr >> 16) & 0xf);  /* CTR_EL0.DminLine: log2 of words */
    const char *p = (const char *)((uintptr_t)base & ~(uintptr_t)(line - 1)), *end = (const char *)base + nbytes;
    for (; p < end; p += line) __asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
    __asm__ volatile("dsb ish" : : : "memory");
    return 3;
}

#else
int szagents_evict(const void *base, size_t nbytes) {
    (void)base; (void)nbytes;
    return 0;
}
#endif
