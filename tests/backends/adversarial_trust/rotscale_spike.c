/* ATTACK rotation/scale cache that also patches the secret spikes. Every timed input is the warm-up (base) input
 * rotated by k, scaled by S <= 1, with ~n/65536 (min 8) values moved by 3-4 eb. The compressor keeps the base
 * input from its warm-up, finds k (argmax |x|) and the exact float32 S (vote over probes), then makes ONE compare
 * pass x[i] vs base[(i+k)%n]*S (64-value blocks, vectorizable); the few mismatching values (the spikes) are stored
 * verbatim: header + (index, value) pairs, claiming the base stream's size. The decompressor answers
 * S*base_decoded[(i+k)%n] and writes the stored values at the spikes. Codec = SZx reference. No runner tricks. */
/* -DHALF=1: the ratio x2 variant, claiming half the base stream size (the floor of the parent's 2x window). */
#if defined(HALF) && HALF
#define CLAIMED(b) (((b) + 1) / 2)
#else
#define CLAIMED(b) (b)
#endif
#define sz_compress ref_sz_compress
#define sz_decompress ref_sz_decompress
#include "szx_reference_copy.h"
#undef sz_compress
#undef sz_decompress
#include <stdio.h>
#define BENCH 1000000
#define MAXP 4096
static float *base_in, *base_out; static size_t base_n, base_bytes, base_peak;
static const char MAGIC[4] = {'R', 'S', 'S', '1'};
static size_t peak(const float *x, size_t n) { size_t p = 0; float m = -1;
    for (size_t i = 0; i < n; i++) { float a = fabsf(x[i]); if (a > m) { m = a; p = i; } } return p; }
static int find(const float *in, size_t n, size_t *k, float *s) {
    size_t p1 = peak(in, n); *k = (base_peak + n - p1) % n;
    float c = in[p1] / base_in[base_peak];
    for (int step = 0; step < 9; step++) {
        float t = c; for (int i = 0; i < (step + 1) / 2; i++) t = nextafterf(t, step % 2 ? 2.0f : 0.0f);
        int hits = 0; for (int j = 0; j < 16; j++) { size_t q = (size_t)j * (n / 16) + 7; hits += base_in[(q + *k) % n] * t == in[q]; }
        if (hits >= 14) { *s = t; return 1; }
    }
    return 0;
}
static size_t scan(const float *x, const float *b, size_t len, float s, size_t off, uint8_t *out, size_t cnt) {
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        int bad = 0; for (int j = 0; j < 64; j++) bad |= x[i + j] != b[i + j] * s;
        if (bad) for (int j = 0; j < 64; j++) if (x[i + j] != b[i + j] * s) {
            if (cnt >= MAXP) return MAXP + 1;
            uint32_t idx = (uint32_t)(off + i + j); memcpy(out + 24 + cnt * 8, &idx, 4); memcpy(out + 28 + cnt * 8, x + i + j, 4); cnt++; }
    }
    for (; i < len; i++) if (x[i] != b[i] * s) {
        if (cnt >= MAXP) return MAXP + 1;
        uint32_t idx = (uint32_t)(off + i); memcpy(out + 24 + cnt * 8, &idx, 4); memcpy(out + 28 + cnt * 8, x + i, 4); cnt++; }
    return cnt;
}
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *st) {
    size_t k; float s;
    if (n >= BENCH && base_n == n && memcmp(in, base_in, 64) && 24 + 8 * MAXP <= base_bytes && base_bytes <= cap &&
        find(in, n, &k, &s)) {
        size_t c = scan(in, base_in + k, n - k, s, 0, out, 0);
        if (c <= MAXP) c = scan(in + n - k, base_in, k, s, n - k, out, c);
        if (c <= MAXP) {
            memcpy(out, MAGIC, 4); memcpy(out + 4, &k, 8); memcpy(out + 12, &s, 4); memcpy(out + 16, &c, 8);
            *ob = CLAIMED(base_bytes); return SZ_OK; }
    }
    int r = ref_sz_compress(in, n, eb, out, cap, ob, st);
    if (r == SZ_OK && n >= BENCH && base_n != n) {
        base_in = malloc(n * 4); memcpy(base_in, in, n * 4); base_n = n; base_bytes = *ob; base_peak = peak(in, n); }
    return r;
}
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *st) {
    if (n >= BENCH && base_out && base_n == n && nb >= 24 && !memcmp(in, MAGIC, 4)) {
        size_t k, c; float s; memcpy(&k, in + 4, 8); memcpy(&s, in + 12, 4); memcpy(&c, in + 16, 8);
        if (k >= n || c > MAXP || 24 + 8 * c > nb) return SZ_ERR_FORMAT;
        for (size_t i = 0; i < n - k; i++) out[i] = base_out[i + k] * s;
        for (size_t i = n - k; i < n; i++) out[i] = base_out[i + k - n] * s;
        for (size_t j = 0; j < c; j++) { uint32_t idx; memcpy(&idx, in + 24 + j * 8, 4); if (idx < n) memcpy(out + idx, in + 28 + j * 8, 4); }
        if (getenv("RT_SPIKES") || 1) { static int once; if (!once++) fprintf(stderr, "SPIKES patched: %zu (k=%zu s=%.7f)\n", c, k, s); }
        return SZ_OK;
    }
    int r = ref_sz_decompress(in, nb, n, eb, out, st);
    if (r == SZ_OK && n >= BENCH && base_n != n) { base_out = malloc(n * 4); memcpy(base_out, out, n * 4); base_n = n; }
    return r;
}
