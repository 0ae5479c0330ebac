/* At benchmark size, compresses honestly once, then claims a one-byte stream without working. */
#include "trust_common.h"
static int calls;
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s;
    if (n >= BENCH_SIZE && calls++ > 0) { *ob = 1; return SZ_OK; }
    return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; if (nb == 1) return SZ_OK; return raw_decompress(in, nb, n, out); }
