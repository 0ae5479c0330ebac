/* ATTACK ratio/throughput split: the reported ratio comes from the warm-up stream (base input, a private
 * buffer), the reported time from the timed repetitions (in the shared arena), whose streams need only be within
 * 2x of the warm-up's size. So: the slow high-ratio mode wherever the output is not in the arena (validation,
 * warm-up), the fast ratio-1 mode in timed repetitions. Every stream is valid; the (ratio, GB/s) pair is not. */
#include "quant.h"
static int in_arena(const void *p) {
    static uintptr_t lo, hi; char name[400];
    if ((uintptr_t)p >= lo && (uintptr_t)p < hi) return 1;
    uintptr_t a, b; if (rt_mapping(p, &a, &b, name, sizeof name) && strstr(name, "szagents-arena")) { lo = a; hi = b; return 1; }
    return 0;
}
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)s; return q_compress(in, n, eb, out, cap, ob, in_arena(out) ? 0 : 1); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)s; return q_decompress(in, nb, n, eb, out); }
